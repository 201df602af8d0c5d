// The deterministic network simulation: replicas of one CRDT type trading encoded deltas over a faulty network.
// SPDX-License-Identifier: MIT
#pragma once

#include "../support/crdt_ops.hpp"
#include "network.hpp"
#include "random.hpp"

#include <converge/converge.hpp>
#include <converge/fmt.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace converge_sim {

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

template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
    throw check_failed{fmt::format(f, std::forward<Args>(args)...)};
}

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
          buffers_(scenario_.replicas) {
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
            result.failure = fmt::format("tick {}: {}", net_.now(), f.what);
        } catch (const std::exception& e) {
            result.failure = fmt::format("tick {}: unexpected exception: {}", net_.now(), e.what());
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

    struct envelope {
        kind what;
        std::shared_ptr<const std::vector<std::byte>> bytes;  // one encoding, shared by every copy
    };
    using message = typename network<envelope>::message;

    // Callers whose arguments cost something to build test trace_ first.
    template <class... Args>
    void trace(fmt::format_string<Args...> f, Args&&... args) {
        if (trace_) fmt::print("t={:<4} {}\n", net_.now(), fmt::format(f, std::forward<Args>(args)...));
    }

    // --- phases ---

    void faulty_phase() {
        for (; net_.now() < scenario_.fault_ticks; net_.tick()) {
            if (net_.maybe_repartition() && trace_) {
                std::string groups;
                for (const std::size_t g : net_.groups()) groups += static_cast<char>('0' + g);
                trace("partition: groups {}", groups);
            }
            for (std::size_t i = 0; i < replicas_.size(); ++i) {
                if (rng_.chance(scenario_.op_permille)) {
                    const auto n = rng_.between(1, 3);
                    for (std::uint64_t k = 0; k < n; ++k) local_op(i);
                }
                if (!buffers_[i].empty() && rng_.chance(scenario_.flush_permille)) flush(i);
                if (rng_.chance(scenario_.gossip_permille)) start_anti_entropy(i, random_peer(i));
            }
            net_.deliver_due([this](const message& m, bool lost) { deliver(m, lost); });
        }
    }

    void stop_faults() {
        net_.stop_faults();
        trace("faults stop: partitions healed, no more drops");
        for (std::size_t i = 0; i < replicas_.size(); ++i)
            if (!buffers_[i].empty()) flush(i);
        net_.drain([this](const message& m, bool lost) { deliver(m, lost); });
    }

    void anti_entropy() {
        const std::size_t n = replicas_.size();
        for (std::size_t r = 1; r < n; ++r) {
            for (std::size_t i = 0; i < n; ++i) start_anti_entropy(i, (i + r) % n);
            net_.drain([this](const message& m, bool lost) { deliver(m, lost); });
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

    // --- network ---

    void send(std::size_t from, std::size_t to, kind k, const std::shared_ptr<const std::vector<std::byte>>& bytes) {
        const auto due = net_.send(from, to, {k, bytes}, bytes->size());
        if (due.empty()) trace("{} {} -> {} dropped", name(k), from, to);
        for (std::size_t c = 0; c < due.size(); ++c)
            trace("{} {} -> {} due at t={}{}", name(k), from, to, due[c], c > 0 ? " (duplicate)" : "");
    }

    void deliver(const message& m, bool lost) {
        const kind what = m.payload.what;
        if (lost) {
            trace("{} {} -> {} lost to the partition", name(what), m.from, m.to);
            return;
        }
        const auto decoded = converge::decode<T>(*m.payload.bytes);
        if (!decoded)
            fail("replica {} could not decode a {} from {}: {}", m.to, name(what), m.from,
                 decoded.error().message());
        if (trace_) trace("{} {} -> {} arrives: {}", name(what), m.from, m.to, show(*decoded));
        merge_into(m.to, *decoded, what, m.from);
        if (what == kind::sync_request) {
            const T reply = replicas_[m.to].delta_for(*decoded);
            send(m.to, m.from, kind::sync_reply,
                 std::make_shared<const std::vector<std::byte>>(converge::encode(reply)));
        }
    }

    rng rng_;
    scenario scenario_;
    bool trace_;
    std::vector<actor> ids_;
    std::vector<T> replicas_;
    std::vector<T> buffers_;  // each replica's deltas not yet shipped
    T sequential_;            // every operation, applied in order to one object
    truth_type truth_{};      // the same operations, in plain arithmetic
    stats counts_;
    network<envelope> net_{rng_, scenario_, counts_};
    rc::Gen<typename ops::op> op_gen_ = ops::gen_op();
};

/// Runs seed `seed` for type `T`.
template <class T>
outcome run_seed(std::uint64_t seed, bool trace) {
    return simulation<T>(seed, trace).run();
}

}  // namespace converge_sim
