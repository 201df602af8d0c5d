// The fan-out's delivery bookkeeping: per count, how many viewers have it and when the last one did.
// SPDX-License-Identifier: MIT
#include "delivery_log.hpp"

#include "server_frames.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace fanout {

namespace {

/// More counts than a run could make: a bigger jump is a bad frame, and walking it would hang.
constexpr std::int64_t max_jump = 10'000'000;

}  // namespace

void delivery_log::seen(std::int64_t before, std::int64_t now, clock::time_point at) {
    if (now < 0) return;
    const std::int64_t from = before >= 0 ? before + 1 : now;
    if (now - from >= max_jump)
        throw viewer_error("a viewer's count jumped from " + std::to_string(before) + " to " + std::to_string(now));
    for (std::int64_t k = from; k <= now; ++k) {
        reach& r = seen_[k];
        ++r.viewers;
        r.last_at = at;
    }
}

delivery_summary delivery_log::summary() const {
    delivery_summary out;
    out.changes = changed_at_.size();
    std::vector<double> delays;
    for (const auto& [count, answered] : changed_at_) {
        const auto r = seen_.find(count);
        if (r == seen_.end() || r->second.viewers < viewers_) {
            ++out.missed;
            continue;
        }
        delays.push_back(to_ms(r->second.last_at - answered));
    }
    if (!delays.empty()) {
        std::sort(delays.begin(), delays.end());
        out.p50_ms = delays[delays.size() / 2];
        // The same rank as bench/service used: int(n * 0.99), at most the last.
        out.p99_ms = delays[std::min(delays.size() - 1, delays.size() * 99 / 100)];
    }
    return out;
}

}  // namespace fanout
