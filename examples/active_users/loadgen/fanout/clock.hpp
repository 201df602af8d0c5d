// The one clock converge-fanout measures with: monotonic, so a wall-clock step cannot bend a delay.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>

namespace fanout {

using clock = std::chrono::steady_clock;

/// `d` in milliseconds, as a double for reports.
inline double to_ms(clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace fanout
