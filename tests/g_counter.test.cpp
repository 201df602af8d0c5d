// g_counter examples and edge cases: increments, deltas, overflow, exact 128-bit values, merge paths.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/g_counter.hpp>
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
using gc_u32 = g_counter<std::uint32_t>;
using gc_u64 = g_counter<std::uint64_t>;
using gc_u8 = g_counter<std::uint32_t, std::uint8_t>;
using gc_str = g_counter<std::string>;

constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();

using model = std::map<std::uint64_t, std::uint64_t>;

/// A counter holding exactly the entries of `m` (no entry may be zero).
gc_u64 from_model(const model& m) {
    gc_u64 c;
    for (const auto& [r, n] : m) c.increment(r, n);
    return c;
}

/// The counter's entries, read back through entries().
template <class Counter>
std::vector<std::pair<typename Counter::replica_type, typename Counter::count_type>> entries_of(const Counter& c) {
    std::vector<std::pair<typename Counter::replica_type, typename Counter::count_type>> out;
    for (const auto& [r, n] : c.entries()) out.emplace_back(r, n);
    return out;
}

/// The entrywise max of two models, computed without converge.
model max_of(model a, const model& b) {
    for (const auto& [r, n] : b) {
        auto& slot = a[r];
        if (slot < n) slot = n;
    }
    return a;
}

uint128 sum_of(const model& m) {
    uint128 s = 0;
    for (const auto& [r, n] : m) s += n;
    return s;
}

/// Checks that `c` holds exactly the entries of `m`, in order, and their sum.
void check_equals_model(const gc_u64& c, const model& m) {
    REQUIRE(c.size() == m.size());
    CHECK(entries_of(c) == std::vector<std::pair<std::uint64_t, std::uint64_t>>(m.begin(), m.end()));
    CHECK(c.value() == sum_of(m));
    CHECK(c == from_model(m));
}

}  // namespace

TEST_CASE("g_counter exposes its replica, count and value types", "[g_counter][types]") {
    STATIC_REQUIRE(std::is_same_v<gc_u8::replica_type, std::uint32_t>);
    STATIC_REQUIRE(std::is_same_v<gc_u8::count_type, std::uint8_t>);
    STATIC_REQUIRE(std::is_same_v<gc_u8::value_type, uint128>);
    STATIC_REQUIRE(std::is_same_v<gc_str::count_type, std::uint64_t>);
    STATIC_REQUIRE(std::is_same_v<decltype(gc_str{}.value()), uint128>);
}

TEST_CASE("a new g_counter is empty, has value 0 and reports 0 for every replica", "[g_counter]") {
    const gc_u32 c;
    CHECK(c.empty());
    CHECK(c.size() == 0);
    CHECK(c.value() == 0);
    CHECK(c.value_of(0) == 0);
    CHECK(c.value_of(42) == 0);
    CHECK(c.entries().begin() == c.entries().end());
    CHECK(c == gc_u32{});
}

TEST_CASE("g_counter increment adds to the replica's entry, by 1 by default", "[g_counter][increment]") {
    gc_u32 c;
    c.increment(7);
    CHECK(c.value_of(7) == 1);
    c.increment(7, 4);
    CHECK(c.value_of(7) == 5);
    c.increment(3, 10);
    CHECK(c.value_of(3) == 10);
    CHECK(c.value_of(7) == 5);
    CHECK(c.value_of(5) == 0);
    CHECK(c.size() == 2);
    CHECK_FALSE(c.empty());
    CHECK(c.value() == 15);
}

TEST_CASE("g_counter increment returns a delta holding only the changed entry at its new tally",
          "[g_counter][increment][delta]") {
    gc_u32 c;
    c.increment(1, 10);
    c.increment(2, 20);

    const gc_u32 d = c.increment(2, 5);
    CHECK(d.size() == 1);
    CHECK(d.value_of(2) == 25);  // the new tally, not the increment
    CHECK(d.value_of(1) == 0);
    CHECK(d.value() == 25);
    CHECK(entries_of(d) == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{2, 25}});

    const gc_u32 first = c.increment(9);
    CHECK(first.size() == 1);
    CHECK(first.value_of(9) == 1);
}

TEST_CASE("g_counter increment returns a one-entry delta that converts, merges, compares and encodes as a state",
          "[g_counter][increment][delta]") {
    gc_u32 c;
    c.increment(1, 10);
    auto d = c.increment(2, 5);
    STATIC_REQUIRE(std::is_same_v<decltype(d), gc_u32::increment_delta>);
    CHECK(d.replica() == 2);
    CHECK(d.count() == 5);
    CHECK(d.size() == 1);
    CHECK_FALSE(d.empty());

    const gc_u32 as_state = d;
    CHECK(entries_of(as_state) == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{2, 5}});
    CHECK(as_state == d);
    CHECK(d == as_state);
    CHECK(d != c);
    CHECK(encode(d) == encode(as_state));

    // Merged directly or as the state it converts to, the result is the same.
    gc_u32 direct;
    direct.increment(2, 3);
    gc_u32 converted = direct;
    direct.merge(d);
    converted.merge(as_state);
    CHECK(direct == converted);
    CHECK(direct.value_of(2) == 5);

    // It decodes from a g_counter encoding of at most one entry.
    const auto back = decode<gc_u32::increment_delta>(encode(d));
    REQUIRE(back.has_value());
    CHECK(*back == d);
    const auto none = decode<gc_u32::increment_delta>(encode(gc_u32{}));
    REQUIRE(none.has_value());
    CHECK(none->empty());
    const auto two = decode<gc_u32::increment_delta>(encode(c));
    REQUIRE_FALSE(two.has_value());
    CHECK(two.error() == decode_error{errc::limit_exceeded, 3});
}

TEST_CASE("an empty increment delta equals the empty state and whatever replica it names", "[g_counter][delta]") {
    gc_u32 c;
    const auto d0 = c.increment(5, 0);
    CHECK(d0.empty());
    CHECK(d0.size() == 0);
    CHECK(d0.value() == 0);
    CHECK(d0.value_of(5) == 0);
    CHECK(d0 == gc_u32{});
    CHECK(d0 == gc_u32::increment_delta(7, 0));
    CHECK(encode(d0) == encode(gc_u32{}));
    c.merge(d0);
    CHECK(c.empty());
}

TEST_CASE("merging an increment's delta brings a peer up to date with that one change",
          "[g_counter][delta][merge]") {
    gc_u32 a;
    gc_u32 b;
    a.increment(1, 3);
    b.merge(a);
    b.increment(2, 7);

    b.merge(a.increment(1, 4));
    CHECK(b.value_of(1) == 7);
    CHECK(b.value_of(2) == 7);  // b's own entry is untouched
    CHECK(b.value() == 14);

    // Delivering the delta again, or an older one, changes nothing: entries join by max.
    const gc_u32 old = a.increment(1, 1);  // a is now at 8
    b.merge(old);
    const gc_u32 before_redelivery = b;
    b.merge(old);
    CHECK(b == before_redelivery);
    gc_u32 stale;
    stale.increment(1, 2);
    b.merge(stale);
    CHECK(b.value_of(1) == 8);
}

TEST_CASE("g_counter increment by 0 returns an empty delta and changes nothing", "[g_counter][increment]") {
    gc_u32 c;
    const gc_u32 d0 = c.increment(5, 0);
    CHECK(d0.empty());
    CHECK(c.empty());  // no zero entry is stored
    CHECK(c == gc_u32{});

    c.increment(5, 3);
    const gc_u32 before = c;
    const gc_u32 d1 = c.increment(5, 0);
    CHECK(d1.empty());
    const gc_u32 d2 = c.increment(6, 0);
    CHECK(d2.empty());
    CHECK(c == before);
    CHECK(c.size() == 1);
}

TEST_CASE("g_counter increment that would overflow a uint8_t count throws and leaves the state unchanged",
          "[g_counter][increment][overflow]") {
    gc_u8 c;
    c.increment(1, 200);
    c.increment(2, 255);
    const gc_u8 before = c;

    CHECK_THROWS_AS(c.increment(1, 56), overflow_error);
    CHECK(c == before);
    CHECK_THROWS_AS(c.increment(2), overflow_error);
    CHECK(c == before);
    CHECK_THROWS_AS(c.increment(2, 255), overflow_error);
    CHECK(c == before);
    CHECK(c.value_of(1) == 200);
    CHECK(c.value_of(2) == 255);

    // Exactly up to the maximum is allowed; an increment by 0 at the maximum is too.
    const gc_u8 d = c.increment(1, 55);
    CHECK(d.value_of(1) == 255);
    CHECK(c.value_of(1) == 255);
    CHECK(c.increment(2, 0).empty());
    // Another replica's entry is independent of the full ones.
    c.increment(3, 255);
    CHECK(c.value() == 3 * 255);
}

TEST_CASE("g_counter overflow is an std::overflow_error that says which type overflowed", "[g_counter][overflow]") {
    gc_u8 c;
    c.increment(0, 255);
    try {
        c.increment(0);
        FAIL("increment past the maximum did not throw");
    } catch (const std::overflow_error& e) {
        CHECK(std::string(e.what()).find("g_counter") != std::string::npos);
    }
}

TEST_CASE("g_counter increment that would overflow a uint64_t count throws and leaves the state unchanged",
          "[g_counter][increment][overflow]") {
    gc_u64 c;
    c.increment(1, u64_max - 1);
    c.increment(2, 9);
    const gc_u64 before = c;
    CHECK_THROWS_AS(c.increment(1, 2), overflow_error);
    CHECK_THROWS_AS(c.increment(1, u64_max), overflow_error);
    CHECK(c == before);
    c.increment(1);
    CHECK(c.value_of(1) == u64_max);
    CHECK_THROWS_AS(c.increment(1), overflow_error);
    CHECK(c.value_of(1) == u64_max);
    CHECK(c.value_of(2) == 9);
}

TEST_CASE("g_counter value is exact past 2^64", "[g_counter][value][wide]") {
    gc_u64 c;
    c.increment(1, u64_max);
    c.increment(2, u64_max);
    const uint128 expected = uint128{u64_max} * 2;
    CHECK(c.value() == expected);
    CHECK(c.value() > uint128{u64_max});
    CHECK(to_string(c.value()) == "36893488147419103230");
    CHECK_FALSE(narrow<std::uint64_t>(c.value()).has_value());
    CHECK_FALSE(narrow<std::int64_t>(c.value()).has_value());

    // 1024 replicas each at the maximum: still exact.
    gc_u64 many;
    for (std::uint64_t r = 0; r < 1024; ++r) many.increment(r, u64_max);
    CHECK(many.value() == uint128{u64_max} * 1024);
    CHECK(to_string(many.value()) == "18889465931478580853760");
}

TEST_CASE("converge::narrow hands a g_counter value to a narrower type only when it fits", "[g_counter][value][wide]") {
    gc_u64 c;
    c.increment(1, 40);
    c.increment(2, 2);
    REQUIRE(narrow<std::int64_t>(c.value()).has_value());
    CHECK(*narrow<std::int64_t>(c.value()) == 42);
    CHECK(narrow<std::uint8_t>(c.value()) == std::optional<std::uint8_t>{42});

    c.increment(3, 255 - 42);
    CHECK(narrow<std::uint8_t>(c.value()) == std::optional<std::uint8_t>{255});
    c.increment(3);
    CHECK_FALSE(narrow<std::uint8_t>(c.value()).has_value());

    gc_u64 big;
    big.increment(1, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    CHECK(narrow<std::int64_t>(big.value()) == std::optional<std::int64_t>{std::numeric_limits<std::int64_t>::max()});
    big.increment(2);
    CHECK_FALSE(narrow<std::int64_t>(big.value()).has_value());
    CHECK(narrow<std::uint64_t>(big.value()) == std::optional<std::uint64_t>{std::uint64_t{1} << 63});
}

TEST_CASE("g_counter == compares states, not values", "[g_counter][equality]") {
    gc_str split;
    split.increment("a", 1);
    split.increment("b", 2);
    gc_str single;
    single.increment("a", 3);
    REQUIRE(split.value() == single.value());
    CHECK(split != single);

    // Equal states built by different histories are equal.
    gc_str steps;
    steps.increment("b", 1);
    steps.increment("a");
    steps.increment("b");
    CHECK(steps == split);
    gc_str merged;
    gc_str only_b;
    only_b.increment("b", 2);
    merged.increment("a");
    merged.merge(only_b);
    CHECK(merged == split);
}

TEST_CASE("g_counter merge takes the larger entry per replica, not the sum", "[g_counter][merge]") {
    gc_u32 a;
    a.increment(1, 5);
    a.increment(2, 1);
    gc_u32 b;
    b.increment(1, 3);
    b.increment(2, 4);
    b.increment(3, 2);

    a.merge(b);
    CHECK(a.value_of(1) == 5);
    CHECK(a.value_of(2) == 4);
    CHECK(a.value_of(3) == 2);
    CHECK(a.value() == 11);
    CHECK(a.size() == 3);
}

TEST_CASE("g_counter merge with an empty counter or with itself changes nothing", "[g_counter][merge]") {
    gc_u32 a;
    a.increment(1, 5);
    a.increment(2, 6);
    const gc_u32 before = a;
    a.merge(gc_u32{});
    CHECK(a == before);
    a.merge(a);
    CHECK(a == before);

    gc_u32 empty;
    empty.merge(a);
    CHECK(empty == a);
}

TEST_CASE("g_counter delta_for returns only the entries where this counter is ahead", "[g_counter][delta]") {
    gc_u32 a;
    a.increment(1, 5);  // equal at the peer
    a.increment(2, 3);  // behind the peer
    a.increment(3, 7);  // missing at the peer
    a.increment(4, 9);  // ahead of the peer
    gc_u32 peer;
    peer.increment(1, 5);
    peer.increment(2, 4);
    peer.increment(4, 8);
    peer.increment(5, 1);  // missing at a

    const gc_u32 d = a.delta_for(peer);
    CHECK(entries_of(d) == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{3, 7}, {4, 9}});

    peer.merge(d);
    CHECK(peer.value_of(3) == 7);
    CHECK(peer.value_of(4) == 9);
    CHECK(a.delta_for(peer).empty());

    // Everything, for an empty peer.
    CHECK(a.delta_for(gc_u32{}) == a);
}

TEST_CASE("g_counter delta_for is empty for a peer that is ahead or equal", "[g_counter][delta]") {
    gc_u32 a;
    a.increment(1, 2);
    a.increment(2, 2);
    CHECK(a.delta_for(a).empty());
    const gc_u32 copy = a;
    CHECK(a.delta_for(copy).empty());

    gc_u32 ahead = a;
    ahead.increment(1);
    ahead.increment(3);
    CHECK(a.delta_for(ahead).empty());
    CHECK(gc_u32{}.delta_for(ahead).empty());
    CHECK(gc_u32{}.delta_for(gc_u32{}).empty());
}

TEST_CASE("merging a one-entry delta into a 1024-replica counter changes just that entry",
          "[g_counter][merge][delta]") {
    model m;
    for (std::uint64_t r = 2; r <= 2048; r += 2) m[r] = r + 1;  // even ids only
    REQUIRE(m.size() == 1024);
    gc_u64 c = from_model(m);

    SECTION("a replica that is already there moves up") {
        gc_u64 sender;
        sender.increment(512, 100);
        const gc_u64 d = sender.increment(512, 1000);
        REQUIRE(d.size() == 1);
        c.merge(d);
        m[512] = 1100;
        check_equals_model(c, m);
    }
    SECTION("a replica that is already there but lower in the delta stays") {
        gc_u64 sender;
        c.merge(sender.increment(1000, 3));
        check_equals_model(c, m);
    }
    SECTION("a new replica in the middle is inserted in order") {
        gc_u64 sender;
        c.merge(sender.increment(777, 5));
        m[777] = 5;
        check_equals_model(c, m);
    }
    SECTION("new replicas before the first and after the last are inserted at the ends") {
        gc_u64 front;
        gc_u64 back;
        front.increment(1);  // the smallest id held is 2
        c.merge(back.increment(1u << 20, 9));
        c.merge(front);
        m[1] = 1;
        m[1u << 20] = 9;
        check_equals_model(c, m);
    }
}

TEST_CASE("g_counter merge of large states with partially overlapping ids is the entrywise max",
          "[g_counter][merge][large]") {
    std::mt19937_64 rng(20240601);
    std::uniform_int_distribution<std::uint64_t> value(1, u64_max);
    model a_model;
    model b_model;
    // 5000 ids each, 2500 of them shared, with random values so each side wins some shared ids.
    while (a_model.size() < 2500) {
        const std::uint64_t id = rng();
        a_model[id] = value(rng);
        b_model[id] = value(rng);
    }
    while (a_model.size() < 5000) {
        const std::uint64_t id = rng();
        if (!b_model.count(id)) a_model[id] = value(rng);
    }
    while (b_model.size() < 5000) {
        const std::uint64_t id = rng();
        if (!a_model.count(id)) b_model[id] = value(rng);
    }
    const model expected = max_of(a_model, b_model);
    REQUIRE(expected.size() == 7500);

    gc_u64 a = from_model(a_model);
    const gc_u64 b = from_model(b_model);
    check_equals_model(a, a_model);
    a.merge(b);
    check_equals_model(a, expected);

    gc_u64 b2 = b;
    b2.merge(from_model(a_model));
    check_equals_model(b2, expected);
}

TEST_CASE("g_counter merge of states with the same replicas is the pointwise max", "[g_counter][merge][large]") {
    std::mt19937_64 rng(7);
    model a_model;
    model b_model;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        const std::uint64_t id = i * 7919;
        a_model[id] = 1 + rng() % 1000;
        b_model[id] = 1 + rng() % 1000;
    }
    gc_u64 a = from_model(a_model);
    a.merge(from_model(b_model));
    check_equals_model(a, max_of(a_model, b_model));

    // The same path for a handful of entries.
    gc_u64 s = from_model({{1, 5}, {2, 1}, {3, 9}});
    s.merge(from_model({{1, 2}, {2, 8}, {3, 9}}));
    check_equals_model(s, {{1, 5}, {2, 8}, {3, 9}});
}

TEST_CASE("g_counter merge is right on both sides of the eight-entry small-delta boundary",
          "[g_counter][merge][delta]") {
    model base;
    for (std::uint64_t r = 10; r < 300; ++r) base[r] = r;

    for (std::size_t n : {1u, 7u, 8u, 9u, 10u, 16u}) {
        INFO("delta entries: " << n);
        // A mix of new ids (below, among and above the base's), higher and lower values.
        model delta;
        for (std::size_t i = 0; i < n; ++i) {
            switch (i % 4) {
            case 0: delta[i / 4] = 3; break;               // new, below all
            case 1: delta[20 + 10 * i] = 1000 + i; break;  // existing, higher
            case 2: delta[21 + 10 * i] = 1; break;         // existing, lower
            default: delta[500 + i] = 7; break;            // new, above all
            }
        }
        REQUIRE(delta.size() == n);
        gc_u64 c = from_model(base);
        c.merge(from_model(delta));
        check_equals_model(c, max_of(base, delta));

        // And the other way round: a small counter receiving a large state.
        gc_u64 small = from_model(delta);
        small.merge(from_model(base));
        check_equals_model(small, max_of(base, delta));
    }
}

TEST_CASE("g_counter merge of a batch of deltas for existing replicas joins each by lookup",
          "[g_counter][merge][delta]") {
    model base;
    for (std::uint64_t r = 0; r < 4096; ++r) base[r * 3] = r + 1;
    // 40 entries, all for replicas the base holds: more than the eight-entry delta path takes,
    // few enough that 40 lookups beat a 4096-entry rebuild.
    model batch;
    for (std::uint64_t i = 0; i < 40; ++i) batch[i * 300] = (i % 2 == 0) ? 1'000'000 + i : 1;
    gc_u64 c = from_model(base);
    c.merge(from_model(batch));
    check_equals_model(c, max_of(base, batch));
    REQUIRE(c.size() == base.size());
}

TEST_CASE("g_counter merges into a state that kept its capacity from earlier merges are the entrywise max",
          "[g_counter][merge][capacity]") {
    // Sizes on both sides of the small-delta and lookup paths, merged again and again into the
    // same counters, whose arrays then have room to spare: the in-place merge must not read an
    // entry after overwriting it, whatever the overlap.
    std::mt19937_64 rng(18);
    for (int round = 0; round < 400; ++round) {
        model a_model;
        model b_model;
        const auto a_size = std::uniform_int_distribution<std::size_t>(0, 40)(rng);
        const auto b_size = std::uniform_int_distribution<std::size_t>(0, 40)(rng);
        const auto id = [&] { return std::uniform_int_distribution<std::uint64_t>(0, 60)(rng); };
        const auto count = [&] { return std::uniform_int_distribution<std::uint64_t>(1, 9)(rng); };
        while (a_model.size() < a_size) a_model[id()] = count();
        while (b_model.size() < b_size) b_model[id()] = count();
        INFO("round " << round << ": " << a_size << " into " << b_size);

        gc_u64 a = from_model(a_model);
        a.merge(from_model(b_model));
        check_equals_model(a, max_of(a_model, b_model));

        // Again into a counter that has grown before (its arrays are larger than its state).
        gc_u64 grown = from_model(max_of(a_model, b_model));
        grown.merge(from_model(b_model));
        const gc_u64 a_state = from_model(a_model);
        grown = a_state;  // a copy assignment keeps the larger arrays
        grown.merge(from_model(b_model));
        check_equals_model(grown, max_of(a_model, b_model));
    }
}

TEST_CASE("g_counter works with string replica ids, including the empty string and non-ASCII bytes",
          "[g_counter][string]") {
    gc_str c;
    c.increment("\xff", 1);
    c.increment("b", 2);
    c.increment("", 3);
    c.increment("ab", 4);
    c.increment("a", 5);
    c.increment(std::string("\0", 1), 6);

    // std::string orders bytes as unsigned char, so "\xff" sorts last.
    CHECK(entries_of(c) == std::vector<std::pair<std::string, std::uint64_t>>{
                               {"", 3}, {std::string("\0", 1), 6}, {"a", 5}, {"ab", 4}, {"b", 2}, {"\xff", 1}});
    CHECK(c.value_of("") == 3);
    CHECK(c.value_of("\xff") == 1);
    CHECK(c.value_of("\xfe") == 0);
    CHECK(c.value() == 21);

    gc_str peer;
    peer.increment("", 10);
    peer.merge(c.increment("\xff", 9));
    CHECK(peer.value_of("\xff") == 10);
    c.merge(peer);
    CHECK(c.value_of("") == 10);
    // The peer already has "" and "\xff" at the same tallies.
    CHECK(entries_of(c.delta_for(peer)) ==
          std::vector<std::pair<std::string, std::uint64_t>>{{std::string("\0", 1), 6}, {"a", 5}, {"ab", 4}, {"b", 2}});

    const auto back = decode<gc_str>(encode(c));
    REQUIRE(back.has_value());
    CHECK(*back == c);
}

TEST_CASE("g_counter entries iterate in increasing replica order with structured bindings", "[g_counter][entries]") {
    gc_u32 c;
    for (const std::uint32_t r : {30u, 10u, 4000000000u, 20u, 0u}) c.increment(r, r % 7 + 1);

    std::vector<std::uint32_t> order;
    std::uint64_t total = 0;
    for (const auto& [replica, count] : c.entries()) {
        order.push_back(replica);
        CHECK(count == c.value_of(replica));
        total += count;
    }
    CHECK(order == std::vector<std::uint32_t>{0, 10, 20, 30, 4000000000u});
    CHECK(total == c.value());
    CHECK(c.entries().size() == c.size());
}
