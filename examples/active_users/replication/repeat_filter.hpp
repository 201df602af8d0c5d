// Skips sync messages that would tell a peer nothing: the same bytes as the last sent on a link.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_table.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace active_users {

/// Decides, for one link, which channels' messages are worth sending. A sync message equal to the
/// last one sent on the same link and channel is a no-op at the receiver (it merges nothing new,
/// moves no ack), and the link already delivered the first, so it is skipped: an idle link
/// carries the heartbeat channel's frame every few intervals and nothing else.
///
/// A message without news (see outgoing_message) is not worth a frame of its own unless it
/// moves the ack; then it waits `ack_every` intervals, unless news carries it sooner. Sent at
/// once, every change would cost three frames per link: the change, the peer's ack, and the
/// sender's next message, which differs only in that its log is now acknowledged. Now that last
/// one never goes, and the acks of a second's changes share one frame; the cost is that the
/// sender keeps its changes in its log about a second longer.
///
/// News that is only changes (outgoing_message::deferrable) and fits in `small_message` bytes
/// waits up to `batch_intervals` intervals for more to share its frame: the next message
/// carries it again, since changes stay in every message until acknowledged. In a full mesh of
/// N replicas each replica's share of the changes shrinks as 1/N while its links grow as N, so
/// without this a change of its own went out as a frame of one or two changes on every link
/// every interval, and the frames' fixed cost (58 bytes of framing, about 30 of acks, epoch and
/// report version) grew as N²: at 24 replicas it was most of the traffic. A message with more
/// than `small_message` bytes, or with a full state, a report or a request, goes at once; the
/// price is up to `batch_intervals - 1` more intervals of staleness for a link with few changes.
///
/// The heartbeat channel's messages go at once when they bring news, and otherwise every
/// `heartbeat_every` intervals (on the mesh, 4), carrying whatever ack is current: the liveness
/// signal by which peers know this replica is alive. That is half of anti_entropy's hear_window
/// (8 messages), so a peer never takes a quiet link for a silent one. Make a new filter for each
/// link: after a reconnect nothing is known to have arrived.
class repeat_filter {
public:
    static constexpr int ack_every = 10;
    static constexpr int mesh_heartbeat_every = 4;
    static constexpr int batch_intervals = 3;
    static constexpr std::size_t small_message = 256;

    /// `heartbeat_every`: how often the heartbeat channel repeats itself, in intervals.
    explicit repeat_filter(int heartbeat_every = mesh_heartbeat_every) : heartbeat_every_(heartbeat_every) {}

    /// Called once per interval per channel: true when `m` should be sent on `c`; remembers it
    /// as the last one sent. With `may_wait` false no news waits (the last interval before a
    /// replica stops).
    bool should_send(const channel& c, const outgoing_message& m, bool may_wait = true);

private:
    struct last {
        std::vector<std::byte> bytes;
        outgoing_message::acknowledgement ack;
        int ack_waited = 0;   ///< intervals a moved ack has waited
        int news_waited = 0;  ///< intervals small deferrable news has waited
        int intervals = 0;   ///< since it last went, up to heartbeat_every
    };
    int heartbeat_every_;
    std::map<std::uint8_t, last> last_sent_;  ///< by channel id
};

}  // namespace active_users
