// The session table's clock: milliseconds since this process started, as 32-bit ticks.
// SPDX-License-Identifier: MIT
#pragma once

#include "presence/session_table.hpp"

#include <chrono>

namespace active_users {

/// Heartbeat deadlines are ticks (ms) since the clock was made; 32 bits last 49 days, and the
/// table compares them with wrap-around, so a process may run longer.
class session_clock {
public:
    /// The tick `d` from now.
    [[nodiscard]] session_table::tick after(std::chrono::milliseconds d) const {
        const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
        return static_cast<session_table::tick>(since.count() + d.count());
    }

private:
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace active_users
