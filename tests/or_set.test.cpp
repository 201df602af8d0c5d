// or_set examples and properties: add-wins, observed removes, no tombstones, gaps in the context, delta_for, nesting in g_map, and add-wins against a sequential model.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/g_map.hpp>
#include <converge/or_set.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace converge;

using set_str = or_set<std::string, std::string>;
using set_u16 = or_set<std::uint16_t, std::uint32_t>;
using dot_u32 = detail::dot<std::uint32_t>;
using range_u32 = detail::dot_context<std::uint32_t>::range;

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

template <class S>
std::vector<typename S::value_type> elements_of(const S& s) {
    const auto e = s.elements();
    return {e.begin(), e.end()};
}

/// The dots that `s` holds for `x` (none when absent).
template <class S>
std::vector<typename S::dot> dots_of(const S& s, const typename S::value_type& x) {
    for (const auto& [e, dots] : s.entries())
        if (e == x) return dots;
    return {};
}

std::vector<std::byte> leb128(std::uint64_t v) {
    std::vector<std::byte> out;
    do {
        const auto low = static_cast<std::uint8_t>(v & 0x7f);
        v >>= 7;
        out.push_back(std::byte{static_cast<std::uint8_t>(low | (v ? 0x80 : 0))});
    } while (v);
    return out;
}

}  // namespace

// --- examples ---------------------------------------------------------------

TEST_CASE("or_set doc example: an add concurrent with a remove survives it on both replicas", "[or_set][example]") {
    converge::or_set<std::string, std::string> a, b;
    b.merge(a.add("news", "eu-1"));
    auto gone = b.remove("news");        // b saw a's add, so it can remove it
    CHECK_FALSE(b.contains("news"));
    auto again = a.add("news", "eu-1");  // concurrent with the remove
    a.merge(gone);
    b.merge(again);
    CHECK(a.contains("news"));
    CHECK(b.contains("news"));
    CHECK(a == b);
}

TEST_CASE("a new or_set is bottom: no elements, no history", "[or_set]") {
    const set_u16 s;
    CHECK(s.empty());
    CHECK(s.size() == 0);
    CHECK_FALSE(s.contains(0));
    CHECK(s.elements().empty());
    CHECK(s.entries().empty());
    CHECK(s.context().empty());
    CHECK(s == set_u16{});
}

TEST_CASE("or_set add makes the element present and returns it with a fresh dot", "[or_set][add][delta]") {
    set_u16 s;
    const auto d1 = s.add(5, 1);
    CHECK(s.contains(5));
    CHECK(s.size() == 1);
    CHECK(d1.contains(5));
    CHECK(dots_of(d1, 5) == std::vector<dot_u32>{{1, 1}});
    CHECK(d1.context().ranges() == std::vector<range_u32>{{1, 1, 1}});

    const auto d2 = s.add(7, 1);  // the next dot of replica 1
    CHECK(dots_of(d2, 7) == std::vector<dot_u32>{{1, 2}});
    CHECK(elements_of(s) == std::vector<std::uint16_t>{5, 7});
    CHECK(s.context().ranges() == std::vector<range_u32>{{1, 1, 2}});
}

TEST_CASE("or_set elements and entries are in increasing order whatever the order of adds", "[or_set][elements]") {
    set_str s;
    for (const char* x : {"news", "about", "zoo", "home", "", "\xff"}) s.add(x, "r");
    CHECK(elements_of(s) == std::vector<std::string>{"", "about", "home", "news", "zoo", "\xff"});
    CHECK(s.size() == 6);
    for (const auto& [x, dots] : s.entries()) CHECK(dots.size() == 1);
}

TEST_CASE("or_set add of a present element replaces its dots and tells peers to drop the old ones",
          "[or_set][add][delta]") {
    set_u16 a;
    set_u16 b;
    set_u16 c;
    b.merge(a.add(3, 1));
    b.merge(c.add(3, 2));  // concurrent adds: b now holds 3 with dots 1.1 and 2.1
    CHECK(dots_of(b, 3) == std::vector<dot_u32>{{1, 1}, {2, 1}});

    const auto delta = b.add(3, 5);  // b's own, fresh dot 5.1 replaces both
    CHECK(dots_of(b, 3) == std::vector<dot_u32>{{5, 1}});
    CHECK(dots_of(delta, 3) == std::vector<dot_u32>{{5, 1}});
    // The delta's context names the superseded dots, so a peer holding them drops them.
    CHECK(delta.context().contains({1, 1}));
    CHECK(delta.context().contains({2, 1}));
    a.merge(delta);
    CHECK(dots_of(a, 3) == std::vector<dot_u32>{{5, 1}});
    c.merge(delta);
    CHECK(dots_of(c, 3) == std::vector<dot_u32>{{5, 1}});
    CHECK(merged(a, c) == b);
}

TEST_CASE("or_set remove takes the element away and returns its dots as context only", "[or_set][remove][delta]") {
    set_u16 s;
    s.add(1, 9);
    s.add(2, 9);
    const auto delta = s.remove(1);
    CHECK_FALSE(s.contains(1));
    CHECK(s.contains(2));
    CHECK(s.size() == 1);
    CHECK(delta.entries().empty());
    CHECK(delta.context().ranges() == std::vector<range_u32>{{9, 1, 1}});
    CHECK_FALSE(delta.empty());
}

TEST_CASE("or_set remove of an absent element is a no-op with an empty delta", "[or_set][remove][delta]") {
    set_u16 s;
    CHECK(s.remove(4).empty());
    CHECK(s.empty());
    s.add(1, 1);
    const set_u16 before = s;
    CHECK(s.remove(4).empty());
    s.remove(1);
    const set_u16 after = s;
    CHECK(s.remove(1).empty());  // removed already
    CHECK(s == after);
    CHECK(before != after);
}

TEST_CASE("an or_set whose elements were all removed has size 0 but is not bottom", "[or_set][remove]") {
    set_str s;
    s.add("a", "r");
    s.remove("a");
    CHECK(s.size() == 0);
    CHECK(s.elements().empty());
    CHECK_FALSE(s.empty());  // it remembers the removal
    CHECK(s != set_str{});
    // and the removal still works at a peer that holds the add
    set_str peer;
    peer.add("a", "r");
    peer.merge(s);
    CHECK_FALSE(peer.contains("a"));
}

TEST_CASE("or_set re-add after a remove makes the element present again everywhere", "[or_set][add][remove]") {
    set_str a;
    set_str b;
    b.merge(a.add("x", "a"));
    b.merge(a.remove("x"));
    CHECK_FALSE(b.contains("x"));
    const auto again = a.add("x", "a");
    CHECK(a.contains("x"));
    b.merge(again);
    CHECK(b.contains("x"));
    CHECK(a == b);
    // An old remove delivered late cannot take away the new add.
    set_str late;
    late.merge(again);
    CHECK(late.contains("x"));
}

TEST_CASE("or_set concurrent add and remove of the same element: the add wins in both merge orders",
          "[or_set][merge][add-wins]") {
    set_str a;
    set_str b;
    b.merge(a.add("x", "a"));
    const auto removed = b.remove("x");   // b observed a.1
    const auto added = a.add("x", "a");   // concurrently, a adds again (a.2)
    const set_str a2 = merged(a, removed);
    const set_str b2 = merged(b, added);
    CHECK(a2.contains("x"));
    CHECK(b2.contains("x"));
    CHECK(a2 == b2);

    // The same with a fresh add by a third replica, which b had not seen at all.
    set_str c;
    c.add("x", "c");
    CHECK(merged(merged(c, b), a) == merged(a, merged(b, c)));
    CHECK(merged(c, removed).contains("x"));
}

TEST_CASE("or_set remove takes away only the adds it observed", "[or_set][remove][add-wins]") {
    set_u16 a;
    set_u16 b;
    set_u16 c;
    a.merge(c.add(1, 3));         // a sees c's add of 1 (3.1)
    b.add(1, 2);                  // b adds 1 on its own (2.1), unseen by a
    const auto gone = a.remove(1);  // removes 3.1 only
    c.merge(gone);
    CHECK_FALSE(c.contains(1));
    b.merge(gone);
    CHECK(b.contains(1));
    CHECK(dots_of(b, 1) == std::vector<dot_u32>{{2, 1}});
    a.merge(b);
    a.merge(c);
    CHECK(a.contains(1));
    CHECK(dots_of(a, 1) == std::vector<dot_u32>{{2, 1}});
}

TEST_CASE("or_set merge with itself or with bottom changes nothing", "[or_set][merge]") {
    set_str s;
    s.add("a", "r");
    s.add("b", "q");
    s.remove("a");
    CHECK(merged(s, s) == s);
    CHECK(merged(s, set_str{}) == s);
    CHECK(merged(set_str{}, s) == s);
    set_str self = s;
    self.merge(self);
    CHECK(self == s);
}

TEST_CASE("or_set context stays one run per replica after many add and remove cycles: no tombstones",
          "[or_set][context]") {
    set_u16 a;
    set_u16 b;
    set_u16 c;
    set_u16 observer;  // receives every delta, in order
    std::mt19937 rng(7);
    for (int i = 0; i < 3000; ++i) {
        set_u16* who[] = {&a, &b, &c};
        const std::size_t k = rng() % 3;
        const auto x = static_cast<std::uint16_t>(rng() % 50);
        const set_u16 delta = rng() % 2 == 0 ? who[k]->add(x, static_cast<std::uint32_t>(k)) : who[k]->remove(x);
        observer.merge(delta);
        for (set_u16* peer : who)
            if (peer != who[k]) peer->merge(delta);
    }
    // Remove everything that is left.
    for (const auto x : elements_of(a)) {
        const auto delta = a.remove(x);
        observer.merge(delta);
        b.merge(delta);
        c.merge(delta);
    }
    CHECK(a.size() == 0);
    CHECK(a == b);
    CHECK(b == c);
    CHECK(c == observer);
    // Three replicas: three runs, whatever the thousands of dots added and removed.
    REQUIRE(a.context().ranges().size() == 3);
    for (const auto& r : a.context().ranges()) CHECK(r.first == 1);
    CHECK(encode(a).size() < 32);
}

TEST_CASE("or_set deltas arriving out of order leave a gap run that folds once the gap fills",
          "[or_set][context][delta]") {
    set_u16 writer;
    const auto d1 = writer.add(10, 4);
    const auto d2 = writer.add(20, 4);
    const auto d3 = writer.add(30, 4);
    const auto d4 = writer.remove(10);

    set_u16 peer;
    peer.merge(d3);
    CHECK(peer.context().ranges() == std::vector<range_u32>{{4, 3, 3}});
    peer.merge(d1);
    CHECK(peer.context().ranges() == std::vector<range_u32>{{4, 1, 1}, {4, 3, 3}});
    CHECK(elements_of(peer) == std::vector<std::uint16_t>{10, 30});
    peer.merge(d4);  // the remove of 10 arrives before 20's add: it names a dot the peer holds
    CHECK(elements_of(peer) == std::vector<std::uint16_t>{30});
    peer.merge(d2);
    CHECK(peer.context().ranges() == std::vector<range_u32>{{4, 1, 3}});
    CHECK(elements_of(peer) == std::vector<std::uint16_t>{20, 30});
    CHECK(peer == writer);
}

TEST_CASE("or_set a remove delta that arrives before the add it removes makes the late add stay removed",
          "[or_set][context][delta]") {
    set_str a;
    set_str b;
    const auto add = a.add("x", "a");
    b.merge(add);
    const auto gone = b.remove("x");
    set_str c;
    c.merge(gone);  // c learns of dot a.1 only as removed
    CHECK_FALSE(c.contains("x"));
    c.merge(add);   // the add arrives late: already seen, so it stays removed
    CHECK_FALSE(c.contains("x"));
    CHECK(c == b);
}

TEST_CASE("or_set delta_for ships what the peer lacks: unseen adds, unapplied removes, nothing more",
          "[or_set][delta]") {
    set_str a;
    a.add("x", "a");
    a.add("y", "a");

    SECTION("to bottom: the whole state") { CHECK(a.delta_for(set_str{}) == a); }

    SECTION("to itself or a peer ahead: nothing") {
        CHECK(a.delta_for(a).empty());
        set_str ahead = a;
        ahead.add("z", "b");
        CHECK(a.delta_for(ahead).empty());
    }

    SECTION("to a peer that lacks one add: that element with its dot") {
        set_str peer;
        peer.add("x", "a");  // the same dot a.1 on the same element
        const auto d = a.delta_for(peer);
        CHECK(elements_of(d) == std::vector<std::string>{"y"});
        CHECK(d.context().ranges().size() == 1);
        CHECK(merged(peer, d) == merged(peer, a));
    }

    SECTION("to a peer that missed a remove: the removed dot as context, and no element") {
        const set_str peer = a;
        a.remove("x");
        const auto d = a.delta_for(peer);
        CHECK(d.entries().empty());
        CHECK(d.context().contains({"a", 1}));
        CHECK_FALSE(d.context().contains({"a", 2}));
        const auto caught_up = merged(peer, d);
        CHECK_FALSE(caught_up.contains("x"));
        CHECK(caught_up == a);
    }

    SECTION("to a peer with a concurrent add: only a's part, and the peer's add survives") {
        set_str peer;
        peer.add("x", "b");
        const auto d = a.delta_for(peer);
        CHECK(d == a);
        const auto both = merged(peer, d);
        CHECK(dots_of(both, "x") == std::vector<detail::dot<std::string>>{{"a", 1}, {"b", 1}});
    }
}

TEST_CASE("or_set merging a small delta into a large set equals merging the set into the delta",
          "[or_set][merge]") {
    // Deltas of at most a few elements into a set eight times larger take a lookup path in
    // merge; the other order takes the linear pass. Both must agree.
    set_u16 big;
    for (std::uint16_t x = 0; x < 100; ++x) big.add(x, x % 3);
    set_u16 peer = big;
    std::vector<set_u16> deltas;
    deltas.push_back(peer.remove(5));
    deltas.push_back(peer.add(7, 9));
    deltas.push_back(peer.add(500, 9));
    deltas.push_back(peer.add(0, 9));
    deltas.push_back(peer.remove(99));
    set_u16 several;
    for (const auto& d : deltas) several.merge(d);
    deltas.push_back(several);
    set_u16 fresh;  // elements and dots the big set has never seen
    for (std::uint16_t x = 200; x < 205; ++x) fresh.add(x, 8);
    fresh.merge(merged(set_u16{}, peer.remove(50)));
    deltas.push_back(fresh);

    for (const auto& d : deltas) {
        CAPTURE(elements_of(d));
        CHECK(merged(big, d) == merged(d, big));
    }
    set_u16 all = big;
    for (const auto& d : deltas) all.merge(d);
    CHECK(all.contains(500));
    CHECK_FALSE(all.contains(5));
    CHECK_FALSE(all.contains(50));
    CHECK(all.contains(204));
}

TEST_CASE("or_set add throws overflow_error and changes nothing when the replica's dots run out",
          "[or_set][add][overflow]") {
    // A state whose context already holds every dot 1..2^64-1 of replica 1, built from its
    // encoding: context (1 run: replica 1, first 1, last - first), then no elements.
    auto bytes = encode(set_u16{});
    bytes.pop_back();  // the empty context count
    bytes.pop_back();  // the empty element count
    for (const auto& part : {leb128(1), leb128(1), leb128(1), leb128(std::numeric_limits<std::uint64_t>::max() - 1),
                             leb128(0)})
        bytes.insert(bytes.end(), part.begin(), part.end());
    auto decoded = decode<set_u16>(bytes);
    REQUIRE(decoded.has_value());
    set_u16 s = *decoded;
    const set_u16 before = s;
    CHECK_THROWS_AS(s.add(3, 1), overflow_error);
    CHECK(s == before);
    CHECK_FALSE(s.contains(3));
    // Another replica can still add.
    CHECK_NOTHROW(s.add(3, 2));
    CHECK(s.contains(3));
}

TEST_CASE("or_set encodes as tag 10 and decodes back to an equal set", "[or_set][encoding]") {
    set_str s;
    s.add("news", "eu-1");
    s.add("home", "us-1");
    s.remove("news");
    const auto bytes = encode(s);
    CHECK(std::to_integer<int>(bytes[2]) == 10);
    CHECK(decode<set_str>(bytes).value() == s);
    CHECK(decode<set_str>(encode(set_str{})).value() == set_str{});
}

TEST_CASE("or_set nests in a g_map: update adds and removes, and removals replicate", "[or_set][g_map][nested]") {
    using subscriptions = g_map<std::string, or_set<std::string, std::uint64_t>>;
    subscriptions eu;
    subscriptions us;
    const auto d1 = eu.update("ann", [](auto& s) { return s.add("news", 1); });
    const auto d2 = eu.update("ann", [](auto& s) { return s.add("home", 1); });
    const auto d3 = us.update("bob", [](auto& s) { return s.add("news", 2); });
    us.merge(d1);
    us.merge(d2);
    eu.merge(d3);
    CHECK(eu == us);
    REQUIRE(eu.find("ann") != nullptr);
    CHECK(eu.find("ann")->size() == 2);

    // A remove through update replicates as a context-only delta under the key.
    const auto gone = us.update("ann", [](auto& s) { return s.remove("news"); });
    REQUIRE(gone.find("ann") != nullptr);
    CHECK(gone.find("ann")->entries().empty());
    eu.merge(gone);
    CHECK_FALSE(eu.find("ann")->contains("news"));
    CHECK(eu.find("ann")->contains("home"));

    // A remove at a key never written stores nothing and returns an empty delta.
    CHECK(eu.update("carol", [](auto& s) { return s.remove("news"); }).empty());
    CHECK(eu.find("carol") == nullptr);

    // Removing the last element keeps the key: its set remembers the removal.
    const auto last = eu.update("bob", [](auto& s) { return s.remove("news"); });
    REQUIRE(eu.find("bob") != nullptr);
    CHECK(eu.find("bob")->size() == 0);
    us.merge(last);
    CHECK(eu == us);
    CHECK(us.delta_for(eu).empty());
    CHECK(decode<subscriptions>(encode(us)).value() == us);
}

// --- add-wins against a sequential model -------------------------------------

namespace {

/// An add, named independently of the library: the `seq`-th add by replica `replica`.
struct tag {
    std::uint32_t replica;
    std::uint64_t seq;
    friend auto operator<=>(const tag&, const tag&) = default;
};

/// The textbook observed-remove set with tombstones: every add ever seen, with its tag, and
/// every tag ever removed. An element is present iff one of its adds has not been removed.
struct model {
    std::set<std::pair<std::uint16_t, tag>> adds;
    std::set<tag> removed;

    void add(std::uint16_t x, tag t) { adds.insert({x, t}); }
    /// Removes the adds of `x` seen here, and only those.
    void remove(std::uint16_t x) {
        for (const auto& [e, t] : adds)
            if (e == x) removed.insert(t);
    }
    void merge(const model& o) {
        adds.insert(o.adds.begin(), o.adds.end());
        removed.insert(o.removed.begin(), o.removed.end());
    }
    [[nodiscard]] std::vector<std::uint16_t> elements() const {
        std::set<std::uint16_t> out;
        for (const auto& [e, t] : adds)
            if (!removed.contains(t)) out.insert(e);
        return {out.begin(), out.end()};
    }
    [[nodiscard]] bool live(std::uint16_t x, tag t) const { return adds.contains({x, t}) && !removed.contains(t); }
};

/// A replica's dots must name live adds of the model, and its elements must be the model's.
void check_against(const set_u16& s, const model& m) {
    RC_ASSERT(elements_of(s) == m.elements());
    for (const auto& [x, dots] : s.entries())
        for (const auto& d : dots) RC_ASSERT(m.live(x, tag{d.replica, d.counter}));
}

struct step {
    std::uint8_t kind;  // 0-2: add, 3-4: remove, 5: merge a full state, 6: merge delta_for
    std::size_t replica;
    std::size_t other;
    std::uint16_t element;
};

rc::Gen<std::vector<step>> gen_steps(std::size_t replicas) {
    return rc::gen::container<std::vector<step>>(rc::gen::construct<step>(
        rc::gen::inRange<std::uint8_t>(0, 7), rc::gen::inRange<std::size_t>(0, replicas),
        rc::gen::inRange<std::size_t>(0, replicas), rc::gen::inRange<std::uint16_t>(0, 12)));
}

}  // namespace

TEST_CASE("or_set at one replica behaves like std::set", "[or_set][property]") {
    rc::prop("adds and removes at one replica give the elements of std::set", [] {
        const auto history = *rc::gen::container<std::vector<std::pair<bool, std::uint16_t>>>(
            rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange<std::uint16_t>(0, 40)));
        set_u16 s;
        std::set<std::uint16_t> expected;
        for (const auto& [add, x] : history) {
            const bool was = expected.contains(x);
            const set_u16 delta = add ? s.add(x, 1) : s.remove(x);
            if (add) expected.insert(x);
            else expected.erase(x);
            RC_ASSERT(delta.empty() == (!add && !was));
            RC_ASSERT(s.contains(x) == add);
            RC_ASSERT(s.size() == expected.size());
        }
        RC_ASSERT(elements_of(s) == std::vector<std::uint16_t>(expected.begin(), expected.end()));
        // One replica, however many adds and removes: one run in the context, or none.
        RC_ASSERT(s.context().ranges().size() <= 1);
    });
}

TEST_CASE("or_set replicas with random ops and merges agree with the observed-remove model", "[or_set][property]") {
    rc::prop("an element is present iff some add of it was not observed by a remove of it", [] {
        const auto n = *rc::gen::inRange<std::size_t>(2, 5);
        const auto steps = *gen_steps(n);
        std::vector<set_u16> replicas(n);
        std::vector<model> models(n);
        std::vector<std::uint64_t> adds(n, 0);
        for (const step& s : steps) {
            set_u16& r = replicas[s.replica];
            model& m = models[s.replica];
            if (s.kind <= 2) {
                r.add(s.element, static_cast<std::uint32_t>(s.replica));
                m.add(s.element, tag{static_cast<std::uint32_t>(s.replica), ++adds[s.replica]});
            } else if (s.kind <= 4) {
                r.remove(s.element);
                m.remove(s.element);
            } else {
                const set_u16 from = replicas[s.other];  // a copy: other may be this replica
                r.merge(s.kind == 5 ? from : from.delta_for(r));
                m.merge(models[s.other]);
            }
            check_against(r, m);
        }
        set_u16 all;
        model everything;
        for (std::size_t i = 0; i < n; ++i) {
            all.merge(replicas[i]);
            everything.merge(models[i]);
        }
        check_against(all, everything);
        // Merged in the other order, the result is the same.
        set_u16 reversed;
        for (std::size_t i = n; i-- > 0;) reversed.merge(replicas[i]);
        RC_ASSERT(reversed == all);
    });
}

TEST_CASE("or_set deltas delivered in any order, with duplicates, equal the merged full states",
          "[or_set][property][delta]") {
    rc::prop("a fresh replica fed every delta shuffled and duplicated equals the join of the replicas", [] {
        const auto n = *rc::gen::inRange<std::size_t>(1, 5);
        const auto steps = *gen_steps(n);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        std::vector<set_u16> replicas(n);
        std::vector<set_u16> deltas;
        for (const step& s : steps) {
            set_u16& r = replicas[s.replica];
            if (s.kind <= 2) deltas.push_back(r.add(s.element, static_cast<std::uint32_t>(s.replica)));
            else if (s.kind <= 4) deltas.push_back(r.remove(s.element));
            else r.merge(replicas[s.other].delta_for(r));  // merges make no new deltas
        }
        set_u16 full;
        for (const auto& r : replicas) full.merge(r);

        std::mt19937_64 rng(seed);
        std::vector<set_u16> network = deltas;
        for (const auto& d : deltas)
            if (rng() % 3 == 0) network.push_back(d);
        std::shuffle(network.begin(), network.end(), rng);
        set_u16 fresh;
        for (const auto& d : network) fresh.merge(d);
        RC_ASSERT(fresh == full);

        // Batched: the deltas joined in random groups first, then the groups in random order.
        std::shuffle(network.begin(), network.end(), rng);
        std::vector<set_u16> groups(3);
        for (const auto& d : network) groups[rng() % 3].merge(d);
        set_u16 batched;
        for (const auto& g : groups) batched.merge(g);
        RC_ASSERT(batched == full);
    });
}

TEST_CASE("or_set small deltas merged into large sets agree with the linear merge", "[or_set][property][merge]") {
    // merge takes a lookup path when the other side has at most 8 elements and 8 times fewer
    // than *this; merged(d, big) always takes the linear pass, so the two must be equal.
    rc::prop("big.merge(d) == d.merge(big) for deltas, batches of deltas and delta_for", [] {
        const auto base_size = *rc::gen::inRange<std::uint16_t>(20, 150);
        const auto steps = *gen_steps(3);
        std::vector<set_u16> replicas(3);
        for (std::uint16_t x = 0; x < base_size; ++x) replicas[x % 3].add(static_cast<std::uint16_t>(x * 2), x % 3);
        for (auto& r : replicas)
            for (const auto& other : std::vector<set_u16>(replicas)) r.merge(other);
        std::vector<set_u16> deltas;
        set_u16 batch;
        for (const step& s : steps) {
            set_u16& r = replicas[s.replica];
            const auto x = static_cast<std::uint16_t>(s.element * 7 % (2 * base_size + 10));  // old and new elements
            set_u16 d;
            if (s.kind <= 2) d = r.add(x, static_cast<std::uint32_t>(s.replica));
            else if (s.kind <= 4) d = r.remove(x);
            else d = replicas[s.other].delta_for(r);
            deltas.push_back(d);
            batch.merge(d);
            if (batch.size() >= 4) {
                deltas.push_back(batch);
                batch = set_u16{};
            }
            r.merge(d);
        }
        for (const auto& d : deltas)
            for (const auto& r : replicas) RC_ASSERT(merged(r, d) == merged(d, r));
    });
}

TEST_CASE("dot_context insert_range of each run of another context equals merging that context, and minus "
          "leaves exactly the dots the other lacks",
          "[or_set][context][property]") {
    // presence_map adds a delta's few runs to a large context with insert_range instead of a
    // merge, and delta_for's minus searches the other context instead of walking it.
    using context = detail::dot_context<std::uint32_t>;
    const auto gen_runs = rc::gen::container<std::vector<range_u32>>(rc::gen::map(
        rc::gen::tuple(rc::gen::inRange<std::uint32_t>(0, 4), rc::gen::inRange<std::uint64_t>(1, 40),
                       rc::gen::inRange<std::uint64_t>(0, 10), rc::gen::inRange(0, 20)),
        [](const std::tuple<std::uint32_t, std::uint64_t, std::uint64_t, int>& t) {
            const auto [replica, first, length, unbounded] = t;
            // Now and then a run to the largest counter, where `last + 1` would wrap.
            return range_u32{replica, first, unbounded == 0 ? std::numeric_limits<std::uint64_t>::max() : first + length};
        }));
    rc::prop("for runs drawn at random, overlapping, touching and apart", [&] {
        context a, b;
        for (const range_u32& r : *gen_runs) a.merge(context::from_canonical({r}));
        for (const range_u32& r : *gen_runs) b.merge(context::from_canonical({r}));
        context inserted = a;
        for (const range_u32& r : b.ranges()) {
            inserted.reserve_more(1);
            inserted.insert_range(r);
        }
        context joined = a;
        joined.merge(b);
        RC_ASSERT(inserted == joined);
        const context rest = a.minus(b);
        for (std::uint32_t replica = 0; replica < 4; ++replica)
            for (std::uint64_t counter = 1; counter < 60; ++counter) {
                const dot_u32 d{replica, counter};
                RC_ASSERT(rest.contains(d) == (a.contains(d) && !b.contains(d)));
            }
    });
}
