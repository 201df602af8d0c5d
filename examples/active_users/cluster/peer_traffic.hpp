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
#include <shared_mutex>
#include <string>
#include <vector>

namespace active_users {

/// A transport_receiver that notes each event and hands it on unchanged to `next` (the
/// replicator): the transport delivers to this, so the replication folder needs no change to be
/// watched. On the mesh only the configured peers are tracked (the transport authenticates no
/// others). With open membership (NATS: whoever is heard is a peer) a sender is tracked from its
/// first authenticated frame, up to max_open_peers, and is up while heard within the window.
/// Thread-safe: the per-peer records are atomics; the map only grows, under its own lock.
class peer_traffic final : public transport_receiver {
public:
    static constexpr std::size_t max_open_peers = 4096;

    /// `open_window`: open membership, a peer being up while heard within it; none: the mesh.
    peer_traffic(const std::vector<peer_address>& peers, transport_receiver& next,
                 std::optional<std::chrono::milliseconds> open_window = std::nullopt);

    void peer_up(peer_id peer) override;
    void peer_down(peer_id peer) override;
    result<void> deliver(peer_id from, std::uint8_t channel, std::span<const std::byte> payload) override;
    result<void> deliver_shard(peer_id from, shard_ref where, std::span<const std::byte> payload) override;
    std::optional<std::vector<std::byte>> state_for(peer_id from, shard_ref where) override {
        return next_.state_for(from, where);
    }
    void nobody_holds(shard_ref where) override { next_.nobody_holds(where); }

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
    /// The record of `id`, added first when membership is open (and not full).
    record* find_or_add(peer_id id);
    void note(peer_id from, std::size_t bytes);

    transport_receiver& next_;
    std::optional<std::chrono::milliseconds> open_window_;
    mutable std::shared_mutex mutex_;  ///< guards the map, not the records
    std::map<peer_id, std::unique_ptr<record>> peers_;
};

}  // namespace active_users
