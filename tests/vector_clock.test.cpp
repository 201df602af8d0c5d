// vector_clock examples and edge cases: ticks, deltas, the causal partial order, overflow, merge paths.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/vector_clock.hpp>
#include <converge/causal_order.hpp>
#include <converge/encoding.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using namespace converge;

using vc_u32 = vector_clock<std::uint32_t>;
using vc_u64 = vector_clock<std::uint64_t>;
using vc_str = vector_clock<std::string>;

constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();

/// A clock whose entries are exactly `m`, built by ticking.
vc_u32 clock_of(std::initializer_list<std::pair<std::uint32_t, std::uint64_t>> m) {
    vc_u32 c;
    for (const auto& [r, n] : m)
        for (std::uint64_t i = 0; i < n; ++i) c.tick(r);
    return c;
}

template <class Clock>
std::vector<std::pair<typename Clock::replica_type, std::uint64_t>> entries_of(const Clock& c) {
    std::vector<std::pair<typename Clock::replica_type, std::uint64_t>> out;
    for (const auto& [r, n] : c.entries()) out.emplace_back(r, n);
    return out;
}

/// A clock with the single entry {replica: UINT64_MAX}, which ticking cannot reach in a test:
/// decoded from its wire form (magic, version, tag 1, one entry, the id, a ten-byte varint).
vc_u32 clock_at_max(std::uint8_t replica) {
    std::vector<std::byte> bytes;
    for (const int b : {0xc7, 0x01, 0x01, 0x01}) bytes.push_back(static_cast<std::byte>(b));
    bytes.push_back(static_cast<std::byte>(replica));  // ids below 128 are one varint byte
    for (int i = 0; i < 9; ++i) bytes.push_back(std::byte{0xff});
    bytes.push_back(std::byte{0x01});
    return decode<vc_u32>(bytes).value();
}

}  // namespace

TEST_CASE("vector_clock exposes its replica type and 64-bit entries", "[vector_clock][types]") {
    STATIC_REQUIRE(std::is_same_v<vc_str::replica_type, std::string>);
    STATIC_REQUIRE(std::is_same_v<vc_str::counter_type, std::uint64_t>);
}

TEST_CASE("a new vector_clock is empty and has seen no event of any replica", "[vector_clock]") {
    const vc_u32 c;
    CHECK(c.empty());
    CHECK(c.size() == 0);
    CHECK(c.get(0) == 0);
    CHECK(c.get(17) == 0);
    CHECK(c.entries().begin() == c.entries().end());
}

TEST_CASE("vector_clock tick counts one event of the replica and returns a one-entry delta",
          "[vector_clock][tick][delta]") {
    vc_u32 c;
    const vc_u32 first = c.tick(4);
    CHECK(c.get(4) == 1);
    CHECK(first.size() == 1);
    CHECK(first.get(4) == 1);

    c.tick(4);
    c.tick(2);
    const vc_u32 third = c.tick(4);
    CHECK(c.get(4) == 3);
    CHECK(c.get(2) == 1);
    CHECK(c.size() == 2);
    CHECK_FALSE(c.empty());
    CHECK(entries_of(third) == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{4, 3}});
}

TEST_CASE("merging a tick's delta brings a peer up to date with that one event", "[vector_clock][delta][merge]") {
    vc_u32 a;
    vc_u32 b;
    a.tick(1);
    a.tick(1);
    b.merge(a);
    b.tick(2);

    b.merge(a.tick(1));
    CHECK(b.get(1) == 3);
    CHECK(b.get(2) == 1);
    CHECK(a.compare(b) == causal_order::before);
}

TEST_CASE("vector_clock tick at 2^64 - 1 events throws overflow_error and leaves the clock unchanged",
          "[vector_clock][tick][overflow]") {
    vc_u32 c = clock_at_max(7);
    REQUIRE(c.get(7) == u64_max);
    c.tick(3);
    const vc_u32 before = c;
    CHECK_THROWS_AS(c.tick(7), overflow_error);
    CHECK(c == before);
    CHECK(c.get(7) == u64_max);
    CHECK_THROWS_AS(c.tick(7), std::overflow_error);
    CHECK(c == before);

    // Other replicas still tick.
    c.tick(3);
    CHECK(c.get(3) == 2);
}

TEST_CASE("vector_clock merge is the pointwise max", "[vector_clock][merge]") {
    vc_u32 a = clock_of({{1, 3}, {2, 1}});
    const vc_u32 b = clock_of({{1, 1}, {2, 4}, {3, 2}});
    a.merge(b);
    CHECK(entries_of(a) == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{1, 3}, {2, 4}, {3, 2}});
    CHECK(a.compare(b) == causal_order::after);

    const vc_u32 before = a;
    a.merge(a);
    CHECK(a == before);
    a.merge(vc_u32{});
    CHECK(a == before);
}

TEST_CASE("two empty clocks, and two clocks with the same entries, compare equal", "[vector_clock][compare]") {
    CHECK(vc_u32{}.compare(vc_u32{}) == causal_order::equal);
    const vc_u32 a = clock_of({{1, 2}, {5, 1}});
    vc_u32 b = clock_of({{5, 1}});
    b.tick(1);
    b.tick(1);
    CHECK(a.compare(b) == causal_order::equal);
    CHECK(b.compare(a) == causal_order::equal);
    CHECK(a.compare(a) == causal_order::equal);
    CHECK(a == b);
}

TEST_CASE("a clock that the other has fully seen compares before, and the other after", "[vector_clock][compare]") {
    const vc_u32 empty;
    const vc_u32 a = clock_of({{1, 1}});
    CHECK(empty.compare(a) == causal_order::before);
    CHECK(a.compare(empty) == causal_order::after);

    // Lower in one shared entry, equal elsewhere.
    const vc_u32 b = clock_of({{1, 1}, {2, 3}});
    const vc_u32 c = clock_of({{1, 1}, {2, 4}});
    CHECK(b.compare(c) == causal_order::before);
    CHECK(c.compare(b) == causal_order::after);

    // A replica only the later clock has, at the front, the middle and the end.
    for (const std::uint32_t extra : {0u, 3u, 9u}) {
        INFO("extra replica " << extra);
        const vc_u32 base = clock_of({{2, 1}, {5, 1}});
        vc_u32 later = base;
        later.tick(extra);
        CHECK(base.compare(later) == causal_order::before);
        CHECK(later.compare(base) == causal_order::after);
    }
}

TEST_CASE("clocks where each has seen an event the other has not are concurrent", "[vector_clock][compare]") {
    const vc_u32 a = clock_of({{1, 2}, {2, 1}});
    const vc_u32 b = clock_of({{1, 1}, {2, 2}});
    CHECK(a.compare(b) == causal_order::concurrent);
    CHECK(b.compare(a) == causal_order::concurrent);

    // Each ahead in an entry the other lacks.
    const vc_u32 c = clock_of({{1, 1}, {2, 1}});
    const vc_u32 d = clock_of({{1, 1}, {3, 1}});
    CHECK(c.compare(d) == causal_order::concurrent);

    // One ahead in a shared entry, the other holding an extra replica.
    const vc_u32 e = clock_of({{1, 5}});
    const vc_u32 f = clock_of({{1, 4}, {9, 1}});
    CHECK(e.compare(f) == causal_order::concurrent);
    CHECK(f.compare(e) == causal_order::concurrent);
}

TEST_CASE("clocks with disjoint replicas are concurrent", "[vector_clock][compare]") {
    const vc_str a = [] {
        vc_str c;
        c.tick("a");
        c.tick("c");
        return c;
    }();
    const vc_str b = [] {
        vc_str c;
        c.tick("b");
        c.tick("d");
        return c;
    }();
    CHECK(a.compare(b) == causal_order::concurrent);
    CHECK(b.compare(a) == causal_order::concurrent);

    vc_str both = a;
    both.merge(b);
    CHECK(a.compare(both) == causal_order::before);
    CHECK(both.compare(b) == causal_order::after);
}

TEST_CASE("a one-entry difference in 1024-replica clocks decides the comparison", "[vector_clock][compare]") {
    vc_u32 a;
    for (std::uint32_t r = 0; r < 1024; ++r) a.tick(r * 3);
    vc_u32 b = a;
    CHECK(a.compare(b) == causal_order::equal);
    b.tick(1500);  // a shared replica
    CHECK(a.compare(b) == causal_order::before);
    a.tick(3 * 1023 + 1);  // a replica b lacks, after all the others
    CHECK(a.compare(b) == causal_order::concurrent);
    b.merge(a.delta_for(b));
    CHECK(a.compare(b) == causal_order::before);
    CHECK(b.compare(a) == causal_order::after);
}

TEST_CASE("happened_before_or_equal holds exactly for before and equal", "[vector_clock][compare]") {
    const vc_u32 empty;
    const vc_u32 a = clock_of({{1, 1}});
    const vc_u32 b = clock_of({{1, 2}});
    const vc_u32 c = clock_of({{2, 1}});
    CHECK(empty.happened_before_or_equal(empty));
    CHECK(empty.happened_before_or_equal(a));
    CHECK(a.happened_before_or_equal(a));
    CHECK(a.happened_before_or_equal(b));
    CHECK_FALSE(b.happened_before_or_equal(a));           // after
    CHECK_FALSE(a.happened_before_or_equal(c));           // concurrent
    CHECK_FALSE(c.happened_before_or_equal(a));           // concurrent
    CHECK_FALSE(a.happened_before_or_equal(empty));       // after
}

TEST_CASE("causal_order names each relation for logs", "[vector_clock][causal_order]") {
    CHECK(std::string_view(to_string(causal_order::equal)) == "equal");
    CHECK(std::string_view(to_string(causal_order::before)) == "before");
    CHECK(std::string_view(to_string(causal_order::after)) == "after");
    CHECK(std::string_view(to_string(causal_order::concurrent)) == "concurrent");
    STATIC_REQUIRE(std::string_view(to_string(causal_order::before)) == "before");
}

TEST_CASE("vector_clock delta_for returns only the entries where this clock is ahead", "[vector_clock][delta]") {
    const vc_u32 a = clock_of({{1, 2}, {2, 2}, {3, 2}, {4, 1}});
    vc_u32 peer = clock_of({{1, 2}, {2, 3}, {3, 1}, {5, 1}});
    const vc_u32 d = a.delta_for(peer);
    CHECK(entries_of(d) == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{3, 2}, {4, 1}});
    peer.merge(d);
    CHECK(a.happened_before_or_equal(peer));
    CHECK(a.delta_for(peer).empty());
    CHECK(a.delta_for(vc_u32{}) == a);
}

TEST_CASE("vector_clock delta_for is empty for a peer that is ahead or equal", "[vector_clock][delta]") {
    const vc_u32 a = clock_of({{1, 2}, {2, 1}});
    CHECK(a.delta_for(a).empty());
    const vc_u32 ahead = clock_of({{1, 3}, {2, 1}, {3, 1}});
    CHECK(a.delta_for(ahead).empty());
    CHECK(vc_u32{}.delta_for(ahead).empty());
}

TEST_CASE("vector_clock merge matches the pointwise max for large, same-membership and small clocks",
          "[vector_clock][merge][large]") {
    std::mt19937_64 rng(3);
    // Entries are built by merging one-entry deltas of peers: a clock at n for replica r.
    const auto at = [](std::uint64_t r, std::uint64_t n) {
        vc_u64 c;
        for (std::uint64_t i = 0; i < n; ++i) c.tick(r);
        return c;
    };
    using model = std::map<std::uint64_t, std::uint64_t>;
    const auto build = [&](const model& m) {
        vc_u64 c;
        for (const auto& [r, n] : m) c.merge(at(r, n));
        return c;
    };
    const auto max_of = [](model x, const model& y) {
        for (const auto& [r, n] : y)
            if (x[r] < n) x[r] = n;
        return x;
    };
    const auto as_vector = [](const model& m) {
        return std::vector<std::pair<std::uint64_t, std::uint64_t>>(m.begin(), m.end());
    };

    model a;
    model b;
    for (std::uint64_t i = 0; i < 600; ++i) {
        if (i % 3 != 0) a[i * 11] = 1 + rng() % 5;
        if (i % 3 != 1) b[i * 11] = 1 + rng() % 5;
    }
    a[7000] = 2;  // after every shared id: the end of a is a's alone, the end of b b's alone
    b[7001] = 3;
    vc_u64 ca = build(a);
    ca.merge(build(b));
    CHECK(entries_of(ca) == as_vector(max_of(a, b)));

    model same;
    for (const auto& [r, n] : a) same[r] = 1 + rng() % 5;
    vc_u64 cs = build(a);
    cs.merge(build(same));
    CHECK(entries_of(cs) == as_vector(max_of(a, same)));

    for (const std::size_t n : {8u, 9u}) {
        INFO("delta entries: " << n);
        model small;
        for (std::size_t i = 0; i < n; ++i) small[i * 50 + 1] = 9;  // some new, some existing ids
        vc_u64 c = build(a);
        c.merge(build(small));
        CHECK(entries_of(c) == as_vector(max_of(a, small)));
    }
}

TEST_CASE("vector_clock works with string replica ids, including the empty string and non-ASCII bytes",
          "[vector_clock][string]") {
    vc_str c;
    c.tick("\xff");
    c.tick("");
    c.tick("");
    c.tick("m");
    CHECK(entries_of(c) == std::vector<std::pair<std::string, std::uint64_t>>{{"", 2}, {"m", 1}, {"\xff", 1}});
    CHECK(c.get("") == 2);
    CHECK(c.get("\xff") == 1);

    vc_str other;
    other.tick("\xff");
    other.tick("\xff");
    CHECK(c.compare(other) == causal_order::concurrent);
    other.merge(c);
    CHECK(c.compare(other) == causal_order::before);
    const auto back = decode<vc_str>(encode(other));
    REQUIRE(back.has_value());
    CHECK(*back == other);
    CHECK(back->compare(other) == causal_order::equal);
}

TEST_CASE("vector_clock entries iterate in increasing replica order with structured bindings",
          "[vector_clock][entries]") {
    vc_u32 c;
    for (const std::uint32_t r : {9u, 1u, 5u, 1u}) c.tick(r);
    std::vector<std::uint32_t> order;
    for (const auto& [replica, seen] : c.entries()) {
        order.push_back(replica);
        CHECK(seen == c.get(replica));
    }
    CHECK(order == std::vector<std::uint32_t>{1, 5, 9});
}
