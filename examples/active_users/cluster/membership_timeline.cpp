// membership_timeline: a bounded queue, newest at the back.
// SPDX-License-Identifier: MIT
#include "cluster/membership_timeline.hpp"

namespace active_users {

void membership_timeline::add(event e) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
    if (events_.size() > capacity) events_.pop_front();
}

std::vector<membership_timeline::event> membership_timeline::newest_first() const {
    std::lock_guard lock(mutex_);
    return {events_.rbegin(), events_.rend()};
}

}  // namespace active_users
