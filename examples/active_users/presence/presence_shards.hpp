// Presence split into shards by page: the shards this replica follows, their interest, and their states.
// SPDX-License-Identifier: MIT
#pragma once

#include "presence/presence_channel.hpp"
#include "replication/shard_of.hpp"
#include "replication/shard_set.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace active_users {

/// How presence is split and followed.
struct shard_plan {
    /// 0: not sharded, one state always held (the TCP mesh). Otherwise pages are split into
    /// this many shards (shard_of) and only the shards in use are held.
    std::uint32_t shards = 0;
    bool follow_all = false;  ///< hold every shard all the time (the baseline interest is measured against)
    /// A shard with no local viewer goes (unsubscribed, its state dropped) this long after it was last read.
    std::chrono::milliseconds lapse{60'000};
};

/// The presence shards of one replica, each a presence_channel of its own under the owner's
/// mutex. A shard is held while it has pages with local viewers (`pin`), or was read within the
/// lapse (`read`); a shard created here is not `ready` until its state has come from a holder
/// (replication fetches it), so counts read from it before then would not be exact.
///
/// Methods marked "caller holds the guard" are viewer_counts's, called under its mutex; the
/// shard_set methods are replication's and take the mutex themselves. As the channel table's
/// presence row (sharded mode), it only keeps the incarnation across restarts, as
/// presence_channel does; the previous incarnation's retirement goes into every shard created.
class presence_shards final : public shard_set, public channel_owner {
public:
    using time_point = std::chrono::steady_clock::time_point;
    struct hooks {
        presence_channel::news_hook on_news;
        presence_channel::incoming_hook on_incoming;
        std::function<void(std::uint32_t shard)> on_drop;  ///< a shard went; called under the guard
    };

    /// `incarnation` is the owner's current one, read under the guard.
    presence_shards(std::mutex& guard, const std::uint64_t& incarnation, sync_mode mode, shard_plan plan, hooks h);

    [[nodiscard]] bool sharded() const noexcept { return plan_.shards != 0; }

    // Caller holds the guard.

    [[nodiscard]] std::uint32_t of(std::string_view page) const noexcept { return shard_of(page, shard_count()); }
    /// The shard's state, created (not ready) if it is not held.
    presence_channel& at(std::uint32_t shard);
    [[nodiscard]] presence_channel* find(std::uint32_t shard) const;
    [[nodiscard]] bool ready_locked(std::uint32_t shard) const;
    /// A client read the shard (a GET of one of its pages) at `now`: it is wanted for a while.
    void read(std::uint32_t shard, time_point now);
    /// One more (+1) or one fewer (-1) page of the shard with local viewers.
    void pin(std::uint32_t shard, int delta);
    /// Calls `f(shard, presence_channel&)` for every shard held.
    template <class F>
    void for_each(F&& f) {
        for (auto& [n, s] : slots_) f(n, *s.state);
    }
    template <class F>
    void for_each(F&& f) const {
        for (const auto& [n, s] : slots_) f(n, static_cast<const presence_channel&>(*s.state));
    }
    [[nodiscard]] std::size_t held() const noexcept { return slots_.size(); }

    // shard_set: replication's side.

    [[nodiscard]] std::uint32_t shard_count() const noexcept override { return plan_.shards == 0 ? 1 : plan_.shards; }
    std::vector<std::uint32_t> followed(time_point now) override;
    [[nodiscard]] std::shared_ptr<channel_owner> shard(std::uint32_t shard) override;
    [[nodiscard]] bool ready(std::uint32_t shard) const override;
    std::optional<std::vector<std::byte>> whole(std::uint32_t shard, peer_id peer) override;
    result<void> install(std::uint32_t shard, peer_id from, std::span<const std::byte> bytes) override;
    void nobody_holds(std::uint32_t shard) override;

    // channel_owner: the presence row of the channel table in sharded mode (persistence only).

    outgoing_message message_for(peer_id) override { return {}; }
    result<bool> receive(peer_id, std::span<const std::byte>) override {
        return fail(status::bad_request, "sharded presence takes messages per shard");
    }
    void peer_up(peer_id) override {}
    void peer_down(peer_id) override {}
    [[nodiscard]] std::vector<std::byte> snapshot() const override;
    result<void> restore(std::span<const std::byte> bytes) override;
    [[nodiscard]] channel_stats statistics() const override;

private:
    struct slot {
        std::shared_ptr<presence_channel> state;
        bool ready = false;
        bool permanent = false;  ///< never lapses (not sharded, or follow_all)
        int pins = 0;            ///< pages with local viewers
        time_point last_read{};
    };
    slot& create(std::uint32_t shard);

    std::mutex& guard_;
    const std::uint64_t& incarnation_;
    sync_mode mode_;
    shard_plan plan_;
    hooks hooks_;
    std::map<std::uint32_t, slot> slots_;
    std::optional<std::uint64_t> previous_;  ///< the incarnation of the run before this one, to retire
    /// Where the current incarnation's writes to a shard stood when the shard was dropped. A
    /// shard created again resumes there: a fresh state would number this replica's changes and
    /// dots from 1 again, and followers that saw the old ones would drop its new writes as old
    /// (presence_map::resume_after, broadcast_sync::resume_after).
    struct resume_point {
        std::uint64_t seq = 0;      ///< the shard's last change in this run
        std::uint64_t counter = 0;  ///< the incarnation's highest dot in the shard
    };
    std::map<std::uint32_t, resume_point> dropped_;  ///< at most one per shard
    std::uint64_t dropped_incarnation_ = 0;           ///< whose writes dropped_ describes
};

}  // namespace active_users
