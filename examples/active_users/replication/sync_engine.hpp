// What the server drives, whichever way the channels replicate: a receiver of frames, ticked every interval.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/transport.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace active_users {

/// What one channel sent on the mesh: messages (the repeats left out are not counted) and
/// payload bytes, before each frame's header and MAC.
struct channel_sent {
    std::string_view channel;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
};

struct replication_stats {
    std::uint64_t delivered = 0;          ///< payloads an owner accepted
    std::uint64_t rejected = 0;           ///< payloads refused (unknown channel, undecodable)
    std::size_t peers_up = 0;             ///< mesh: peers with a link up; broadcast: replicas heard lately
    std::uint64_t repairs_requested = 0;  ///< broadcast: repair requests sent
    std::uint64_t repairs_answered = 0;   ///< broadcast: answers sent
    std::vector<channel_sent> sent;       ///< mesh: per channel, in table order
    std::size_t shards_followed = 0;      ///< sharded channels: shards subscribed now
    std::uint64_t state_requests_sent = 0;    ///< shard states asked for (a GET of an unfollowed page)
    std::uint64_t state_requests_served = 0;  ///< shard states sent to a replica that asked
    std::uint64_t shards_held_by_nobody = 0;  ///< state requests no replica answered: the shard starts empty
};

/// The replication engine between the channel table and a transport: per-peer anti-entropy over
/// a mesh (replicator), or broadcast with repair on request (broadcast_replicator). The
/// transport calls in with frames; the server's timer calls `tick` every interval.
class sync_engine : public transport_receiver {
public:
    virtual void tick() = 0;
    /// A tick that holds nothing back (see repeat_filter): for the last one before stopping.
    virtual void flush() { tick(); }
    [[nodiscard]] virtual replication_stats statistics() const = 0;
};

}  // namespace active_users
