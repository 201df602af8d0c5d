// broadcast_sync examples and properties: delivery, gaps and repairs, restarts, trimmed logs, replays, forgetting.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/broadcast_message.hpp>
#include <converge/broadcast_sync.hpp>
#include <converge/encoding.hpp>
#include <converge/g_counter.hpp>
#include <converge/presence_map.hpp>
#include <converge/repair_request.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace converge;

using counter = g_counter<std::uint32_t>;
using replica = broadcast_sync<counter, std::uint32_t>;
using message = replica::message;
using request = replica::request;
using kind = broadcast_kind;

/// `n` more increments by replica id `self`.
auto add(std::uint32_t self, std::uint64_t n = 1) {
    return [=](counter& c) { return c.increment(self, n); };
}

/// Through the wire and back, as every message travels.
template <class T>
T over_the_wire(const T& x) {
    return decode<T>(encode(x)).value();
}

/// `to` sends its requests at `now`, `from` answers the one addressed to it, `to` takes the answer.
void repair(replica& to, replica& from, std::uint64_t now = 0) {
    for (const request& q : to.repair_requests(now)) {
        const auto a = from.answer(over_the_wire(q));
        if (a) to.receive(over_the_wire(*a));
    }
}

}  // namespace

TEST_CASE("broadcast_sync publishes each change once as an interval and every subscriber merges it",
          "[broadcast_sync]") {
    replica a(1, 11);
    replica b(2, 22);
    replica c(3, 33);
    CHECK(a.seq() == 0);
    CHECK(a.update(add(1, 5)).value() == 5);
    a.update(add(1, 2));
    CHECK(a.seq() == 2);

    const message m = a.publish();
    CHECK(m.kind == kind::interval);
    CHECK(m.sender == 1);
    CHECK(m.epoch == 11);
    CHECK(m.from == 0);
    CHECK(m.to == 2);
    CHECK(m.payload == a.state());
    CHECK(b.receive(over_the_wire(m)).value() == 7);
    CHECK(c.receive(over_the_wire(m)).value() == 7);
    CHECK(b.state() == a.state());
    CHECK(b.progress_of(1) == replica::progress{11, 2, 2});
    CHECK(b.repairs_wanted() == 0);
    CHECK(b.repair_requests(0).empty());

    // The next interval carries only what changed since, and continues without a gap.
    a.update(add(1, 1));
    const message next = a.publish();
    CHECK(next.from == 2);
    CHECK(next.to == 3);
    CHECK(next.payload == counter{}.increment(1, 8));
    b.receive(next);
    CHECK(b.progress_of(1)->have == 3);

    // Idle: a digest of the last seq, which tells b nothing new.
    const message idle = a.publish();
    CHECK(idle.kind == kind::digest);
    CHECK(idle.from == 3);
    CHECK(idle.to == 3);
    CHECK(idle.payload.empty());
    CHECK(b.receive(idle).empty());
    CHECK(b.repairs_wanted() == 0);
    CHECK(a.stats().intervals_published == 2);
    CHECK(a.stats().digests_published == 1);

    // What b learned from a is not b's to publish: on pub/sub c hears a itself.
    CHECK(b.seq() == 0);
    CHECK(b.publish().kind == kind::digest);
}

TEST_CASE("a gap in a sender's intervals is merged at once and repaired on request from the log",
          "[broadcast_sync][repair]") {
    replica a(1, 11);
    replica b(2, 22);
    a.update(add(1, 1));
    b.receive(a.publish());
    a.update(add(5, 2));  // counted for replica 5, whose entry only this change carries
    (void)a.publish();    // lost
    a.update(add(1, 4));
    const message third = a.publish();
    CHECK(third.from == 2);

    // What arrived past the gap is merged (a join commutes), but `have` stays at the gap.
    CHECK(b.receive(third).value_of(1) == 5);  // a g_counter delta carries the entry's total
    CHECK(b.state().value() == 5);
    CHECK(b.progress_of(1) == replica::progress{11, 1, 3});
    CHECK(b.repairs_wanted() == 1);
    CHECK(b.stats().gaps_seen == 1);

    const auto requests = b.repair_requests(10);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0] == request{.requester = 2, .sender = 1, .epoch = 11, .have = 1});
    // One request outstanding per sender until `retry_after` (3) has passed.
    CHECK(b.repair_requests(11).empty());
    CHECK(b.repair_requests(12).empty());

    const auto answer = a.answer(requests[0]);
    REQUIRE(answer);
    CHECK(answer->kind == kind::repair);
    CHECK(answer->from == 1);
    CHECK(answer->to == 3);
    counter changes_2_and_3;  // the log's changes after 1, joined
    changes_2_and_3.increment(5, 2);
    changes_2_and_3.increment(1, 5);
    CHECK(answer->payload == changes_2_and_3);
    CHECK(b.receive(*answer).value() == 2);
    CHECK(b.state() == a.state());
    CHECK(b.progress_of(1) == replica::progress{11, 3, 3});
    CHECK(b.repairs_wanted() == 0);
    CHECK(b.repair_requests(20).empty());
    CHECK(a.stats().repairs_answered == 1);
    CHECK(a.stats().full_states_sent == 0);
    CHECK(b.stats().repairs_requested == 1);

    // A request for another sender gets no answer here.
    CHECK_FALSE(b.answer(requests[0]).has_value());
}

TEST_CASE("an unanswered repair request is sent again after retry_after", "[broadcast_sync][repair]") {
    replica a(1, 11);
    replica b(2, 22, counter{}, 1024, /*retry_after*/ 5);
    a.update(add(1, 1));
    (void)a.publish();  // lost
    b.receive(a.publish());
    CHECK(b.repair_requests(100).size() == 1);  // lost too
    CHECK(b.repair_requests(104).empty());
    CHECK(b.repair_requests(105).size() == 1);
    CHECK(b.stats().repairs_requested == 2);
    repair(b, a, 200);
    CHECK(b.state() == a.state());
    CHECK(b.stats().gaps_seen == 1);
}

TEST_CASE("a lost last interval is caught by the next digest", "[broadcast_sync][digest]") {
    replica a(1, 11);
    replica b(2, 22);
    a.update(add(1, 3));
    (void)a.publish();  // lost, and a changes nothing more
    CHECK(b.repair_requests(0).empty());
    const message digest = a.publish();
    CHECK(digest.kind == kind::digest);
    CHECK(b.receive(over_the_wire(digest)).empty());
    CHECK(b.progress_of(1) == replica::progress{11, 0, 1});
    repair(b, a);
    CHECK(b.state() == a.state());
    CHECK(b.progress_of(1)->have == 1);
}

TEST_CASE("a sender that dropped its state and resumes its run continues its numbering, so receivers still see gaps",
          "[broadcast_sync][resume]") {
    replica a(1, 11);
    replica b(2, 22);
    a.update(add(1, 2));
    a.update(add(1, 1));
    b.receive(a.publish());
    CHECK(b.progress_of(1) == replica::progress{11, 2, 2});

    replica again(1, 11);  // the same run, its state dropped and started empty
    again.resume_after(a.seq());
    CHECK(again.seq() == 2);
    again.update(add(1, 4));
    CHECK(again.seq() == 3);
    const message lost = again.publish();
    CHECK(lost.from == 2);
    CHECK(lost.to == 3);
    const message digest = again.publish();  // the lost interval shows as a gap, as in any run
    CHECK(b.receive(digest).empty());
    CHECK(b.progress_of(1) == replica::progress{11, 2, 3});
    const auto requests = b.repair_requests(0);
    REQUIRE(requests.size() == 1);
    const auto answer = again.answer(requests[0]);
    REQUIRE(answer);
    CHECK(answer->kind == kind::repair);  // the log holds everything after 2
    b.receive(*answer);
    CHECK(b.progress_of(1)->have == 3);

    // A request from before the resumed point gets the full state; a second resume does nothing.
    CHECK(again.answer(request{.requester = 3, .sender = 1, .epoch = 11, .have = 0})->kind == kind::full_state);
    again.resume_after(100);
    CHECK(again.seq() == 3);
}

TEST_CASE("a sender whose log was trimmed answers with its full state", "[broadcast_sync][full_state]") {
    replica a(1, 11, counter{}, /*max_log*/ 2);
    replica b(2, 22);
    a.update(add(1, 1));
    b.receive(a.publish());
    for (std::uint32_t i = 0; i < 3; ++i) {
        a.update(add(1, 1));
        a.update(add(7, 1));
        (void)a.publish();  // all lost
    }
    CHECK(a.log_size() == 2);
    b.receive(a.publish());  // a digest of seq 7
    const auto requests = b.repair_requests(0);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].have == 1);
    const auto answer = a.answer(requests[0]);
    REQUIRE(answer);
    CHECK(answer->kind == kind::full_state);
    CHECK(answer->from == 0);
    CHECK(answer->to == 7);
    CHECK(answer->payload == a.state());
    b.receive(over_the_wire(*answer));
    CHECK(b.state() == a.state());
    CHECK(b.progress_of(1)->have == 7);
    CHECK(a.stats().full_states_sent == 1);

    // With the log long enough, the same request is answered from it.
    replica roomy(1, 11, counter{}, 8);
    for (int i = 0; i < 7; ++i) roomy.update(add(1, 1));
    CHECK(roomy.answer(requests[0])->kind == kind::repair);
    // A log of 0 entries answers every request with the full state.
    replica none(1, 11, counter{}, 0);
    none.update(add(1, 1));
    CHECK(none.log_size() == 0);
    CHECK(none.answer({.requester = 2, .sender = 1, .epoch = 11, .have = 0})->kind == kind::full_state);
}

TEST_CASE("a restarted sender is a new epoch, and receivers repair it with a full state",
          "[broadcast_sync][restart]") {
    replica a(1, 11);
    replica b(2, 22);
    a.update(add(1, 5));
    b.receive(a.publish());
    a.update(add(1, 1));
    (void)a.publish();  // lost, then a restarts from a snapshot of its state

    replica restarted(1, 99, a.state());
    CHECK(restarted.seq() == 1);  // the restored state is change 1, which no log holds
    const message digest = restarted.publish();
    CHECK(digest.kind == kind::digest);
    CHECK(digest.epoch == 99);
    CHECK(digest.to == 1);
    b.receive(digest);
    CHECK(b.stats().epoch_changes == 1);
    CHECK(b.progress_of(1) == replica::progress{99, 0, 1});

    const auto requests = b.repair_requests(0);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].epoch == 99);
    const auto answer = restarted.answer(requests[0]);
    REQUIRE(answer);
    CHECK(answer->kind == kind::full_state);
    b.receive(*answer);
    CHECK(b.state() == a.state());
    CHECK(b.progress_of(1)->have == 1);

    // A request that names the old run gets the current run's full state too.
    const auto old = restarted.answer({.requester = 2, .sender = 1, .epoch = 11, .have = 1});
    CHECK(old->kind == kind::full_state);
    CHECK(old->epoch == 99);

    // A new run from an empty state starts at seq 0 and needs no repair.
    replica fresh(3, 5);
    fresh.update([](counter& c) { return c.increment(3, 1); });
    b.receive(fresh.publish());
    CHECK(b.progress_of(3) == replica::progress{5, 1, 1});
    CHECK(b.repairs_wanted() == 0);
}

TEST_CASE("duplicated, replayed and old-epoch messages merge as no-ops and never move have back within a run",
          "[broadcast_sync][duplicates]") {
    replica a(1, 11);
    replica b(2, 22);
    a.update(add(1, 1));
    const message first = a.publish();
    a.update(add(1, 2));
    const message second = a.publish();
    b.receive(first);
    b.receive(second);
    CHECK(b.progress_of(1)->have == 2);

    CHECK(b.receive(first).empty());
    CHECK(b.receive(second).empty());
    CHECK(b.receive(first).empty());
    CHECK(b.progress_of(1) == replica::progress{11, 2, 2});
    CHECK(b.repairs_wanted() == 0);

    // a restarts; b follows the new run; then late messages of the old run arrive. They merge
    // as no-ops, but epochs are unordered, so b follows the last run heard until the live one
    // speaks again; then one repair puts it back.
    replica restarted(1, 77, a.state());
    b.receive(restarted.publish());
    repair(b, restarted);
    CHECK(b.progress_of(1) == replica::progress{77, 1, 1});
    CHECK(b.stats().epoch_changes == 1);
    CHECK(b.receive(second).empty());
    CHECK(b.receive(first).empty());
    CHECK(b.progress_of(1)->epoch == 11);
    CHECK(b.stats().epoch_changes == 2);
    b.receive(restarted.publish());
    CHECK(b.progress_of(1) == replica::progress{77, 0, 1});
    repair(b, restarted, 10);
    CHECK(b.progress_of(1) == replica::progress{77, 1, 1});
    CHECK(b.repairs_wanted() == 0);
    CHECK(b.state() == a.state());

    // A late repair answer of the old run is no more than a late message.
    CHECK(b.receive(*a.answer({.requester = 2, .sender = 1, .epoch = 11, .have = 0})).empty());
    CHECK(b.progress_of(1)->epoch == 11);

    // b's own messages, echoed back by the fabric, change nothing.
    b.update(add(2, 1));
    const message own = b.publish();
    CHECK(b.receive(own).empty());
    CHECK(b.seq() == 1);
}

TEST_CASE("a subscriber that joins late asks for what it missed", "[broadcast_sync][repair]") {
    replica a(1, 11);
    a.update(add(1, 1));
    (void)a.publish();
    a.update(add(1, 2));
    const message second = a.publish();
    replica late(2, 22);
    late.receive(second);  // starts at seq 1: a gap before it
    CHECK(late.progress_of(1) == replica::progress{11, 0, 2});
    repair(late, a);
    CHECK(late.state() == a.state());
    CHECK(late.repairs_wanted() == 0);
}

TEST_CASE("forget drops a sender's tracking, and a later message starts it again", "[broadcast_sync][forget]") {
    replica a(1, 11);
    replica b(2, 22);
    a.update(add(1, 1));
    (void)a.publish();  // lost
    b.receive(a.publish());
    CHECK(b.senders() == 1);
    CHECK(b.repairs_wanted() == 1);
    b.forget(1);
    CHECK(b.senders() == 0);
    CHECK_FALSE(b.progress_of(1).has_value());
    CHECK(b.repair_requests(0).empty());  // no requests to a sender that is gone
    CHECK(b.state().value() == 0);        // what was merged stays merged
    b.forget(1);                          // forgetting twice is harmless
    b.receive(a.publish());
    CHECK(b.repairs_wanted() == 1);
}

TEST_CASE("broadcast_sync ships presence_map deltas, leaves included", "[broadcast_sync][presence_map]") {
    using presence = presence_map<std::string, std::uint32_t>;
    broadcast_sync<presence, std::uint32_t> a(1, 11);
    broadcast_sync<presence, std::uint32_t> b(2, 22);
    a.update([](presence& p) { return p.increment("home", 1, 2); });
    b.receive(over_the_wire(a.publish()));
    CHECK(b.state().value("home") == 2);
    a.update([](presence& p) { return p.decrement("home", 1, 2); });
    (void)a.publish();  // the leave is lost
    b.receive(over_the_wire(a.publish()));
    CHECK(b.state().value("home") == 2);
    for (const auto& q : b.repair_requests(0)) b.receive(over_the_wire(*a.answer(over_the_wire(q))));
    CHECK(b.state().value("home") == 0);
    CHECK(b.state() == a.state());
}

TEST_CASE("apply logs only what is new as an own change", "[broadcast_sync]") {
    replica a(1, 11);
    counter elsewhere;
    const counter d = elsewhere.increment(9, 4);
    CHECK(a.apply(d).value() == 4);
    CHECK(a.seq() == 1);
    CHECK(a.apply(d).empty());
    CHECK(a.seq() == 1);
    CHECK(a.update(add(1, 0)).empty());  // an update that changes nothing is not logged
    CHECK(a.seq() == 1);
}

TEST_CASE("broadcast messages and repair requests survive encode and decode with every field",
          "[broadcast_sync][encoding]") {
    message m{.kind = kind::repair, .sender = 300, .epoch = ~std::uint64_t{0}, .from = 5, .to = 9};
    m.payload.increment(4, 2);
    CHECK(over_the_wire(m) == m);
    m.kind = kind::interval;
    CHECK(over_the_wire(m) == m);
    m.kind = kind::full_state;
    m.from = 0;
    CHECK(over_the_wire(m) == m);
    const message d{.kind = kind::digest, .sender = 1, .epoch = 2, .from = 3, .to = 3};
    CHECK(over_the_wire(d) == d);
    const request q{.requester = 7, .sender = 300, .epoch = 1u << 31, .have = 12};
    CHECK(over_the_wire(q) == q);
    using str_request = repair_request<std::string>;
    const str_request s{.requester = "eu-1", .sender = "us-2", .epoch = 3, .have = 0};
    CHECK(over_the_wire(s) == s);
}

// --- Properties -------------------------------------------------------------------------------

TEST_CASE("any delivery of a sender's messages, with loss, duplicates and reordering, plus repairs, "
          "yields the sender's state",
          "[broadcast_sync][property]") {
    rc::prop("a receiver ends equal to the sender and wants no repair", [] {
        const auto max_log = *rc::gen::inRange<std::size_t>(0, 6);
        const auto restart_at = *rc::gen::inRange<int>(-1, 12);  // -1: no restart
        replica a(1, 100, counter{}, max_log);
        replica b(2, 200);
        std::vector<message> sent;
        const auto rounds = *rc::gen::inRange(1, 12);
        for (int r = 0; r < rounds; ++r) {
            if (r == restart_at) a = replica(1, 101 + static_cast<std::uint64_t>(r), a.state(), max_log);
            const auto ops = *rc::gen::inRange(0, 4);
            for (int k = 0; k < ops; ++k) {
                const auto who = *rc::gen::inRange<std::uint32_t>(1, 4);
                a.update(add(who, *rc::gen::inRange<std::uint64_t>(1, 5)));
            }
            sent.push_back(a.publish());
        }
        // Any subset, in any order, each any number of times (0: lost).
        std::vector<message> delivered;
        for (const message& m : sent) {
            const auto copies = *rc::gen::inRange(0, 3);
            for (int c = 0; c < copies; ++c) delivered.push_back(m);
        }
        const auto order = *rc::gen::container<std::vector<std::size_t>>(
            delivered.size(), rc::gen::inRange<std::size_t>(0, delivered.size() + 1));
        for (std::size_t i = 0; i < delivered.size(); ++i) std::swap(delivered[i], delivered[order[i] % delivered.size()]);
        std::uint64_t have = 0;
        std::uint64_t epoch = 0;
        for (const message& m : delivered) {
            const counter before = b.state();
            const counter news = b.receive(over_the_wire(m));
            counter expected = before;
            expected.merge(news);
            RC_ASSERT(expected == b.state());
            RC_ASSERT(m.payload.delta_for(b.state()).empty());
            const auto p = b.progress_of(1);
            RC_ASSERT(p.has_value());
            if (p->epoch == epoch) RC_ASSERT(p->have >= have);  // never backwards within a run
            epoch = p->epoch;
            have = p->have;
        }
        // The idle digest, then repairs until none is wanted; each round trip may be lost only
        // so often, and here none is.
        b.receive(a.publish());
        repair(b, a);
        RC_ASSERT(b.state() == a.state());
        RC_ASSERT(b.repairs_wanted() == 0u);
        RC_ASSERT(b.progress_of(1) == (replica::progress{a.epoch(), a.seq(), a.seq()}));
        RC_ASSERT(b.repair_requests(1000).empty());
    });
}
