// presence_map examples and properties: gauges without tombstones, refused writes, retirement, the horizon and its contract, a million joins and leaves, and merge against a reference join.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include "support/crdt_ops.hpp"

#include <converge/anti_entropy.hpp>
#include <converge/delta_crdt.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/presence_map.hpp>

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

// Aliases keep commas out of the Catch macros.
using pm = presence_map<std::string, std::uint32_t>;
using pm_u8 = presence_map<std::string, std::uint32_t, std::uint8_t>;
using pm_u16 = presence_map<std::string, std::uint32_t, std::uint16_t>;

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

/// (replica, first, last) of every run of the context.
template <class M>
std::vector<std::tuple<typename M::replica_type, std::uint64_t, std::uint64_t>> runs_of(const M& m) {
    std::vector<std::tuple<typename M::replica_type, std::uint64_t, std::uint64_t>> out;
    for (const auto& r : m.context().ranges()) out.emplace_back(r.replica, r.first, r.last);
    return out;
}

}  // namespace

static_assert(delta_crdt<pm>);
static_assert(wire_encodable<pm>);

// --- examples ---------------------------------------------------------------

TEST_CASE("presence_map doc example: joins and leaves through two replicas, then one replica retires",
          "[presence_map][example]") {
    converge::presence_map<std::string, std::uint32_t> a, b;
    b.merge(a.increment("home", 1));          // a viewer joins through replica 1
    auto two = b.increment("home", 2, 2);     // two more through replica 2
    CHECK(b.value("home") == 3);
    b.merge(a.decrement("home", 1));          // the first leaves
    CHECK(b.value("home") == 2);
    a.merge(two);
    CHECK(a.value("home") == 2);
    a.merge(b.retire(2, /*at*/ 1700000000));  // replica 2 died
    CHECK(a.value("home") == 0);
    CHECK(b.value("home") == 0);
    CHECK(a == b);
    CHECK(a.size() == 0);
    CHECK(a.is_retired(2));
}

TEST_CASE("a new presence_map is bottom: no gauges, no history, no markers, horizon 0", "[presence_map]") {
    const pm m;
    CHECK(m.empty());
    CHECK(m.size() == 0);
    CHECK(m.value("home") == 0);
    CHECK(m.gauge("home", 1) == 0);
    CHECK(m.context().empty());
    CHECK(m.retired().empty());
    CHECK(m.horizon() == 0);
    CHECK_FALSE(m.is_retired(1));
    CHECK(m.delta_for(m).empty());
}

TEST_CASE("presence_map sums the gauges of a key as a 128-bit value, each replica's newest write counting once",
          "[presence_map]") {
    presence_map<std::string, std::uint32_t> m;
    m.set("home", 1, std::numeric_limits<std::uint64_t>::max());
    m.set("home", 2, std::numeric_limits<std::uint64_t>::max());
    m.set("home", 3, 5);
    m.set("news", 1, 7);
    CHECK(m.value("home") == uint128{std::numeric_limits<std::uint64_t>::max()} * 2 + 5);
    CHECK(m.value("news") == 7);
    CHECK(m.value("none") == 0);
    m.set("home", 1, 1);  // a newer write replaces the older one
    CHECK(m.value("home") == uint128{std::numeric_limits<std::uint64_t>::max()} + 6);
    CHECK(m.gauge("home", 1) == 1);
    CHECK(m.size() == 4);
}

TEST_CASE("each write returns its delta: the new entry with the dot it supersedes as context", "[presence_map][delta]") {
    pm m;
    const pm d1 = m.set("home", 7, 3);
    REQUIRE(d1.size() == 1);
    CHECK(d1.entries()[0] == pm::entry{"home", 7, 1, 3});
    CHECK(runs_of(d1) == runs_of(m));

    const pm d2 = m.increment("home", 7, 2);
    REQUIRE(d2.size() == 1);
    CHECK(d2.entries()[0] == pm::entry{"home", 7, 2, 5});
    // The superseded dot (7, 1) travels as context, so a peer holding it drops it.
    CHECK(runs_of(d2) == std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>>{{7, 1, 2}});

    pm peer;
    peer.merge(d1);
    peer.merge(d2);
    CHECK(peer == m);
    CHECK(peer.value("home") == 5);

    // Writing the gauge it already has changes nothing and says so.
    CHECK(m.set("home", 7, 5).empty());
    CHECK(m.increment("home", 7, 0).empty());
    CHECK(m.decrement("home", 7, 0).empty());
    CHECK(m.set("other", 7, 0).empty());
    CHECK(m == peer);
}

TEST_CASE("a gauge set to 0 leaves no entry and no tombstone, only its dot inside the replica's one run",
          "[presence_map][tombstones]") {
    pm m;
    pm peer;
    for (int i = 0; i < 100; ++i) {
        peer.merge(m.increment("home", 1));
        peer.merge(m.decrement("home", 1));
    }
    CHECK(m.size() == 0);
    CHECK(m.value("home") == 0);
    CHECK(runs_of(m) == std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>>{{1, 1, 100}});
    CHECK(peer == m);
    CHECK_FALSE(m.empty());  // it remembers the history, as one run
    // The removal delta is context only.
    m.increment("home", 1);
    const pm leave = m.decrement("home", 1);
    CHECK(leave.size() == 0);
    CHECK(runs_of(leave) == std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>>{{1, 101, 101}});
}

TEST_CASE("a replica that drops its state and starts a fresh one resumes after its old counters, so peers keep its writes",
          "[presence_map][resume]") {
    pm old_state;
    pm peer;
    peer.merge(old_state.increment("home", 1));
    peer.merge(old_state.decrement("home", 1));
    const std::uint64_t last = old_state.latest_counter(1);
    CHECK(last == 1);  // a gauge set to 0 takes no new dot
    CHECK(old_state.latest_counter(7) == 0);

    // Without resume_after a fresh state reuses dot (1, 1), which the peer has seen: it drops the write.
    pm careless;
    peer.merge(careless.increment("home", 1));
    CHECK(careless.value("home") == 1);
    CHECK(peer.value("home") == 0);

    pm fresh;
    const pm skipped = fresh.resume_after(1, last);
    CHECK(runs_of(skipped) == std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>>{{1, 1, 1}});
    CHECK(skipped.size() == 0);
    CHECK(fresh.resume_after(1, last).empty());  // already seen: no delta
    CHECK(fresh.resume_after(1, 0).empty());
    const pm join = fresh.increment("home", 1);
    CHECK(join.entries().front().counter == last + 1);
    peer.merge(skipped);
    peer.merge(join);
    CHECK(peer.value("home") == 1);
    CHECK(fresh.value("home") == 1);

    // The skipped range supersedes an entry of the replica it covers, wherever it is merged.
    pm with_entry;
    with_entry.merge(pm{}.increment("away", 1));  // counter 1 of replica 1
    with_entry.merge(skipped);
    CHECK(with_entry.value("away") == 0);

    // A retired replica cannot resume.
    pm retired;
    retired.retire(1, 10);
    CHECK_THROWS_AS(retired.resume_after(1, 5), retired_error);
}

TEST_CASE("an increment past the maximum or a decrement below 0 is refused and changes nothing",
          "[presence_map][errors]") {
    pm_u8 m;
    m.set("home", 1, 250);
    const pm_u8 before = m;
    CHECK_THROWS_AS(m.increment("home", 1, 6), overflow_error);
    CHECK(m == before);
    CHECK_THROWS_AS(m.decrement("home", 1, 251), underflow_error);
    CHECK_THROWS_AS(m.decrement("other", 1, 1), underflow_error);
    CHECK(m == before);
    CHECK(m.increment("home", 1, 5).entries().front().gauge == 255);
    CHECK(m.decrement("home", 1, 255).size() == 0);
    CHECK(m.size() == 0);
    // underflow_error is a std::underflow_error, overflow_error a std::overflow_error.
    CHECK_THROWS_AS(m.decrement("home", 1), std::underflow_error);
}

TEST_CASE("a retired replica's writes throw retired_error and leave the state unchanged", "[presence_map][retire]") {
    pm m;
    m.set("home", 1, 2);
    m.retire(1, 10);
    const pm before = m;
    CHECK_THROWS_AS(m.set("home", 1, 3), retired_error);
    CHECK_THROWS_AS(m.increment("home", 1), retired_error);
    CHECK_THROWS_AS(m.decrement("home", 1, 0), retired_error);
    CHECK(m == before);
}

TEST_CASE("retire drops the replica's gauges and history everywhere, and keeps its late deltas out",
          "[presence_map][retire]") {
    pm a;
    pm b;
    const pm early = a.set("home", 1, 2);
    a.set("news", 1, 1);
    const pm late = a.set("about", 1, 4);  // replica 1 writes on, not knowing it is retired
    b.merge(early);
    b.set("home", 2, 3);
    const pm r = b.retire(1, 100);
    CHECK(b.value("home") == 3);
    CHECK(b.is_retired(1));
    CHECK(r.retired() == std::vector<pm::retirement>{{1, 100}});
    CHECK(r.size() == 0);
    CHECK(r.context().empty());
    // Replica 1's history is gone from the context: the marker stands for it.
    CHECK(runs_of(b) == std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>>{{2, 1, 1}});

    b.merge(late);  // dropped on arrival
    CHECK(b.value("about") == 0);
    CHECK(b.size() == 1);
    a.merge(r);
    CHECK(a.size() == 0);
    a.merge(b);
    b.merge(a);
    CHECK(a == b);
    CHECK(a.value("home") == 3);
    CHECK(a.context().max_of(1) == 0);
}

TEST_CASE("retiring again keeps the later time, and a time before the horizon counts as the horizon",
          "[presence_map][retire][horizon]") {
    pm m;
    CHECK_FALSE(m.retire(1, 50).empty());
    CHECK(m.retire(1, 40).empty());
    CHECK(m.retire(1, 50).empty());
    const pm later = m.retire(1, 60);
    CHECK(later.retired() == std::vector<pm::retirement>{{1, 60}});
    CHECK(m.retired() == std::vector<pm::retirement>{{1, 60}});

    CHECK(m.collect_retired(100).horizon() == 100);
    CHECK(m.retired().empty());
    m.retire(2, 30);
    CHECK(m.retired() == std::vector<pm::retirement>{{2, 100}});
    m.collect_retired(101);
    CHECK(m.retired().empty());
}

TEST_CASE("collect_retired raises the horizon and forgets older markers; the horizon spreads and stale markers stay out",
          "[presence_map][horizon]") {
    pm a;
    pm b;
    b.set("home", 3, 1);
    a.merge(b);
    const pm r1 = a.retire(1, 10);
    const pm r2 = a.retire(2, 20);
    b.merge(r1);
    b.merge(r2);
    CHECK(a.retired().size() == 2);

    const pm h = a.collect_retired(15);
    CHECK(h.horizon() == 15);
    CHECK(h.retired().empty());
    CHECK(h.size() == 0);
    CHECK(h.context().empty());
    CHECK(a.retired() == std::vector<pm::retirement>{{2, 20}});
    CHECK_FALSE(a.is_retired(1));
    CHECK(a.collect_retired(15).empty());
    CHECK(a.collect_retired(5).empty());

    b.merge(h);
    CHECK(b.retired() == std::vector<pm::retirement>{{2, 20}});
    CHECK(a == b);
    // A stale copy of the collected marker arrives late: its time is before the horizon.
    b.merge(r1);
    CHECK(b == a);
    CHECK(a.delta_for(pm{}).retired() == std::vector<pm::retirement>{{2, 20}});
    CHECK(a.value("home") == 1);
}

TEST_CASE("a replica cut off longer than the horizon brings its retired gauges back if it merges its old state, "
          "and not if it rejoins empty under a new id",
          "[presence_map][horizon][contract]") {
    pm cluster;
    pm cut_off;
    cluster.merge(cut_off.set("home", 9, 4));  // replica 9's viewers, seen by the cluster
    const pm unseen = cut_off.set("home", 9, 5);  // written during the partition
    cluster.retire(9, 100);                        // the cluster gives up on replica 9
    CHECK(cluster.value("home") == 0);
    cluster.collect_retired(200);                  // ... and, after the horizon, forgets it
    CHECK(cluster.retired().empty());
    (void)unseen;

    SECTION("merging the old state breaks the contract: the gauge comes back") {
        CHECK(merged(cluster, cut_off).value("home") == 5);
    }
    SECTION("rejoining from an empty state under a new id counts exactly") {
        pm fresh = cluster;  // what it fetches from a peer
        fresh.merge(fresh.set("home", 10, 5));
        CHECK(fresh.value("home") == 5);
        CHECK(merged(cluster, fresh).value("home") == 5);
    }
    SECTION("within the horizon the marker tells it that it was retired") {
        pm before_collect;
        before_collect.merge(cut_off.delta_for(before_collect));
        before_collect.retire(9, 100);
        cut_off.merge(before_collect);
        CHECK(cut_off.is_retired(9));
        CHECK(cut_off.value("home") == 0);
    }
}

TEST_CASE("a superseded write that arrives late does not replace the newer one", "[presence_map][order]") {
    pm writer;
    const pm d1 = writer.set("home", 1, 1);
    const pm d2 = writer.set("home", 1, 2);
    const pm d3 = writer.set("home", 1, 3);
    const pm gone = writer.set("home", 1, 0);

    pm peer;
    peer.merge(d3);
    peer.merge(d1);  // (1, 1) is not in d3's context: held beside (1, 3) until d2 says otherwise
    CHECK(peer.value("home") == 3);
    CHECK(peer.gauge("home", 1) == 3);
    CHECK(peer.size() == 2);
    peer.merge(d2);
    CHECK(peer.size() == 1);
    CHECK(peer.value("home") == 3);
    peer.merge(gone);
    CHECK(peer.value("home") == 0);
    CHECK(peer == writer);
    // Any order of the same deltas ends in the same state.
    pm other;
    for (const pm* d : {&gone, &d2, &d3, &d1}) other.merge(*d);
    CHECK(other == writer);
}

TEST_CASE("delta_for ships the gauges, removals and markers a peer lacks and nothing it has",
          "[presence_map][delta]") {
    pm a;
    a.set("home", 1, 2);
    a.set("news", 1, 1);
    pm b = a;
    a.set("news", 1, 0);  // b has not seen the leave
    a.set("about", 1, 3);
    a.retire(5, 7);
    const pm d = a.delta_for(b);
    CHECK(d.size() == 1);  // "about"; the leave of "news" is context only
    CHECK(d.retired() == std::vector<pm::retirement>{{5, 7}});
    CHECK(merged(b, d) == merged(b, a));
    CHECK(a.delta_for(merged(b, a)).empty());
}

TEST_CASE("presence_map works with anti_entropy", "[presence_map][anti_entropy]") {
    anti_entropy<pm, int> x(1);
    anti_entropy<pm, int> y(2);
    x.connect(2);
    y.connect(1);
    x.update([](pm& s) { return s.increment("home", 1, 2); });
    y.update([](pm& s) { return s.increment("home", 2); });
    y.receive(1, x.message_for(2));
    x.receive(2, y.message_for(1));
    x.update([](pm& s) { return s.decrement("home", 1); });
    y.receive(1, x.message_for(2));
    CHECK(x.state() == y.state());
    CHECK(y.state().value("home") == 2);
    const auto wire = encode(x.message_for(2));
    CHECK(decode<anti_entropy<pm, int>::message>(wire).has_value());
}

// --- a million joins and leaves ---------------------------------------------

TEST_CASE("1,000,000 join/leave cycles over 100,000 keys leave the state as small as what is live",
          "[presence_map][tombstones][size]") {
    using map = presence_map<std::uint32_t, std::uint32_t>;
    constexpr std::uint32_t keys = 100'000;
    constexpr std::uint32_t replicas = 4;
    constexpr std::size_t open_target = 1'000;  // sessions open at any time
    constexpr int cycles = 1'000'000;

    std::mt19937_64 rng(14);
    map state;  // every replica's writes, as a replica sees them once all deltas are merged
    map peer;   // kept in sync by anti-entropy, as a second replica would be
    std::vector<std::pair<std::uint32_t, std::uint32_t>> open;  // (key, replica) of each open session
    std::vector<std::uint64_t> sessions(std::size_t{keys} * replicas);  // the model: open sessions per (key, replica)
    const auto sessions_at = [&](std::uint32_t key, std::uint32_t replica) -> std::uint64_t& {
        return sessions[std::size_t{key} * replicas + replica - 1];
    };
    for (int i = 0; i < cycles; ++i) {
        const auto key = static_cast<std::uint32_t>(rng() % keys);
        const auto replica = static_cast<std::uint32_t>(1 + rng() % replicas);
        state.increment(key, replica);  // a join
        open.emplace_back(key, replica);
        ++sessions_at(key, replica);
        if (open.size() > open_target) {  // a random open session leaves
            const std::size_t j = rng() % open.size();
            const auto [k, r] = open[j];
            open[j] = open.back();
            open.pop_back();
            state.decrement(k, r);
            --sessions_at(k, r);
        }
        if (i % 20'000 == 0) peer.merge(state.delta_for(peer));
    }
    peer.merge(state.delta_for(peer));
    REQUIRE(peer == state);
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> live;
    for (std::uint32_t k = 0; k < keys; ++k)
        for (std::uint32_t r = 1; r <= replicas; ++r)
            if (sessions_at(k, r) != 0) live[{k, r}] = sessions_at(k, r);

    // What is live: one entry per (key, replica) with open sessions, and one run per replica.
    REQUIRE(state.size() == live.size());
    for (const auto& [at, n] : live) REQUIRE(state.gauge(at.first, at.second) == n);
    REQUIRE(state.context().ranges().size() == replicas);

    // The same gauges written directly, by replicas whose counters stand where these do (their
    // history is one run each, as above): the same entries and the same bytes.
    map direct = state;
    for (const auto& [at, n] : live) direct.set(at.first, at.second, 0);
    REQUIRE(direct.size() == 0);
    for (const auto& [at, n] : live) direct.set(at.first, at.second, n);
    CHECK(direct.size() == state.size());
    CHECK(direct.context().ranges().size() == replicas);
    CHECK(encode(direct).size() == encode(state).size());

    // Written by replicas with no history at all, the gauges take fewer bytes only because
    // their counters are smaller: at most two bytes less per entry and per run.
    map fresh;
    for (const auto& [at, n] : live) fresh.set(at.first, at.second, n);
    CHECK(fresh.size() == state.size());
    CHECK(encode(fresh).size() <= encode(state).size());
    CHECK(encode(state).size() - encode(fresh).size() <= 2 * (state.size() + replicas));
}

// --- properties ---------------------------------------------------------------

namespace {

/// The join computed from the definition, entry by entry: an entry survives if both sides hold
/// it, or one side holds it and the other has not seen its dot; a replica with a marker on
/// either side keeps nothing; the later horizon collects older markers.
template <class M>
void check_against_reference_join(const M& a, const M& b) {
    const M got = merged(a, b);
    std::map<typename M::replica_type, std::uint64_t> markers;
    for (const M* s : {&a, &b})
        for (const auto& m : s->retired()) markers[m.replica] = std::max(markers[m.replica], m.at);
    const std::uint64_t horizon = std::max(a.horizon(), b.horizon());

    std::vector<typename M::entry> expected;
    const auto holds = [](const M& s, const typename M::entry& e) {
        return std::find(s.entries().begin(), s.entries().end(), e) != s.entries().end();
    };
    for (const auto& [mine, theirs] : {std::pair{&a, &b}, std::pair{&b, &a}})
        for (const auto& e : mine->entries())
            if (!markers.contains(e.replica) &&
                (holds(*theirs, e) || !theirs->context().contains({e.replica, e.counter})) &&
                std::find(expected.begin(), expected.end(), e) == expected.end())
                expected.push_back(e);
    std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) {
        return std::tie(x.key, x.replica, x.counter) < std::tie(y.key, y.replica, y.counter);
    });
    RC_ASSERT(got.entries() == expected);

    auto context = a.context();
    context.merge(b.context());
    context.erase_replicas_if([&](const auto& r) { return markers.contains(r); });
    RC_ASSERT(got.context() == context);

    std::vector<typename M::retirement> kept;
    for (const auto& [r, at] : markers)
        if (at >= horizon) kept.push_back({r, at});
    RC_ASSERT(got.retired() == kept);
    RC_ASSERT(got.horizon() == horizon);
}

}  // namespace

TEST_CASE("presence_map merge equals the join computed from its definition, for full states and small deltas",
          "[presence_map][merge][property]") {
    rc::prop("arbitrary states", [](const pm_u16& a, const pm_u16& b) { check_against_reference_join(a, b); });
    rc::prop("a one-operation delta into a larger state (the in-place path)", [] {
        auto big = *rc::gen::arbitrary<pm_u16>();
        for (int i = 0; i < 3; ++i) big.merge(*rc::gen::arbitrary<pm_u16>());
        auto source = *rc::gen::arbitrary<pm_u16>();
        const auto op = *converge_test::crdt_ops<pm_u16>::gen_op();
        const auto self = *converge_test::small_key<std::uint32_t>();
        const pm_u16 delta = converge_test::crdt_ops<pm_u16>::apply(source, self, op);
        check_against_reference_join(big, delta);
        check_against_reference_join(big, source.delta_for(big));
    });
}

namespace {

using ops = converge_test::crdt_ops<pm_u16>;

/// Applies `history` to a copy of `base` under the horizon contract: retirements are stamped
/// at 10 or later, horizons stay at 10 or below, and a replica retired in `base` (all of whose
/// retirements are before 4) never writes again, even once its marker is collected.
pm_u16 branch(const pm_u16& base, const std::vector<std::pair<std::uint32_t, ops::op>>& history, std::uint64_t horizon) {
    pm_u16 x = base;
    for (const auto& [self, o] : history) {
        if (o.kind == 0) {
            x.retire(o.victim, o.at + 10);
        } else if (!base.is_retired(self)) {
            ops::apply(x, self, o);
        }
    }
    x.collect_retired(horizon);
    return x;
}

}  // namespace

TEST_CASE("with collection, merge stays commutative, associative and idempotent for states that respect the horizon",
          "[presence_map][horizon][property]") {
    rc::prop("branches of one state, collecting only what all of them have seen", [](const pm_u16& base) {
        using history = std::vector<std::pair<std::uint32_t, ops::op>>;
        const auto gen_history = rc::gen::container<history>(
            rc::gen::pair(converge_test::small_key<std::uint32_t>(), ops::gen_op()));
        const auto gen_horizon = rc::gen::inRange<std::uint64_t>(0, 11);
        const pm_u16 a = branch(base, *gen_history, *gen_horizon);
        const pm_u16 b = branch(base, *gen_history, *gen_horizon);
        const pm_u16 c = branch(base, *gen_history, *gen_horizon);
        RC_ASSERT(merged(a, b) == merged(b, a));
        RC_ASSERT(merged(merged(a, b), c) == merged(a, merged(b, c)));
        RC_ASSERT(merged(a, a) == a);
        RC_ASSERT(merged(merged(a, b), b) == merged(a, b));
        RC_ASSERT(merged(b, a.delta_for(b)) == merged(b, a));
        RC_ASSERT(a.delta_for(merged(b, a)).empty());
    });
}

TEST_CASE("a cluster that retires, collects after full syncs and loses deltas converges to the model",
          "[presence_map][horizon][model][property]") {
    rc::prop("every replica ends equal to the model of gauges, retirements and horizon", [] {
        const auto actors = *rc::gen::inRange<std::size_t>(2, 5);
        // Each step: an operation by an actor, a full sync (every replica learns everything), or
        // a collection by an actor up to the time of the last full sync.
        struct step {
            std::size_t actor;
            std::uint8_t what;  // 0: sync, 1: collect, otherwise the operation
            ops::op op;
            std::uint64_t horizon_back;
        };
        const auto steps = *rc::gen::container<std::vector<step>>(rc::gen::construct<step>(
            rc::gen::inRange<std::size_t>(0, actors), rc::gen::inRange<std::uint8_t>(0, 12), ops::gen_op(),
            rc::gen::inRange<std::uint64_t>(0, 3)));
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();
        std::mt19937_64 rng(seed);

        std::vector<pm_u16> replicas(actors);
        std::set<std::size_t> rejoined;  // actors that saw themselves retired: they write under a new id
        ops::truth truth;
        std::uint64_t horizon = 0;
        std::uint64_t last_sync = 0;
        const auto sync = [&] {
            for (int round = 0; round < 2; ++round)
                for (std::size_t from = 0; from < actors; ++from)
                    for (std::size_t to = 0; to < actors; ++to)
                        if (from != to) replicas[to].merge(replicas[from].delta_for(replicas[to]));
        };
        const auto ship = [&](std::size_t from, const pm_u16& delta) {
            for (std::size_t to = 0; to < actors; ++to)
                if (to != from && rng() % 2 == 0) replicas[to].merge(delta);  // half are lost
        };
        std::uint64_t now = 0;
        for (const step& s : steps) {
            ++now;
            const auto self = converge_test::actor_id<std::uint32_t>(s.actor);
            if (s.what == 0) {
                sync();
                last_sync = now;
            } else if (s.what == 1) {
                const std::uint64_t h = last_sync - std::min(last_sync, s.horizon_back);
                horizon = std::max(horizon, h);
                ship(s.actor, replicas[s.actor].collect_retired(h));
            } else if (s.op.kind == 0 || !rejoined.contains(s.actor)) {
                ops::op o = s.op;
                o.at = now;  // retirements are stamped with the time they happen
                ship(s.actor, converge_test::apply_and_record(replicas[s.actor], truth, self, o));
            }
            // A replica that sees its own marker never writes under that id again, even once
            // the marker is collected: that is the contract that makes collection safe.
            for (std::size_t i = 0; i < actors; ++i)
                if (replicas[i].is_retired(converge_test::actor_id<std::uint32_t>(i))) rejoined.insert(i);
        }
        sync();

        for (const auto& r : replicas) RC_ASSERT(r == replicas[0]);
        const pm_u16& x = replicas[0];
        RC_ASSERT(x.horizon() == horizon);
        std::vector<pm_u16::retirement> markers;
        for (const auto& [r, at] : truth.retired)
            if (at >= horizon) markers.push_back({r, at});
        RC_ASSERT(x.retired() == markers);
        std::size_t live = 0;
        for (const auto& [at, g] : truth.gauges) {
            if (truth.retired.contains(at.second)) continue;
            ++live;
            RC_ASSERT(x.gauge(at.first, at.second) == g);
        }
        RC_ASSERT(x.size() == live);
        for (const auto& e : x.entries()) RC_ASSERT(!truth.retired.contains(e.replica));
        for (const auto& run : x.context().ranges()) RC_ASSERT(!truth.retired.contains(run.replica));
    });
}

namespace {

/// keys_changed_by(b) on `a` names exactly the keys whose entries differ between a and a ⊔ b,
/// and so every key whose value the merge changes.
void check_keys_changed_by(const pm_u16& a, const pm_u16& b) {
    const pm_u16 after = merged(a, b);
    std::map<std::string, std::vector<pm_u16::entry>> rows_before;
    std::map<std::string, std::vector<pm_u16::entry>> rows_after;
    for (const auto& e : a.entries()) rows_before[e.key].push_back(e);
    for (const auto& e : after.entries()) rows_after[e.key].push_back(e);
    std::set<std::string> keys;
    for (const auto* rows : {&rows_before, &rows_after})
        for (const auto& row : *rows) keys.insert(row.first);
    std::vector<std::string> expected;
    for (const auto& k : keys)
        if (rows_before[k] != rows_after[k]) expected.push_back(k);
    const std::vector<std::string> got = a.keys_changed_by(b);
    RC_ASSERT(got == expected);
    for (const auto& k : keys)
        if (a.value(k) != after.value(k)) RC_ASSERT(std::binary_search(got.begin(), got.end(), k));
}

}  // namespace

TEST_CASE("keys_changed_by names the keys whose entries a merge would change, removals and retirements included",
          "[presence_map][keys_changed_by]") {
    pm a;
    pm b;
    b.merge(a.increment("home", 1, 2));
    b.increment("news", 2);
    const pm leave = a.set("home", 1, 0);
    REQUIRE(leave.entries().empty());  // a removal names only a dot
    CHECK(b.keys_changed_by(leave) == std::vector<std::string>{"home"});
    CHECK(b.keys_changed_by(b).empty());
    CHECK(b.keys_changed_by(pm{}).empty());

    const pm join = a.increment("zoo", 1);
    CHECK(b.keys_changed_by(join) == std::vector<std::string>{"zoo"});
    b.merge(join);
    b.merge(leave);
    CHECK(b.keys_changed_by(join).empty());  // merged: nothing would change

    pm c = b;
    const pm marker = c.retire(1, 100);
    CHECK(b.keys_changed_by(marker) == std::vector<std::string>{"zoo"});
    CHECK(b.keys_changed_by(c.collect_retired(200)).empty());  // a horizon drops markers, not entries
}

TEST_CASE("keys_changed_by equals the keys whose entries differ between a state and its merge",
          "[presence_map][keys_changed_by][property]") {
    rc::prop("arbitrary states", [](const pm_u16& a, const pm_u16& b) { check_keys_changed_by(a, b); });
    rc::prop("a one-operation delta and a delta_for into a larger state", [] {
        auto big = *rc::gen::arbitrary<pm_u16>();
        for (int i = 0; i < 3; ++i) big.merge(*rc::gen::arbitrary<pm_u16>());
        auto source = *rc::gen::arbitrary<pm_u16>();
        source.merge(big);
        const auto op = *converge_test::crdt_ops<pm_u16>::gen_op();
        const auto self = *converge_test::small_key<std::uint32_t>();
        const pm_u16 delta = converge_test::crdt_ops<pm_u16>::apply(source, self, op);
        check_keys_changed_by(big, delta);
        check_keys_changed_by(big, source.delta_for(big));
    });
}

namespace {

/// One write on a wider pool than crdt_ops' (60 keys), so that states pass the 32 entries at
/// which presence_map keeps a dot index and merges of deltas take the in-place path.
struct wide_write {
    std::uint8_t kind;  // 0-7: increment, 8-13: decrement, 14-15: set
    std::uint8_t key;
    std::uint16_t n;
    std::uint8_t delivery;  // 0: to both others now; 1: held; 2: the held interval to one; 3: delta_for to one
    std::uint8_t target;
};

pm_u16 write_wide(pm_u16& x, std::uint32_t self, const wide_write& w) {
    const std::string key = "k" + std::to_string(w.key);
    const std::uint16_t now = x.gauge(key, self);
    if (w.kind < 8) return x.increment(key, self, std::min<std::uint16_t>(w.n, static_cast<std::uint16_t>(65535 - now)));
    if (w.kind < 14) return x.decrement(key, self, std::min(w.n, now));
    return x.set(key, self, w.n);
}

/// Merges `delta` into `x`, checking it against the join taken the other way round: `delta`
/// absorbing `x` takes the full path, so the in-place path and the index must agree with it.
void merge_checked(pm_u16& x, const pm_u16& delta) {
    const pm_u16 other_way = merged(delta, x);
    x.merge(delta);
    RC_ASSERT(x == other_way);
}

}  // namespace

TEST_CASE("merging deltas into states large enough for a dot index equals the join taken the other way round",
          "[presence_map][merge][index][property]") {
    rc::prop("three replicas, four ids each, on 60 keys, trading deltas, held intervals and delta_for answers", [] {
        const auto gen_write = rc::gen::construct<wide_write>(
            rc::gen::inRange<std::uint8_t>(0, 16), rc::gen::inRange<std::uint8_t>(0, 60),
            rc::gen::inRange<std::uint16_t>(0, 4), rc::gen::inRange<std::uint8_t>(0, 4), rc::gen::inRange<std::uint8_t>(1, 3));
        const auto steps = *rc::gen::container<std::vector<std::pair<std::uint8_t, wide_write>>>(
            300, rc::gen::pair(rc::gen::inRange<std::uint8_t>(0, 12), gen_write));
        std::vector<pm_u16> states(3), held(3);
        std::size_t largest = 0;
        for (const auto& [id, w] : steps) {
            const std::size_t s = id % 3;  // ids s, s + 3, s + 6, s + 9 write only through replica s
            const std::size_t t = (s + w.target) % 3;
            const pm_u16 delta = write_wide(states[s], id, w);
            held[s].merge(delta);
            if (w.delivery == 0) {
                for (std::size_t other = 0; other < 3; ++other)
                    if (other != s) {
                        check_keys_changed_by(states[other], delta);
                        merge_checked(states[other], delta);
                    }
            } else if (w.delivery == 2) {
                check_keys_changed_by(states[t], held[s]);
                merge_checked(states[t], std::exchange(held[s], pm_u16{}));
            } else if (w.delivery == 3) {
                merge_checked(states[t], states[s].delta_for(states[t]));
            }
            largest = std::max(largest, states[s].size());
        }
        RC_TAG(largest >= 32 ? "indexed" : "small");
        // Everything delivered: all three equal, and equal to what their bytes decode to.
        for (std::size_t round = 0; round < 2; ++round)
            for (std::size_t a = 0; a < 3; ++a)
                for (std::size_t b = 0; b < 3; ++b)
                    if (a != b) merge_checked(states[b], states[a].delta_for(states[b]));
        RC_ASSERT(states[0] == states[1]);
        RC_ASSERT(states[1] == states[2]);
        const auto bytes = encode(states[0]);
        const auto back = decode<pm_u16>(bytes);
        RC_ASSERT(back.has_value());
        RC_ASSERT(*back == states[0]);
    });
}
