// What a replicated channel's owner does for replication: messages out, bytes in, peers, persistence.
// SPDX-License-Identifier: MIT
#pragma once

#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace active_users {

/// Replicas are named on the wire by their `--id`.
using peer_id = std::uint32_t;

/// Counters one channel keeps about what arrived on it.
struct channel_stats {
    std::uint64_t merges = 0;    ///< messages that brought news
    std::uint64_t rejected = 0;  ///< messages that did not decode; nothing was merged
};

/// The owner of one replicated state. Replication calls these from any thread; each owner guards
/// its own state. Nothing here calls back into replication: data flows from the transport into
/// the owner, and from the owner to whoever reads its change feed.
class channel_owner {
public:
    virtual ~channel_owner() = default;

    /// The encoded message to send `peer` now (every interval, and at once after `peer_up`).
    [[nodiscard]] virtual std::vector<std::byte> message_for(peer_id peer) = 0;
    /// Bytes from `peer`: true when they brought news. Bytes that do not decode are a failure
    /// and change nothing.
    virtual result<bool> receive(peer_id peer, std::span<const std::byte> bytes) = 0;
    /// A link to `peer` is up: the next message to it carries the full state.
    virtual void peer_up(peer_id peer) = 0;
    /// The link to `peer` is down: it no longer holds back what the owner may forget.
    virtual void peer_down(peer_id peer) = 0;
    /// A frame of another channel came from `peer`: the link carries its messages, even while
    /// this channel's repeated messages are left out (see repeat_filter).
    virtual void heard(peer_id /*peer*/) {}

    /// What survives a restart, encoded; restored (before replication starts) by `restore`.
    [[nodiscard]] virtual std::vector<std::byte> snapshot() const = 0;
    /// Takes back what `snapshot` wrote in an earlier run; a failure when the bytes are damaged.
    virtual result<void> restore(std::span<const std::byte> bytes) = 0;

    [[nodiscard]] virtual channel_stats statistics() const = 0;
};

}  // namespace active_users
