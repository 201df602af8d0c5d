// g_map examples and edge cases: update and its delta, find, merge paths, delta_for, iteration, encoding.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/delta_crdt.hpp>
#include <converge/encoding.hpp>
#include <converge/g_counter.hpp>
#include <converge/g_map.hpp>
#include <converge/g_set.hpp>
#include <converge/pn_counter.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace converge;

// Aliases keep commas out of the Catch macros.
using counter = g_counter<std::uint32_t>;
using gm_counter = g_map<std::string, counter>;
using gm_pn = g_map<std::string, pn_counter<std::uint32_t, std::uint8_t>>;
using gm_set = g_map<std::uint32_t, g_set<std::string>>;
using gm_nested = g_map<std::string, g_map<std::uint32_t, counter>>;

/// One increment of `replica` by `n` at `key`, as update() takes it.
auto add(std::uint32_t replica, std::uint64_t n) {
    return [=](counter& c) { return c.increment(replica, n); };
}

/// The keys in iteration order.
template <class Map>
std::vector<typename Map::key_type> keys_of(const Map& m) {
    std::vector<typename Map::key_type> out;
    for (const auto& [k, v] : m) out.push_back(k);
    return out;
}

/// {key: value} for each key, incremented by replica 1.
gm_counter with_values(const std::vector<std::pair<std::string, std::uint64_t>>& values, std::uint32_t replica = 1) {
    gm_counter m;
    for (const auto& [k, n] : values) m.update(k, add(replica, n));
    return m;
}

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

}  // namespace

static_assert(delta_crdt<gm_counter>);
static_assert(delta_crdt<gm_nested>);

TEST_CASE("a new g_map is empty and finds nothing", "[g_map]") {
    const gm_counter m;
    CHECK(m.empty());
    CHECK(m.size() == 0);
    CHECK(m.begin() == m.end());
    CHECK(m.find("home") == nullptr);
    CHECK(m == gm_counter{});
}

TEST_CASE("g_map update applies the mutator at the key and returns the delta {key: its delta}", "[g_map][update][delta]") {
    gm_counter m;
    const gm_counter d1 = m.update("home", add(1, 5));
    REQUIRE(m.find("home") != nullptr);
    CHECK(m.find("home")->value() == 5);
    REQUIRE(d1.size() == 1);
    CHECK(d1.begin()->first == "home");
    CHECK(d1.find("home")->value() == 5);

    // On an existing key the mutator sees the stored value; the delta is the value's own delta.
    const gm_counter d2 = m.update("home", add(2, 3));
    CHECK(m.find("home")->value() == 8);
    REQUIRE(d2.find("home") != nullptr);
    CHECK(d2.find("home")->value() == 3);
    CHECK(d2.find("home")->entries().size() == 1);
    CHECK(m.size() == 1);

    // The mutator runs exactly once and its result is what update returns.
    int calls = 0;
    m.update("news", [&](counter& c) {
        ++calls;
        return c.increment(1, 1);
    });
    CHECK(calls == 1);
    CHECK(keys_of(m) == std::vector<std::string>{"home", "news"});
}

TEST_CASE("g_map update whose mutator changes nothing stores no key and returns an empty delta", "[g_map][update]") {
    gm_counter m;
    const gm_counter d = m.update("home", add(1, 0));
    CHECK(d.empty());
    CHECK(m.empty());
    CHECK(m.find("home") == nullptr);
    // So the map still equals, and encodes like, the map that never saw the call.
    CHECK(encode(m) == encode(gm_counter{}));

    m.update("home", add(1, 2));
    CHECK(m.update("home", add(1, 0)).empty());
    CHECK(m.find("home")->value() == 2);
}

TEST_CASE("g_map update whose mutator throws leaves the map unchanged", "[g_map][update][overflow]") {
    gm_pn m;
    const auto up = [](std::uint8_t n) { return [n](auto& c) { return c.increment(1, n); }; };
    m.update("a", up(250));
    const gm_pn before = m;

    // At an existing key: the pn_counter refuses, and so the whole update.
    CHECK_THROWS_AS(m.update("a", up(6)), overflow_error);
    CHECK(m == before);
    CHECK(m.find("a")->value() == 250);

    // At a new key: nothing is inserted.
    CHECK_THROWS_AS(m.update("b", [](auto& c) -> decltype(c.increment(1, 1)) { throw std::runtime_error("no"); }),
                    std::runtime_error);
    CHECK(m == before);
    CHECK(m.find("b") == nullptr);
}

TEST_CASE("g_map iterates its keys in increasing order whatever the order of updates", "[g_map][iteration]") {
    gm_counter m = with_values({{"m", 1}, {"b", 2}, {"z", 3}, {"a", 4}});
    CHECK(keys_of(m) == std::vector<std::string>{"a", "b", "m", "z"});
    CHECK(m.size() == 4);
    CHECK(m.find("a")->value() == 4);
    CHECK(m.find("z")->value() == 3);
    CHECK(m.find("c") == nullptr);
    CHECK(m.find("") == nullptr);
    CHECK(m.find("zz") == nullptr);

    gm_set s;
    s.update(300, [](auto& set) { return set.insert("x"); });
    s.update(2, [](auto& set) { return set.insert("y"); });
    CHECK(keys_of(s) == std::vector<std::uint32_t>{2, 300});
}

TEST_CASE("g_map merge joins the values of equal keys and keeps the keys of both sides", "[g_map][merge]") {
    gm_counter a = with_values({{"a", 1}, {"b", 2}}, 1);
    gm_counter b = with_values({{"b", 5}, {"c", 3}}, 2);
    b.update("a", add(1, 7));  // replica 1 ahead at "a" on b's side

    const gm_counter ab = merged(a, b);
    CHECK(keys_of(ab) == std::vector<std::string>{"a", "b", "c"});
    CHECK(ab.find("a")->value() == 7);       // max of replica 1's 1 and 7
    CHECK(ab.find("b")->value() == 2 + 5);   // replicas 1 and 2
    CHECK(ab.find("c")->value() == 3);
    CHECK(ab == merged(b, a));
    CHECK(merged(ab, a) == ab);
    CHECK(merged(ab, ab) == ab);
}

TEST_CASE("g_map merge gives the same result by lookups and by one linear pass", "[g_map][merge]") {
    // Larger than the lookup path's limit on both sides, so the linear pass runs; the same
    // entries merged one at a time take the lookup path.
    gm_counter big_a;
    gm_counter big_b;
    std::vector<gm_counter> deltas;
    for (std::uint32_t i = 0; i < 40; ++i) {
        const std::string key = "k" + std::to_string(i);
        if (i % 2 == 0) big_a.update(key, add(1, i + 1));
        if (i % 3 == 0) deltas.push_back(big_b.update(key, add(2, i + 1)));
        if (i % 5 == 0) deltas.push_back(big_b.update(key, add(1, 100)));
    }
    const gm_counter linear = merged(big_a, big_b);
    gm_counter by_lookups = big_a;
    for (const auto& d : deltas) by_lookups.merge(d);
    CHECK(linear == by_lookups);
    CHECK(linear == merged(big_b, big_a));
    for (std::uint32_t i = 0; i < 40; ++i) {
        INFO("key k" << i);
        const counter* c = linear.find("k" + std::to_string(i));
        const std::uint64_t r1 = i % 5 == 0 ? 100 : (i % 2 == 0 ? i + 1 : 0);
        const std::uint64_t r2 = i % 3 == 0 ? i + 1 : 0;
        if (r1 + r2 == 0) {
            CHECK(c == nullptr);
        } else {
            REQUIRE(c != nullptr);
            CHECK(c->value() == r1 + r2);
        }
    }

    // A small map merged into a large one and a large one into a small one.
    const gm_counter small = with_values({{"k1", 50}, {"new", 1}});
    CHECK(merged(linear, small) == merged(small, linear));
}

TEST_CASE("g_map merge with itself or with an empty map changes nothing", "[g_map][merge]") {
    gm_counter m = with_values({{"a", 1}, {"b", 2}});
    const gm_counter before = m;
    m.merge(m);
    CHECK(m == before);
    m.merge(gm_counter{});
    CHECK(m == before);
    gm_counter empty;
    empty.merge(m);
    CHECK(empty == m);
}

TEST_CASE("g_map delta_for ships per key what the peer lacks and nothing when it is ahead", "[g_map][delta]") {
    const gm_counter a = with_values({{"a", 3}, {"b", 2}, {"c", 1}});
    gm_counter peer = with_values({{"a", 3}, {"b", 1}});
    peer.update("z", add(9, 4));

    const gm_counter d = a.delta_for(peer);
    CHECK(keys_of(d) == std::vector<std::string>{"b", "c"});  // "a" is equal, "z" only on the peer
    CHECK(d.find("b")->value() == 2);
    CHECK(d.find("c")->value() == 1);
    CHECK(merged(peer, d) == merged(peer, a));

    CHECK(a.delta_for(merged(peer, a)).empty());
    CHECK(a.delta_for(a).empty());
    CHECK(a.delta_for(gm_counter{}) == a);
    CHECK(gm_counter{}.delta_for(a).empty());
}

TEST_CASE("g_map values can be g_maps, merged level by level", "[g_map][nested]") {
    gm_nested a;
    gm_nested b;
    a.update("eu", [](auto& inner) { return inner.update(1, add(1, 2)); });
    const gm_nested d = b.update("eu", [](auto& inner) { return inner.update(2, add(7, 5)); });
    a.merge(d);
    REQUIRE(a.find("eu") != nullptr);
    CHECK(keys_of(*a.find("eu")) == std::vector<std::uint32_t>{1, 2});
    CHECK(a.find("eu")->find(2)->value() == 5);
    CHECK(a.delta_for(b) == [&] {
        gm_nested only_1;
        only_1.update("eu", [](auto& inner) { return inner.update(1, add(1, 2)); });
        return only_1;
    }());
    const auto back = decode<gm_nested>(encode(a));
    REQUIRE(back.has_value());
    CHECK(*back == a);
}

TEST_CASE("g_map equality compares every key and value", "[g_map]") {
    const gm_counter a = with_values({{"a", 1}});
    CHECK(a == with_values({{"a", 1}}));
    CHECK_FALSE(a == with_values({{"a", 2}}));
    CHECK_FALSE(a == with_values({{"b", 1}}));
    CHECK_FALSE(a == with_values({{"a", 1}}, 2));  // same value, other replica
    CHECK_FALSE(a == with_values({{"a", 1}, {"b", 1}}));
}

TEST_CASE("g_map encodes as tag 5 and decodes back to an equal map", "[g_map][encoding]") {
    gm_counter m = with_values({{"b", 200}, {"a", 1}});
    m.update("a", add(3, 2));
    const auto bytes = encode(m);
    REQUIRE(bytes.size() > 3);
    CHECK(bytes[2] == std::byte{5});
    const auto back = decode<gm_counter>(bytes);
    REQUIRE(back.has_value());
    CHECK(*back == m);
    CHECK(encode(*back) == bytes);

    const auto empty = decode<gm_counter>(encode(gm_counter{}));
    REQUIRE(empty.has_value());
    CHECK(empty->empty());
}
