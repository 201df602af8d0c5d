// pn_counter examples and edge cases: both halves, deltas, overflow, exact signed 128-bit values, merge paths.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/pn_counter.hpp>
#include <converge/encoding.hpp>
#include <converge/wide_int.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using namespace converge;

// Aliases keep commas out of the Catch macros.
using pn_u32 = pn_counter<std::uint32_t>;
using pn_u64 = pn_counter<std::uint64_t>;
using pn_u8 = pn_counter<std::uint32_t, std::uint8_t>;
using pn_str = pn_counter<std::string>;
using tally64 = pn_u64::tally;

constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();
constexpr auto i64_min = std::numeric_limits<std::int64_t>::min();
constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();

/// (increments, decrements) per replica.
using model = std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>>;

pn_u64 from_model(const model& m) {
    pn_u64 c;
    for (const auto& [r, t] : m) {
        c.increment(r, t.first);
        c.decrement(r, t.second);
    }
    return c;
}

/// The counter's entries as (replica, (increments, decrements)), read back through entries().
template <class Counter>
auto entries_of(const Counter& c) {
    using count = typename Counter::count_type;
    std::vector<std::pair<typename Counter::replica_type, std::pair<count, count>>> out;
    for (const auto& [r, t] : c.entries()) out.push_back({r, {t.increments, t.decrements}});
    return out;
}

/// Each half's max, computed without converge.
model max_of(model a, const model& b) {
    for (const auto& [r, t] : b) {
        auto& slot = a[r];
        if (slot.first < t.first) slot.first = t.first;
        if (slot.second < t.second) slot.second = t.second;
    }
    return a;
}

int128 sum_of(const model& m) {
    int128 s = 0;
    for (const auto& [r, t] : m) s += static_cast<int128>(t.first) - static_cast<int128>(t.second);
    return s;
}

void check_equals_model(const pn_u64& c, const model& m) {
    REQUIRE(c.size() == m.size());
    CHECK(entries_of(c) == std::vector<std::pair<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>>>(
                               m.begin(), m.end()));
    CHECK(c.value() == sum_of(m));
    CHECK(c == from_model(m));
}

}  // namespace

TEST_CASE("pn_counter exposes its replica, count, tally and value types", "[pn_counter][types]") {
    STATIC_REQUIRE(std::is_same_v<pn_u8::replica_type, std::uint32_t>);
    STATIC_REQUIRE(std::is_same_v<pn_u8::count_type, std::uint8_t>);
    STATIC_REQUIRE(std::is_same_v<pn_u8::value_type, int128>);
    STATIC_REQUIRE(std::is_same_v<decltype(pn_u8{}.tally_of(0).increments), std::uint8_t>);
    STATIC_REQUIRE(std::is_same_v<decltype(pn_str{}.value_of("")), int128>);
}

TEST_CASE("a new pn_counter is empty, has value 0 and zero tallies for every replica", "[pn_counter]") {
    const pn_u32 c;
    CHECK(c.empty());
    CHECK(c.size() == 0);
    CHECK(c.value() == 0);
    CHECK(c.value_of(3) == 0);
    CHECK(c.tally_of(3) == pn_u32::tally{0, 0});
    CHECK(c.entries().begin() == c.entries().end());
}

TEST_CASE("pn_counter increment and decrement move the value up and down, through zero", "[pn_counter]") {
    pn_u32 c;
    c.increment(1, 5);
    CHECK(c.value() == 5);
    c.decrement(1, 2);
    CHECK(c.value() == 3);
    c.decrement(2, 7);
    CHECK(c.value() == -4);
    c.increment(2);
    c.decrement(1);
    CHECK(c.value() == -4);
    CHECK(c.value_of(1) == 2);
    CHECK(c.value_of(2) == -6);
    CHECK(c.value_of(9) == 0);
    CHECK(c.tally_of(1) == pn_u32::tally{5, 3});
    CHECK(c.tally_of(2) == pn_u32::tally{1, 7});
    CHECK(c.size() == 2);
    CHECK_FALSE(c.empty());
}

TEST_CASE("a replica whose increments equal its decrements keeps its entry", "[pn_counter]") {
    pn_u32 c;
    c.increment(1, 4);
    c.decrement(1, 4);
    CHECK(c.value() == 0);
    CHECK(c.value_of(1) == 0);
    CHECK(c.size() == 1);
    CHECK(c != pn_u32{});
}

TEST_CASE("pn_counter mutators return a delta holding only the changed half of one entry",
          "[pn_counter][delta]") {
    pn_u32 c;
    c.increment(1, 10);
    c.decrement(2, 4);

    const pn_u32 inc = c.increment(1, 5);
    CHECK(inc.size() == 1);
    CHECK(inc.tally_of(1) == pn_u32::tally{15, 0});  // the new tally; the other half is 0
    CHECK(inc.value_of(1) == 15);
    CHECK(inc.value() == 15);
    CHECK(inc.tally_of(2) == pn_u32::tally{0, 0});

    const pn_u32 dec = c.decrement(1, 3);
    CHECK(dec.size() == 1);
    CHECK(dec.tally_of(1) == pn_u32::tally{0, 3});
    CHECK(dec.value_of(1) == -3);

    const pn_u32 dec2 = c.decrement(2);
    CHECK(entries_of(dec2) == std::vector<std::pair<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>>{
                                  {2, {0, 5}}});
}

TEST_CASE("merging a pn_counter delta brings a peer up to date with that one change", "[pn_counter][delta][merge]") {
    pn_u32 a;
    pn_u32 b;
    a.increment(1, 8);
    a.decrement(1, 2);
    b.merge(a);
    b.increment(2, 1);

    b.merge(a.decrement(1, 5));
    CHECK(b.tally_of(1) == a.tally_of(1));
    CHECK(b.tally_of(1) == pn_u32::tally{8, 7});  // the delta's zero increments did not lower b's 8
    CHECK(b.tally_of(2) == pn_u32::tally{1, 0});
    CHECK(b.value() == 2);

    b.merge(a.increment(1));
    CHECK(b.tally_of(1) == pn_u32::tally{9, 7});
}

TEST_CASE("pn_counter increment or decrement by 0 returns an empty delta and changes nothing", "[pn_counter]") {
    pn_u32 c;
    CHECK(c.increment(4, 0).empty());
    CHECK(c.decrement(4, 0).empty());
    CHECK(c.empty());

    c.increment(4, 2);
    c.decrement(4, 1);
    const pn_u32 before = c;
    CHECK(c.increment(4, 0).empty());
    CHECK(c.decrement(4, 0).empty());
    CHECK(c.decrement(5, 0).empty());
    CHECK(c == before);
}

TEST_CASE("pn_counter mutators that would overflow a uint8_t tally throw and leave the state unchanged",
          "[pn_counter][overflow]") {
    pn_u8 c;
    c.increment(1, 250);
    c.decrement(1, 255);
    c.increment(2, 1);
    const pn_u8 before = c;

    CHECK_THROWS_AS(c.increment(1, 6), overflow_error);
    CHECK(c == before);
    CHECK_THROWS_AS(c.decrement(1), overflow_error);
    CHECK(c == before);
    CHECK_THROWS_AS(c.decrement(1, 255), overflow_error);
    CHECK(c == before);
    CHECK(c.tally_of(1) == pn_u8::tally{250, 255});

    // The halves are independent: increments still have room while decrements are full.
    CHECK(c.increment(1, 5).tally_of(1) == pn_u8::tally{255, 0});
    CHECK_THROWS_AS(c.increment(1), overflow_error);
    CHECK(c.tally_of(1) == pn_u8::tally{255, 255});
    CHECK(c.value_of(1) == 0);
    c.decrement(2, 255);
    CHECK(c.value() == -254);
}

TEST_CASE("pn_counter overflow of a uint64_t tally throws an std::overflow_error and changes nothing",
          "[pn_counter][overflow]") {
    pn_u64 c;
    c.increment(1, u64_max);
    c.decrement(2, u64_max - 1);
    const pn_u64 before = c;
    CHECK_THROWS_AS(c.increment(1), std::overflow_error);
    CHECK_THROWS_AS(c.decrement(2, 2), overflow_error);
    CHECK(c == before);
    c.decrement(2);
    CHECK(c.tally_of(2).decrements == u64_max);
    try {
        c.decrement(2);
        FAIL("decrement past the maximum did not throw");
    } catch (const overflow_error& e) {
        CHECK(std::string(e.what()).find("pn_counter") != std::string::npos);
    }
    CHECK(c.value() == 0);
}

TEST_CASE("pn_counter value is exact when hugely positive or hugely negative", "[pn_counter][value][wide]") {
    pn_u64 up;
    for (std::uint64_t r = 0; r < 3; ++r) up.increment(r, u64_max);
    CHECK(up.value() == int128{u64_max} * 3);
    CHECK(to_string(up.value()) == "55340232221128654845");
    CHECK(up.value_of(0) == int128{u64_max});

    pn_u64 down;
    for (std::uint64_t r = 0; r < 3; ++r) down.decrement(r, u64_max);
    CHECK(down.value() == -int128{u64_max} * 3);
    CHECK(to_string(down.value()) == "-55340232221128654845");
    CHECK(down.value_of(2) == -int128{u64_max});

    // 1024 replicas, the maximum on one side each, and the sums cancel exactly.
    pn_u64 both;
    for (std::uint64_t r = 0; r < 1024; ++r) {
        if (r % 2 == 0) both.increment(r, u64_max);
        else both.decrement(r, u64_max);
    }
    CHECK(both.value() == 0);
    both.decrement(5000, 1);
    CHECK(both.value() == -1);
}

TEST_CASE("converge::narrow gives a pn_counter value as int64_t exactly when it fits", "[pn_counter][value][wide]") {
    pn_u64 c;
    c.increment(1, 3);
    c.decrement(2, 7);
    CHECK(narrow<std::int64_t>(c.value()) == std::optional<std::int64_t>{-4});
    CHECK_FALSE(narrow<std::uint64_t>(c.value()).has_value());  // negative

    pn_u64 low;
    low.decrement(1, std::uint64_t{1} << 63);
    CHECK(narrow<std::int64_t>(low.value()) == std::optional<std::int64_t>{i64_min});
    low.decrement(2);
    CHECK_FALSE(narrow<std::int64_t>(low.value()).has_value());

    pn_u64 high;
    high.increment(1, static_cast<std::uint64_t>(i64_max));
    CHECK(narrow<std::int64_t>(high.value()) == std::optional<std::int64_t>{i64_max});
    high.increment(2);
    CHECK_FALSE(narrow<std::int64_t>(high.value()).has_value());
    CHECK(narrow<std::uint64_t>(high.value()) == std::optional<std::uint64_t>{std::uint64_t{1} << 63});
}

TEST_CASE("pn_counter == compares states, not values", "[pn_counter][equality]") {
    pn_str three;
    three.increment("a", 3);
    pn_str five_minus_two;
    five_minus_two.increment("a", 5);
    five_minus_two.decrement("a", 2);
    REQUIRE(three.value() == five_minus_two.value());
    CHECK(three != five_minus_two);

    pn_str elsewhere;
    elsewhere.increment("b", 3);
    CHECK(three != elsewhere);

    pn_str same;
    same.increment("a", 1);
    same.increment("a", 2);
    CHECK(three == same);
}

TEST_CASE("pn_counter merge takes the larger of each half independently", "[pn_counter][merge]") {
    pn_u32 a;
    a.increment(1, 5);
    a.decrement(1, 1);
    pn_u32 b;
    b.increment(1, 3);
    b.decrement(1, 4);
    b.decrement(2, 2);

    pn_u32 ab = a;
    ab.merge(b);
    CHECK(ab.tally_of(1) == pn_u32::tally{5, 4});
    CHECK(ab.tally_of(2) == pn_u32::tally{0, 2});
    CHECK(ab.value() == -1);

    const pn_u32 before = ab;
    ab.merge(ab);
    CHECK(ab == before);
    ab.merge(pn_u32{});
    CHECK(ab == before);
}

TEST_CASE("pn_counter delta_for returns the entries where either half is ahead", "[pn_counter][delta]") {
    pn_u32 a;
    a.increment(1, 5);  // equal at the peer
    a.increment(2, 5);  // increments ahead, decrements behind
    a.decrement(2, 1);
    a.increment(3, 1);  // behind in both
    a.decrement(4, 2);  // missing at the peer
    pn_u32 peer;
    peer.increment(1, 5);
    peer.increment(2, 4);
    peer.decrement(2, 3);
    peer.increment(3, 2);
    peer.decrement(3, 2);

    const pn_u32 d = a.delta_for(peer);
    CHECK(entries_of(d) == std::vector<std::pair<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>>{
                               {2, {5, 1}}, {4, {0, 2}}});
    peer.merge(d);
    CHECK(peer.tally_of(2) == pn_u32::tally{5, 3});
    CHECK(a.delta_for(peer).empty());
    CHECK(a.delta_for(pn_u32{}) == a);
}

TEST_CASE("pn_counter delta_for is empty for a peer that is ahead or equal", "[pn_counter][delta]") {
    pn_u32 a;
    a.increment(1, 2);
    a.decrement(2, 2);
    CHECK(a.delta_for(a).empty());
    pn_u32 ahead = a;
    ahead.decrement(1);
    ahead.increment(2);
    ahead.increment(3);
    CHECK(a.delta_for(ahead).empty());
    CHECK(pn_u32{}.delta_for(ahead).empty());
}

TEST_CASE("merging a one-entry delta into a 1024-replica pn_counter changes just that entry",
          "[pn_counter][merge][delta]") {
    model m;
    for (std::uint64_t r = 2; r <= 2048; r += 2) m[r] = {r, r / 2};
    REQUIRE(m.size() == 1024);
    pn_u64 c = from_model(m);

    pn_u64 sender;
    sender.increment(600, 1);
    c.merge(sender.decrement(600, 5000));
    m[600].second = 5000;
    check_equals_model(c, m);

    c.merge(sender.increment(601, 4));
    m[601] = {4, 0};
    check_equals_model(c, m);
}

TEST_CASE("pn_counter merge of large states with partially overlapping ids is the entrywise max of each half",
          "[pn_counter][merge][large]") {
    std::mt19937_64 rng(99);
    const auto half = [&] { return 1 + rng() % 1000; };
    model a_model;
    model b_model;
    while (a_model.size() < 2500) {
        const std::uint64_t id = rng();
        a_model[id] = {half(), half()};
        b_model[id] = {half(), half()};
    }
    while (a_model.size() < 5000) {
        const std::uint64_t id = rng();
        if (!b_model.count(id)) a_model[id] = {half(), half()};
    }
    while (b_model.size() < 5000) {
        const std::uint64_t id = rng();
        if (!a_model.count(id)) b_model[id] = {half(), half()};
    }
    const model expected = max_of(a_model, b_model);
    REQUIRE(expected.size() == 7500);

    pn_u64 a = from_model(a_model);
    a.merge(from_model(b_model));
    check_equals_model(a, expected);

    // Same membership: every id on both sides.
    pn_u64 same = from_model(a_model);
    model a_again;
    for (const auto& [r, t] : a_model) a_again[r] = {half(), half()};
    same.merge(from_model(a_again));
    check_equals_model(same, max_of(a_model, a_again));
}

TEST_CASE("pn_counter merge is right on both sides of the eight-entry small-delta boundary",
          "[pn_counter][merge][delta]") {
    model base;
    for (std::uint64_t r = 10; r < 300; ++r) base[r] = {r, 300 - r};

    for (std::size_t n : {1u, 8u, 9u, 12u}) {
        INFO("delta entries: " << n);
        model delta;
        for (std::size_t i = 0; i < n; ++i) {
            switch (i % 3) {
            case 0: delta[20 + 10 * i] = {1, 1000}; break;  // existing: lower increments, higher decrements
            case 1: delta[21 + 10 * i] = {1000, 0}; break;  // existing: higher increments only
            default: delta[1000 + i] = {0, 3}; break;       // new
            }
        }
        REQUIRE(delta.size() == n);
        pn_u64 c = from_model(base);
        c.merge(from_model(delta));
        check_equals_model(c, max_of(base, delta));
    }
}

TEST_CASE("pn_counter works with string replica ids, including the empty string and non-ASCII bytes",
          "[pn_counter][string]") {
    pn_str c;
    c.decrement("\xff", 2);
    c.increment("", 7);
    c.increment("z", 1);
    std::vector<std::string> order;
    for (const auto& [r, t] : c.entries()) order.push_back(r);
    CHECK(order == std::vector<std::string>{"", "z", "\xff"});
    CHECK(c.value_of("\xff") == -2);
    CHECK(c.value_of("") == 7);
    CHECK(c.value() == 6);

    pn_str peer;
    peer.merge(c.decrement("", 1));
    CHECK(peer.tally_of("") == pn_str::tally{0, 1});
    peer.merge(c);
    CHECK(peer == c);
    const auto back = decode<pn_str>(encode(c));
    REQUIRE(back.has_value());
    CHECK(*back == c);
}

TEST_CASE("pn_counter entries iterate in increasing replica order with structured bindings",
          "[pn_counter][entries]") {
    pn_u32 c;
    c.decrement(30, 3);
    c.increment(10, 1);
    c.increment(20, 2);
    c.decrement(20, 5);

    std::vector<std::uint32_t> order;
    int128 total = 0;
    for (const auto& [replica, t] : c.entries()) {
        order.push_back(replica);
        CHECK(t == c.tally_of(replica));
        total += static_cast<int128>(t.increments) - static_cast<int128>(t.decrements);
    }
    CHECK(order == std::vector<std::uint32_t>{10, 20, 30});
    CHECK(total == c.value());
}
