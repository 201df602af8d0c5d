// What a count reads as: a number and when this replica last saw it change.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>

namespace active_users {

using clock = std::chrono::system_clock;

/// A page's viewers (GET /:page/counter) or a user's unread notifications (GET /users/:user/unread).
struct count_view {
    std::int64_t count = 0;
    clock::time_point updated_at{};  ///< the epoch when never seen
};

}  // namespace active_users
