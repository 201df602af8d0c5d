// What a replicated channel's owner does for replication: messages out, bytes in, peers, persistence.
// SPDX-License-Identifier: MIT
#pragma once

#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace active_users {

/// Replicas are named on the wire by their `--id`.
using peer_id = std::uint32_t;

/// How the owners replicate, chosen once at start: per-peer anti-entropy over links (the TCP
/// mesh: message_for/receive per peer), or broadcast with repair on request over a
/// publish/subscribe fabric (NATS: publish/receive/repair_requests/answer), where replicas are
/// named `self` on the wire and no message is addressed to a peer each interval.
struct sync_mode {
    bool broadcast = false;
    peer_id self = 0;
};

/// A message for one replica only (a repair request or its answer).
struct addressed_message {
    peer_id to = 0;
    std::vector<std::byte> bytes;
};

/// A mesh message for one peer. `news` says whether it carries anything beyond acknowledgements
/// (changes, a full state, a report or a request for one); `ack` is what it acknowledges. A
/// message without news may wait, or not go at all (see repeat_filter). `deferrable` says that
/// its news is only changes, which every later message to the peer repeats until they are
/// acknowledged: a small one may wait for more to share its frame. A full state, a report or a
/// request is said once and must go. `covers` is what it carries of this replica's log (its
/// run and last sequence number), for `channel_owner::sent`.
struct outgoing_message {
    std::vector<std::byte> bytes;
    bool news = false;
    bool deferrable = false;
    struct acknowledgement {
        std::uint64_t epoch = 0;
        std::uint64_t seq = 0;
        friend bool operator==(const acknowledgement&, const acknowledgement&) = default;
    } ack;
    acknowledgement covers;
};

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
    [[nodiscard]] virtual outgoing_message message_for(peer_id peer) = 0;
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
    /// `m` (from `message_for(peer)`) went out on the link to `peer`, which delivers in order
    /// or goes down (and `peer_down`, `peer_up` follow): what it carries need not be sent
    /// there again, even before `peer` acknowledges it.
    virtual void sent(peer_id /*peer*/, const outgoing_message& /*m*/) {}

    // Broadcast mode (sync_mode::broadcast). In mesh mode these send nothing.

    /// The message to publish to every replica now (every interval: an interval of changes, or
    /// a digest by which receivers notice a lost one).
    [[nodiscard]] virtual std::vector<std::byte> publish() { return {}; }
    /// The repair requests to send now, each to the replica that can answer it; `now` counts
    /// intervals (an unanswered request is repeated after a few).
    [[nodiscard]] virtual std::vector<addressed_message> repair_requests(std::uint64_t /*now*/) { return {}; }
    /// The answer to a repair request from `peer`, to send back to it; nothing when the request
    /// is for another replica. Bytes that do not decode, or that name another requester than
    /// `peer`, are a failure.
    virtual result<std::optional<std::vector<std::byte>>> answer(peer_id /*peer*/, std::span<const std::byte> /*request*/) {
        return std::optional<std::vector<std::byte>>{};
    }
    /// True once this replica has changed the state itself: before that its digests would tell
    /// nobody anything (no receiver tracks a sender it never heard), so none need go out.
    [[nodiscard]] virtual bool wrote() const { return true; }
    /// `peer` was not heard for long: stop tracking it (it is tracked anew if it speaks again).
    virtual void forget(peer_id /*peer*/) {}

    /// What survives a restart, encoded; restored (before replication starts) by `restore`.
    [[nodiscard]] virtual std::vector<std::byte> snapshot() const = 0;
    /// Takes back what `snapshot` wrote in an earlier run; a failure when the bytes are damaged.
    virtual result<void> restore(std::span<const std::byte> bytes) = 0;

    [[nodiscard]] virtual channel_stats statistics() const = 0;
};

}  // namespace active_users
