// g_set examples and edge cases: insert deltas, sorted iteration, bulk/recent storage, equality, merge paths.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/g_set.hpp>
#include <converge/encoding.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace converge;

using gs_u32 = g_set<std::uint32_t>;
using gs_u64 = g_set<std::uint64_t>;
using gs_str = g_set<std::string>;

template <class T>
std::vector<T> elements_of(const g_set<T>& s) {
    return {s.begin(), s.end()};
}

template <class T>
g_set<T> set_of(const std::vector<T>& xs) {
    g_set<T> s;
    for (const T& x : xs) s.insert(x);
    return s;
}

template <class T>
g_set<T> round_trip(const g_set<T>& s) {
    return decode<g_set<T>>(encode(s)).value();
}

template <class T>
std::vector<T> union_of(const std::set<T>& a, const std::set<T>& b) {
    std::vector<T> out;
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

/// `n` distinct values from `rng`, in random order.
std::vector<std::uint64_t> distinct_values(std::mt19937_64& rng, std::size_t n) {
    std::set<std::uint64_t> seen;
    std::vector<std::uint64_t> out;
    while (out.size() < n) {
        const std::uint64_t x = rng();
        if (seen.insert(x).second) out.push_back(x);
    }
    return out;
}

}  // namespace

TEST_CASE("g_set iterators are forward iterators over const elements", "[g_set][types]") {
    STATIC_REQUIRE(std::forward_iterator<gs_u32::const_iterator>);
    STATIC_REQUIRE(std::is_same_v<gs_u32::iterator, gs_u32::const_iterator>);
    STATIC_REQUIRE(std::is_same_v<std::iter_reference_t<gs_str::iterator>, const std::string&>);
    STATIC_REQUIRE(std::is_same_v<gs_str::value_type, std::string>);
}

TEST_CASE("a new g_set is empty and contains nothing", "[g_set]") {
    const gs_u32 s;
    CHECK(s.empty());
    CHECK(s.size() == 0);
    CHECK_FALSE(s.contains(0));
    CHECK(s.begin() == s.end());
    CHECK(s == gs_u32{});
}

TEST_CASE("g_set insert returns the delta {x}, or an empty delta when x is already there", "[g_set][insert][delta]") {
    gs_str s;
    const gs_str d = s.insert("alice");
    CHECK(d.size() == 1);
    CHECK(d.contains("alice"));
    CHECK(elements_of(d) == std::vector<std::string>{"alice"});
    CHECK(s.contains("alice"));
    CHECK(s.size() == 1);
    CHECK_FALSE(s.empty());

    const gs_str again = s.insert("alice");
    CHECK(again.empty());
    CHECK(s.size() == 1);

    s.insert("bob");
    CHECK(s.contains("bob"));
    CHECK_FALSE(s.contains("carol"));
    CHECK(s.size() == 2);
}

TEST_CASE("merging an insert's delta brings a peer up to date with that one element", "[g_set][delta][merge]") {
    gs_str a;
    gs_str b;
    a.insert("alice");
    b.merge(a.insert("bob"));
    CHECK(elements_of(b) == std::vector<std::string>{"bob"});
    b.merge(a);
    CHECK(elements_of(b) == std::vector<std::string>{"alice", "bob"});
    CHECK(b == a);
}

TEST_CASE("g_set re-inserting an element gives an empty delta whether it is in the recent run or the bulk",
          "[g_set][insert]") {
    // 300 inserts pass the recent-run limit several times, so early elements sit in the bulk.
    gs_u32 s;
    for (std::uint32_t i = 0; i < 300; ++i) {
        const gs_u32 d = s.insert(i * 7 % 300);  // every residue once, out of order
        REQUIRE(d.size() == 1);
    }
    REQUIRE(s.size() == 300);
    const gs_u32 before = s;
    for (std::uint32_t i = 0; i < 300; ++i) {
        INFO("element " << i);
        CHECK(s.insert(i).empty());
        CHECK(s.contains(i));
    }
    CHECK(s.size() == 300);
    CHECK(s == before);
    CHECK_FALSE(s.contains(300));
}

TEST_CASE("g_set iterates in increasing order without duplicates", "[g_set][iteration]") {
    gs_u32 s;
    for (const std::uint32_t x : {5u, 3u, 9u, 3u, 1u, 5u, 7u, 0u, 9u}) s.insert(x);
    CHECK(elements_of(s) == std::vector<std::uint32_t>{0, 1, 3, 5, 7, 9});
    CHECK(s.size() == 6);
    CHECK(static_cast<std::size_t>(std::distance(s.begin(), s.end())) == s.size());

    auto it = s.begin();
    CHECK(*it == 0);
    CHECK(*it++ == 0);
    CHECK(*it == 1);
    CHECK(*++it == 3);

    gs_str strings;
    strings.insert("pear");
    strings.insert("apple");
    auto sit = strings.begin();
    CHECK(sit->size() == 5);  // operator-> reaches "apple"
}

TEST_CASE("g_set iteration interleaves bulk and recent elements in order", "[g_set][iteration]") {
    // Evens first, enough to be compacted into the bulk; then a few odds that stay recent.
    gs_u32 s;
    std::vector<std::uint32_t> expected;
    for (std::uint32_t i = 0; i < 200; i += 2) s.insert(i);
    for (const std::uint32_t x : {199u, 1u, 101u, 51u}) s.insert(x);
    for (std::uint32_t i = 0; i < 200; i += 2) expected.push_back(i);
    for (const std::uint32_t x : {199u, 1u, 101u, 51u}) expected.push_back(x);
    std::sort(expected.begin(), expected.end());
    CHECK(elements_of(s) == expected);
    CHECK(std::is_sorted(s.begin(), s.end()));
    CHECK(std::adjacent_find(s.begin(), s.end()) == s.end());
}

TEST_CASE("100000 random inserts with repeats give exactly the sorted unique set std::set gives",
          "[g_set][insert][large]") {
    std::mt19937_64 rng(0xC0FFEE);
    // A pool of 60000 wide values; drawing 100000 from it repeats many of them.
    const std::vector<std::uint64_t> pool = distinct_values(rng, 60000);
    std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);

    gs_u64 s;
    std::set<std::uint64_t> expected;
    std::size_t mismatched_deltas = 0;
    for (int i = 0; i < 100000; ++i) {
        const std::uint64_t x = pool[pick(rng)];
        const gs_u64 d = s.insert(x);
        const bool is_new = expected.insert(x).second;
        if (d.size() != (is_new ? 1u : 0u) || (is_new && !d.contains(x))) ++mismatched_deltas;
        if (i % 9973 == 0) REQUIRE(s.size() == expected.size());
    }
    CHECK(mismatched_deltas == 0);
    REQUIRE(expected.size() < 100000);  // there were repeats
    CHECK(s.size() == expected.size());
    CHECK(elements_of(s) == std::vector<std::uint64_t>(expected.begin(), expected.end()));

    std::size_t wrong_lookups = 0;
    for (const std::uint64_t x : pool)
        if (s.contains(x) != (expected.count(x) == 1)) ++wrong_lookups;
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t absent = rng();
        if (s.contains(absent) != (expected.count(absent) == 1)) ++wrong_lookups;
    }
    CHECK(wrong_lookups == 0);

    CHECK(round_trip(s) == s);
}

TEST_CASE("ascending and descending insert orders give the same sorted set", "[g_set][insert]") {
    gs_u32 up;
    gs_u32 down;
    for (std::uint32_t i = 0; i < 5000; ++i) up.insert(i);
    for (std::uint32_t i = 5000; i-- > 0;) down.insert(i);
    CHECK(up.size() == 5000);
    CHECK(up == down);
    std::vector<std::uint32_t> expected(5000);
    for (std::uint32_t i = 0; i < 5000; ++i) expected[i] = i;
    CHECK(elements_of(down) == expected);
}

TEST_CASE("g_set == holds between sets with equal elements however they were built", "[g_set][equality]") {
    std::mt19937_64 rng(11);
    std::vector<std::uint64_t> xs = distinct_values(rng, 500);

    const gs_u64 by_inserts = set_of(xs);
    std::shuffle(xs.begin(), xs.end(), rng);
    const gs_u64 by_shuffled_inserts = set_of(xs);
    const gs_u64 by_decode = round_trip(by_inserts);
    gs_u64 by_merge = set_of(std::vector<std::uint64_t>(xs.begin(), xs.begin() + 250));
    by_merge.merge(set_of(std::vector<std::uint64_t>(xs.begin() + 250, xs.end())));
    gs_u64 by_small_merges;
    for (std::size_t i = 0; i < xs.size(); i += 5)
        by_small_merges.merge(set_of(std::vector<std::uint64_t>(xs.begin() + static_cast<std::ptrdiff_t>(i),
                                                                xs.begin() + static_cast<std::ptrdiff_t>(i + 5))));

    CHECK(by_inserts == by_shuffled_inserts);
    CHECK(by_inserts == by_decode);
    CHECK(by_decode == by_inserts);
    CHECK(by_inserts == by_merge);
    CHECK(by_merge == by_decode);
    CHECK(by_small_merges == by_inserts);
    CHECK(encode(by_merge) == encode(by_shuffled_inserts));

    // Same size, one element different: not equal, in either storage layout.
    std::vector<std::uint64_t> changed = xs;
    changed.back() = changed.back() ^ 1;
    if (by_inserts.contains(changed.back())) changed.back() = changed.back() ^ 3;
    REQUIRE_FALSE(by_inserts.contains(changed.back()));
    const gs_u64 other = set_of(changed);
    REQUIRE(other.size() == by_inserts.size());
    CHECK(other != by_inserts);
    CHECK(round_trip(other) != by_decode);

    // A subset is not equal either.
    CHECK(set_of(std::vector<std::uint64_t>(xs.begin(), xs.end() - 1)) != by_inserts);
}

TEST_CASE("g_set merge is set union on both sides of the eight-element small-merge boundary",
          "[g_set][merge]") {
    std::mt19937_64 rng(5);
    std::set<std::uint32_t> base_elements;
    while (base_elements.size() < 200) base_elements.insert(static_cast<std::uint32_t>(rng() % 1000));
    const std::vector<std::uint32_t> base_vector(base_elements.begin(), base_elements.end());

    const std::size_t n = GENERATE(as<std::size_t>{}, 1, 7, 8, 9, 10, 50);
    INFO("other set size: " << n);
    // Half the other set's elements are already in base, half are new.
    std::set<std::uint32_t> other_elements;
    for (std::size_t i = 0; other_elements.size() < n; ++i)
        other_elements.insert(i % 2 == 0 ? base_vector[(i * 37) % base_vector.size()]
                                         : static_cast<std::uint32_t>(1000 + rng() % 1000));
    const std::vector<std::uint32_t> other_vector(other_elements.begin(), other_elements.end());
    const std::vector<std::uint32_t> expected = union_of(base_elements, other_elements);

    SECTION("sets built by inserts, with recent runs on both sides") {
        gs_u32 s = set_of(base_vector);
        s.merge(set_of(other_vector));
        CHECK(elements_of(s) == expected);
        CHECK(s.size() == expected.size());
    }
    SECTION("sets decoded from the wire, bulk only") {
        gs_u32 s = round_trip(set_of(base_vector));
        s.merge(round_trip(set_of(other_vector)));
        CHECK(elements_of(s) == expected);
    }
    SECTION("a small set receiving the large one") {
        gs_u32 s = set_of(other_vector);
        s.merge(set_of(base_vector));
        CHECK(elements_of(s) == expected);
    }
    SECTION("inserting after the merge keeps the set sorted") {
        gs_u32 s = set_of(base_vector);
        s.merge(set_of(other_vector));
        std::vector<std::uint32_t> more = expected;
        for (std::uint32_t x = 0; x < 3000; x += 13) {
            s.insert(x);
            more.push_back(x);
        }
        std::sort(more.begin(), more.end());
        more.erase(std::unique(more.begin(), more.end()), more.end());
        CHECK(elements_of(s) == more);
    }
}

TEST_CASE("g_set merge of sets whose recent inserts are in the other side's bulk is set union",
          "[g_set][merge]") {
    // Random insertion orders leave a run of recent inserts on each side, and the shared
    // elements put some of each run in the other side's bulk: the merge must keep each element
    // once, in the bulk or in the new recent run, whether or not it compacts.
    std::mt19937_64 rng(18);
    for (int round = 0; round < 200; ++round) {
        const auto size = [&] { return std::uniform_int_distribution<std::size_t>(0, 400)(rng); };
        const auto element = [&] { return static_cast<std::uint32_t>(rng() % 600); };
        std::vector<std::uint32_t> a_inserts(size());
        std::vector<std::uint32_t> b_inserts(size());
        for (auto& x : a_inserts) x = element();
        for (auto& x : b_inserts) x = element();
        const std::set<std::uint32_t> a_elements(a_inserts.begin(), a_inserts.end());
        const std::set<std::uint32_t> b_elements(b_inserts.begin(), b_inserts.end());
        INFO("round " << round << ": " << a_elements.size() << " and " << b_elements.size() << " elements");

        gs_u32 a;
        for (const auto x : a_inserts) a.insert(x);
        gs_u32 b;
        for (const auto x : b_inserts) b.insert(x);
        gs_u32 merged = a;
        merged.merge(b);
        CHECK(elements_of(merged) == union_of(a_elements, b_elements));
        CHECK(merged.size() == union_of(a_elements, b_elements).size());
        merged.merge(a);  // idempotent, through the same path
        CHECK(elements_of(merged) == union_of(a_elements, b_elements));
    }
}

TEST_CASE("g_set merge with an empty set or with itself changes nothing", "[g_set][merge]") {
    gs_u32 s = set_of<std::uint32_t>({4, 2, 8});
    const gs_u32 before = s;
    s.merge(gs_u32{});
    CHECK(s == before);
    s.merge(s);
    CHECK(s == before);
    CHECK(s.size() == 3);

    gs_u32 large;
    for (std::uint32_t i = 0; i < 100; ++i) large.insert(i * 3);
    const gs_u32 large_before = large;
    large.merge(large);
    CHECK(large == large_before);
    CHECK(large.size() == 100);

    gs_u32 empty;
    empty.merge(large);
    CHECK(empty == large);
}

TEST_CASE("g_set delta_for returns the elements the peer lacks", "[g_set][delta]") {
    const gs_u32 a = set_of<std::uint32_t>({1, 2, 3, 4, 5});
    gs_u32 peer = set_of<std::uint32_t>({2, 4, 6});
    const gs_u32 d = a.delta_for(peer);
    CHECK(elements_of(d) == std::vector<std::uint32_t>{1, 3, 5});
    peer.merge(d);
    CHECK(elements_of(peer) == std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6});
    CHECK(a.delta_for(peer).empty());
    CHECK(a.delta_for(gs_u32{}) == a);
}

TEST_CASE("g_set delta_for is empty for a peer that holds everything", "[g_set][delta]") {
    const gs_u32 a = set_of<std::uint32_t>({1, 2, 3});
    CHECK(a.delta_for(a).empty());
    CHECK(a.delta_for(set_of<std::uint32_t>({0, 1, 2, 3, 4})).empty());
    CHECK(gs_u32{}.delta_for(a).empty());
}

TEST_CASE("g_set delta_for of large sets matches std::set_difference", "[g_set][delta][large]") {
    std::mt19937_64 rng(17);
    std::set<std::uint64_t> a_elements;
    std::set<std::uint64_t> peer_elements;
    for (int i = 0; i < 3000; ++i) {
        const std::uint64_t x = rng() % 5000;
        a_elements.insert(x);
        if (rng() % 3 != 0) peer_elements.insert(x);
        peer_elements.insert(5000 + rng() % 100);
    }
    const gs_u64 a = set_of(std::vector<std::uint64_t>(a_elements.begin(), a_elements.end()));
    gs_u64 peer;
    for (auto it = peer_elements.rbegin(); it != peer_elements.rend(); ++it) peer.insert(*it);

    std::vector<std::uint64_t> expected;
    std::set_difference(a_elements.begin(), a_elements.end(), peer_elements.begin(), peer_elements.end(),
                        std::back_inserter(expected));
    REQUIRE_FALSE(expected.empty());
    const gs_u64 d = a.delta_for(peer);
    CHECK(elements_of(d) == expected);
    peer.merge(d);
    CHECK(a.delta_for(peer).empty());
}

TEST_CASE("g_set works with string elements, including the empty string and non-ASCII bytes", "[g_set][string]") {
    gs_str s;
    for (const char* x : {"\xff", "b", "", "a", "\x80", "\x7f", "ab"}) s.insert(x);
    s.insert(std::string("\0", 1));
    // std::string orders bytes as unsigned char: "\x80" and "\xff" after every ASCII byte.
    CHECK(elements_of(s) ==
          std::vector<std::string>{"", std::string("\0", 1), "a", "ab", "b", "\x7f", "\x80", "\xff"});
    CHECK(s.contains(""));
    CHECK(s.contains("\xff"));
    CHECK(s.insert("").empty());
    CHECK(s.insert("\xff").empty());
    CHECK_FALSE(s.contains("\xfe"));

    gs_str peer;
    peer.insert("");
    CHECK(elements_of(s.delta_for(peer)) ==
          std::vector<std::string>{std::string("\0", 1), "a", "ab", "b", "\x7f", "\x80", "\xff"});
    CHECK(round_trip(s) == s);
}
