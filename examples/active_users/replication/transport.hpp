// What replication needs from a network: send and publish, and frames and peer events coming up.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace active_users {

/// One shard of a sharded channel (see shard_set): on NATS, its own subjects.
struct shard_ref {
    std::uint8_t channel = 0;
    std::uint32_t shard = 0;
    friend auto operator<=>(const shard_ref&, const shard_ref&) = default;
};

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

    // Sharded channels (publish/subscribe transports only). The shard comes from the subject,
    // which the frame's MAC covers; it is still checked against the shard count and against
    // what is followed, since a replica with the secret may be wrong. By default: refused.

    /// An authenticated payload from `from` about shard `where`.
    virtual result<void> deliver_shard(peer_id from, shard_ref where, std::span<const std::byte> /*payload*/) {
        return fail(status::bad_request, "no sharded channels here (replica " + std::to_string(from) + ", channel " +
                                             std::to_string(where.channel) + ")");
    }
    /// `from` asks for the whole state of `where`: the payload to send back, or nothing (the
    /// shard is not held here, or not fetched yet).
    virtual std::optional<std::vector<std::byte>> state_for(peer_id /*from*/, shard_ref /*where*/) { return std::nullopt; }
    /// Nobody answers state requests for `where`: no replica holds it.
    virtual void nobody_holds(shard_ref /*where*/) {}
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
    /// Sends `payload` to `peer` on `channel`, without waiting, after everything sent to `peer`
    /// before. Dropped when the link is down. A transport whose links are up (peer_up) must
    /// deliver in order or report the link down: the mesh's replicator counts a message as
    /// delivered once it is handed over (channel_owner::sent).
    virtual void send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) = 0;
    /// Sends `payload` to every peer whose link is up.
    virtual void publish(std::uint8_t channel, std::vector<std::byte> payload) = 0;
    /// True when everything sent so far has been written out (or dropped with its link).
    [[nodiscard]] virtual bool drained() const = 0;

    // Sharded channels: what a publish/subscribe transport adds; the mesh has none (no-ops).

    /// Starts hearing the publications of `where`.
    virtual void follow(shard_ref /*where*/) {}
    /// Stops hearing `where` and stops answering for it.
    virtual void unfollow(shard_ref /*where*/) {}
    /// Starts answering state requests for `where` (once its state is held here); one holder
    /// answers each request.
    virtual void serve(shard_ref /*where*/) {}
    /// Publishes `payload` to every follower of `where`.
    virtual void publish_shard(shard_ref /*where*/, std::vector<std::byte> /*payload*/) {}
    /// Sends `payload` about `where` to `peer` alone.
    virtual void send_shard(peer_id /*peer*/, shard_ref /*where*/, std::vector<std::byte> /*payload*/) {}
    /// Asks one holder of `where` for its whole state: an answer comes to `deliver_shard`, or
    /// `nobody_holds` when no replica answers for it.
    virtual void request_state(shard_ref /*where*/) {}
    /// False while no server is reachable: a state request cannot be answered then.
    [[nodiscard]] virtual bool connected() const { return true; }
    [[nodiscard]] virtual transport_stats statistics() const = 0;
};

}  // namespace active_users
