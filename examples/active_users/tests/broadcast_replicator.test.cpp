// The broadcast replicator over a fake publish/subscribe bus: convergence, repair of losses, late joiners, forgeries.
// SPDX-License-Identifier: MIT
#include "presence/viewer_counts.hpp"
#include "replication/broadcast_replicator.hpp"
#include "replication/channel_table.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <set>
#include <thread>

using namespace active_users;

namespace {

/// A publish/subscribe fabric in memory: publications reach every other endpoint, sends reach
/// one; nothing moves until `deliver`. `lose` drops what one endpoint would receive, as a slow
/// consumer or a NATS server restart does.
struct bus {
    struct frame {
        peer_id from;
        peer_id to;
        std::uint8_t channel;
        std::vector<std::byte> payload;
    };
    struct endpoint final : transport {
        endpoint(bus& b, peer_id id) : on(b), self(id) {}
        result<void> start(transport_receiver& to) override {
            receiver = &to;
            return {};
        }
        void send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) override {
            ++sends;
            on.queue.push_back({self, peer, channel, std::move(payload)});
        }
        void publish(std::uint8_t channel, std::vector<std::byte> payload) override {
            ++publications;
            for (const auto& e : on.endpoints)
                if (e->self != self) on.queue.push_back({self, e->self, channel, payload});
        }
        bool drained() const override { return true; }
        transport_stats statistics() const override { return {}; }
        bus& on;
        peer_id self;
        transport_receiver* receiver = nullptr;
        int sends = 0;
        int publications = 0;
    };
    endpoint& add(peer_id id) { return *endpoints.emplace_back(std::make_unique<endpoint>(*this, id)); }
    void deliver() {
        while (!queue.empty()) {
            frame f = std::move(queue.front());
            queue.pop_front();
            if (lost.contains(f.to)) continue;
            for (const auto& e : endpoints)
                if (e->self == f.to && e->receiver != nullptr) (void)e->receiver->deliver(f.from, f.channel, f.payload);
        }
    }
    std::vector<std::unique_ptr<endpoint>> endpoints;
    std::deque<frame> queue;
    std::set<peer_id> lost;
};

/// One replica in broadcast mode: viewer counts, its two channels, its replicator on the bus.
struct replica {
    replica(bus& b, peer_id id, std::chrono::milliseconds forget_after = std::chrono::seconds(10))
        : counts(sync_mode{.broadcast = true, .self = id}), net(b.add(id)),
          channels{{1, "presence", &counts.presence(), /*heartbeat=*/true}, {2, "adjustments", &counts.adjustments()}},
          replication(channels, net, forget_after) {
        REQUIRE(net.start(replication));
    }
    viewer_counts counts;
    bus::endpoint& net;
    channel_table channels;
    broadcast_replicator replication;
};

void rounds(bus& b, std::vector<replica*> replicas, int n) {
    for (int i = 0; i < n; ++i) {
        for (replica* r : replicas) r->replication.tick();
        b.deliver();
    }
}

}  // namespace

TEST_CASE("broadcast replicas converge, each publishing one message per channel per interval", "[broadcast_replicator]") {
    bus b;
    replica r1(b, 1), r2(b, 2), r3(b, 3);
    r1.counts.fold_sessions({{"home", 2}});
    r2.counts.fold_sessions({{"home", 3}});
    r3.counts.adjust("home", true);
    rounds(b, {&r1, &r2, &r3}, 2);
    for (replica* r : {&r1, &r2, &r3}) CHECK(r->counts.view("home").count == 6);
    // Nothing was lost, so nothing was asked for: at most one publication per channel a round,
    // whatever the number of replicas, and nothing addressed to a peer.
    CHECK(r1.net.publications <= 4);
    CHECK(r1.net.sends == 0);
    CHECK(r1.replication.statistics().peers_up == 2);
    // Idle: the heartbeat channel's digest every heartbeat_every rounds, the other's every
    // digest_every rounds: over 10 rounds 2 or 3 heartbeats and 1 digest.
    const int before = r1.net.publications;
    rounds(b, {&r1, &r2, &r3}, broadcast_replicator::digest_every);
    const int idle = r1.net.publications - before;
    const int beats = static_cast<int>(broadcast_replicator::digest_every) / broadcast_replicator::heartbeat_every;
    CHECK(idle >= beats + 1);
    CHECK(idle <= beats + 2);
}

TEST_CASE("a lost publication is noticed and repaired by its sender, a late joiner gets the full state",
          "[broadcast_replicator][repair]") {
    bus b;
    replica r1(b, 1), r2(b, 2);
    rounds(b, {&r1, &r2}, 1);
    b.lost.insert(2);
    r1.counts.fold_sessions({{"home", 4}});
    rounds(b, {&r1, &r2}, 1);  // r1's interval never reaches r2
    b.lost.clear();
    CHECK(r2.counts.view("home").count == 0);
    rounds(b, {&r1, &r2}, broadcast_replicator::heartbeat_every + 1);  // r1's digest shows the gap; r2 asks r1, who answers
    CHECK(r2.counts.view("home").count == 4);
    CHECK(r2.replication.statistics().repairs_requested >= 1);
    CHECK(r1.replication.statistics().repairs_answered >= 1);

    // The last change of a channel whose idle digests are thinned out: noticed by the next one.
    b.lost.insert(2);
    r1.counts.adjust("home", true);
    rounds(b, {&r1, &r2}, 1);
    b.lost.clear();
    rounds(b, {&r1, &r2}, broadcast_replicator::digest_every + 2);
    CHECK(r2.counts.view("home").count == 5);
    r1.counts.adjust("home", false);
    rounds(b, {&r1, &r2}, 1);
    CHECK(r2.counts.view("home").count == 4);

    replica late(b, 3);
    rounds(b, {&r1, &r2, &late}, 3);
    CHECK(late.counts.view("home").count == 4);
    late.counts.fold_sessions({{"home", 1}});
    rounds(b, {&r1, &r2, &late}, 1);
    CHECK(r1.counts.view("home").count == 5);
    CHECK(r2.counts.view("home").count == 5);

    // A graceful exit's retirement is one publication like any other.
    r1.counts.retire_self();
    rounds(b, {&r1, &r2, &late}, 1);
    CHECK(r2.counts.view("home").count == 1);
    CHECK(late.counts.view("home").count == 1);
}

TEST_CASE("broadcast replication refuses forged senders, unknown kinds and junk, and changes nothing",
          "[broadcast_replicator][security]") {
    bus b;
    replica r1(b, 1), r2(b, 2);
    r1.counts.fold_sessions({{"home", 4}});
    const std::vector<std::byte> published = [&] {
        auto m = r1.counts.presence().publish();
        m.insert(m.begin(), std::byte{0});
        return m;
    }();
    // Replica 3 relays replica 1's message as if it were its own: each replica speaks only for itself.
    const auto forged = r2.replication.deliver(3, 1, published);
    REQUIRE_FALSE(forged);
    CHECK(forged.error().message.find("sent by 3") != std::string::npos);
    CHECK_FALSE(r2.replication.deliver(1, 1, std::vector<std::byte>{std::byte{7}, std::byte{0}}));  // no such kind
    CHECK_FALSE(r2.replication.deliver(1, 1, std::vector<std::byte>{}));
    CHECK_FALSE(r2.replication.deliver(1, 9, published));  // no such channel
    CHECK_FALSE(r2.replication.deliver(1, 1, std::vector<std::byte>{std::byte{0}, std::byte{0xC7}, std::byte{1}}));
    // A repair request naming another requester than its signed sender is refused, unanswered.
    const auto request = converge::encode(converge::repair_request<peer_id>{.requester = 2, .sender = 1, .epoch = 0, .have = 0});
    std::vector<std::byte> tagged{std::byte{1}};
    tagged.insert(tagged.end(), request.begin(), request.end());
    CHECK_FALSE(r1.replication.deliver(3, 1, tagged));
    CHECK(r1.net.sends == 0);
    CHECK(r2.counts.view("home").count == 0);
    CHECK(r2.replication.statistics().rejected == 5);

    REQUIRE(r2.replication.deliver(1, 1, published));
    CHECK(r2.counts.view("home").count == 4);
}

TEST_CASE("a replica not heard for forget_after stops being a member until it speaks again", "[broadcast_replicator]") {
    bus b;
    replica r1(b, 1, std::chrono::milliseconds(20)), r2(b, 2);
    rounds(b, {&r1, &r2}, 1);
    CHECK(r1.replication.statistics().peers_up == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    rounds(b, {&r1}, 1);
    CHECK(r1.replication.statistics().peers_up == 0);
    rounds(b, {&r1, &r2}, broadcast_replicator::heartbeat_every);  // r2's next heartbeat
    CHECK(r1.replication.statistics().peers_up == 1);
}
