// Small deltas into a g_counter of R entries, and increments, beside a binary search and a full merge.
// SPDX-License-Identifier: MIT
#include "support/baselines.hpp"
#include "support/data.hpp"
#include "support/run.hpp"

#include <random>

namespace {

using bench::count_as;
using bench::g_counter;
using bench::overlap;

constexpr std::size_t deltas_per_pass = 4096;
constexpr std::size_t batch = 64;

// Target states of R entries (the merge targets of the full-merge rotation), and one-entry deltas
// for ids they hold: delta i is for a random entry of state i % K, and batch k holds `batch`
// deltas for state k, alone and combined into one delta as a sender would ship them.
struct delta_operands {
    std::vector<g_counter> states;
    std::vector<bench::spaced_vector<std::uint64_t>> ids;     // each state's ids, for the baselines
    std::vector<bench::spaced_vector<std::uint64_t>> counts;  // and its counts, in a separate array
    std::vector<std::uint64_t> lookups;                    // the id of each delta
    std::vector<g_counter> deltas;
    std::vector<g_counter::increment_delta> inline_deltas;  // the same, as increment() returns them
    std::vector<std::vector<g_counter>> batches;
    std::vector<g_counter> combined;
};

const delta_operands& operands(benchmark::State& state) {
    const auto& pairs = bench::operand_pairs(bench::size_arg(state), overlap::half_shared);
    return bench::memo(&pairs, [&] {
        delta_operands d;
        std::mt19937_64 rng(pairs.size());
        std::uniform_int_distribution<std::uint64_t> count(1, bench::merge_counts);
        const auto delta_in = [&](const bench::entries& es) {
            const std::uint64_t id = es[std::uniform_int_distribution<std::size_t>(0, es.size() - 1)(rng)].id;
            g_counter delta;
            delta.increment(id, count(rng));
            return delta;
        };
        for (const auto& p : pairs) {
            d.states.push_back(bench::make_state<g_counter>(p.a));
            d.ids.push_back(bench::to_ids(p.a));
            d.counts.push_back(bench::to_counts(p.a, false));
        }
        for (std::size_t i = 0; i < deltas_per_pass; ++i) {
            d.deltas.push_back(delta_in(pairs[i % pairs.size()].a));
            d.lookups.push_back(d.deltas.back().entries().keys().front());
            d.inline_deltas.emplace_back(d.lookups.back(), d.deltas.back().entries().values().front());
        }
        for (const auto& p : pairs) {
            d.batches.emplace_back();
            d.combined.emplace_back();
            for (std::size_t j = 0; j < batch; ++j) {
                d.batches.back().push_back(delta_in(p.a));
                d.combined.back().merge(d.batches.back().back());
            }
        }
        return d;
    });
}

// The deltas name ids the targets hold, so merging them changes counts but never the layout:
// the targets need no fresh copies, and every pass does the same work.
void converge_delta_merge(benchmark::State& state) {
    const auto& d = operands(state);
    auto targets = bench::observed_copy(d.states);
    bench::each_operand(state, d.deltas.size(), [&](std::size_t i) { targets[i % targets.size()].merge(d.deltas[i]); });
    bench::rate(state, "ops", d.deltas.size());
}

// The same deltas held inline, as increment() returns them: no heap block of the delta to reach.
void converge_increment_delta_merge(benchmark::State& state) {
    const auto& d = operands(state);
    auto targets = bench::observed_copy(d.states);
    bench::each_operand(state, d.inline_deltas.size(), [&](std::size_t i) {
        targets[i % targets.size()].merge(d.inline_deltas[i]);
    });
    bench::rate(state, "ops", d.inline_deltas.size());
}

void converge_increment(benchmark::State& state) {
    const auto& d = operands(state);
    auto targets = bench::observed_copy(d.states);
    bench::each_operand(state, d.lookups.size(), [&](std::size_t i) {
        benchmark::DoNotOptimize(targets[i % targets.size()].increment(d.lookups[i], 1));
    });
    bench::rate(state, "ops", d.lookups.size());
}

// The lookup alone: a branch-free binary search for the same ids in the same states' ids.
void baseline_binary_search(benchmark::State& state) {
    const auto& d = operands(state);
    bench::each_operand(state, d.lookups.size(), [&](std::size_t i) {
        const auto& ids = d.ids[i % d.ids.size()];
        benchmark::DoNotOptimize(bench::binary_search(ids.data(), ids.size(), d.lookups[i]));
    });
    bench::rate(state, "ops", d.lookups.size());
}

// What an increment must do at least: the lookup, then a store to the count beside it.
void baseline_lookup_and_store(benchmark::State& state) {
    const auto& d = operands(state);
    auto counts = bench::observed_copy(d.counts);
    bench::each_operand(state, d.lookups.size(), [&](std::size_t i) {
        const auto& ids = d.ids[i % d.ids.size()];
        auto& c = counts[i % counts.size()];
        c[bench::binary_search(ids.data(), ids.size(), d.lookups[i])] += 1;
    });
    bench::rate(state, "ops", d.lookups.size());
}

void converge_batch_deltas(benchmark::State& state) {
    const auto& d = operands(state);
    auto targets = bench::observed_copy(d.states);
    bench::each_operand(state, targets.size(), [&](std::size_t k) {
        for (const auto& delta : d.batches[k]) targets[k].merge(delta);
    });
    bench::rate(state, "ops", targets.size());
}

void converge_combined_delta(benchmark::State& state) {
    const auto& d = operands(state);
    auto targets = bench::observed_copy(d.states);
    bench::each_operand(state, targets.size(), [&](std::size_t k) { targets[k].merge(d.combined[k]); });
    bench::rate(state, "ops", targets.size());
}

void register_benchmarks() {
    using bench::add;
    using bench::counter_sizes;
    // One one-entry delta per op; the references are a lookup and whole-state merges.
    add("g_counter_delta_merge/converge", counter_sizes, converge_delta_merge);
    add("g_counter_delta_merge/converge_increment_delta", counter_sizes, converge_increment_delta_merge);
    add("g_counter_delta_merge/baseline_binary_search", counter_sizes, baseline_binary_search);
    add("g_counter_delta_merge/baseline_full_merge", counter_sizes, bench::converge_merge<g_counter>, overlap::half_shared, count_as::merges);
    add("g_counter_delta_merge/baseline_same_ids_merge", counter_sizes, bench::converge_merge<g_counter>, overlap::same_ids, count_as::merges);

    add("g_counter_increment/converge", counter_sizes, converge_increment);
    add("g_counter_increment/baseline_binary_search", counter_sizes, baseline_binary_search);
    add("g_counter_increment/baseline_lookup_and_store", counter_sizes, baseline_lookup_and_store);

    // 64 deltas per op, merged one by one or combined into one delta first.
    add("g_counter_delta_batch/converge_64_deltas", counter_sizes, converge_batch_deltas);
    add("g_counter_delta_batch/converge_combined_delta", counter_sizes, converge_combined_delta);
    add("g_counter_delta_batch/baseline_full_merge", counter_sizes, bench::converge_merge<g_counter>, overlap::half_shared, count_as::merges);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, register_benchmarks); }
