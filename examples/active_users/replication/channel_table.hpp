// The replicated channels: one row each, {wire id, name, owner}.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "replication/shard_set.hpp"

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace active_users {

/// One replicated channel: its id in every frame, its name in logs, metrics and snapshot file
/// names, and the object that owns its state.
struct channel {
    std::uint8_t id;
    std::string_view name;
    channel_owner* owner;
    /// Sent even when it repeats itself, every few intervals (repeat_filter::mesh_heartbeat_every on the mesh):
    /// the liveness signal by which peers know this replica is alive (one channel is enough).
    /// Other channels skip a message equal to the last one sent on the same link, which would
    /// tell the peer nothing.
    bool heartbeat = false;
    /// Set for a channel split into shards (publish/subscribe transports): replication moves
    /// each followed shard's messages on its own subjects, and `owner` only keeps what survives
    /// a restart.
    shard_set* shards = nullptr;
};

/// Every channel this replica replicates, in the order they are sent each interval. Adding a
/// channel is adding a row here (in the server) and writing its owner; replication, transports
/// and persistence iterate the table and need no change.
class channel_table {
public:
    /// Throws std::invalid_argument on a repeated id or name, a null owner or an empty name:
    /// the table is written by programmers, so these are bugs, reported at start.
    channel_table(std::initializer_list<channel> rows);

    [[nodiscard]] const channel* find(std::uint8_t id) const noexcept;
    [[nodiscard]] auto begin() const noexcept { return rows_.begin(); }
    [[nodiscard]] auto end() const noexcept { return rows_.end(); }
    [[nodiscard]] std::size_t size() const noexcept { return rows_.size(); }

private:
    std::vector<channel> rows_;
};

}  // namespace active_users
