// retirable_counter_map examples and edge cases: counting by key, retirement everywhere, refused and late writes, deltas.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/delta_crdt.hpp>
#include <converge/encoding.hpp>
#include <converge/retirable_counter_map.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace converge;

// Aliases keep commas out of the Catch macros.
using rcm = retirable_counter_map<std::string, std::uint32_t>;
using rcm_u8 = retirable_counter_map<std::string, std::uint32_t, std::uint8_t>;

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

/// The replicas that hold an entry at `key`.
std::vector<std::uint32_t> replicas_at(const rcm& m, const std::string& key) {
    std::vector<std::uint32_t> out;
    if (const auto* c = m.find(key))
        for (const auto& [r, t] : c->entries()) out.push_back(r);
    return out;
}

/// Replicas 1 and 2 counting at "home" and "news", replica 1 also at "about".
rcm two_replicas() {
    rcm m;
    m.increment("home", 1, 3);
    m.increment("home", 2, 4);
    m.decrement("home", 2, 1);
    m.increment("news", 1, 5);
    m.increment("news", 2, 1);
    m.increment("about", 1, 2);
    return m;
}

}  // namespace

static_assert(delta_crdt<rcm>);

TEST_CASE("a new retirable_counter_map is empty and counts 0 at every key", "[retirable_counter_map]") {
    const rcm m;
    CHECK(m.empty());
    CHECK(m.value("home") == 0);
    CHECK(m.find("home") == nullptr);
    CHECK(m.retired().empty());
    CHECK(m.counters().empty());
    CHECK_FALSE(m.is_retired(1));
}

TEST_CASE("retirable_counter_map counts up and down per key and returns one-entry deltas",
          "[retirable_counter_map][delta]") {
    rcm m;
    const rcm d1 = m.increment("home", 7, 3);
    const rcm d2 = m.decrement("home", 7, 1);
    const rcm d3 = m.increment("news", 8);
    CHECK(m.value("home") == 2);
    CHECK(m.value("news") == 1);
    CHECK(m.value("other") == 0);
    REQUIRE(m.find("home") != nullptr);
    CHECK(m.find("home")->tally_of(7) == pn_counter<std::uint32_t>::tally{3, 1});

    CHECK(d1.value("home") == 3);
    CHECK(d1.counters().size() == 1);
    CHECK(d1.retired().empty());
    CHECK(d2.find("home")->tally_of(7) == pn_counter<std::uint32_t>::tally{0, 1});  // only the half that changed
    CHECK(d3.value("news") == 1);

    rcm peer;
    for (const rcm& d : {d1, d2, d3}) peer.merge(d);
    CHECK(peer == m);
    CHECK_FALSE(m.empty());

    // n = 0 changes nothing and gives an empty delta.
    CHECK(m.increment("home", 7, 0).empty());
    CHECK(m.decrement("none", 7, 0).empty());
    CHECK(m.find("none") == nullptr);
    CHECK(m == peer);
}

TEST_CASE("retire drops the replica's entries from every key and keys left empty disappear",
          "[retirable_counter_map][retire]") {
    rcm m = two_replicas();
    REQUIRE(m.value("home") == 6);
    REQUIRE(m.value("news") == 6);
    REQUIRE(m.value("about") == 2);

    const rcm d = m.retire(1);
    CHECK(m.is_retired(1));
    CHECK_FALSE(m.is_retired(2));
    CHECK(m.value("home") == 3);
    CHECK(m.value("news") == 1);
    CHECK(m.value("about") == 0);
    CHECK(m.find("about") == nullptr);  // only replica 1 counted there
    CHECK(replicas_at(m, "home") == std::vector<std::uint32_t>{2});
    CHECK(replicas_at(m, "news") == std::vector<std::uint32_t>{2});
    CHECK(m.counters().size() == 2);

    // The delta is the retirement alone.
    CHECK(d.counters().empty());
    CHECK(d.retired().contains(1));
    CHECK(d.retired().size() == 1);

    // Retiring again changes nothing and says so with an empty delta.
    const rcm before = m;
    CHECK(m.retire(1).empty());
    CHECK(m == before);

    // A replica that never wrote can be retired too.
    CHECK_FALSE(m.retire(99).empty());
    CHECK(m.is_retired(99));
    CHECK(m.value("home") == 3);
}

TEST_CASE("a write by a retired replica throws retired_error and leaves the state unchanged",
          "[retirable_counter_map][retire][errors]") {
    rcm m = two_replicas();
    m.retire(1);
    const rcm before = m;
    CHECK_THROWS_AS(m.increment("home", 1, 5), retired_error);
    CHECK(m == before);
    CHECK_THROWS_AS(m.decrement("home", 1, 5), retired_error);
    CHECK(m == before);
    CHECK_THROWS_AS(m.increment("new-key", 1), retired_error);
    CHECK(m == before);
    CHECK(m.find("new-key") == nullptr);
    // Even a write of 0 is refused: the replica has to rejoin under a new id.
    CHECK_THROWS_AS(m.increment("home", 1, 0), retired_error);
    CHECK_THROWS_WITH(m.increment("home", 1), Catch::Contains("retired"));
    // retired_error is a logic_error.
    CHECK_THROWS_AS(m.increment("home", 1), std::logic_error);
    // Other replicas still count.
    m.increment("home", 3, 1);
    CHECK(m.value("home") == before.value("home") + 1);
}

TEST_CASE("a write that would overflow the count throws overflow_error and leaves the state unchanged",
          "[retirable_counter_map][overflow]") {
    rcm_u8 m;
    m.increment("a", 1, 250);
    m.decrement("a", 1, 255);
    const rcm_u8 before = m;
    CHECK_THROWS_AS(m.increment("a", 1, 6), overflow_error);
    CHECK(m == before);
    CHECK_THROWS_AS(m.decrement("a", 1, 1), overflow_error);
    CHECK(m == before);
    CHECK(m.value("a") == -5);
    // The largest write that fits is accepted.
    m.increment("a", 1, 5);
    CHECK(m.value("a") == 0);
    CHECK(m.find("a") != nullptr);  // +255/-255 is not bottom
}

TEST_CASE("a late delta from a retired replica is dropped on arrival, for any key",
          "[retirable_counter_map][retire][merge]") {
    rcm writer;
    const rcm late_home = writer.increment("home", 1, 4);
    const rcm late_new = writer.increment("brand-new", 1, 2);

    rcm m;
    m.increment("home", 2, 1);
    m.retire(1);
    const rcm before = m;
    m.merge(late_home);
    m.merge(late_new);
    CHECK(m == before);
    CHECK(m.value("home") == 1);
    CHECK(m.find("brand-new") == nullptr);

    // A whole state holding the retired replica's entries is filtered the same way.
    m.merge(writer);
    CHECK(m == before);
}

TEST_CASE("retirement and writes merge to the same state in every order", "[retirable_counter_map][merge]") {
    rcm a;
    rcm b;
    const rcm w1 = a.increment("home", 1, 3);
    const rcm w2 = b.increment("home", 2, 5);
    const rcm r1 = b.retire(1);
    const rcm w3 = a.increment("news", 1, 1);

    rcm x;
    for (const rcm& d : {w1, w2, r1, w3}) x.merge(d);
    rcm y;
    for (const rcm& d : {r1, w3, w2, w1}) y.merge(d);
    rcm z;
    for (const rcm& d : {w3, w1, w2, r1, w1}) z.merge(d);
    CHECK(x == y);
    CHECK(y == z);
    CHECK(x.value("home") == 5);
    CHECK(x.find("news") == nullptr);
    CHECK(merged(a, b) == merged(b, a));
    CHECK(merged(a, b) == x);
    // Merging a state into itself, or an empty one, changes nothing.
    CHECK(merged(x, x) == x);
    CHECK(merged(x, rcm{}) == x);
}

TEST_CASE("retirable_counter_map delta_for ships unseen retirements and entries, not entries the peer retired",
          "[retirable_counter_map][delta]") {
    const rcm a = two_replicas();
    rcm peer;
    peer.increment("home", 2, 4);
    peer.retire(9);

    const rcm d = a.delta_for(peer);
    CHECK(d.retired().empty());
    CHECK(merged(peer, d) == merged(peer, a));
    CHECK(replicas_at(d, "home") == std::vector<std::uint32_t>{1, 2});  // replica 2 decremented since

    // Retirements the peer lacks are shipped, and the retired entries are not.
    rcm b = a;
    b.retire(2);
    const rcm d2 = b.delta_for(peer);
    CHECK(d2.retired().contains(2));
    CHECK(replicas_at(d2, "home") == std::vector<std::uint32_t>{1});
    CHECK(merged(peer, d2) == merged(peer, b));

    // The peer has retired replica 1, which a still counts: a holds nothing the peer would keep
    // from replica 1, so nothing of it is shipped, and nothing at all once the peer has merged a.
    rcm retired_at_peer;
    retired_at_peer.retire(1);
    const rcm d3 = a.delta_for(retired_at_peer);
    CHECK(replicas_at(d3, "home") == std::vector<std::uint32_t>{2});
    CHECK(d3.find("about") == nullptr);
    CHECK(merged(retired_at_peer, d3) == merged(retired_at_peer, a));
    CHECK(a.delta_for(merged(retired_at_peer, a)).empty());

    CHECK(a.delta_for(a).empty());
    CHECK(rcm{}.delta_for(a).empty());
}

TEST_CASE("retirable_counter_map encodes as tag 6 and decodes back to an equal map",
          "[retirable_counter_map][encoding]") {
    rcm m = two_replicas();
    m.retire(1);
    m.retire(40);
    const auto bytes = encode(m);
    REQUIRE(bytes.size() > 3);
    CHECK(bytes[2] == std::byte{6});
    const auto back = decode<rcm>(bytes);
    REQUIRE(back.has_value());
    CHECK(*back == m);
    CHECK(back->is_retired(40));
    CHECK(back->value("home") == 3);

    const auto empty = decode<rcm>(encode(rcm{}));
    REQUIRE(empty.has_value());
    CHECK(empty->empty());
}
