// Viewer counts: presence and adjustments across replicas, retirement of the silent, exact rejoin.
// SPDX-License-Identifier: MIT
#include "presence/viewer_counts.hpp"
#include "support/exchange.hpp"

#include <catch2/catch.hpp>

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
