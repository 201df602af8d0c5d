// When each change was answered and when the last viewer had seen it: the fan-out's delays and misses.
// SPDX-License-Identifier: MIT
#pragma once

#include "clock.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace fanout {

struct delivery_summary {
    std::optional<double> p50_ms;  ///< nullopt when no change reached every viewer
    std::optional<double> p99_ms;
    std::size_t missed = 0;   ///< changes some viewer never saw (nor a later count)
    std::size_t changes = 0;  ///< changes answered
};

/// Example: `log.changed(c, t)` for each PUT's answer, `log.seen(before, now, t)` for each
/// viewer's new count, then `log.summary()`.
class delivery_log {
public:
    explicit delivery_log(std::size_t viewers) : viewers_(viewers) {}

    /// The PUT that made count `count` was answered at `at`.
    void changed(std::int64_t count, clock::time_point at) { changed_at_[count] = at; }

    /// A viewer whose count was `before` (-1: none yet) read `now` at `at`. Counts only grow,
    /// so it has seen every count after `before` up to `now`: a change folded into a later
    /// push still reached it, at that push. Throws viewer_error on an implausible jump.
    void seen(std::int64_t before, std::int64_t now, clock::time_point at);

    /// Each change's delay from its answer to the moment its last viewer saw it.
    delivery_summary summary() const;

private:
    struct reach {
        std::size_t viewers = 0;
        clock::time_point last_at;
    };

    std::size_t viewers_;
    std::unordered_map<std::int64_t, clock::time_point> changed_at_;
    std::unordered_map<std::int64_t, reach> seen_;
};

}  // namespace fanout
