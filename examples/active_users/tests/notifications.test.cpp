// Unread notifications: concurrency semantics, exact agreement, change feed, rejected messages.
// SPDX-License-Identifier: MIT
#include "notifications/notifications.hpp"
#include "support/exchange.hpp"

#include <catch2/catch.hpp>

using namespace active_users;
using active_users::testing::exchange;

namespace {

/// Three rounds of every notification channel both ways, as replication does every interval.
void sync(notifications& a, notifications& b) {
    exchange({{&a.subscriptions(), &b.subscriptions()},
              {&a.modifications(), &b.modifications()},
              {&a.read_marks(), &b.read_marks()}});
}

std::int64_t unread_after(const result<count_view>& r) {
    REQUIRE(r);
    return r->count;
}

}  // namespace

TEST_CASE("a modification concurrent with a read stays unread, and replicas agree on the exact count",
          "[notifications]") {
    notifications a, b;
    CHECK(a.writer() != b.writer());
    CHECK(unread_after(a.subscribe("ann", "home")) == 0);
    CHECK(unread_after(a.subscribe("ann", "news")) == 0);
    sync(a, b);
    for (int i = 0; i < 3; ++i) REQUIRE(b.modify("home"));
    REQUIRE(b.modify("news"));
    REQUIRE(b.modify("sports"));  // ann does not subscribe to it
    sync(a, b);
    CHECK(a.unread("ann").count == 4);
    CHECK(b.unread("ann").count == 4);

    // Concurrently: ann reads everything on a (3 + 1 seen there) while b takes two more edits of home.
    CHECK(unread_after(a.read_all("ann")) == 0);
    REQUIRE(b.modify("home"));
    CHECK(*b.modify("home") == 5);
    CHECK(b.unread("ann").count == 6);  // b has not heard of the read yet
    sync(a, b);
    CHECK(a.unread("ann").count == 2);  // the two edits a had not seen stay unread
    CHECK(b.unread("ann").count == 2);
    CHECK(a.modification_count("home") == 5);

    // Both replicas mark the same page read concurrently: the marks join to the larger, nothing
    // is subtracted twice.
    CHECK(unread_after(a.read("ann", "home")) == 0);
    CHECK(unread_after(b.read("ann", "home")) == 0);
    sync(a, b);
    CHECK(a.unread("ann").count == 0);
    CHECK(b.unread("ann").count == 0);

    // Reading a page one does not subscribe to changes nothing.
    const auto before = a.states();
    const auto not_subscribed = a.read("ann", "sports");
    REQUIRE_FALSE(not_subscribed);
    CHECK(not_subscribed.error().code == status::not_found);
    CHECK_FALSE(a.read("bob", "home"));
    CHECK(a.states() == before);
}

TEST_CASE("unsubscribe then resubscribe starts fresh, and a subscribe wins over a concurrent unsubscribe",
          "[notifications]") {
    notifications a, b;
    REQUIRE(a.subscribe("ann", "home"));
    sync(a, b);
    REQUIRE(b.modify("home"));
    REQUIRE(b.modify("home"));
    sync(a, b);
    CHECK(a.unread("ann").count == 2);

    CHECK(unread_after(a.unsubscribe("ann", "home")) == 0);
    REQUIRE(b.modify("home"));
    sync(a, b);
    CHECK(a.unread("ann").count == 0);
    CHECK(b.unread("ann").count == 0);
    CHECK(unread_after(a.subscribe("ann", "home")) == 0);  // the three edits so far count as read
    REQUIRE(b.modify("home"));
    sync(a, b);
    CHECK(a.unread("ann").count == 1);
    CHECK(b.unread("ann").count == 1);

    // a unsubscribes while b (where ann is subscribed) subscribes again: add wins; b's
    // subscribe did not reset the mark since ann was already subscribed there.
    REQUIRE(a.unsubscribe("ann", "home"));
    CHECK(a.unread("ann").count == 0);
    CHECK(unread_after(b.subscribe("ann", "home")) == 1);
    sync(a, b);
    CHECK(a.unread("ann").count == 1);
    CHECK(b.unread("ann").count == 1);

    // Concurrent unsubscribes on both sides: gone everywhere. Unsubscribing twice writes nothing.
    REQUIRE(a.unsubscribe("ann", "home"));
    REQUIRE(b.unsubscribe("ann", "home"));
    const auto before = b.states();
    const auto writes = b.statistics().local_writes;
    REQUIRE(b.unsubscribe("ann", "home"));
    CHECK(b.states() == before);
    CHECK(b.statistics().local_writes == writes);
    sync(a, b);
    REQUIRE(b.modify("home"));
    sync(a, b);
    CHECK(a.unread("ann").count == 0);
    CHECK(b.unread("ann").count == 0);
    CHECK(a.states() == b.states());
}

TEST_CASE("unread changes are reported once per user whose count moved", "[notifications]") {
    notifications a, b;
    REQUIRE(a.subscribe("ann", "home"));
    REQUIRE(a.subscribe("bob", "news"));
    sync(a, b);
    a.take_changed();
    REQUIRE(b.modify("home"));
    sync(a, b);
    const auto changed = a.take_changed();
    CHECK(changed == std::vector<std::string>{"ann"});  // bob's count did not move
    CHECK(a.take_changed().empty());
}

TEST_CASE("notifications reject undecodable or misrouted messages and change nothing", "[notifications]") {
    notifications a, b;
    REQUIRE(a.subscribe("ann", "home"));
    REQUIRE(a.modify("home"));
    REQUIRE(b.modify("home"));
    const auto before = a.states();
    const auto unread = a.unread("ann").count;
    const std::vector<std::byte> junk{std::byte{0xC7}, std::byte{1}, std::byte{7}, std::byte{0xFF}};
    for (channel_owner* c : {&a.subscriptions(), &a.modifications(), &a.read_marks()}) {
        const auto r = c->receive(2, junk);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("converge:") == 0);
    }
    // A well-formed message of one channel sent on another is a type mismatch.
    const auto modifications = b.modifications().message_for(1).bytes;
    CHECK_FALSE(a.subscriptions().receive(2, modifications));
    CHECK_FALSE(a.read_marks().receive(2, modifications));
    // The truncated message is refused too, though its prefix is valid.
    CHECK_FALSE(a.modifications().receive(2, std::span(modifications).first(modifications.size() - 1)));
    CHECK(a.states() == before);
    CHECK(a.unread("ann").count == unread);
    CHECK(a.statistics().rejected == 6);
    // The intact message still merges.
    CHECK(a.modifications().receive(2, modifications));
    CHECK(a.modification_count("home") == 2);
}
