// What replication needs from a network: send and publish, and frames and peer events coming up.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace active_users {

/// Where a transport delivers what it hears (the replicator). Called from the transport's threads.
class transport_receiver {
public:
    virtual ~transport_receiver() = default;
    /// A link to `peer` is up: messages sent to it from now on can arrive.
    virtual void peer_up(peer_id peer) = 0;
    /// The link to `peer` is down: what was sent may be lost.
    virtual void peer_down(peer_id peer) = 0;
    /// An authenticated payload from `from` on `channel`. A failure means the sender cannot be
    /// trusted to speak sense: the transport drops the link it came on.
    virtual result<void> deliver(peer_id from, std::uint8_t channel, std::span<const std::byte> payload) = 0;
};

/// What crossed one class of subjects of a publish/subscribe transport, in frames and their bytes.
struct subject_traffic {
    std::uint64_t bytes_published = 0;
    std::uint64_t messages_published = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t messages_received = 0;
};

struct transport_stats {
    std::uint64_t bytes_sent = 0;
    std::uint64_t frames_received = 0;
    std::uint64_t frames_rejected = 0;         ///< failed authentication or framing
    std::uint64_t replays = 0;                 ///< frames refused as repeated or out of order
    std::uint64_t handshakes_refused = 0;      ///< connections that did not authenticate
    std::size_t handshaking = 0;               ///< connections not authenticated yet
    std::uint64_t dropped = 0;                 ///< frames the transport could not send or had to drop
    std::map<peer_id, double> lag_seconds;     ///< age of each peer's last frame on arrival
    std::map<std::string, subject_traffic> subjects;  ///< per subject class (NATS only)
};

/// A way to move replication payloads between replicas: the TCP mesh, or a test's fake. A
/// transport knows nothing of channels beyond their id.
class transport {
public:
    virtual ~transport() = default;
    /// Starts listening and connecting; events go to `to`. A failure (a port that cannot be bound)
    /// leaves the replica useless: the caller exits with the reason.
    virtual result<void> start(transport_receiver& to) = 0;
    /// Sends `payload` to `peer` on `channel`, without waiting. A payload not yet written when the
    /// next one for the same peer and channel comes is replaced by it: sync messages are
    /// cumulative, so the newer one carries everything the older did. Dropped when the link is down.
    virtual void send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) = 0;
    /// Sends `payload` to every peer whose link is up.
    virtual void publish(std::uint8_t channel, std::vector<std::byte> payload) = 0;
    /// True when everything sent so far has been written out (or dropped with its link).
    [[nodiscard]] virtual bool drained() const = 0;
    [[nodiscard]] virtual transport_stats statistics() const = 0;
};

}  // namespace active_users
