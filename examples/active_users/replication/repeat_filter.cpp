// repeat_filter: one remembered message per channel.
// SPDX-License-Identifier: MIT
#include "replication/repeat_filter.hpp"

namespace active_users {

bool repeat_filter::should_send(const channel& c, const std::vector<std::byte>& payload) {
    std::vector<std::byte>& last = last_sent_[c.id];
    if (!c.heartbeat && payload == last) return false;
    last = payload;
    return true;
}

}  // namespace active_users
