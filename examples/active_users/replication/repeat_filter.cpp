// repeat_filter: one remembered message and ack per channel.
// SPDX-License-Identifier: MIT
#include "replication/repeat_filter.hpp"

namespace active_users {

bool repeat_filter::should_send(const channel& c, const outgoing_message& m) {
    last& l = last_sent_[c.id];
    if (c.heartbeat) {
        if (m.bytes == l.bytes && ++l.repeats < heartbeat_every_) return false;
    } else {
        if (m.bytes == l.bytes) return false;
        if (!m.news && (m.ack == l.ack || ++l.ack_waited < ack_every)) return false;
    }
    l = {m.bytes, m.ack, 0, 0};
    return true;
}

}  // namespace active_users
