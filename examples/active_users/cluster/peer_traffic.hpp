// What this replica hears from each peer, recorded on the way from the transport to the replicator.
// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"
#include "replication/transport.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace active_users {

/// A transport_receiver that notes each event and hands it on unchanged to `next` (the
/// replicator): the transport delivers to this, so the replication folder needs no change to be
/// watched. Only the configured peers are tracked (the transport authenticates no others).
/// Thread-safe: the per-peer records are atomics in a map fixed at construction.
class peer_traffic final : public transport_receiver {
public:
    peer_traffic(const std::vector<peer_address>& peers, transport_receiver& next);

    void peer_up(peer_id peer) override;
    void peer_down(peer_id peer) override;
    result<void> deliver(peer_id from, std::uint8_t channel, std::span<const std::byte> payload) override;

    struct peer_view {
        peer_id id = 0;
        std::string address;                              ///< its replication address, as configured
        bool up = false;                                  ///< its link is up
        std::optional<double> seconds_since_heard;        ///< none before its first message
        std::uint64_t bytes_received = 0;                 ///< payload bytes (frames less their header and MAC)
        std::uint64_t messages_received = 0;
    };
    /// Every configured peer, by id.
    [[nodiscard]] std::vector<peer_view> snapshot() const;

private:
    struct record {
        std::string address;
        std::atomic<bool> up{false};
        std::atomic<std::int64_t> heard_ns{-1};  ///< steady_clock time of the last message; -1 for none
        std::atomic<std::uint64_t> bytes{0};
        std::atomic<std::uint64_t> messages{0};
    };
    record* find(peer_id id) const;

    transport_receiver& next_;
    std::map<peer_id, std::unique_ptr<record>> peers_;
};

}  // namespace active_users
