// anti_entropy examples and edge cases: loss, duplicates, reordering, restarts, log trimming, relaying, quiescence.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/anti_entropy.hpp>
#include <converge/encoding.hpp>
#include <converge/g_counter.hpp>
#include <converge/g_map.hpp>
#include <converge/retirable_counter_map.hpp>
#include <converge/sync_message.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace converge;

using counter = g_counter<std::uint32_t>;
using replica = anti_entropy<counter, int>;
using message = replica::message;

/// `n` more increments by replica id `self`.
auto add(std::uint32_t self, std::uint64_t n = 1) {
    return [=](counter& c) { return c.increment(self, n); };
}

/// One message each way over a link, first a to b: what a connected pair does each round.
template <class R, class Peer>
void exchange(R& a, const Peer& a_id, R& b, const Peer& b_id) {
    b.receive(a_id, a.message_for(b_id));
    a.receive(b_id, b.message_for(a_id));
}

/// Two connected replicas 1 and 2 (epochs 11 and 22) past their first contact: each has seen
/// the other's epoch and sent it the full state that a new epoch calls for.
struct pair_of_replicas {
    replica a{11};
    replica b{22};
    pair_of_replicas() {
        a.connect(2);
        b.connect(1);
        exchange(a, 1, b, 2);
        exchange(a, 1, b, 2);
    }
};

}  // namespace

TEST_CASE("anti_entropy ships a local change to a peer and the peer's ack empties the log", "[anti_entropy]") {
    replica a(1);
    replica b(2);
    a.connect(2);
    b.connect(1);
    CHECK(a.epoch() == 1);
    CHECK(a.seq() == 0);

    const counter delta = a.update(add(1, 5));
    CHECK(delta.value() == 5);
    CHECK(a.state().value() == 5);
    CHECK(a.seq() == 1);
    CHECK(a.log_size() == 1);

    const counter news = b.receive(1, a.message_for(2));
    CHECK(news.value() == 5);
    CHECK(b.state() == a.state());
    CHECK(b.seq() == 1);  // what b learned is logged for b's other peers

    a.receive(2, b.message_for(1));
    CHECK(a.log_size() == 0);
    CHECK(b.log_size() == 1);  // a has not acknowledged b's seq 1 yet
    b.receive(1, a.message_for(2));
    CHECK(b.log_size() == 0);

    // An update that changes nothing is not logged.
    CHECK(a.update(add(1, 0)).empty());
    CHECK(a.seq() == 1);
}

TEST_CASE("the first message to a peer carries the full state and later ones the unacknowledged deltas",
          "[anti_entropy][full_state]") {
    replica a(1);
    a.connect(2);
    a.update(add(1, 3));
    const message first = a.message_for(2);
    CHECK(first.full_state);
    CHECK(first.epoch == 1);
    CHECK(first.from == 0);
    CHECK(first.to == 1);
    CHECK(first.payload == a.state());

    a.update(add(2, 4));
    const message second = a.message_for(2);
    CHECK_FALSE(second.full_state);
    CHECK(second.from == 0);  // nothing acknowledged yet
    CHECK(second.to == 2);
    CHECK(second.payload == a.state());

    // A change logged while no peer was connected is trimmed at once: a peer that connects
    // later gets the full state, however many deltas follow.
    replica lone(3);
    lone.update(add(1, 1));
    CHECK(lone.log_size() == 0);
    lone.connect(2);
    (void)lone.message_for(2);
    lone.update(add(1, 1));
    CHECK(lone.message_for(2).full_state);

    // b's first message: a sees b's epoch for the first time and sends the full state once
    // more; after that, acknowledged seqs travel no more.
    replica b(2);
    b.connect(1);
    b.receive(1, second);
    a.receive(2, b.message_for(1));
    CHECK(a.log_size() == 0);  // b acknowledged seq 2
    const message again = a.message_for(2);
    CHECK(again.full_state);
    b.receive(1, again);
    a.receive(2, b.message_for(1));
    a.update(add(3, 1));
    const message third = a.message_for(2);
    CHECK_FALSE(third.full_state);
    CHECK(third.from == 2);
    CHECK(third.to == 3);
    CHECK(third.payload == counter{}.increment(3, 1));
}

TEST_CASE("changes between two messages share one log entry, which the next message carries whole", "[anti_entropy][log]") {
    pair_of_replicas p;
    const std::uint64_t before = p.a.seq();
    // More changes than the log's 1,024 entries: one per change would push the oldest out, and
    // the peer would be sent the full state.
    for (std::uint32_t i = 0; i < 2000; ++i) p.a.update(add(1, 1));
    CHECK(p.a.log_size() == 1);
    CHECK(p.a.seq() == before + 1);
    const message m = p.a.message_for(2);
    CHECK_FALSE(m.full_state);
    CHECK(m.to == before + 1);
    CHECK(m.payload.value() == 2000);
    // Named by a message, the entry is closed: a change after it is a new entry, even while
    // that message is unacknowledged (it may have been lost, and the peer acks what it named).
    p.a.update(add(1, 1));
    CHECK(p.a.log_size() == 2);
    CHECK(p.a.seq() == before + 2);
    p.b.receive(1, m);
    p.b.receive(1, p.a.message_for(2));
    CHECK(p.b.state() == p.a.state());
    p.a.receive(2, p.b.message_for(1));
    CHECK(p.a.log_size() == 0);

    // With no peer nothing is logged, and the sequence still moves.
    replica lone(3);
    for (std::uint32_t i = 0; i < 3; ++i) lone.update(add(1, 1));
    CHECK(lone.log_size() == 0);
    CHECK(lone.seq() == 3);
}

TEST_CASE("a lost message is covered by the next one", "[anti_entropy][loss]") {
    pair_of_replicas p;
    p.a.update(add(1, 1));
    (void)p.a.message_for(2);  // lost
    p.a.update(add(1, 2));
    (void)p.a.message_for(2);  // lost
    p.a.update(add(7, 1));
    const message m = p.a.message_for(2);
    CHECK(m.payload.value() == 3 + 1);
    p.b.receive(1, m);
    CHECK(p.b.state() == p.a.state());

    // A lost ack is covered by the next one too.
    (void)p.b.message_for(1);  // lost
    CHECK(p.a.log_size() == 3);
    p.a.receive(2, p.b.message_for(1));
    CHECK(p.a.log_size() == 0);
}

TEST_CASE("duplicated, reordered and late messages merge as no-ops", "[anti_entropy][duplicates]") {
    pair_of_replicas p;
    std::vector<message> sent;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        p.a.update(add(i, i));
        sent.push_back(p.a.message_for(2));
    }

    CHECK(p.b.receive(1, sent[2]).value() == 1 + 2 + 3);
    const counter after = p.b.state();
    const std::uint64_t seq = p.b.seq();
    for (const message& m : {sent[0], sent[1], sent[2], sent[0], sent[2]}) {
        CHECK(p.b.receive(1, m).empty());
        CHECK(p.b.state() == after);
        CHECK(p.b.seq() == seq);  // nothing new, nothing logged
    }

    // b's ack, then a stale one from before it: the log stays trimmed.
    const message stale_ack = p.b.message_for(1);
    p.a.receive(2, p.b.message_for(1));
    CHECK(p.a.log_size() == 0);
    p.a.receive(2, stale_ack);
    CHECK(p.a.log_size() == 0);
    CHECK(p.a.state() == p.b.state());
}

TEST_CASE("a gap in the received seqs holds the ack back until it is filled", "[anti_entropy][ack]") {
    pair_of_replicas p;
    p.a.update(add(1, 1));
    const message m1 = p.a.message_for(2);
    // a learns that b holds seq 1 (say through an ack it has not received yet) ...
    message ack;
    ack.epoch = 22;
    ack.ack_epoch = 11;
    ack.ack = 1;
    p.a.receive(2, ack);
    p.a.update(add(2, 2));
    const message m2 = p.a.message_for(2);
    REQUIRE(m2.from == 1);
    // ... but seq 1 never reached b: b merges seq 2 and does not ack past the gap.
    CHECK(p.b.receive(1, m2).value() == 2);
    CHECK(p.b.message_for(1).ack == 0);
    p.b.receive(1, m1);
    CHECK(p.b.message_for(1).ack == 1);
    // The next message from a starts at seq 1 again, and closes the gap.
    p.b.receive(1, p.a.message_for(2));
    CHECK(p.b.message_for(1).ack == 2);
}

TEST_CASE("an ack for another epoch of the recipient is ignored", "[anti_entropy][ack][epoch]") {
    pair_of_replicas p;
    p.a.update(add(1, 1));
    message wrong;
    wrong.epoch = 22;
    wrong.ack_epoch = 999;  // not a's epoch
    wrong.ack = 1;
    p.a.receive(2, wrong);
    CHECK(p.a.log_size() == 1);
    wrong.ack_epoch = 11;
    p.a.receive(2, wrong);
    CHECK(p.a.log_size() == 0);
}

TEST_CASE("a peer that restarts with a new epoch gets the full state", "[anti_entropy][epoch][full_state]") {
    pair_of_replicas p;
    p.a.update(add(1, 5));
    exchange(p.a, 1, p.b, 2);
    p.b.update(add(2, 3));
    exchange(p.b, 2, p.a, 1);
    exchange(p.a, 1, p.b, 2);
    REQUIRE(p.a.state() == p.b.state());
    REQUIRE(p.a.log_size() == 0);

    // b restarts with nothing: a new run, a new epoch.
    replica b2(23);
    b2.connect(1);
    const counter news = p.a.receive(2, b2.message_for(1));
    CHECK(news.empty());
    const message m = p.a.message_for(2);
    CHECK(m.full_state);
    CHECK(m.ack_epoch == 23);
    b2.receive(1, m);
    CHECK(b2.state() == p.a.state());
    CHECK(b2.state().value() == 8);
}

TEST_CASE("a late message from a peer's previous run does not reset what is known of its current run",
          "[anti_entropy][epoch][reorder]") {
    pair_of_replicas p;
    p.b.update(add(2, 1));
    const message late = p.b.message_for(1);  // from b's first run, delivered last

    replica b2(23);  // b restarts, keeping its state
    b2.connect(1);
    b2.apply(p.b.state());
    exchange(b2, 2, p.a, 1);
    b2.update(add(2, 5));
    exchange(b2, 2, p.a, 1);
    exchange(b2, 2, p.a, 1);
    REQUIRE(b2.log_size() == 0);

    CHECK(p.a.receive(2, late).empty());
    for (std::uint32_t i = 0; i < 3; ++i) {
        b2.update(add(2, 1));
        exchange(b2, 2, p.a, 1);
    }
    exchange(b2, 2, p.a, 1);
    CHECK(p.a.state() == b2.state());
    CHECK(p.a.message_for(2).ack == b2.seq());
    CHECK(b2.log_size() == 0);
    CHECK_FALSE(p.a.message_for(2).full_state);
}

TEST_CASE("a restarted peer whose full state is lost still gets back what came from its previous run",
          "[anti_entropy][epoch][loss]") {
    // a has a second peer that acknowledges nothing, so a's log keeps every entry.
    replica a(11);
    replica b(22);
    a.connect(2);
    a.connect(3);
    b.connect(1);
    b.update(add(2, 4));
    a.receive(2, b.message_for(1));
    REQUIRE(a.state().value() == 4);

    replica b2(23);  // b restarts and has lost its state
    b2.connect(1);
    a.receive(2, b2.message_for(1));
    (void)a.message_for(2);  // the full state: lost
    for (int round = 0; round < 3; ++round) exchange(a, 1, b2, 2);
    CHECK(b2.state() == a.state());
}

TEST_CASE("a replica started from a saved state ships it even when the first full state is lost",
          "[anti_entropy][full_state][loss]") {
    replica a(11, counter{}.increment(1, 9));
    CHECK(a.state().value() == 9);
    replica b(22);
    a.connect(2);
    b.connect(1);
    a.receive(2, b.message_for(1));  // b speaks first
    (void)a.message_for(2);          // a's full state: lost
    for (int round = 0; round < 3; ++round) exchange(a, 1, b, 2);
    CHECK(b.state() == a.state());
    CHECK(b.state().value() == 9);
}

TEST_CASE("a peer whose ack fell behind the trimmed log gets the full state", "[anti_entropy][full_state][trim]") {
    replica a(11, {}, /*max_log*/ 2);
    replica b(22);
    a.connect(2);
    b.connect(1);
    exchange(a, 1, b, 2);
    a.update(add(1, 1));
    exchange(a, 1, b, 2);
    REQUIRE(a.log_size() == 0);

    // b stops acknowledging: three updates, each with a message that is lost, and the log
    // keeps only the last two.
    for (std::uint32_t i = 0; i < 3; ++i) {
        a.update(add(1, 1));
        (void)a.message_for(2);
    }
    CHECK(a.log_size() == 2);
    const message m = a.message_for(2);
    CHECK(m.full_state);
    CHECK(m.from == 0);
    CHECK(m.payload == a.state());

    // Within the log's reach a delta is enough.
    replica c(33, {}, /*max_log*/ 8);
    c.connect(2);
    (void)c.message_for(2);
    c.update(add(3, 1));
    c.update(add(3, 1));
    CHECK_FALSE(c.message_for(2).full_state);
}

TEST_CASE("the log is trimmed once every peer has acknowledged, and a disconnected peer holds nothing back",
          "[anti_entropy][trim]") {
    replica a(1);
    replica b(2);
    replica c(3);
    a.connect(2);
    a.connect(3);
    b.connect(1);
    c.connect(1);
    a.update(add(1, 1));
    a.update(add(1, 1));
    exchange(a, 1, b, 2);
    CHECK(a.log_size() == 1);  // c has not acknowledged (one entry: no message named the first change alone)
    exchange(a, 1, c, 3);
    CHECK(a.log_size() == 0);

    a.update(add(1, 1));
    exchange(a, 1, b, 2);
    CHECK(a.log_size() == 1);
    a.disconnect(3);
    CHECK(a.log_size() == 0);
    // Without any peer the log holds nothing, and a peer connecting later gets the full state.
    a.disconnect(2);
    a.update(add(1, 1));
    CHECK(a.log_size() == 0);
    a.connect(2);
    CHECK(a.message_for(2).full_state);
}

TEST_CASE("changes are relayed: with links A-B and B-C only, A's change reaches C through B",
          "[anti_entropy][relay]") {
    replica a(1);
    replica b(2);
    replica c(3);
    a.connect(2);
    b.connect(1);
    b.connect(3);
    c.connect(2);

    a.update(add(1, 5));
    exchange(a, 1, b, 2);
    exchange(b, 2, c, 3);
    CHECK(c.state().value() == 5);

    c.update(add(3, 2));
    exchange(c, 3, b, 2);
    exchange(b, 2, a, 1);
    CHECK(a.state().value() == 7);
    CHECK(a.state() == c.state());

    // A change applied from elsewhere (not a peer message) is logged and relayed too.
    const counter news = b.apply(counter{}.increment(9, 1));
    CHECK(news.value() == 1);
    CHECK(b.apply(counter{}.increment(9, 1)).empty());
    exchange(b, 2, a, 1);
    exchange(b, 2, c, 3);
    CHECK(a.state() == b.state());
    CHECK(c.state() == b.state());
}

TEST_CASE("after convergence messages carry empty payloads and nothing is relayed back and forth",
          "[anti_entropy][relay][quiescence]") {
    // A triangle, so that every change can come back to its origin along the other side.
    replica r[3] = {replica(1), replica(2), replica(3)};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            if (i != j) r[i].connect(j);
    const auto round = [&] {
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j)
                if (i != j) r[j].receive(i, r[i].message_for(j));
    };
    r[0].update(add(1, 1));
    r[1].update(add(2, 2));
    r[2].update(add(3, 3));
    round();
    round();
    round();
    for (int i = 0; i < 3; ++i) {
        INFO("replica " << i);
        CHECK(r[i].state().value() == 6);
    }
    std::uint64_t seqs = 0;
    for (const auto& x : r) seqs += x.seq();
    for (int quiet = 0; quiet < 3; ++quiet) {
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) {
                if (i == j) continue;
                INFO("quiet round " << quiet << ", " << i << " -> " << j);
                const message m = r[i].message_for(j);
                CHECK_FALSE(m.full_state);
                CHECK(m.payload.empty());
                CHECK(r[j].receive(i, m).empty());
            }
        }
    }
    std::uint64_t seqs_after = 0;
    for (const auto& x : r) {
        seqs_after += x.seq();
        CHECK(x.log_size() == 0);
    }
    CHECK(seqs_after == seqs);
}

namespace {

/// `n` replicas 0..n-1 (epochs 100 + i) with the links given, messages delivered at once and in
/// order; `cut(from, to)` drops a message. Counts what crosses the links.
struct mesh {
    std::vector<replica> r;
    std::vector<std::vector<int>> links;
    std::uint64_t payload_entries = 0;  // sum over delivered messages of their payload entries
    std::uint64_t relayed_entries = 0;

    mesh(int n, bool full) : links(static_cast<std::size_t>(n)) {
        for (int i = 0; i < n; ++i) r.emplace_back(100 + static_cast<std::uint64_t>(i));
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j)
                if (i != j && (full || j == i + 1 || i == j + 1)) link(i, j);
    }
    void link(int i, int j) {
        links[static_cast<std::size_t>(i)].push_back(j);
        r[static_cast<std::size_t>(i)].connect(j);
    }
    replica& at(int i) { return r[static_cast<std::size_t>(i)]; }

    template <class Cut>
    void round(Cut&& cut) {
        for (int i = 0; i < static_cast<int>(r.size()); ++i) {
            for (const int j : links[static_cast<std::size_t>(i)]) {
                const message m = at(i).message_for(j);
                if (cut(i, j)) continue;
                if (!m.full_state) {
                    payload_entries += m.payload.size();
                    relayed_entries += m.relayed.size();
                }
                at(j).receive(i, m);
            }
        }
    }
    void round() {
        round([](int, int) { return false; });
    }
};

}  // namespace

TEST_CASE("in a full mesh nothing is relayed: each change crosses each link once", "[anti_entropy][relay][cost]") {
    constexpr int n = 8;
    constexpr int rounds = 20;
    mesh m(n, true);
    for (int w = 0; w < 3; ++w) m.round();  // full states and the first reports
    m.payload_entries = m.relayed_entries = 0;
    for (int k = 0; k < rounds; ++k) {
        for (int i = 0; i < n; ++i) m.at(i).update(add(static_cast<std::uint32_t>(i), 1));
        m.round();
    }
    for (int i = 0; i < n; ++i) CHECK(m.at(i).state().value() == n * rounds);
    // Each change (one entry) went to each of the n - 1 peers once, and no further.
    CHECK(m.payload_entries == std::uint64_t{rounds} * n * (n - 1));
    CHECK(m.relayed_entries == 0);
    // The changes each replica skipped for a peer that hears their maker are let go after
    // hold_for messages to it.
    for (std::uint32_t q = 0; q < replica::hold_for + 2; ++q) m.round();
    for (int i = 0; i < n; ++i) CHECK(m.at(i).log_size() == 0);
}

TEST_CASE("on a link that delivers in order or breaks, a change crosses once, before its ack comes back",
          "[anti_entropy][reliable]") {
    pair_of_replicas p;
    p.a.update(add(5));
    const message first = p.a.message_for(2);
    REQUIRE(first.payload.value() == 1);
    p.a.sent_reliably(2, first.to);
    CHECK(p.a.log_size() == 0);  // nothing waits for b's ack
    p.a.update(add(6));
    const message second = p.a.message_for(2);  // b has not acknowledged the first yet
    CHECK_FALSE(second.full_state);
    CHECK(second.payload.size() == 1);  // replica 6's increment only
    CHECK(second.payload.value() == 1);
    p.b.receive(1, first);
    p.b.receive(1, second);
    CHECK(p.b.state() == p.a.state());
    // Without it, the second message repeats the first's change until the ack comes.
    pair_of_replicas q;
    q.a.update(add(5));
    (void)q.a.message_for(2);
    q.a.update(add(6));
    CHECK(q.a.message_for(2).payload.size() == 2);
    // The link breaks with a message in flight: it was counted as delivered, so it is the
    // reconnection's full state that brings it.
    p.a.update(add(7));
    const message lost = p.a.message_for(2);
    p.a.sent_reliably(2, lost.to);
    p.a.disconnect(2);
    p.a.sent_reliably(2, lost.to + 5);  // a peer not connected: nothing happens
    p.a.connect(2);
    const message again = p.a.message_for(2);
    CHECK(again.full_state);
    p.b.receive(1, again);
    CHECK(p.b.state() == p.a.state());
    // An ack beyond what was logged counts only what was logged.
    p.a.sent_reliably(2, p.a.seq() + 100);
    p.a.update(add(8));
    CHECK(p.a.message_for(2).payload.value() == 1);
}

TEST_CASE("in a line every change is relayed, once per link", "[anti_entropy][relay][cost]") {
    constexpr int n = 6;
    mesh m(n, false);
    for (int w = 0; w < 3; ++w) m.round();
    m.payload_entries = m.relayed_entries = 0;
    m.at(0).update(add(0, 1));
    for (int k = 0; k < n; ++k) m.round();
    for (int i = 0; i < n; ++i) CHECK(m.at(i).state().value() == 1);
    CHECK(m.payload_entries == 1);              // 0 -> 1, as 0's own change
    CHECK(m.relayed_entries == std::uint64_t{n - 2});  // 1 -> 2 -> ... -> 5, never back
}

TEST_CASE("a change held back because the peer hears its maker is sent after all when the peer stops hearing it",
          "[anti_entropy][relay][one_way]") {
    mesh m(3, true);
    for (int w = 0; w < 3; ++w) m.round();
    // 0's change reaches 1, but 0 -> 2 fails one way from now on. 1 holds the change back from
    // 2 while 2 reports hearing 0; once 2 has sent 0 a window of messages with no answer, it
    // stops reporting 0, and 1 logs the change again for 2 alone.
    m.at(0).update(add(0, 5));
    const auto cut = [](int from, int to) { return from == 0 && to == 2; };
    m.round(cut);
    CHECK(m.at(1).state().value() == 5);
    CHECK(m.at(2).state().value() == 0);
    int rounds = 1;
    while (m.at(2).state().value() == 0 && rounds < 3 * static_cast<int>(replica::hear_window)) {
        m.round(cut);
        ++rounds;
    }
    CHECK(m.at(2).state().value() == 5);
    CHECK(rounds > 1);  // not at once: while 2 heard 0, 1 did not relay
    for (int q = 0; q < 4; ++q) m.round(cut);
    CHECK(m.at(1).log_size() == 0);  // 2 acknowledged the change logged again for it
}

TEST_CASE("a report that was lost is asked for, and the next message carries it", "[anti_entropy][report]") {
    mesh m(3, true);
    for (int w = 0; w < 3; ++w) m.round();
    // 2 stops hearing 1 (1's messages to it are lost for a window), so its report to 0 changes;
    // that message is lost too.
    for (std::uint32_t k = 0; k < replica::hear_window; ++k)
        m.round([](int from, int to) { return (from == 1 && to == 2) || (from == 2 && to == 0); });
    message from_2 = m.at(2).message_for(0);
    CHECK_FALSE(from_2.has_report);  // the report went out in a lost message
    const std::uint64_t version = from_2.report_version;
    m.at(0).receive(2, from_2);
    const message ask = m.at(0).message_for(2);
    CHECK(ask.awaiting_report);  // 0 saw a version it lacks
    m.at(2).receive(0, ask);
    from_2 = m.at(2).message_for(0);
    CHECK(from_2.has_report);
    CHECK(from_2.report_version == version);
    CHECK(from_2.report.empty());  // 2 hears nobody but 0, and does not report 0 to 0
    REQUIRE(from_2.dropped.size() == 1);
    CHECK(from_2.dropped[0].epoch == 101);
    m.at(0).receive(2, from_2);
    CHECK_FALSE(m.at(0).message_for(2).awaiting_report);
}

TEST_CASE("a peer that reports it stopped hearing a maker after its skipped change was let go gets the full state",
          "[anti_entropy][relay][one_way]") {
    mesh m(3, true);
    for (int w = 0; w < 3; ++w) m.round();
    // 0's messages to 2 are lost, yet 2 is told 0's link is alive (say a transport's
    // heartbeat still arrives): 2 keeps reporting 0 as heard while it lacks 0's change, and 1
    // lets the change go after hold_for messages.
    const auto cut = [](int from, int to) { return from == 0 && to == 2; };
    m.at(0).update(add(0, 5));
    for (std::uint32_t k = 0; k < replica::hold_for + 2; ++k) {
        m.round(cut);
        m.at(2).heard(0);
    }
    CHECK(m.at(1).state().value() == 5);
    CHECK(m.at(2).state().value() == 0);
    // Once 2 stops hearing 0, its report says so, short of the change: 1 sends the full state.
    bool full_from_1 = false;
    for (std::uint32_t k = 0; k < 2 * replica::hear_window && m.at(2).state().value() == 0; ++k) {
        const message to_2 = m.at(1).message_for(2);
        full_from_1 = full_from_1 || to_2.full_state;
        m.at(2).receive(1, to_2);
        m.round(cut);
    }
    CHECK(m.at(2).state().value() == 5);
    CHECK(full_from_1);
}

TEST_CASE("a held change whose log entry must be trimmed is logged again for the peer that lacks it",
          "[anti_entropy][relay][trim]") {
    // max_log 1: every new entry pushes the held one out.
    std::vector<replica> r;
    for (std::uint64_t i = 0; i < 3; ++i) r.emplace_back(100 + i, counter{}, 1);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            if (i != j) r[static_cast<std::size_t>(i)].connect(j);
    const auto round = [&](bool cut_0_to_2) {
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j)
                if (i != j && !(cut_0_to_2 && i == 0 && j == 2)) r[static_cast<std::size_t>(j)].receive(i, r[static_cast<std::size_t>(i)].message_for(j));
    };
    for (int w = 0; w < 3; ++w) round(false);
    r[0].update(add(0, 5));
    round(true);  // 1 holds 0's change back from 2, which still hears 0
    r[1].update(add(1, 1));
    r[1].update(add(1, 1));  // the held entry leaves the log
    for (int k = 0; k < 4; ++k) round(true);
    CHECK(r[2].state().value() == 7);
    CHECK(r[2].state() == r[1].state());
}

TEST_CASE("anti_entropy converges a retirable_counter_map without relaying retired entries forever",
          "[anti_entropy][retirable_counter_map]") {
    using rcm = retirable_counter_map<std::string, std::uint32_t>;
    using node = anti_entropy<rcm, int>;
    node a(1);
    node b(2);
    node c(3);
    a.connect(2);
    b.connect(1);
    b.connect(3);
    c.connect(2);
    // a counts for replica 7 while c retires it: the two meet at b.
    a.update([](rcm& s) { return s.increment("home", 7, 3); });
    a.update([](rcm& s) { return s.increment("home", 8, 1); });
    c.update([](rcm& s) { return s.retire(7); });
    for (int round = 0; round < 4; ++round) {
        exchange(a, 1, b, 2);
        exchange(b, 2, c, 3);
    }
    CHECK(a.state() == b.state());
    CHECK(b.state() == c.state());
    CHECK(a.state().value("home") == 1);
    const std::uint64_t seq = b.seq();
    for (int round = 0; round < 3; ++round) {
        const auto m = a.message_for(2);
        CHECK(m.payload.empty());
        CHECK(b.receive(1, m).empty());
        exchange(b, 2, c, 3);
    }
    CHECK(b.seq() == seq);
}

TEST_CASE("a sync_message survives encode and decode with every field", "[anti_entropy][sync_message][encoding]") {
    replica a(0xfeedface12345678);
    a.update(add(1, 300));
    a.connect(2);
    message m = a.message_for(2);
    m.ack_epoch = 5;
    m.ack = 1u << 20;
    const auto bytes = encode(m);
    CHECK(bytes[2] == std::byte{7});
    const auto back = decode<message>(bytes);
    REQUIRE(back.has_value());
    CHECK(*back == m);
    CHECK(back->full_state);

    using map_message = sync_message<g_map<std::string, counter>>;
    map_message mm;
    mm.from = 3;
    mm.to = 9;
    mm.payload.update("home", add(1, 2));
    const auto mm_back = decode<map_message>(encode(mm));
    REQUIRE(mm_back.has_value());
    CHECK(*mm_back == mm);
}
