// The deterministic network simulation with replicas that sync through converge::broadcast_sync, one publish heard by every other replica.
// SPDX-License-Identifier: MIT
#pragma once

#include "network.hpp"
#include "random.hpp"
#include "simulation.hpp"

#include <converge/converge.hpp>
#include <converge/fmt.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace converge_sim {

/// One seed's run of the broadcast_sync protocol for the CRDT type `T`, as on a pub/sub fabric:
/// every publish goes to every other replica as a separate message, and repair requests and
/// answers go point to point, all through the same faulty network. The scenario is drawn as in
/// `simulation`, then the seed draws the number of replicas again (2 to 64: most seeds small,
/// one in twenty from 17 to 64, with fewer faulty ticks so that a seed costs about the same),
/// a log limit (often small, so that repairs need full states), a retry time, a restart rate
/// and a rate of one-way link failures (a link from i to j that drops everything while the
/// link from j to i works).
///
/// 1. faulty phase: every tick, replicas apply random local operations through `update`, now
///    and then publish, send their repair requests (`repair_requests(now)`), and now and then
///    restart: a new broadcast_sync with a new epoch and the state it had (as if restored from
///    a snapshot), its log and tracking gone; requests are answered on arrival;
/// 2. the faults stop (no loss, partitions, broken links or restarts; delays, reordering and
///    duplicates go on) and the network drains;
/// 3. quiet rounds, one to four: every replica publishes, the network drains, every replica
///    sends its repair requests, the network drains, and the clock passes the retry time;
///    after the first, they end when no replica wants a repair;
/// 4. every replica must hold the same state, equal to one object that saw every operation and
///    to the truth, and want no repair; then two more rounds must carry only digests and no
///    request, and tell nobody anything: the protocol has gone quiet.
///
/// Along the way every message must decode, every receive must be inflationary, absorb what
/// arrived, return as news exactly what it added, and never move `have` back within a run.
template <class T>
class broadcast_simulation {
    using ops = converge_test::crdt_ops<T>;
    using actor = converge_test::actor_type<T>;
    using truth_type = typename ops::truth;
    using node = converge::broadcast_sync<T, std::size_t>;
    using broadcast_message = typename node::message;
    using repair_request = typename node::request;

public:
    broadcast_simulation(std::uint64_t seed, bool trace)
        : rng_(seed), scenario_(draw_sized(rng_)), trace_(trace) {
        max_log_ = rng_.below(4) == 0 ? 1024 : static_cast<std::size_t>(rng_.between(0, 16));
        retry_after_ = rng_.between(1, 30);
        restart_permille_ = rng_.below(2) == 0 ? 0 : rng_.between(1, 15);
        link_fail_permille_ = rng_.below(2) == 0 ? 0 : rng_.between(10, 300);
        const std::size_t n = scenario_.replicas;
        link_down_.assign(n * n, false);
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
                fmt::print("broadcast: {} replicas, max_log {}, retry after {} ticks, restarts {} permille a tick, "
                           "one-way link failures {} permille a tick\n",
                           nodes_.size(), max_log_, retry_after_, restart_permille_, link_fail_permille_);
            }
            faulty_phase();
            stop_faults();
            // A gap shows only at the next publish: one round always, more while repairs are wanted.
            for (int r = 0; r == 0 || (r < 4 && wanted() > 0); ++r) round();
            if (const std::size_t w = wanted(); w > 0) fail("{} replicas still want repairs after the quiet rounds", w);
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
    /// The scenario with the number of replicas drawn again: most seeds are small; a few are
    /// large, and those get fewer faulty ticks and operations, since each publish costs a
    /// message per other replica. (Drawn before the network, which sizes itself by it.)
    static scenario draw_sized(rng& r) {
        scenario s = draw_scenario(r);
        const std::uint64_t size = r.below(20);
        if (size < 14) {
            s.replicas = static_cast<std::size_t>(r.between(2, 6));
        } else if (size < 19) {
            s.replicas = static_cast<std::size_t>(r.between(7, 16));
        } else {
            s.replicas = static_cast<std::size_t>(r.between(17, 64));
            s.fault_ticks = std::min<std::uint64_t>(s.fault_ticks, 40);
            s.op_permille = std::min<std::uint64_t>(s.op_permille, 100);
        }
        return s;
    }

    enum class kind : std::uint8_t { publish, request, answer };
    struct envelope {
        kind what;
        std::shared_ptr<const std::vector<std::byte>> bytes;  // one encoding, shared by every copy
    };
    using message = typename network<envelope>::message;

    template <class... Args>
    void trace(fmt::format_string<Args...> f, Args&&... args) {
        if (trace_) fmt::print("t={:<4} {}\n", net_.now(), fmt::format(f, std::forward<Args>(args)...));
    }

    static std::string show_message(const broadcast_message& m) {
        static constexpr const char* names[] = {"interval", "digest", "repair", "full_state"};
        return fmt::format("{} of {} epoch {:x} ({}, {}] {}", names[static_cast<int>(m.kind)], m.sender, m.epoch,
                           m.from, m.to, show(m.payload));
    }

    /// Epochs differ between runs (a random 64-bit number each).
    node make_node(std::size_t i, T state) {
        return node(i, rng_.next(), std::move(state), max_log_, retry_after_);
    }

    std::size_t wanted() const {
        std::size_t w = 0;
        for (const node& x : nodes_)
            if (x.repairs_wanted() > 0) ++w;
        return w;
    }

    // --- phases ---

    void faulty_phase() {
        for (; net_.now() < scenario_.fault_ticks; net_.tick()) {
            if (net_.maybe_repartition()) trace("repartition");
            maybe_break_links();
            for (std::size_t i = 0; i < nodes_.size(); ++i) {
                if (rng_.chance(scenario_.op_permille)) {
                    const auto n = rng_.between(1, 3);
                    for (std::uint64_t k = 0; k < n; ++k) local_op(i);
                }
                if (rng_.chance(scenario_.flush_permille)) publish(i);
                send_requests(i);
                if (rng_.chance(restart_permille_)) restart(i);
            }
            net_.deliver_due([this](const message& m, bool lost) { deliver(m, lost); });
        }
    }

    /// Now and then one link breaks in one direction; now and then all heal.
    void maybe_break_links() {
        if (!rng_.chance(link_fail_permille_)) return;
        const std::size_t n = nodes_.size();
        if (rng_.below(4) == 0) {
            std::fill(link_down_.begin(), link_down_.end(), false);
            trace("every one-way link failure heals");
            return;
        }
        const std::size_t from = rng_.index(n);
        const std::size_t to = (from + 1 + rng_.index(n - 1)) % n;
        link_down_[from * n + to] = true;
        trace("link {} -> {} fails (the way back works)", from, to);
    }

    void stop_faults() {
        net_.stop_faults();
        std::fill(link_down_.begin(), link_down_.end(), false);
        faults_ = false;
        trace("faults stop: partitions and links healed, no more drops or restarts");
        drain();
    }

    void round() {
        for (std::size_t i = 0; i < nodes_.size(); ++i) publish(i);
        drain();
        for (std::size_t i = 0; i < nodes_.size(); ++i) send_requests(i);
        drain();
        for (std::uint64_t t = 0; t < retry_after_; ++t) net_.tick();
    }

    void drain() {
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
        if (converge_test::replays_sequentially<T>() && !(first == sequential_))
            fail("replicas hold {} but one object that saw every operation holds {}", show(first), show(sequential_));
        if (!ops::matches(first, truth_))
            fail("replicas hold {} but the truth computed outside the CRDT is {}", show(first), show_truth(truth_));
        // Every replica tracks every other at its current run, with nothing missing.
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            for (std::size_t j = 0; j < nodes_.size(); ++j) {
                if (i == j) continue;
                const auto p = nodes_[i].progress_of(j);
                const bool exact = p && p->epoch == nodes_[j].epoch() && p->have == nodes_[j].seq();
                if (!exact && !(nodes_[j].seq() == 0 && !p))
                    fail("replica {} tracks replica {} at {} but it is at epoch {:x} seq {}", i, j,
                         p ? fmt::format("epoch {:x} have {} heard {}", p->epoch, p->have, p->heard) : "nothing",
                         nodes_[j].epoch(), nodes_[j].seq());
            }
        }
        if (trace_) trace("converged: {}", show(first));
    }

    void check_quiet() {
        quiet_ = true;
        round();
        round();
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

    void publish(std::size_t i) {
        const broadcast_message m = nodes_[i].publish();
        if (quiet_ && m.kind != converge::broadcast_kind::digest)
            fail("replica {} publishes {} after convergence", i, show_message(m));
        if (trace_) trace("replica {} publishes {}", i, show_message(m));
        const auto bytes = std::make_shared<const std::vector<std::byte>>(converge::encode(m));
        for (std::size_t j = 0; j < nodes_.size(); ++j)
            if (j != i) send(i, j, {kind::publish, bytes});
    }

    void send_requests(std::size_t i) {
        for (const repair_request& q : nodes_[i].repair_requests(net_.now())) {
            if (quiet_) fail("replica {} asks {} for a repair after convergence", i, q.sender);
            trace("replica {} asks {} for epoch {:x} after {}", i, q.sender, q.epoch, q.have);
            send(i, q.sender, {kind::request, std::make_shared<const std::vector<std::byte>>(converge::encode(q))});
        }
    }

    void restart(std::size_t i) {
        nodes_[i] = make_node(i, nodes_[i].state());
        trace("replica {} restarts with epoch {:x}", i, nodes_[i].epoch());
    }

    // --- network ---

    void send(std::size_t from, std::size_t to, envelope e) {
        const std::size_t size = e.bytes->size();
        if (faults_ && link_down_[from * nodes_.size() + to]) {
            ++counts_.sent;
            ++counts_.dropped;
            counts_.bytes += size;
            return;
        }
        net_.send(from, to, std::move(e), size);
    }

    void deliver(const message& m, bool lost) {
        if (lost) return;
        if (m.payload.what == kind::request) {
            const auto q = converge::decode<repair_request>(*m.payload.bytes);
            if (!q) fail("replica {} could not decode a request from {}: {}", m.to, m.from, q.error().message());
            if (q->requester != m.from || q->sender != m.to)
                fail("replica {} got a request from {} naming {} and {}", m.to, m.from, q->requester, q->sender);
            const auto answer = nodes_[m.to].answer(*q);
            if (!answer) fail("replica {} did not answer a request addressed to it", m.to);
            if (trace_) trace("replica {} answers {}: {}", m.to, m.from, show_message(*answer));
            send(m.to, m.from,
                 {kind::answer, std::make_shared<const std::vector<std::byte>>(converge::encode(*answer))});
            return;
        }
        const auto decoded = converge::decode<broadcast_message>(*m.payload.bytes);
        if (!decoded) fail("replica {} could not decode a message from {}: {}", m.to, m.from, decoded.error().message());
        if (decoded->sender != m.from) fail("replica {} got a message of {} from {}", m.to, decoded->sender, m.from);
        node& x = nodes_[m.to];
        const T before = x.state();
        const auto progress_before = x.progress_of(m.from);
        const T news = x.receive(*decoded);
        const T& after = x.state();
        if (!before.delta_for(after).empty())
            fail("replica {} lost part of its state receiving {}: {} became {}", m.to, show_message(*decoded),
                 show(before), show(after));
        if (!decoded->payload.delta_for(after).empty())
            fail("replica {} did not absorb {}: {} became {}", m.to, show_message(*decoded), show(before), show(after));
        T expected = before;
        expected.merge(news);
        if (!(expected == after))
            fail("replica {} reported news {} receiving {}, but {} became {}", m.to, show(news),
                 show_message(*decoded), show(before), show(after));
        const auto progress_after = x.progress_of(m.from);
        if (progress_before && progress_after && progress_before->epoch == progress_after->epoch &&
            progress_after->have < progress_before->have)
            fail("replica {} moved have of {} back from {} to {}", m.to, m.from, progress_before->have,
                 progress_after->have);
        if (quiet_ && !news.empty()) fail("replica {} learned {} from {} after convergence", m.to, show(news), m.from);
    }

    rng rng_;
    scenario scenario_;
    bool trace_;
    bool quiet_ = false;  // converged: only digests may travel
    bool faults_ = true;
    std::size_t max_log_ = 1024;
    std::uint64_t retry_after_ = 3;
    std::uint64_t restart_permille_ = 0;
    std::uint64_t link_fail_permille_ = 0;
    std::vector<bool> link_down_;  // [from * n + to]: that direction drops everything
    std::vector<actor> ids_;
    std::vector<node> nodes_;
    T sequential_;
    truth_type truth_{};
    stats counts_;
    network<envelope> net_{rng_, scenario_, counts_};
    rc::Gen<typename ops::op> op_gen_ = ops::gen_op();
};

/// Runs seed `seed` of the broadcast_sync simulation for type `T`.
template <class T>
outcome run_broadcast_seed(std::uint64_t seed, bool trace) {
    return broadcast_simulation<T>(seed, trace).run();
}

}  // namespace converge_sim
