// Live viewer sessions of this replica, sharded so that threads do not contend on one lock.
// SPDX-License-Identifier: MIT
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

namespace active_users {

/// Sessions stay on the replica that holds them; what is replicated is only each page's total
/// (see replica). A heartbeat session is 16 bytes in an open-addressing table (its key, a hash
/// of page and session id, and its page and deadline), so a million sessions fit in well under
/// 64 MB (measured by converge-session-memory). WebSocket sessions are not stored here: their
/// connection is the session; they only add to the tallies.
///
/// Every change is also added to a per-shard tally of net joins per page, which the replica
/// folds into its CRDT state on a short timer: many threads counting viewers touch only their
/// shard's lock, and the replicated state sees one increment or decrement per page per fold.
class session_table {
public:
    static constexpr std::size_t shard_count = 64;
    using page_id = std::uint32_t;
    /// Deadlines in milliseconds since an epoch of the caller's choosing; 32 bits last 49 days.
    using tick = std::uint32_t;

    /// A heartbeat for (page, session): creates the session or moves its deadline. True when new.
    bool heartbeat(page_id page, std::string_view session, tick deadline) {
        const std::uint64_t key = key_of(page, session);
        shard& s = shard_of(key);
        std::lock_guard lock(s.mutex);
        const auto [it, inserted] = s.sessions.try_emplace(key, entry{page, deadline});
        if (inserted) ++s.tally[page];
        else it->second.deadline = deadline;
        return inserted;
    }

    /// Ends a heartbeat session at once; false when there was none.
    bool leave(page_id page, std::string_view session) {
        const std::uint64_t key = key_of(page, session);
        shard& s = shard_of(key);
        std::lock_guard lock(s.mutex);
        if (s.sessions.erase(key) == 0) return false;
        --s.tally[page];
        return true;
    }

    /// A session held elsewhere (a WebSocket) joins or leaves `page`; `hint` spreads callers over
    /// the shards (a connection's address will do).
    void adjust(page_id page, std::int64_t delta, std::uintptr_t hint) {
        shard& s = shards_[(hint >> 4) % shard_count];
        std::lock_guard lock(s.mutex);
        s.tally[page] += delta;
        s.streams += delta;
    }

    /// A WebSocket viewer for as long as this object lives: +1 on its page now, -1 when destroyed,
    /// so a connection that ends in any way leaves.
    class stream_session {
    public:
        stream_session(session_table& t, page_id page, std::uintptr_t hint) : table_(t), page_(page), hint_(hint) {
            table_.adjust(page_, +1, hint_);
        }
        ~stream_session() { table_.adjust(page_, -1, hint_); }
        stream_session(const stream_session&) = delete;
        stream_session& operator=(const stream_session&) = delete;

    private:
        session_table& table_;
        page_id page_;
        std::uintptr_t hint_;
    };

    /// Removes the heartbeat sessions whose deadline has passed; returns how many.
    std::size_t expire(tick now) {
        std::size_t removed = 0;
        for (shard& s : shards_) {
            std::lock_guard lock(s.mutex);
            removed += boost::unordered::erase_if(s.sessions, [&](const auto& kv) {
                if (static_cast<std::int32_t>(kv.second.deadline - now) > 0) return false;
                --s.tally[kv.second.page];
                return true;
            });
        }
        return removed;
    }

    /// Hands the net joins per page since the last call to `sink(page, delta)`.
    template <class Sink>
    void drain(Sink&& sink) {
        for (shard& s : shards_) {
            boost::unordered_flat_map<page_id, std::int64_t> taken;
            {
                std::lock_guard lock(s.mutex);
                taken.swap(s.tally);
            }
            for (const auto& [page, delta] : taken)
                if (delta != 0) sink(page, delta);
        }
    }

    /// Heartbeat sessions and streams held now.
    [[nodiscard]] std::size_t heartbeat_sessions() const {
        std::size_t n = 0;
        for (const shard& s : shards_) {
            std::lock_guard lock(s.mutex);
            n += s.sessions.size();
        }
        return n;
    }
    [[nodiscard]] std::int64_t streams() const {
        std::int64_t n = 0;
        for (const shard& s : shards_) {
            std::lock_guard lock(s.mutex);
            n += s.streams;
        }
        return n;
    }

private:
    struct entry {
        page_id page;
        tick deadline;
    };
    struct alignas(64) shard {
        mutable std::mutex mutex;
        boost::unordered_flat_map<std::uint64_t, entry> sessions;
        boost::unordered_flat_map<page_id, std::int64_t> tally;
        std::int64_t streams = 0;
    };

    static std::uint64_t key_of(page_id page, std::string_view session) {
        // 64-bit hashes of a million sessions collide with probability about 3e-8.
        const std::uint64_t h = std::hash<std::string_view>{}(session);
        return h ^ (std::uint64_t{page} * 0x9E3779B97F4A7C15ULL);
    }
    shard& shard_of(std::uint64_t key) { return shards_[(key >> 58) % shard_count]; }

    std::array<shard, shard_count> shards_;
};

}  // namespace active_users
