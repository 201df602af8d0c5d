// A Prometheus histogram of durations: fixed buckets, lock-free counting, a plain snapshot.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace active_users {

/// The upper bounds (seconds) of every latency histogram's buckets, +Inf aside: from half a
/// millisecond (a GET answered from memory) to 2.5 s (a write waiting for a slow disk).
inline constexpr std::array<double, 12> latency_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

/// What a histogram held at one moment; `buckets[i]` counts observations <= latency_bounds[i]
/// and above the bound before it (not cumulative; the renderer sums), the last one the rest.
struct histogram_snapshot {
    std::array<std::uint64_t, latency_bounds.size() + 1> buckets{};
    std::uint64_t count = 0;
    double sum_seconds = 0;
};

/// One HTTP route's latencies: `route` is the pattern as the route table has it
/// ("/:page/counter"), or "unmatched" for requests no route answered, whatever their path.
struct route_latency {
    std::string method;
    std::string route;
    histogram_snapshot latency;
};

/// Thread-safe: `observe` is a few relaxed atomic adds, so it can sit on every request's path.
/// A snapshot taken while others observe may be off by the observations in flight.
class latency_histogram {
public:
    void observe(std::chrono::nanoseconds d) noexcept;
    [[nodiscard]] histogram_snapshot snapshot() const noexcept;

private:
    std::array<std::atomic<std::uint64_t>, latency_bounds.size() + 1> buckets_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace active_users
