// What replication needs from a channel split into shards by key: which shards to follow, and each shard's owner.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace active_users {

/// A channel whose keys are split into `shard_count()` shards (shard_of), each an independent
/// broadcast sync with its own subjects, so that gaps and repairs are per shard and a replica
/// holds only the shards its clients need. The owner decides which shards those are (interest)
/// and when interest lapses; replication follows what `followed` returns, fetches a new shard's
/// state from a holder, and moves each followed shard's messages like a channel's. Thread-safe.
class shard_set {
public:
    virtual ~shard_set() = default;

    [[nodiscard]] virtual std::uint32_t shard_count() const noexcept = 0;
    /// Drops the shards whose interest lapsed by `now` (their state goes), and returns the
    /// shards to follow now, sorted: fetched or not.
    virtual std::vector<std::uint32_t> followed(std::chrono::steady_clock::time_point now) = 0;
    /// The owner of `shard` while it is followed; null otherwise (its messages change nothing).
    [[nodiscard]] virtual std::shared_ptr<channel_owner> shard(std::uint32_t shard) = 0;
    /// True once `shard`'s state is held (fetched from a holder, or nobody held it): counts read
    /// from it are exact, and this replica may answer state requests for it.
    [[nodiscard]] virtual bool ready(std::uint32_t shard) const = 0;
    /// `shard`'s whole state as a message for `peer`, which asked for it; nothing while not ready.
    virtual std::optional<std::vector<std::byte>> whole(std::uint32_t shard, peer_id peer) = 0;
    /// A holder's answer to a state request: merged like any message of `from`, and the shard
    /// is ready. Bytes that do not decode, or a shard not followed, are a failure and change nothing.
    virtual result<void> install(std::uint32_t shard, peer_id from, std::span<const std::byte> bytes) = 0;
    /// No replica holds `shard`: what this replica has of it is all there is, and it is ready.
    virtual void nobody_holds(std::uint32_t shard) = 0;
};

}  // namespace active_users
