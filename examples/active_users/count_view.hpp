// What a count reads as: a number and when this replica last saw it change.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace active_users {

using clock = std::chrono::system_clock;

/// A page's viewers (GET /:page/counter) or a user's unread notifications (GET /users/:user/unread).
struct count_view {
    std::int64_t count = 0;
    clock::time_point updated_at{};  ///< the epoch when never seen
};

/// The view of `key` in `views`. A key never seen reads as 0 as of now, and is remembered as
/// first seen then while `views` holds fewer than `bound` keys (a client cannot grow it past that).
template <class Views>
count_view view_or_first_seen(Views& views, const typename Views::key_type& key, std::size_t bound) {
    if (const auto it = views.find(key); it != views.end()) return it->second;
    const count_view first_seen{0, clock::now()};
    if (views.size() < bound) views.emplace(key, first_seen);
    return first_seen;
}

}  // namespace active_users
