// Live viewer sessions of this replica, sharded so that threads do not contend on one lock.
// SPDX-License-Identifier: MIT
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <cstring>
#include <stdexcept>
#include <string>

namespace active_users {

/// Sessions stay on the replica that holds them; what is replicated is only each page's total
/// (see viewer_counts). A heartbeat session is 24 bytes in an open-addressing table: its key, a
/// 128-bit SipHash of page and session id under a random key drawn per table (libsodium), so ids
/// that collide cannot be computed offline and two live sessions share a key with probability
/// about n^2 / 2^129; and its page and deadline. A leave or an expiry takes back the count of the
/// page stored with the session, so counts stay exact whatever the ids. A million sessions fit in
/// well under 64 MB (measured by converge-session-memory). WebSocket sessions are not stored
/// here: their connection is the session; they only add to the tallies.
///
/// Joins and leaves by request are the caller's to count at once (so that the answer to a
/// heartbeat includes the session it created). Changes no request waits for, expiries and
/// WebSocket viewers, go to a per-shard tally of net joins per page, which the server folds into
/// the viewer counts on a short timer: many threads touch only their shard's lock, and the
/// replicated state sees one increment or decrement per page per fold.
class session_table {
public:
    static constexpr std::size_t shard_count = 64;
    using page_id = std::uint32_t;
    /// Deadlines in milliseconds since an epoch of the caller's choosing; 32 bits last 49 days.
    using tick = std::uint32_t;

    session_table() {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
        randombytes_buf(key_.data(), key_.size());
    }

    /// A heartbeat for (page, session): creates the session or moves its deadline. True when new:
    /// the caller counts the join.
    bool heartbeat(page_id page, std::string_view session, tick deadline) {
        const session_key key = key_of(page, session);
        shard& s = shard_of(key);
        std::lock_guard lock(s.mutex);
        const auto [it, inserted] = s.sessions.try_emplace(key, entry{page, deadline});
        if (!inserted) it->second.deadline = deadline;
        return inserted;
    }

    /// Ends a heartbeat session at once. The page the session was stored under (what its join
    /// counted), for the caller to count the leave on; nullopt when there was none.
    std::optional<page_id> leave(page_id page, std::string_view session) {
        const session_key key = key_of(page, session);
        shard& s = shard_of(key);
        std::lock_guard lock(s.mutex);
        const auto it = s.sessions.find(key);
        if (it == s.sessions.end()) return std::nullopt;
        const page_id stored = it->second.page;
        s.sessions.erase(it);
        return stored;
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
    struct session_key {
        std::uint64_t low;
        std::uint64_t high;
        friend bool operator==(const session_key&, const session_key&) = default;
    };
    /// The key is already uniformly random: its low half is the hash.
    struct key_hash {
        std::size_t operator()(const session_key& k) const noexcept { return static_cast<std::size_t>(k.low); }
    };
    struct alignas(64) shard {
        mutable std::mutex mutex;
        boost::unordered_flat_map<session_key, entry, key_hash> sessions;
        boost::unordered_flat_map<page_id, std::int64_t> tally;
        std::int64_t streams = 0;
    };

    session_key key_of(page_id page, std::string_view session) const {
        // page || session, on the stack for the ids the API accepts (at most 128 bytes).
        std::array<unsigned char, 4 + 128> small{};
        std::string large;
        unsigned char* in = small.data();
        if (session.size() > 128) {
            large.resize(4 + session.size());
            in = reinterpret_cast<unsigned char*>(large.data());
        }
        for (std::size_t i = 0; i < 4; ++i) in[i] = static_cast<unsigned char>(page >> (8 * i));
        std::memcpy(in + 4, session.data(), session.size());
        std::array<unsigned char, crypto_shorthash_siphashx24_BYTES> out{};
        crypto_shorthash_siphashx24(out.data(), in, 4 + session.size(), key_.data());
        session_key k{};
        std::memcpy(&k.low, out.data(), 8);
        std::memcpy(&k.high, out.data() + 8, 8);
        return k;
    }
    shard& shard_of(const session_key& key) { return shards_[(key.high >> 58) % shard_count]; }

    std::array<unsigned char, crypto_shorthash_siphashx24_KEYBYTES> key_{};
    std::array<shard, shard_count> shards_;
};

}  // namespace active_users
