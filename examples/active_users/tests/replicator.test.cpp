// The replicator over a fake transport: a channel added by a table row alone, idle links, refusals.
// SPDX-License-Identifier: MIT
#include "presence/viewer_counts.hpp"
#include "replication/channel_table.hpp"
#include "replication/replicator.hpp"
#include "replication/synced_state.hpp"
#include "support/fake_transport.hpp"

#include <converge/g_counter.hpp>

#include <catch2/catch.hpp>

using namespace active_users;
using active_users::testing::fake_network;

namespace {

/// A toy replicated channel: a grow-only counter of clicks, its owner nothing but the adapter.
struct clicks {
    using state = converge::g_counter<std::uint64_t>;
    explicit clicks(std::uint64_t id) : id_(id), channel_(mutex_, id, [](const state&, std::optional<std::uint64_t>) {}) {}
    void click() {
        std::lock_guard lock(mutex_);
        channel_.update([&](state& s) { return s.increment(id_); });
    }
    std::uint64_t total() const {
        std::lock_guard lock(mutex_);
        return static_cast<std::uint64_t>(channel_.state().value());
    }
    channel_owner& owner() { return channel_; }

private:
    mutable std::mutex mutex_;
    std::uint64_t id_;
    synced_state<state> channel_;
};

/// Replicas 1 and 2, each with its channel table, replicator and fake endpoint, linked both ways.
struct linked_pair {
    linked_pair(const channel_table& a_channels, const channel_table& b_channels)
        : a_net(net.add(1)), b_net(net.add(2)), a(a_channels, a_net), b(b_channels, b_net) {
        REQUIRE(a_net.start(a));
        REQUIRE(b_net.start(b));
        net.link(1, 2);
    }
    /// One interval on both sides, everything delivered.
    void round() {
        a.tick();
        b.tick();
        net.deliver();
    }
    fake_network net;
    fake_network::endpoint& a_net;
    fake_network::endpoint& b_net;
    replicator a;
    replicator b;
};

}  // namespace

TEST_CASE("a channel added as one table row replicates between two replicas", "[replicator]") {
    clicks a(11), b(22);
    const channel_table a_channels{{9, "clicks", &a.owner(), true}};
    const channel_table b_channels{{9, "clicks", &b.owner(), true}};
    linked_pair link(a_channels, b_channels);

    a.click();
    a.click();
    b.click();
    link.round();
    link.round();
    CHECK(a.total() == 3);
    CHECK(b.total() == 3);
    CHECK(link.a.statistics().peers_up == 1);
    CHECK(link.b.statistics().delivered >= 2);
}

TEST_CASE("the replicator refuses unknown channels and bad bytes, and its owners change nothing", "[replicator]") {
    fake_network net;
    clicks a(11);
    const channel_table channels{{9, "clicks", &a.owner(), true}};
    auto& a_net = net.add(1);
    replicator replication(channels, a_net);
    a.click();

    const auto unknown = replication.deliver(2, 8, std::vector<std::byte>{});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "unknown channel 8");
    const auto junk = replication.deliver(2, 9, std::vector<std::byte>{std::byte{0xC7}, std::byte{1}});
    REQUIRE_FALSE(junk);
    CHECK(junk.error().message.find("clicks message from replica 2 rejected: converge:") == 0);
    CHECK(replication.statistics().rejected == 2);
    CHECK(a.total() == 1);
}

TEST_CASE("an idle link sends only the heartbeat channel, and every message it skips would have been a no-op",
          "[replicator]") {
    viewer_counts a, b;
    const channel_table a_channels{{1, "presence", &a.presence(), true}, {2, "adjustments", &a.adjustments()}};
    const channel_table b_channels{{1, "presence", &b.presence(), true}, {2, "adjustments", &b.adjustments()}};
    linked_pair link(a_channels, b_channels);
    const auto round = [&] { link.round(); };
    const auto& a_net = link.a_net;
    a.fold_sessions({{"home", 3}});
    b.adjust("home", true);
    for (int i = 0; i < 4; ++i) round();
    CHECK(b.view("home").count == 4);
    const int presence_before = a_net.sent(1);
    const int adjustments_before = a_net.sent(2);

    for (int i = 0; i < 2 * repeat_filter::mesh_heartbeat_every; ++i) {
        // What the filter skips, delivered anyway, merges nothing and moves no ack.
        const auto skipped = a.adjustments().message_for(2).bytes;
        const auto merges = b.statistics().merges;
        const auto reply = b.adjustments().message_for(1).bytes;
        REQUIRE(b.adjustments().receive(1, skipped));
        CHECK(b.statistics().merges == merges);
        CHECK(b.adjustments().message_for(1).bytes == reply);
        round();  // idle
    }
    CHECK(a_net.sent(1) - presence_before == 2);  // the heartbeat, every heartbeat_every intervals
    CHECK(a_net.sent(2) - adjustments_before == 0);

    // The extra message_for calls above made b look unheard by a's adjustments, which asks for
    // its report once it hears b again: let that go first.
    for (int i = 0; i < 2 * repeat_filter::mesh_heartbeat_every; ++i) round();
    const int settled = a_net.sent(2);
    a.adjust("home", true);  // a small change waits for company, batch_intervals at most
    for (int i = 1; i < repeat_filter::batch_intervals; ++i) round();
    CHECK(a_net.sent(2) == settled);
    round();
    CHECK(a_net.sent(2) - settled == 1);
    CHECK(b.view("home").count == 5);
}

TEST_CASE("a new link forgets what the last one sent", "[replicator]") {
    clicks a(11), b(12);
    const channel_table channels{{9, "quiet", &a.owner()}, {1, "beat", &b.owner(), true}};
    const channel& quiet = *channels.find(9);
    const channel& beat = *channels.find(1);
    const outgoing_message m{.bytes = {std::byte{1}}, .news = true, .deferrable = false, .ack = {}, .covers = {}};
    repeat_filter old_link;
    CHECK(old_link.should_send(quiet, m));
    CHECK_FALSE(old_link.should_send(quiet, m));
    repeat_filter new_link;
    CHECK(new_link.should_send(quiet, m));
    CHECK(new_link.should_send(beat, m));
}

TEST_CASE("a message that only moves an ack waits, and one that moves nothing never goes", "[replicator]") {
    clicks a(1);
    const channel_table channels{{9, "quiet", &a.owner()}};
    const channel& quiet = *channels.find(9);
    repeat_filter link;
    const auto message = [](std::uint8_t tag, bool news, std::uint64_t ack) {
        return outgoing_message{.bytes = {std::byte{tag}}, .news = news, .deferrable = false, .ack = {7, ack}, .covers = {}};
    };
    REQUIRE(link.should_send(quiet, message(1, true, 0)));  // a change
    // The same change again (not yet acknowledged): a repeat.
    CHECK_FALSE(link.should_send(quiet, message(1, true, 0)));
    // The log was acknowledged: other bytes, the same ack: nothing the peer needs.
    for (int i = 0; i < 3 * repeat_filter::ack_every; ++i) CHECK_FALSE(link.should_send(quiet, message(2, false, 0)));
    // An ack of the peer's change moves: it waits ack_every intervals, then goes.
    int waited = 0;
    while (!link.should_send(quiet, message(3, false, 5))) ++waited;
    CHECK(waited == repeat_filter::ack_every - 1);
    // A moved ack goes at once with news.
    CHECK(link.should_send(quiet, message(4, true, 6)));
    // The heartbeat channel: its first message and news go at once; anything else (a repeat, a
    // moved ack) every heartbeat_every intervals, carrying the ack then current.
    const channel_table beats{{1, "beat", &a.owner(), true}};
    const channel& beat = *beats.find(1);
    repeat_filter beat_link;
    CHECK(beat_link.should_send(beat, message(1, false, 0)));
    CHECK(beat_link.should_send(beat, message(2, true, 0)));
    for (int round = 0; round < 3; ++round) {
        for (int i = 1; i < repeat_filter::mesh_heartbeat_every; ++i)
            CHECK_FALSE(beat_link.should_send(beat, message(3, false, static_cast<std::uint64_t>(round + 1))));
        CHECK(beat_link.should_send(beat, message(3, false, static_cast<std::uint64_t>(round + 1))));
    }
    // Broadcast publishes the heartbeat channel every interval.
    repeat_filter every_interval{1};
    for (int i = 0; i < 3; ++i) CHECK(every_interval.should_send(beat, message(1, false, 0)));
}

TEST_CASE("small news that is only changes waits for more; anything else goes at once", "[replicator]") {
    clicks a(1);
    const channel_table channels{{9, "quiet", &a.owner()}, {1, "beat", &a.owner(), true}};
    const auto message = [](std::uint8_t tag, std::size_t size, bool deferrable) {
        return outgoing_message{.bytes = std::vector<std::byte>(size, std::byte{tag}), .news = true, .deferrable = deferrable, .ack = {}, .covers = {}};
    };
    for (const std::uint8_t id : {std::uint8_t{9}, std::uint8_t{1}}) {
        const channel& c = *channels.find(id);
        repeat_filter link;
        REQUIRE(link.should_send(c, message(1, 10, false)));
        // A small change waits; the next interval's message carries it and whatever came since.
        for (int i = 1; i < repeat_filter::batch_intervals; ++i)
            CHECK_FALSE(link.should_send(c, message(static_cast<std::uint8_t>(1 + i), 10, true)));
        CHECK(link.should_send(c, message(9, 10, true)));
        // Its wait starts afresh, and ends early once the message is worth a frame.
        CHECK_FALSE(link.should_send(c, message(10, 10, true)));
        CHECK(link.should_send(c, message(11, repeat_filter::small_message + 1, true)));
        // A full state, a report or a request (not deferrable) goes at once, however small.
        CHECK(link.should_send(c, message(12, 10, false)));
        // And nothing waits in the last interval before a replica stops.
        CHECK(link.should_send(c, message(13, 10, true), /*may_wait*/ false));
    }
}

TEST_CASE("a channel table refuses a repeated id or name", "[replicator]") {
    clicks a(1), b(2);
    CHECK_THROWS_AS((channel_table{{1, "x", &a.owner()}, {1, "y", &b.owner()}}), std::invalid_argument);
    CHECK_THROWS_AS((channel_table{{1, "x", &a.owner()}, {2, "x", &b.owner()}}), std::invalid_argument);
    CHECK_THROWS_AS((channel_table{{1, "x", nullptr}}), std::invalid_argument);
    CHECK_NOTHROW((channel_table{{1, "x", &a.owner()}, {2, "y", &b.owner()}}));
}
