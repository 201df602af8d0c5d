// Replication by broadcast: each channel's message published every interval, repairs asked of their senders.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_table.hpp"
#include "replication/repeat_filter.hpp"
#include "replication/sync_engine.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>

namespace active_users {

/// The replication engine on a publish/subscribe transport (NATS), for owners in broadcast mode
/// (sync_mode): every interval, each channel's `publish()` goes to every replica at once, and its
/// repair requests to the replicas they name; what arrives goes to the channel's owner, and a
/// repair request is answered to its sender. A replica sends the same number of messages each
/// interval however many replicas there are, and fewer when idle: an idle channel's digest
/// repeats itself, so it goes out only every `digest_every` intervals (a receiver notices a lost
/// last interval that much later), except the heartbeat channel's, which goes out every
/// `heartbeat_every` intervals as the liveness signal by which silent replicas are retired.
///
/// A sharded channel (channel::shards) runs the same per followed shard, on the shard's own
/// subjects: a shard that starts being followed is subscribed and its whole state asked of one
/// holder (again after `state_retry` intervals, `state_attempts` times in all, after which, as
/// when the transport says nobody holds it, it starts from what arrives on its subject); one
/// that stops is unsubscribed. A shard's digests go out only once this
/// replica wrote to it (nobody tracks a sender that never wrote), staggered by shard number.
///
/// Membership is whom it hears: any frame makes its sender a member, with no configuration and
/// no restart; a member silent for `forget_after` is forgotten by every owner (and tracked anew
/// if it speaks again). Each payload starts with one byte saying what it is (a publication, a
/// repair request, an answer), so the transport needs no more than send and publish.
class broadcast_replicator final : public sync_engine {
public:
    broadcast_replicator(const channel_table& channels, transport& net, std::chrono::milliseconds forget_after);

    /// One interval: forgets the silent, then publishes every channel and sends its repair requests.
    void tick() override;

    /// The transport has no links: membership is whom `deliver` hears.
    void peer_up(peer_id) override {}
    void peer_down(peer_id) override {}
    /// A publication or an answer is merged; a request is answered. Unknown channels and kinds,
    /// and bytes an owner refuses, are a failure.
    result<void> deliver(peer_id from, std::uint8_t channel, std::span<const std::byte> payload) override;
    /// The same for a shard; a shard out of range is a failure, and a message for a shard not
    /// followed (a late one for a shard just dropped) changes nothing.
    result<void> deliver_shard(peer_id from, shard_ref where, std::span<const std::byte> payload) override;
    std::optional<std::vector<std::byte>> state_for(peer_id from, shard_ref where) override;
    void nobody_holds(shard_ref where) override;

    [[nodiscard]] replication_stats statistics() const override;

    /// The first byte of every payload.
    enum class kind : std::uint8_t { publication = 0, request = 1, answer = 2, state = 3 };
    static constexpr std::uint64_t digest_every = 10;
    static constexpr int heartbeat_every = repeat_filter::mesh_heartbeat_every;
    static constexpr std::uint64_t state_retry = 5;
    static constexpr std::uint64_t state_attempts = 2;
    /// A shard's digest only shows a follower that it missed the shard's last interval (a lost
    /// interval in the middle shows as a gap in the next one), so after a change it goes out
    /// `fresh_digests` times, every `digest_every` intervals, and after that only every
    /// `quiet_digest_every`. A digest per written shard every interval-or-ten was most of a
    /// 24-replica NATS cluster's traffic once every replica read every page: about 5,000 digests
    /// a second, each fanned out to a dozen followers.
    static constexpr std::uint64_t fresh_digests = 3;
    static constexpr std::uint64_t quiet_digest_every = 300;

private:
    /// What is known of one followed shard.
    struct shard_track {
        bool serving = false;            ///< answering state requests for it
        std::uint64_t requested_at = 0;  ///< the interval its state was last asked for
        std::uint64_t attempts = 0;      ///< state requests sent for it
        std::uint64_t changed_at = 0;    ///< the interval its publication last changed
        std::vector<std::byte> last;     ///< the last publication
    };

    void forget_silent(std::chrono::steady_clock::time_point now);
    void tick_shards(const channel& c, std::chrono::steady_clock::time_point now);
    /// The sharded channel `where` names and the shard's owner, or why there is none.
    const channel* sharded(shard_ref where) const;

    const channel_table& channels_;
    transport& net_;
    std::chrono::milliseconds forget_after_;
    mutable std::mutex mutex_;  ///< guards heard_ and ticks_; taken before any owner's
    std::map<peer_id, std::chrono::steady_clock::time_point> heard_;
    /// The last publication of each channel. The heartbeat channel's repeats itself every
    /// `heartbeat_every` intervals, as on the mesh: it is the liveness signal, and every replica
    /// hears every other's, so what a replica receives when idle grows with the cluster (N - 1
    /// heartbeats); sent every interval it was 10 of every 11 messages an idle replica received.
    repeat_filter published_{heartbeat_every};
    std::uint64_t ticks_ = 0;
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> requested_{0};
    std::atomic<std::uint64_t> answered_{0};
    std::map<shard_ref, shard_track> shards_;  ///< every shard followed; guarded by mutex_
    std::atomic<std::uint64_t> state_requests_{0};
    std::atomic<std::uint64_t> states_served_{0};
    std::atomic<std::uint64_t> held_by_nobody_{0};
};

}  // namespace active_users
