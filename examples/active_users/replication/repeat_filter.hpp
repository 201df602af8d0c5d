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
/// carries one frame per interval (the heartbeat channel's) instead of one per channel. Make a
/// new filter for each link: after a reconnect nothing is known to have arrived.
class repeat_filter {
public:
    /// True when `payload` should be sent on `c`; remembers it as the last one sent.
    bool should_send(const channel& c, const std::vector<std::byte>& payload);

private:
    std::map<std::uint8_t, std::vector<std::byte>> last_sent_;  ///< by channel id
};

}  // namespace active_users
