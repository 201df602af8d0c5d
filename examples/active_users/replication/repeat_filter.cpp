// repeat_filter: one remembered message and ack per channel.
// SPDX-License-Identifier: MIT
#include "replication/repeat_filter.hpp"

namespace active_users {

bool repeat_filter::should_send(const channel& c, const outgoing_message& m, bool may_wait) {
    const auto [it, first] = last_sent_.try_emplace(c.id);
    last& l = it->second;
    if (l.intervals < heartbeat_every_) ++l.intervals;
    const bool fresh = m.bytes != l.bytes;
    // Fresh news goes at once unless it is small and only changes; then it waits a while.
    const bool news_due = fresh && m.news &&
                          (!may_wait || !m.deferrable || m.bytes.size() > small_message || ++l.news_waited >= batch_intervals);
    bool go = false;
    if (c.heartbeat) go = first || news_due || l.intervals >= heartbeat_every_;
    else if (fresh) go = news_due || (m.ack != l.ack && ++l.ack_waited >= ack_every);
    if (go) l = {m.bytes, m.ack, 0, 0, 0};
    return go;
}

}  // namespace active_users
