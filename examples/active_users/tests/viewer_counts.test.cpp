// Viewer counts: presence and adjustments across replicas, retirement of the silent, exact rejoin, a state that shrinks to what is live.
// SPDX-License-Identifier: MIT
#include "presence/viewer_counts.hpp"
#include "support/exchange.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace active_users;
using active_users::testing::exchange;

namespace {

void sync(viewer_counts& a, viewer_counts& b) {
    exchange({{&a.presence(), &b.presence()}, {&a.adjustments(), &b.adjustments()}});
}

}  // namespace

TEST_CASE("replicas exchange counts, retire a silent one, and a retired replica rejoins exactly", "[viewer_counts]") {
    viewer_counts a;
    viewer_counts b;
    a.fold_sessions({{"home", 3}});
    b.fold_sessions({{"home", 2}});
    b.adjust("home", true);
    sync(a, b);
    CHECK(a.view("home").count == 6);
    CHECK(b.view("home").count == 6);

    // b stops hearing from a: a's viewers stop counting there, its own and the adjustment stay.
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(b.retire_silent(t0, std::chrono::seconds(1)) == 0);  // first sight starts the clock
    CHECK(b.retire_silent(t0 + std::chrono::seconds(2), std::chrono::seconds(1)) == 1);
    CHECK(b.view("home").count == 3);

    // The partition heals: a learns it was retired, rejoins under a new incarnation with its 3.
    const auto before = a.incarnation();
    sync(a, b);
    CHECK(a.incarnation() != before);
    CHECK(a.statistics().rejoins == 1);
    CHECK(a.view("home").count == 6);
    CHECK(b.view("home").count == 6);
}

TEST_CASE("retirements and rejoins reach the event feed, each once, naming the incarnation", "[viewer_counts]") {
    viewer_counts a;
    viewer_counts b;
    a.fold_sessions({{"home", 1}});
    sync(a, b);
    const std::uint64_t old = a.incarnation();
    CHECK(a.take_events().empty());
    CHECK(b.take_events().empty());

    const auto t0 = std::chrono::steady_clock::now();
    (void)b.retire_silent(t0, std::chrono::seconds(1));
    REQUIRE(b.retire_silent(t0 + std::chrono::seconds(2), std::chrono::seconds(1)) == 1);
    using kind = viewer_counts::membership_event::kind;
    auto events = b.take_events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].what == kind::retired);
    CHECK(events[0].incarnation == old);

    sync(a, b);  // a hears of its retirement and rejoins
    events = a.take_events();
    REQUIRE(events.size() == 2);
    CHECK(events[0].what == kind::retirement_heard);
    CHECK(events[0].incarnation == old);
    CHECK(events[1].what == kind::rejoined);
    CHECK(events[1].incarnation == a.incarnation());
    CHECK(a.take_events().empty());
}

TEST_CASE("viewer counts reject undecodable messages and change nothing", "[viewer_counts]") {
    viewer_counts a;
    viewer_counts b;
    a.fold_sessions({{"p", 2}});
    const std::vector<std::byte> junk{std::byte{0xC7}, std::byte{1}, std::byte{7}, std::byte{0xFF}};
    const auto rejected = a.presence().receive(2, junk);
    REQUIRE_FALSE(rejected);
    CHECK(rejected.error().message.find("converge:") == 0);
    // A well-formed message of the other channel is a type mismatch.
    b.adjust("p", true);
    CHECK_FALSE(a.presence().receive(2, b.adjustments().message_for(1)));
    CHECK(a.view("p").count == 2);
    CHECK(a.statistics().rejected == 2);
    CHECK(a.take_changed() == std::vector<std::string>{"p"});  // only the fold changed it
}

TEST_CASE("the change feed names each page whose count moved", "[viewer_counts]") {
    viewer_counts a;
    viewer_counts b;
    a.fold_sessions({{"home", 1}, {"news", 2}});
    CHECK(a.take_changed() == std::vector<std::string>{"home", "news"});
    CHECK(a.take_changed().empty());
    b.adjust("news", false);
    sync(a, b);
    const auto changed = a.take_changed();
    CHECK(std::count(changed.begin(), changed.end(), "news") == 1);
    CHECK(a.view("news").count == 1);
}

TEST_CASE("after every page empties, presence holds what is live: no entry per page, a few bytes", "[viewer_counts]") {
    viewer_counts a;
    viewer_counts b;
    std::vector<std::pair<std::string, std::int64_t>> joins;
    std::vector<std::pair<std::string, std::int64_t>> leaves;
    for (int i = 0; i < 1000; ++i) {
        joins.emplace_back("page-" + std::to_string(i), 1 + i % 3);
        leaves.emplace_back("page-" + std::to_string(i), -(1 + i % 3));
    }
    a.fold_sessions(joins);
    b.fold_sessions(std::vector(joins.begin(), joins.begin() + 500));
    sync(a, b);
    CHECK(b.view("page-7").count == 2 + 2);
    CHECK(b.view("page-999").count == 1);
    const std::size_t live_bytes = b.presence_bytes();
    CHECK(b.statistics().presence_entries == 1500);
    (void)a.take_changed();
    (void)b.take_changed();

    // Every viewer leaves, on both replicas, in several folds (churn), then replication settles.
    for (int round = 0; round < 3; ++round) {
        a.fold_sessions(leaves);
        a.fold_sessions(joins);
    }
    a.fold_sessions(leaves);
    b.fold_sessions(std::vector(leaves.begin(), leaves.begin() + 500));
    sync(a, b);
    for (viewer_counts* r : {&a, &b}) {
        CHECK(r->statistics().presence_entries == 0);
        CHECK(r->statistics().local_viewers == 0);
        CHECK(r->view("page-7").count == 0);
        CHECK(r->view("page-999").count == 0);
        // Two runs of dots (one per incarnation) and the empty rest, against about 40 KB before.
        CHECK(r->presence_bytes() < 64);
    }
    CHECK(live_bytes > 20'000);
    INFO("presence bytes while 1,500 gauges were live: " << live_bytes << ", after: " << b.presence_bytes());
    // A removal names only dots: the change feed still names every page whose count moved.
    const auto changed = b.take_changed();
    CHECK(std::set<std::string>(changed.begin(), changed.end()).size() == 1000);
}

TEST_CASE("retirement markers are collected after the horizon, and the horizon spreads", "[viewer_counts]") {
    viewer_counts a;
    viewer_counts b;
    viewer_counts c;
    a.fold_sessions({{"home", 3}});
    sync(a, b);
    exchange({{&b.presence(), &c.presence()}});
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(b.retire_silent(t0, std::chrono::seconds(1)) == 0);
    CHECK(b.retire_silent(t0 + std::chrono::seconds(2), std::chrono::seconds(1)) == 1);
    exchange({{&b.presence(), &c.presence()}});
    CHECK(c.view("home").count == 0);
    CHECK(b.statistics().retired == 1);
    CHECK(c.statistics().retired == 1);

    CHECK(b.collect_retired(presence_clock_now() - 60) == 0);  // not old enough yet
    CHECK(b.collect_retired(presence_clock_now() + 1) == 1);
    CHECK(b.statistics().retired == 0);
    exchange({{&b.presence(), &c.presence()}});
    CHECK(c.statistics().retired == 0);  // the horizon reached c, which forgot the marker too
    CHECK(c.statistics().presence_horizon == b.statistics().presence_horizon);
    CHECK(c.statistics().presence_entries == 0);
}

TEST_CASE("a replica that heard no peer for the horizon starts over under a new id, and counts stay exact",
          "[viewer_counts]") {
    viewer_counts a;
    viewer_counts b;
    a.fold_sessions({{"home", 3}});
    b.fold_sessions({{"home", 2}});
    sync(a, b);
    CHECK(b.view("home").count == 5);

    // a is cut off; b retires it, and collects the marker after the horizon.
    const auto t0 = std::chrono::steady_clock::now();
    const auto horizon = retirement_horizon(std::chrono::seconds(1));
    CHECK(b.retire_silent(t0, std::chrono::seconds(1)) == 0);
    CHECK(b.retire_silent(t0 + std::chrono::seconds(2), std::chrono::seconds(1)) == 1);
    CHECK(b.view("home").count == 2);
    CHECK(b.collect_retired(presence_clock_now() + 1) == 1);

    // a has heard no one for longer than the horizon: it starts over, once.
    const auto before = a.incarnation();
    CHECK_FALSE(a.start_over_if_cut_off(t0 + horizon / 2, horizon));
    CHECK(a.start_over_if_cut_off(t0 + 2 * horizon, horizon));
    CHECK_FALSE(a.start_over_if_cut_off(t0 + 3 * horizon, horizon));
    CHECK(a.incarnation() != before);
    CHECK(a.statistics().rejoins == 1);
    CHECK(a.view("home").count == 3);  // only its own sessions until it hears a peer again

    // The link heals: b never learned a's new id was anything but new; nothing counts twice.
    sync(a, b);
    CHECK(a.view("home").count == 5);
    CHECK(b.view("home").count == 5);
    CHECK(a.statistics().presence_entries == 2);
    CHECK(b.statistics().presence_entries == 2);
}

TEST_CASE("a restarted replica restores its old incarnation from 8 snapshot bytes and retires it at once",
          "[viewer_counts][persistence]") {
    viewer_counts old_run;
    viewer_counts b;
    old_run.fold_sessions({{"home", 4}});
    sync(old_run, b);
    CHECK(b.view("home").count == 4);
    // The presence snapshot is the incarnation alone, the same 8 bytes whichever CRDT holds
    // presence, so a file written before presence_map restores unchanged.
    const std::vector<std::byte> bytes = old_run.presence().snapshot();
    REQUIRE(bytes.size() == 8);

    viewer_counts next_run;
    REQUIRE(next_run.presence().restore(bytes).ok());
    CHECK(next_run.statistics().retired == 1);
    sync(next_run, b);
    CHECK(b.view("home").count == 0);
    CHECK(b.statistics().presence_entries == 0);
    CHECK_FALSE(next_run.presence().restore(std::vector<std::byte>(9)).ok());
}
