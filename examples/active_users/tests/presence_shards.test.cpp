// Presence sharded by page over a fake publish/subscribe bus: interest, state fetches, lapse, hostile shard messages.
// SPDX-License-Identifier: MIT
#include "presence/viewer_counts.hpp"
#include "replication/broadcast_replicator.hpp"
#include "replication/channel_table.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

using namespace active_users;

namespace {

constexpr std::uint32_t shard_total = 256;

/// A publish/subscribe fabric in memory with per-shard subjects: a shard's publications reach
/// the endpoints that follow it, a state request one endpoint that serves it (or, when none
/// does, "nobody holds it"), as NATS with a queue group does. Nothing moves until `deliver`.
struct sharded_bus {
    struct frame {
        peer_id from;
        peer_id to;
        std::uint8_t channel;
        std::optional<shard_ref> where;
        std::vector<std::byte> payload;
        bool nobody = false;  ///< a "no responders" for `where`
    };
    struct endpoint final : transport {
        endpoint(sharded_bus& b, peer_id id) : on(b), self(id) {}
        result<void> start(transport_receiver& to) override {
            receiver = &to;
            return {};
        }
        void send(peer_id peer, std::uint8_t channel, std::vector<std::byte> bytes) override {
            on.queue.push_back({self, peer, channel, std::nullopt, std::move(bytes)});
        }
        void publish(std::uint8_t channel, std::vector<std::byte> bytes) override {
            for (const auto& e : on.endpoints)
                if (e->self != self) on.queue.push_back({self, e->self, channel, std::nullopt, bytes});
        }
        bool drained() const override { return true; }
        transport_stats statistics() const override { return {}; }
        void follow(shard_ref where) override { followed.insert(where); }
        void unfollow(shard_ref where) override {
            followed.erase(where);
            serving.erase(where);
        }
        void serve(shard_ref where) override { serving.insert(where); }
        void publish_shard(shard_ref where, std::vector<std::byte> bytes) override {
            ++shard_publications;
            for (const auto& e : on.endpoints)
                if (e->self != self && e->followed.contains(where)) on.queue.push_back({self, e->self, where.channel, where, bytes});
        }
        void send_shard(peer_id peer, shard_ref where, std::vector<std::byte> bytes) override {
            on.queue.push_back({self, peer, where.channel, where, std::move(bytes)});
        }
        void request_state(shard_ref where) override {
            ++state_requests;
            for (const auto& e : on.endpoints) {
                if (e->self == self || !e->serving.contains(where)) continue;
                if (auto whole = e->receiver->state_for(self, where)) on.queue.push_back({e->self, self, where.channel, where, *whole});
                return;
            }
            on.queue.push_back({0, self, where.channel, where, {}, /*nobody=*/true});
        }
        sharded_bus& on;
        peer_id self;
        transport_receiver* receiver = nullptr;
        std::set<shard_ref> followed, serving;
        int state_requests = 0;
        int shard_publications = 0;
    };
    endpoint& add(peer_id id) { return *endpoints.emplace_back(std::make_unique<endpoint>(*this, id)); }
    void deliver() {
        while (!queue.empty()) {
            frame f = std::move(queue.front());
            queue.pop_front();
            for (const auto& e : endpoints) {
                if (e->self != f.to) continue;
                if (f.nobody) e->receiver->nobody_holds(*f.where);
                else if (f.where) (void)e->receiver->deliver_shard(f.from, *f.where, f.payload);
                else (void)e->receiver->deliver(f.from, f.channel, f.payload);
            }
        }
    }
    std::vector<std::unique_ptr<endpoint>> endpoints;
    std::deque<frame> queue;
};

/// One replica with presence in `shard_total` shards, following only what it uses.
struct sharded_replica {
    sharded_replica(sharded_bus& b, peer_id id, std::chrono::milliseconds lapse = std::chrono::seconds(60))
        : counts(sync_mode{.broadcast = true, .self = id}, shard_plan{.shards = shard_total, .lapse = lapse}), net(b.add(id)),
          channels{{1, "presence", &counts.presence(), false, counts.presence_shard_set()},
                   {2, "adjustments", &counts.adjustments(), /*heartbeat=*/true}},
          replication(channels, net, std::chrono::seconds(10)) {
        REQUIRE(net.start(replication));
    }
    viewer_counts counts;
    sharded_bus::endpoint& net;
    channel_table channels;
    broadcast_replicator replication;
};

void sharded_rounds(sharded_bus& b, std::vector<sharded_replica*> replicas, int n) {
    for (int i = 0; i < n; ++i) {
        for (sharded_replica* r : replicas) r->replication.tick();
        b.deliver();
    }
}

std::string page_name(int i) { return "page-" + std::to_string(i); }

/// A page of a shard that none of the first `n` pages is in.
std::string page_outside(int n) {
    std::set<std::uint32_t> used;
    for (int i = 0; i < n; ++i) used.insert(shard_of(page_name(i), shard_total));
    for (int i = 0;; ++i)
        if (!used.contains(shard_of("other-" + std::to_string(i), shard_total))) return "other-" + std::to_string(i);
}

}  // namespace

TEST_CASE("a replica with viewers on 10 pages of 2000 holds about those 10, not the others", "[presence_shards][interest]") {
    sharded_bus b;
    sharded_replica busy(b, 1), small(b, 2);
    std::vector<std::pair<std::string, std::int64_t>> joins;
    for (int i = 0; i < 2000; ++i) joins.emplace_back(page_name(i), 1);
    busy.counts.fold_sessions(joins);
    small.counts.fold_sessions({{page_name(0), 1}, {page_name(1), 1}, {page_name(2), 1}, {page_name(3), 1}, {page_name(4), 1},
                                {page_name(5), 1}, {page_name(6), 1}, {page_name(7), 1}, {page_name(8), 1}, {page_name(9), 1}});
    sharded_rounds(b, {&busy, &small}, 3);
    for (int i = 0; i < 10; ++i) CHECK(small.counts.followed_view(page_name(i))->count == 2);
    const auto s = small.counts.statistics();
    CHECK(s.shards_held <= 10);
    // Its 10 pages' entries (2 gauges each) and their shard-mates' (about 2000 / 256 a shard).
    CHECK(s.presence_entries <= 20 + 10 * 20);
    CHECK(busy.counts.statistics().presence_entries == 2000 + 10);
}

TEST_CASE("a read of a page in a shard not followed waits for the shard's state, then is exact", "[presence_shards][fetch]") {
    sharded_bus b;
    sharded_replica holder(b, 1), reader(b, 2);
    const std::string far = page_outside(0);
    holder.counts.fold_sessions({{far, 3}});
    sharded_rounds(b, {&holder, &reader}, 2);
    CHECK_FALSE(reader.counts.followed_view(far));  // not followed: no count, and the shard is wanted
    sharded_rounds(b, {&holder, &reader}, 1);               // subscribed, state asked of the holder and merged
    REQUIRE(reader.counts.followed_view(far));
    CHECK(reader.counts.followed_view(far)->count == 3);
    CHECK(reader.replication.statistics().state_requests_sent == 1);
    CHECK(holder.replication.statistics().state_requests_served == 1);
    holder.counts.fold_sessions({{far, 1}});  // followed now: changes arrive as publications
    sharded_rounds(b, {&holder, &reader}, 1);
    CHECK(reader.counts.followed_view(far)->count == 4);

    // A shard nobody holds is taken as empty at once.
    const std::string empty = page_outside(0) + "-nobody";
    CHECK_FALSE(reader.counts.followed_view(empty));
    sharded_rounds(b, {&holder, &reader}, 1);
    CHECK(reader.counts.followed_view(empty)->count == 0);
    CHECK(reader.replication.statistics().shards_held_by_nobody >= 1);
}

TEST_CASE("interest in a shard read once lapses, and the shard's state goes with it", "[presence_shards][interest]") {
    sharded_bus b;
    sharded_replica holder(b, 1), reader(b, 2, std::chrono::milliseconds(1));
    const std::string far = page_outside(0);
    holder.counts.fold_sessions({{far, 3}});
    sharded_rounds(b, {&holder, &reader}, 1);
    (void)reader.counts.followed_view(far);
    sharded_rounds(b, {&holder, &reader}, 1);
    CHECK(reader.counts.statistics().presence_entries == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    sharded_rounds(b, {&holder, &reader}, 1);
    CHECK(reader.counts.statistics().shards_held == 0);
    CHECK(reader.counts.statistics().presence_entries == 0);
    CHECK(reader.counts.take_forgotten() == std::vector<std::string>{far});  // the page board forgets it
    CHECK(reader.replication.statistics().shards_followed == 0);
    CHECK(reader.net.followed.empty());
    // A page with local viewers keeps its shard however long nobody reads it.
    reader.counts.fold_sessions({{far, 1}});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    sharded_rounds(b, {&holder, &reader}, 2);
    CHECK(reader.counts.statistics().shards_held == 1);
    CHECK(reader.counts.view(far).count == 4);
}

TEST_CASE("shard messages for a shard out of range or not followed change nothing", "[presence_shards][hostile]") {
    sharded_bus b;
    sharded_replica holder(b, 1), other(b, 2);
    const std::string far = page_outside(0);
    const std::uint32_t shard = shard_of(far, shard_total);
    holder.counts.fold_sessions({{far, 3}});
    sharded_rounds(b, {&holder, &other}, 1);
    // What the holder would answer for its shard, as publication, answer and state.
    const auto whole = holder.replication.state_for(2, {1, shard});
    REQUIRE(whole);
    const auto before = other.counts.statistics();
    for (const std::uint32_t bad : {shard, shard_total, shard_total + 1, 0xFFFF'FFFFu}) {
        for (const int kind : {0, 2, 3}) {
            std::vector<std::byte> tagged = *whole;
            tagged[0] = static_cast<std::byte>(kind);
            const auto r = other.replication.deliver_shard(1, {1, bad}, tagged);
            if (bad >= shard_total) CHECK_FALSE(r);  // out of range: refused
        }
    }
    CHECK_FALSE(other.replication.deliver_shard(1, {2, shard}, *whole));  // a channel that is not sharded
    CHECK_FALSE(other.replication.deliver_shard(1, {9, shard}, *whole));  // no such channel
    other.replication.nobody_holds({1, shard_total});
    const auto after = other.counts.statistics();
    CHECK(after.presence_entries == before.presence_entries);
    CHECK(after.shards_held == 0);
    CHECK_FALSE(other.replication.state_for(1, {1, shard_total}));
    CHECK_FALSE(other.replication.state_for(1, {1, shard}));  // not held here: nothing to give
}

TEST_CASE("a shard dropped and held again resumes its writer's counters: followers keep its new writes", "[presence_shards][interest]") {
    sharded_bus b;
    sharded_replica holder(b, 1), writer(b, 2, std::chrono::milliseconds(200));
    const std::string far = page_outside(0);
    holder.counts.fold_sessions({{far, 3}});
    writer.counts.fold_sessions({{far, 1}});
    sharded_rounds(b, {&holder, &writer}, 2);
    writer.counts.fold_sessions({{far, -1}});
    sharded_rounds(b, {&holder, &writer}, 1);  // the last leave keeps the shard a lapse: it is published first
    REQUIRE(holder.counts.view(far).count == 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    sharded_rounds(b, {&holder, &writer}, 1);
    REQUIRE(writer.counts.statistics().shards_held == 0);  // lapsed: the writer's state of it is gone

    // Back again: the writer's new dots must be new to the holder, whose context has the old
    // ones, and its new changes must continue its old numbering, so that the holder sees a gap
    // when the first publication is lost (a digest shows it, every 10 intervals) and repairs it.
    writer.counts.fold_sessions({{far, 2}});
    writer.replication.tick();
    const auto lost = std::erase_if(b.queue, [](const sharded_bus::frame& f) { return f.from == 2 && f.to == 1 && f.where; });
    REQUIRE(lost == 1);
    sharded_rounds(b, {&holder, &writer}, 12);
    CHECK(holder.replication.statistics().repairs_requested >= 1);
    CHECK(holder.counts.view(far).count == 5);
    CHECK(writer.counts.view(far).count == 5);
    writer.counts.fold_sessions({{far, -1}});  // with its dots reused, its own gauge went to 0 and this threw
    sharded_rounds(b, {&holder, &writer}, 2);
    CHECK(holder.counts.view(far).count == 4);
    CHECK(writer.counts.view(far).count == 4);
}

TEST_CASE("a written shard's digests go out a few times after its last change, then rarely", "[presence_shards][digest]") {
    sharded_bus b;
    sharded_replica writer(b, 1), follower(b, 2);
    const std::string far = page_outside(0);
    writer.counts.fold_sessions({{far, 1}});
    (void)follower.counts.followed_view(far);
    sharded_rounds(b, {&writer, &follower}, 2);
    const int before = writer.net.shard_publications;
    const std::uint64_t fresh = broadcast_replicator::fresh_digests * broadcast_replicator::digest_every;
    sharded_rounds(b, {&writer, &follower}, static_cast<int>(fresh));
    const int soon = writer.net.shard_publications - before;
    CHECK(soon >= static_cast<int>(broadcast_replicator::fresh_digests) - 1);
    CHECK(soon <= static_cast<int>(broadcast_replicator::fresh_digests));
    sharded_rounds(b, {&writer, &follower}, static_cast<int>(broadcast_replicator::quiet_digest_every));
    const int later = writer.net.shard_publications - before - soon;
    CHECK(later >= 1);
    CHECK(later <= 2);
    // Fewer digests change nothing the follower counts.
    CHECK(follower.counts.followed_view(far)->count == 1);
}
