// latency_histogram: the bucket found by a short linear scan, counts kept as relaxed atomics.
// SPDX-License-Identifier: MIT
#include "metrics/latency_histogram.hpp"

namespace active_users {

void latency_histogram::observe(std::chrono::nanoseconds d) noexcept {
    const auto ns = d.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(d.count());
    const double seconds = static_cast<double>(ns) / 1e9;
    std::size_t i = 0;
    while (i < latency_bounds.size() && seconds > latency_bounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

histogram_snapshot latency_histogram::snapshot() const noexcept {
    histogram_snapshot s;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
        s.count += s.buckets[i];  // from the buckets, so count always equals the +Inf bucket
    }
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

}  // namespace active_users
