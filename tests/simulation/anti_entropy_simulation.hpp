// The deterministic network simulation with replicas that sync through converge::anti_entropy over a faulty network.
// SPDX-License-Identifier: MIT
#pragma once

#include "network.hpp"
#include "random.hpp"
#include "simulation.hpp"

#include <converge/converge.hpp>
#include <converge/fmt.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace converge_sim {

/// One seed's run of the anti_entropy protocol for the CRDT type `T`. The scenario (replicas,
/// loss, duplicates, delays, partitions, operation rate) is drawn as in `simulation`, except
/// that one seed in sixteen runs 17 to 64 replicas; then each seed draws a topology (a ring, so
/// that every replica is reachable, plus random extra links, sometimes all of them), a log
/// limit (often small, so that peers fall behind the trimmed log and get full states), a
/// restart rate and a rate of one-way link failures (a direction of a link that carries
/// nothing for a while, so that a replica keeps hearing a peer that no longer hears it).
///
/// 1. faulty phase: every tick, replicas apply random local operations through
///    `anti_entropy::update`, now and then send each linked peer `message_for(peer)` (encoded
///    as a sync_message), and now and then restart: a new anti_entropy with a new epoch and
///    the state it had (as if restored from a snapshot), its log and peer tracking gone; and
///    now and then one to three directions of links fail, or the failed ones heal;
/// 2. the faults stop (no loss, no partitions, no restarts; delays, reordering and duplicates
///    go on) and the network drains;
/// 3. quiet rounds: every replica sends every linked peer its message, then the network drains;
///    replicas + 4 rounds, plus the rounds a skipped change is held for a peer;
/// 4. every replica must hold the same state, equal to one object that saw every operation and
///    to the truth; then two more rounds must carry only empty, non-full payloads that tell
///    nobody anything, and leave every log empty: the protocol has gone quiet.
///
/// Along the way every message must decode, every receive must be inflationary, absorb what
/// arrived and return as news exactly what it added.
///
/// With `in_order` the links are TCP connections, as on the service's mesh: each direction
/// delivers what it carries in order and once, or breaks. The sender counts a message as
/// delivered once sent (`anti_entropy::sent_reliably`); a message that the network drops, a
/// partition cuts off or a one-way failure swallows breaks its connection, and so does a
/// restart of either end: the sender then disconnects and connects again (the full state
/// follows), and what was in flight on the old connection, or arrived after a gap in it, is
/// thrown away. The network's delays, reordering and duplicates stay underneath, undone by
/// each connection's numbering as TCP would.
template <class T>
class anti_entropy_simulation {
    using ops = converge_test::crdt_ops<T>;
    using actor = converge_test::actor_type<T>;
    using truth_type = typename ops::truth;
    using node = converge::anti_entropy<T, std::size_t>;
    using sync_message = typename node::message;

public:
    anti_entropy_simulation(std::uint64_t seed, bool trace, bool in_order = false)
        : rng_(seed), scenario_(draw_mesh_scenario(rng_)), trace_(trace), in_order_(in_order),
          links_(scenario_.replicas) {
        const std::size_t n = scenario_.replicas;
        max_log_ = rng_.below(4) == 0 ? 1024 : static_cast<std::size_t>(rng_.between(1, 16));
        restart_permille_ = rng_.below(2) == 0 ? 0 : rng_.between(1, 15);
        one_way_permille_ = rng_.below(2) == 0 ? 0 : rng_.between(5, 100);
        // A full mesh one seed in four (the service's usual shape); otherwise sparser as the
        // cluster grows, so that a 64-replica seed costs about what a 16-replica one does.
        const std::uint64_t extra_link_permille =
            n <= 16 && rng_.below(4) == 0 ? 1000 : rng_.between(0, 500) * 16 / std::max<std::size_t>(n, 16);
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = i + 1; j < n; ++j) {
                const bool ring = j == i + 1 || (i == 0 && j == n - 1);
                if (ring || rng_.chance(extra_link_permille)) {
                    links_[i].push_back(j);
                    links_[j].push_back(i);
                }
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            ids_.push_back(converge_test::actor_id<actor>(i));
            nodes_.push_back(make_node(i, T{}));
        }
    }

    outcome run() {
        outcome result;
        try {
            if (trace_) {
                fmt::print("scenario: {}\n", describe(scenario_));
                fmt::print("anti-entropy: max_log {}, restarts {} permille a tick, one-way failures {} permille a tick{}\n",
                           max_log_, restart_permille_, one_way_permille_, in_order_ ? ", links in order or broken" : "");
                for (std::size_t i = 0; i < links_.size(); ++i) {
                    std::string peers;
                    for (const std::size_t p : links_[i]) peers += (peers.empty() ? "" : ", ") + std::to_string(p);
                    fmt::print("  replica {} links to {}\n", i, peers);
                }
            }
            faulty_phase();
            stop_faults();
            // Enough rounds for a change to cross the cluster, and for every change skipped for a
            // peer to be let go (or logged again for it).
            for (std::size_t r = 0; r < nodes_.size() + 4 + node::hold_for; ++r) round();
            check_converged();
            check_quiet();
        } catch (const check_failed& f) {
            result.failure = fmt::format("tick {}: {}", net_.now(), f.what);
        } catch (const std::exception& e) {
            result.failure = fmt::format("tick {}: unexpected exception: {}", net_.now(), e.what());
        }
        result.counts = counts_;
        return result;
    }

private:
    using bytes = std::shared_ptr<const std::vector<std::byte>>;  // one encoding, shared by every copy
    /// What the network carries: the encoding, and (in order) its connection and place on it.
    struct carried {
        bytes data;
        std::uint64_t connection = 0;
        std::uint64_t seq = 0;
    };
    using message = typename network<carried>::message;

    /// One direction of a link, in order: the sender's connection and how many it sent on it;
    /// the connection the receiver reads, how many it handed over, and what came after a gap.
    struct connection {
        std::uint64_t number = 0;
        std::uint64_t sent = 0;
        std::uint64_t reading = 0;
        std::uint64_t handed_over = 0;
        std::map<std::uint64_t, bytes> early;
    };

    template <class... Args>
    void trace(fmt::format_string<Args...> f, Args&&... args) {
        if (trace_) fmt::print("t={:<4} {}\n", net_.now(), fmt::format(f, std::forward<Args>(args)...));
    }

    static scenario draw_mesh_scenario(rng& r) {
        scenario s = draw_scenario(r);
        if (r.below(16) == 0) s.replicas = static_cast<std::size_t>(r.between(17, 64));
        return s;
    }

    /// A replica's protocol state, connected to its linked peers; epochs are never 0 (a peer
    /// not heard from yet counts as epoch 0) and differ between runs.
    node make_node(std::size_t i, T state) {
        node x(rng_.next() | 1, std::move(state), max_log_);
        for (const std::size_t p : links_[i]) x.connect(p);
        return x;
    }

    // --- phases ---

    void faulty_phase() {
        for (; net_.now() < scenario_.fault_ticks; net_.tick()) {
            if (net_.maybe_repartition()) trace("repartition");
            for (std::size_t i = 0; i < nodes_.size(); ++i) {
                if (rng_.chance(scenario_.op_permille)) {
                    const auto n = rng_.between(1, 3);
                    for (std::uint64_t k = 0; k < n; ++k) local_op(i);
                }
                if (rng_.chance(scenario_.flush_permille)) send_all(i);
                if (rng_.chance(restart_permille_)) restart(i);
            }
            if (rng_.chance(one_way_permille_)) recut();
            net_.deliver_due([this](const message& m, bool lost) { deliver(m, lost); });
        }
    }

    /// Heals every failed direction, or fails one to three more.
    void recut() {
        if (!cut_.empty() && rng_.below(2) == 0) {
            cut_.clear();
            trace("one-way failures heal");
            return;
        }
        for (std::uint64_t k = rng_.between(1, 3); k > 0; --k) {
            const std::size_t from = rng_.index(links_.size());
            const std::size_t to = links_[from][rng_.index(links_[from].size())];
            cut_.insert({from, to});
            trace("link {} -> {} fails one way", from, to);
        }
    }

    void stop_faults() {
        cut_.clear();
        net_.stop_faults();
        trace("faults stop: partitions healed, no more drops or restarts");
        net_.drain([this](const message& m, bool lost) { deliver(m, lost); });
    }

    void round() {
        for (std::size_t i = 0; i < nodes_.size(); ++i) send_all(i);
        net_.drain([this](const message& m, bool lost) { deliver(m, lost); });
    }

    void check_converged() {
        const T& first = nodes_[0].state();
        const auto first_bytes = converge::encode(first);
        for (std::size_t i = 1; i < nodes_.size(); ++i) {
            if (!(nodes_[i].state() == first))
                fail("after the quiet rounds replica {} holds {} but replica 0 holds {}", i,
                     show(nodes_[i].state()), show(first));
            if (converge::encode(nodes_[i].state()) != first_bytes)
                fail("replicas 0 and {} are equal but encode differently", i);
        }
        // Skipped for or_set, whose truth checks the whole state instead (see simulation.hpp).
        if (converge_test::replays_sequentially<T>() && !(first == sequential_))
            fail("replicas hold {} but one object that saw every operation holds {}", show(first), show(sequential_));
        if (!ops::matches(first, truth_))
            fail("replicas hold {} but the truth computed outside the CRDT is {}", show(first), show_truth(truth_));
        if (trace_) trace("converged: {}", show(first));
    }

    /// Once converged, a round may still carry acks; the round after must carry nothing.
    void check_quiet() {
        round();
        quiet_ = true;
        round();
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].log_size() != 0)
                fail("replica {} still logs {} entries after two quiet rounds", i, nodes_[i].log_size());
    }

    // --- replicas ---

    void local_op(std::size_t i) {
        const auto op = op_gen_(rc::Random(rng_.next()), rc::kNominalSize).value();
        const T delta =
            nodes_[i].update([&](T& s) { return converge_test::apply_and_record(s, truth_, ids_[i], op); });
        if constexpr (converge_test::replays_sequentially<T>()) ops::apply(sequential_, ids_[i], op);
        ++counts_.ops;
        if (trace_) trace("replica {} operates: delta {}", i, show(delta));
    }

    void send_all(std::size_t i) {
        for (const std::size_t p : links_[i]) {
            const sync_message m = nodes_[i].message_for(p);
            if (quiet_ && (m.full_state || !m.payload.empty() || !m.relayed.empty()))
                fail("replica {} sends {} to {} after convergence", i, show(m), p);
            if (trace_) trace("replica {} -> {}: {}", i, p, show(m));
            const auto encoded = std::make_shared<const std::vector<std::byte>>(converge::encode(m));
            connection& c = connections_[{i, p}];
            const carried frame{encoded, c.number, ++c.sent};
            if (in_order_) nodes_[i].sent_reliably(p, m.to);
            if (cut_.contains({i, p})) {
                trace("message {} -> {} lost to a one-way failure", i, p);
                if (in_order_) break_connection(i, p);
                continue;
            }
            if (net_.send(i, p, frame, encoded->size()).empty()) {
                trace("message {} -> {} dropped", i, p);
                if (in_order_) break_connection(i, p);
            }
        }
    }

    void restart(std::size_t i) {
        nodes_[i] = make_node(i, nodes_[i].state());
        trace("replica {} restarts with epoch {}", i, nodes_[i].epoch());
        if (!in_order_) return;
        // Its connections die with it: what it sent is gone, and its peers reconnect to it.
        for (const std::size_t p : links_[i]) {
            connection& out = connections_[{i, p}];
            ++out.number;
            out.sent = 0;
            break_connection(p, i);
        }
    }

    /// The connection from `from` to `to` broke: the sender notices, and connects again.
    void break_connection(std::size_t from, std::size_t to) {
        connection& c = connections_[{from, to}];
        ++c.number;
        c.sent = 0;
        nodes_[from].disconnect(to);
        nodes_[from].connect(to);
        trace("connection {} -> {} breaks; the next is number {}", from, to, c.number);
    }

    // --- network ---

    void deliver(const message& m, bool lost) {
        if (lost) {
            trace("message {} -> {} lost to the partition", m.from, m.to);
            if (in_order_ && m.payload.connection == connections_[{m.from, m.to}].number) break_connection(m.from, m.to);
            return;
        }
        if (!in_order_) {
            hand_over(m.from, m.to, *m.payload.data);
            return;
        }
        connection& c = connections_[{m.from, m.to}];
        if (m.payload.connection < c.reading) return;  // its connection is gone
        if (m.payload.connection > c.reading) {
            c.reading = m.payload.connection;
            c.handed_over = 0;
            c.early.clear();
        }
        if (m.payload.seq <= c.handed_over) return;  // a duplicate
        c.early.emplace(m.payload.seq, m.payload.data);
        while (!c.early.empty() && c.early.begin()->first == c.handed_over + 1) {
            const bytes next = c.early.begin()->second;
            c.early.erase(c.early.begin());
            ++c.handed_over;
            hand_over(m.from, m.to, *next);
        }
    }

    /// Gives `to` a message from `from`, checking what it does.
    void hand_over(std::size_t from, std::size_t to, const std::vector<std::byte>& payload) {
        const auto decoded = converge::decode<sync_message>(payload);
        if (!decoded) fail("replica {} could not decode a message from {}: {}", to, from, decoded.error().message());
        const T before = nodes_[to].state();
        const T news = nodes_[to].receive(from, *decoded);
        const T& after = nodes_[to].state();
        if (!before.delta_for(after).empty())
            fail("replica {} lost part of its state receiving {} from {}: {} became {}", to, show(*decoded), from,
                 show(before), show(after));
        if (!decoded->payload.delta_for(after).empty() || !decoded->relayed.delta_for(after).empty())
            fail("replica {} did not absorb {} from {}: {} became {}", to, show(*decoded), from, show(before),
                 show(after));
        T expected = before;
        expected.merge(news);
        if (!(expected == after))
            fail("replica {} reported news {} receiving {} from {}, but {} became {}", to, show(news),
                 show(*decoded), from, show(before), show(after));
        if (quiet_ && !news.empty()) fail("replica {} learned {} from {} after convergence", to, show(news), from);
    }

    rng rng_;
    scenario scenario_;
    bool trace_;
    bool in_order_;
    std::map<std::pair<std::size_t, std::size_t>, connection> connections_;  // by (from, to)
    bool quiet_ = false;  // converged: every message must now be empty
    std::size_t max_log_ = 1024;
    std::uint64_t restart_permille_ = 0;
    std::uint64_t one_way_permille_ = 0;
    std::set<std::pair<std::size_t, std::size_t>> cut_;  // directions of links that carry nothing
    std::vector<std::vector<std::size_t>> links_;
    std::vector<actor> ids_;
    std::vector<node> nodes_;
    T sequential_;
    truth_type truth_{};
    stats counts_;
    network<carried> net_{rng_, scenario_, counts_};
    rc::Gen<typename ops::op> op_gen_ = ops::gen_op();
};

/// Runs seed `seed` of the anti_entropy simulation for type `T`.
template <class T>
outcome run_anti_entropy_seed(std::uint64_t seed, bool trace) {
    return anti_entropy_simulation<T>(seed, trace).run();
}

/// Runs seed `seed` of the anti_entropy simulation for type `T` over links that deliver in
/// order or break (TCP), with `sent_reliably`.
template <class T>
outcome run_anti_entropy_in_order_seed(std::uint64_t seed, bool trace) {
    return anti_entropy_simulation<T>(seed, trace, /*in_order*/ true).run();
}

}  // namespace converge_sim
