// The replay window: a sliding bitmap of admitted counters per sender run.
// SPDX-License-Identifier: MIT
#include "replication/replay_window.hpp"

#include <algorithm>
#include <string>

namespace active_users {

result<void> replay_window::admit(peer_id sender, std::uint64_t run, std::uint64_t counter, std::uint64_t sent_ms,
                                  std::uint64_t now_ms) {
    const std::uint64_t age = now_ms > sent_ms ? now_ms - sent_ms : sent_ms - now_ms;
    if (age > max_age_ms)
        return fail(status::replayed, "frame of replica " + std::to_string(sender) + " sent " + std::to_string(age) +
                                          " ms away from now: stale, replayed or a skewed clock");
    if (counter == 0) return fail(status::replayed, "frame counter 0");
    std::lock_guard lock(mutex_);
    auto& runs = senders_[sender];
    auto it = runs.find(run);
    if (it == runs.end()) {
        if (runs.size() >= runs_per_sender) {
            // The run heard from least lately is the old one: its frames are past max_age soon.
            const auto oldest = std::min_element(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
                return a.second.last_ms < b.second.last_ms;
            });
            runs.erase(oldest);
        }
        it = runs.emplace(run, run_state{}).first;
    }
    run_state& r = it->second;
    if (counter > r.highest) {
        const std::uint64_t shift = counter - r.highest;
        if (shift >= window) r.seen.reset();
        else r.seen <<= shift;
        r.seen.set(0);
        r.highest = counter;
    } else {
        const std::uint64_t back = r.highest - counter;
        if (back >= window)
            return fail(status::replayed, "frame " + std::to_string(counter) + " of replica " + std::to_string(sender) +
                                              " is older than the window (highest " + std::to_string(r.highest) + ")");
        if (r.seen.test(back))
            return fail(status::replayed, "frame " + std::to_string(counter) + " of replica " + std::to_string(sender) +
                                              " was seen before");
        r.seen.set(back);
    }
    r.last_ms = std::max(r.last_ms, now_ms);
    return {};
}

}  // namespace active_users
