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
/// last interval that much later), except the heartbeat channel's, which goes out every interval
/// as the liveness signal by which silent replicas are retired.
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

    [[nodiscard]] replication_stats statistics() const override;

    /// The first byte of every payload.
    enum class kind : std::uint8_t { publication = 0, request = 1, answer = 2 };
    static constexpr std::uint64_t digest_every = 10;

private:
    void forget_silent(std::chrono::steady_clock::time_point now);

    const channel_table& channels_;
    transport& net_;
    std::chrono::milliseconds forget_after_;
    mutable std::mutex mutex_;  ///< guards heard_ and ticks_; taken before any owner's
    std::map<peer_id, std::chrono::steady_clock::time_point> heard_;
    repeat_filter published_{1};  ///< the last publication of each channel; presence, the liveness signal, every interval
    std::uint64_t ticks_ = 0;
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> requested_{0};
    std::atomic<std::uint64_t> answered_{0};
};

}  // namespace active_users
