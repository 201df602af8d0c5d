// Moves the channel table's messages over a transport: out every interval, in to each owner.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_table.hpp"
#include "replication/repeat_filter.hpp"
#include "replication/sync_engine.hpp"
#include "replication/transport.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace active_users {

/// The replication engine between a channel table and a transport. The transport calls in with
/// frames and peer events; the server's timer calls `tick` every interval. It holds no replicated
/// state of its own: every channel's state is its owner's.
class replicator final : public sync_engine {
public:
    replicator(const channel_table& channels, transport& net);

    /// One interval: each channel's message to each peer that is up, unless it repeats the last
    /// one sent on that link (see repeat_filter).
    void tick() override;
    void flush() override;

    void peer_up(peer_id peer) override;
    void peer_down(peer_id peer) override;
    /// Hands `payload` to the owner of `channel`; an unknown channel or bytes the owner rejects
    /// are a failure.
    result<void> deliver(peer_id from, std::uint8_t channel, std::span<const std::byte> payload) override;

    using stats = replication_stats;
    [[nodiscard]] stats statistics() const override;

private:
    /// `may_wait`: small news may wait for more (see repeat_filter).
    void send_all(bool may_wait);

    const channel_table& channels_;
    transport& net_;
    mutable std::mutex mutex_;                  ///< guards links_; taken before any owner's
    std::map<peer_id, repeat_filter> links_;    ///< the peers that are up
    std::vector<channel_sent> sent_;            ///< per row of the table; under mutex_
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> rejected_{0};
};

}  // namespace active_users
