// The deterministic network simulation: replicas of one CRDT type trading encoded deltas over a faulty network.
// SPDX-License-Identifier: MIT
#pragma once

#include "../support/crdt_ops.hpp"
#include "random.hpp"

#include <converge/converge.hpp>
#include <converge/fmt.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <queue>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace converge_sim {

/// The shape of one seed's run. It is drawn from the seed before anything else, so that
/// `--describe` can print it without running anything.
struct scenario {
    std::size_t replicas = 2;               // 2..16
    std::uint64_t fault_ticks = 0;          // length of the faulty phase
    std::uint64_t op_permille = 0;          // per replica and tick: chance of local operations
    std::uint64_t flush_permille = 0;       // per replica and tick: chance of shipping its buffered deltas
    std::uint64_t drop_permille = 0;        // per message, while faults last
    std::uint64_t duplicate_permille = 0;   // per message, always (duplicates are harmless by design)
    std::uint64_t max_delay = 0;            // a message arrives 1..1+max_delay ticks after it was sent
    std::uint64_t partition_permille = 0;   // per tick: chance that the partition changes
    std::uint64_t gossip_permille = 0;      // per replica and tick: chance of anti-entropy during faults
};

inline scenario draw_scenario(rng& r) {
    scenario s;
    s.replicas = static_cast<std::size_t>(r.between(2, 16));
    s.fault_ticks = r.between(5, 120);
    s.op_permille = r.between(20, 400);
    s.flush_permille = r.between(50, 700);
    // Most seeds lose some messages; one in eight loses (nearly) all of them, so that only
    // anti-entropy can repair the gap; one in eight loses none.
    switch (r.below(8)) {
    case 0: s.drop_permille = 0; break;
    case 1: s.drop_permille = r.between(900, 1000); break;
    default: s.drop_permille = r.between(1, 500); break;
    }
    s.duplicate_permille = r.below(4) == 0 ? 0 : r.between(1, 300);
    s.max_delay = r.below(4) == 0 ? 0 : r.between(1, 20);
    s.partition_permille = r.below(3) == 0 ? 0 : r.between(10, 150);
    s.gossip_permille = r.between(0, 60);
    return s;
}

inline std::string describe(const scenario& s) {
    const auto pct = [](std::uint64_t permille) { return fmt::format("{}.{}%", permille / 10, permille % 10); };
    return fmt::format(
        "{} replicas, {} faulty ticks; per replica and tick: ops {}, flush {}, gossip {}; "
        "repartition {} a tick; per message: drop {}, duplicate {}, delay 1..{} ticks",
        s.replicas, s.fault_ticks, pct(s.op_permille), pct(s.flush_permille), pct(s.gossip_permille),
        pct(s.partition_permille), pct(s.drop_permille), pct(s.duplicate_permille), s.max_delay + 1);
}

/// What a run did, summed over seeds for the summary line.
struct stats {
    std::uint64_t ops = 0;
    std::uint64_t sent = 0;
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t delivered = 0;
    std::uint64_t bytes = 0;

    stats& operator+=(const stats& o) {
        ops += o.ops;
        sent += o.sent;
        dropped += o.dropped;
        duplicated += o.duplicated;
        delivered += o.delivered;
        bytes += o.bytes;
        return *this;
    }
};

/// One run's verdict: `failure` is empty when every check held.
struct outcome {
    std::string failure;
    stats counts;
};

/// A state as text, for failure messages and traces (converge/fmt.hpp formats every type).
template <class T>
std::string show(const T& x) {
    return fmt::format("{}", x);
}

/// The truth kept outside the CRDT, as text: a number, or a set or map from crdt_ops.
template <class Truth>
std::string show_truth(const Truth& t) {
    if constexpr (std::is_same_v<Truth, converge::uint128> || std::is_same_v<Truth, converge::int128>) {
        return converge::to_string(t);
    } else if constexpr (requires { t.describe(); }) {
        return t.describe();
    } else {
        std::string out = "{";
        for (const auto& x : t) {
            if (out.size() > 1) out += ", ";
            if constexpr (requires { converge::to_string(x.second); })
                out += fmt::format("{}: {}", x.first, converge::to_string(x.second));
            else if constexpr (requires { x.second.describe(); })
                out += fmt::format("{}: {}", x.first, x.second.describe());
            else if constexpr (requires { x.first; }) out += fmt::format("{}: {}", x.first, x.second);
            else out += fmt::format("{}", x);
        }
        return out + "}";
    }
}

/// A check that did not hold; caught by run() and reported with the seed.
struct check_failed {
    std::string what;
};

/// One seed's run for the CRDT type `T`, whose operations and truth model come from
/// `converge_test::crdt_ops<T>`:
///
/// 1. faulty phase: every tick, replicas apply random local operations and buffer the deltas,
///    now and then ship the buffer (encoded once, sent to every peer), and now and then start
///    anti-entropy with a random peer: a full state push, or a sync request carrying the
///    requester's state, which the peer merges and answers with `delta_for(requester)`.
///    The network delays, reorders, duplicates and drops messages, and partitions the
///    replicas into groups (messages across groups are lost) and heals them;
/// 2. the faults stop (no more drops or partitions; delays, reordering and duplicates go on,
///    since a CRDT must not care), buffers are flushed and the network drains;
/// 3. anti-entropy: in round r = 1..N-1 every replica i pushes its state or sends a sync
///    request to replica (i + r) mod N, and the network drains; so every replica learns the
///    state of every other one;
/// 4. every replica must hold the same state, equal to one object that saw every operation in
///    order, and its value must equal the truth kept outside the CRDT.
///
/// Along the way every message must decode, and every merge must be inflationary (nothing the
/// replica held is lost) and absorb what arrived.
template <class T>
class simulation {
    using ops = converge_test::crdt_ops<T>;
    using actor = converge_test::actor_type<T>;
    using truth_type = typename ops::truth;

public:
    simulation(std::uint64_t seed, bool trace)
        : rng_(seed), scenario_(draw_scenario(rng_)), trace_(trace), replicas_(scenario_.replicas),
          buffers_(scenario_.replicas), group_(scenario_.replicas, 0) {
        for (std::size_t i = 0; i < scenario_.replicas; ++i) ids_.push_back(converge_test::actor_id<actor>(i));
    }

    outcome run() {
        outcome result;
        try {
            if (trace_) fmt::print("scenario: {}\n", describe(scenario_));
            faulty_phase();
            stop_faults();
            anti_entropy();
            check_converged();
        } catch (const check_failed& f) {
            result.failure = fmt::format("tick {}: {}", now_, f.what);
        } catch (const std::exception& e) {
            result.failure = fmt::format("tick {}: unexpected exception: {}", now_, e.what());
        }
        result.counts = counts_;
        return result;
    }

private:
    enum class kind : std::uint8_t { delta, state, sync_request, sync_reply };

    static const char* name(kind k) {
        switch (k) {
        case kind::delta: return "delta";
        case kind::state: return "state";
        case kind::sync_request: return "sync-request";
        case kind::sync_reply: return "sync-reply";
        }
        return "?";
    }

    struct message {
        std::uint64_t due;    // tick of delivery
        std::uint64_t order;  // random: reorders messages due in the same tick
        std::size_t from;
        std::size_t to;
        kind what;
        std::shared_ptr<const std::vector<std::byte>> bytes;  // one encoding, shared by every copy

        // Later first, for std::priority_queue; `order` is unique in practice and the tie after
        // it is broken by the endpoints, so the delivery order is the same on every library.
        friend bool operator<(const message& a, const message& b) {
            if (a.due != b.due) return a.due > b.due;
            if (a.order != b.order) return a.order > b.order;
            if (a.from != b.from) return a.from > b.from;
            return a.to > b.to;
        }
    };

    template <class... Args>
    [[noreturn]] static void fail(fmt::format_string<Args...> f, Args&&... args) {
        throw check_failed{fmt::format(f, std::forward<Args>(args)...)};
    }

    // Callers whose arguments cost something to build test trace_ first.
    template <class... Args>
    void trace(fmt::format_string<Args...> f, Args&&... args) {
        if (trace_) fmt::print("t={:<4} {}\n", now_, fmt::format(f, std::forward<Args>(args)...));
    }

    // --- phases ---

    void faulty_phase() {
        for (now_ = 0; now_ < scenario_.fault_ticks; ++now_) {
            if (rng_.chance(scenario_.partition_permille)) repartition();
            for (std::size_t i = 0; i < replicas_.size(); ++i) {
                if (rng_.chance(scenario_.op_permille)) {
                    const auto n = rng_.between(1, 3);
                    for (std::uint64_t k = 0; k < n; ++k) local_op(i);
                }
                if (!buffers_[i].empty() && rng_.chance(scenario_.flush_permille)) flush(i);
                if (rng_.chance(scenario_.gossip_permille)) start_anti_entropy(i, random_peer(i));
            }
            deliver_due();
        }
    }

    void stop_faults() {
        faults_ = false;
        std::fill(group_.begin(), group_.end(), 0);
        trace("faults stop: partitions healed, no more drops");
        for (std::size_t i = 0; i < replicas_.size(); ++i)
            if (!buffers_[i].empty()) flush(i);
        drain();
    }

    void anti_entropy() {
        const std::size_t n = replicas_.size();
        for (std::size_t r = 1; r < n; ++r) {
            for (std::size_t i = 0; i < n; ++i) start_anti_entropy(i, (i + r) % n);
            drain();
        }
    }

    void check_converged() {
        const T& first = replicas_[0];
        const auto first_bytes = converge::encode(first);
        for (std::size_t i = 1; i < replicas_.size(); ++i) {
            if (!(replicas_[i] == first))
                fail("after anti-entropy replica {} holds {} but replica 0 holds {}", i, show(replicas_[i]),
                     show(first));
            if (converge::encode(replicas_[i]) != first_bytes)
                fail("replicas 0 and {} are equal but encode differently", i);
        }
        // For or_set the sequential object is skipped (a remove takes away only the adds its
        // replica saw); its truth checks every element's dots and the whole context instead.
        if (converge_test::replays_sequentially<T>() && !(first == sequential_))
            fail("replicas hold {} but one object that saw every operation holds {}", show(first),
                 show(sequential_));
        if (!ops::matches(first, truth_))
            fail("replicas hold {} but the truth computed outside the CRDT is {}", show(first), show_truth(truth_));
        if (trace_) trace("converged: {}", show(first));
    }

    // --- replicas ---

    void local_op(std::size_t i) {
        // The operation comes from crdt_ops' generator, driven by a seed from our own stream.
        // rapidcheck's Random and generators are its own code, not the standard library's, so
        // a seed draws the same operations everywhere (with the same rapidcheck version).
        const auto op = op_gen_(rc::Random(rng_.next()), rc::kNominalSize).value();
        const T delta = converge_test::apply_and_record(replicas_[i], truth_, ids_[i], op);
        if constexpr (converge_test::replays_sequentially<T>()) ops::apply(sequential_, ids_[i], op);
        ++counts_.ops;
        if (!delta.delta_for(replicas_[i]).empty())
            fail("replica {}: a delta {} holds more than the state {} it came from", i, show(delta),
                 show(replicas_[i]));
        buffers_[i].merge(delta);
        if (trace_) trace("replica {} operates: delta {}", i, show(delta));
    }

    void flush(std::size_t i) {
        const auto bytes = std::make_shared<const std::vector<std::byte>>(converge::encode(buffers_[i]));
        if (trace_) trace("replica {} ships its deltas {} ({} bytes)", i, show(buffers_[i]), bytes->size());
        buffers_[i] = T{};
        for (std::size_t j = 0; j < replicas_.size(); ++j)
            if (j != i) send(i, j, kind::delta, bytes);
    }

    void start_anti_entropy(std::size_t i, std::size_t peer) {
        const kind k = rng_.below(2) == 0 ? kind::state : kind::sync_request;
        send(i, peer, k, std::make_shared<const std::vector<std::byte>>(converge::encode(replicas_[i])));
    }

    void merge_into(std::size_t i, const T& received, kind k, std::size_t from) {
        const T before = replicas_[i];
        replicas_[i].merge(received);
        if (!before.delta_for(replicas_[i]).empty())
            fail("replica {} lost part of its state merging a {} from {}: {} merge {} gave {}", i, name(k), from,
                 show(before), show(received), show(replicas_[i]));
        if (!received.delta_for(replicas_[i]).empty())
            fail("replica {} did not absorb a {} from {}: {} merge {} gave {}", i, name(k), from, show(before),
                 show(received), show(replicas_[i]));
    }

    std::size_t random_peer(std::size_t i) {
        const std::size_t p = rng_.index(replicas_.size() - 1);
        return p < i ? p : p + 1;
    }

    void repartition() {
        const std::size_t n = replicas_.size();
        if (rng_.below(2) == 0) {
            std::fill(group_.begin(), group_.end(), 0);
        } else {
            const std::size_t groups = static_cast<std::size_t>(rng_.between(2, std::min<std::uint64_t>(4, n)));
            for (auto& g : group_) g = rng_.index(groups);
        }
        if (trace_) {
            std::string groups;
            for (const std::size_t g : group_) groups += static_cast<char>('0' + g);
            trace("partition: groups {}", groups);
        }
    }

    // --- network ---

    void send(std::size_t from, std::size_t to, kind k, const std::shared_ptr<const std::vector<std::byte>>& bytes) {
        ++counts_.sent;
        counts_.bytes += bytes->size();
        if (faults_ && rng_.chance(scenario_.drop_permille)) {
            ++counts_.dropped;
            trace("{} {} -> {} dropped", name(k), from, to);
            return;
        }
        const std::uint64_t copies = rng_.chance(scenario_.duplicate_permille) ? 2 : 1;
        counts_.duplicated += copies - 1;
        for (std::uint64_t c = 0; c < copies; ++c) {
            const std::uint64_t due = now_ + 1 + rng_.below(scenario_.max_delay + 1);
            in_flight_.push(message{due, rng_.next(), from, to, k, bytes});
            trace("{} {} -> {} due at t={}{}", name(k), from, to, due, c > 0 ? " (duplicate)" : "");
        }
    }

    void deliver_due() {
        while (!in_flight_.empty() && in_flight_.top().due <= now_) {
            const message m = in_flight_.top();
            in_flight_.pop();
            deliver(m);
        }
    }

    /// Runs the clock until nothing is in flight, replies included.
    void drain() {
        while (!in_flight_.empty()) {
            ++now_;
            deliver_due();
        }
    }

    void deliver(const message& m) {
        if (group_[m.from] != group_[m.to]) {
            ++counts_.dropped;
            trace("{} {} -> {} lost to the partition", name(m.what), m.from, m.to);
            return;
        }
        ++counts_.delivered;
        const auto decoded = converge::decode<T>(*m.bytes);
        if (!decoded)
            fail("replica {} could not decode a {} from {}: {}", m.to, name(m.what), m.from,
                 decoded.error().message());
        if (trace_) trace("{} {} -> {} arrives: {}", name(m.what), m.from, m.to, show(*decoded));
        merge_into(m.to, *decoded, m.what, m.from);
        if (m.what == kind::sync_request) {
            const T reply = replicas_[m.to].delta_for(*decoded);
            send(m.to, m.from, kind::sync_reply,
                 std::make_shared<const std::vector<std::byte>>(converge::encode(reply)));
        }
    }

    rng rng_;
    scenario scenario_;
    bool trace_;
    bool faults_ = true;
    std::uint64_t now_ = 0;
    std::vector<actor> ids_;
    std::vector<T> replicas_;
    std::vector<T> buffers_;  // each replica's deltas not yet shipped
    std::vector<std::size_t> group_;  // partition: replicas talk only within their group
    std::priority_queue<message> in_flight_;
    T sequential_;            // every operation, applied in order to one object
    truth_type truth_{};      // the same operations, in plain arithmetic
    stats counts_;
    rc::Gen<typename ops::op> op_gen_ = ops::gen_op();
};

/// Runs seed `seed` for type `T`.
template <class T>
outcome run_seed(std::uint64_t seed, bool trace) {
    return simulation<T>(seed, trace).run();
}

}  // namespace converge_sim
