// repeat_filter: one remembered message and ack per channel.
// SPDX-License-Identifier: MIT
#include "replication/repeat_filter.hpp"

namespace active_users {

bool repeat_filter::should_send(const channel& c, const outgoing_message& m) {
    const auto [it, first] = last_sent_.try_emplace(c.id);
    last& l = it->second;
    if (l.intervals < heartbeat_every_) ++l.intervals;
    const bool fresh = m.bytes != l.bytes;
    bool go = false;
    if (c.heartbeat) go = first || (fresh && m.news) || l.intervals >= heartbeat_every_;
    else if (fresh) go = m.news || (m.ack != l.ack && ++l.ack_waited >= ack_every);
    if (go) l = {m.bytes, m.ack, 0, 0};
    return go;
}

}  // namespace active_users
