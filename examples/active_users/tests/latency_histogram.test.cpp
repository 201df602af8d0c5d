// The latency histogram: each duration in the first bucket whose bound it does not pass.
// SPDX-License-Identifier: MIT
#include "metrics/latency_histogram.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace active_users;
using namespace std::chrono_literals;

TEST_CASE("a duration lands in the first bucket whose bound is not below it", "[metrics]") {
    latency_histogram h;
    h.observe(100us);    // <= 0.5 ms
    h.observe(500us);    // exactly the first bound: still the first bucket (le is <=)
    h.observe(501us);    // <= 1 ms
    h.observe(30ms);     // <= 50 ms
    h.observe(10s);      // +Inf
    h.observe(-5ms);     // a clock step backwards counts as 0
    const histogram_snapshot s = h.snapshot();
    CHECK(s.buckets[0] == 3);
    CHECK(s.buckets[1] == 1);
    CHECK(s.buckets[6] == 1);
    CHECK(s.buckets[latency_bounds.size()] == 1);
    CHECK(s.count == 6);
    CHECK(s.sum_seconds == Approx(0.0001 + 0.0005 + 0.000501 + 0.030 + 10.0));
}

TEST_CASE("an empty histogram is all zero", "[metrics]") {
    const histogram_snapshot s = latency_histogram{}.snapshot();
    CHECK(s.count == 0);
    CHECK(s.sum_seconds == 0);
    for (const auto n : s.buckets) CHECK(n == 0);
}
