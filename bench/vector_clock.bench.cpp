// vector_clock compare and merge beside branch-free passes over sorted (id, count) vectors.
// SPDX-License-Identifier: MIT
#include "support/baselines.hpp"
#include "support/data.hpp"
#include "support/run.hpp"

namespace {

using bench::overlap;
using bench::vector_clock;

void clock_sizes(benchmark::internal::Benchmark* b) {
    for (const int r : {8, 64, 1024}) b->Arg(r);
}

// Clocks can only tick, so their counts stay small: 1 to 16 events per replica.
constexpr std::uint64_t clock_counts = 16;

const std::vector<bench::operand_pair>& clock_pairs(benchmark::State& state, overlap o) {
    return bench::operand_pairs(bench::size_arg(state), o, clock_counts);
}

void converge_compare(benchmark::State& state, overlap o) {
    const auto& pairs = clock_pairs(state, o);
    const auto& clocks = bench::memo(&pairs, [&] { return bench::convert_pairs(pairs, bench::make_state<vector_clock>); });
    bench::each_operand(state, pairs.size(), [&](std::size_t k) { benchmark::DoNotOptimize(clocks.a[k].compare(clocks.b[k])); });
    bench::rate(state, "entries", bench::input_entries(pairs));
}

void baseline_sorted_pairs_compare(benchmark::State& state) {
    const auto& pairs = clock_pairs(state, overlap::half_shared);
    const auto& v = bench::memo(&pairs, [&] { return bench::convert_pairs(pairs, bench::to_sorted<bench::pair_entry>); });
    bench::each_operand(state, pairs.size(), [&](std::size_t k) {
        benchmark::DoNotOptimize(bench::compare_sorted(v.a[k].data(), v.a[k].size(), v.b[k].data(), v.b[k].size()));
    });
    bench::rate(state, "entries", bench::input_entries(pairs));
}

void baseline_dense_compare(benchmark::State& state) {
    const auto& pairs = clock_pairs(state, overlap::same_ids);
    const auto& v = bench::memo(&pairs, [&] {
        return bench::convert_pairs(pairs, [](const bench::entries& es) { return bench::to_counts(es, false); });
    });
    bench::each_operand(state, pairs.size(), [&](std::size_t k) {
        benchmark::DoNotOptimize(bench::compare_dense(v.a[k].data(), v.b[k].data(), v.a[k].size()));
    });
    bench::rate(state, "entries", bench::input_entries(pairs));
}

void converge_merge(benchmark::State& state) {
    const auto& pairs = clock_pairs(state, overlap::half_shared);
    const auto& clocks = bench::memo(&pairs, [&] { return bench::convert_pairs(pairs, bench::make_state<vector_clock>); });
    bench::merge_copies(state, clocks.a, clocks.b, [](vector_clock& into, const vector_clock& from) { into.merge(from); });
    bench::rate(state, "entries", bench::input_entries(pairs));
}

void baseline_sorted_pairs_merge(benchmark::State& state) {
    const auto& pairs = clock_pairs(state, overlap::half_shared);
    const auto& v = bench::memo(&pairs, [&] { return bench::convert_pairs(pairs, bench::to_sorted<bench::pair_entry>); });
    auto out = bench::observed(bench::spaced_vector<bench::pair_entry>(2 * bench::size_arg(state)));
    bench::each_operand(state, pairs.size(), [&](std::size_t k) {
        benchmark::DoNotOptimize(bench::merge_sorted(v.a[k].data(), v.a[k].size(), v.b[k].data(), v.b[k].size(), out.data()));
    });
    bench::rate(state, "entries", bench::input_entries(pairs));
}

void register_benchmarks() {
    using bench::add;
    // Half the ids shared: the clocks are always concurrent, and the pass interleaves at random.
    add("vector_clock_compare/converge", clock_sizes, converge_compare, overlap::half_shared);
    add("vector_clock_compare/baseline_sorted_pairs", clock_sizes, baseline_sorted_pairs_compare);
    // The same ids on both sides, the common case in a stable cluster.
    add("vector_clock_same_ids_compare/converge", clock_sizes, converge_compare, overlap::same_ids);
    add("vector_clock_same_ids_compare/baseline_dense", clock_sizes, baseline_dense_compare);

    add("vector_clock_merge/converge", clock_sizes, converge_merge);
    add("vector_clock_merge/baseline_sorted_pairs", clock_sizes, baseline_sorted_pairs_merge);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, register_benchmarks); }
