// g_set merge, half the elements shared, beside a branch-free union of two sorted vectors.
// SPDX-License-Identifier: MIT
#include "support/baselines.hpp"
#include "support/data.hpp"
#include "support/run.hpp"

namespace {

using bench::g_set;
using bench::overlap;

void set_sizes(benchmark::internal::Benchmark* b) {
    for (const int n : {1'000, 100'000}) b->Arg(n);
}

// States built by single inserts in random order, as a replica holds them: a sorted bulk plus a
// run of recent inserts.
void converge_merge(benchmark::State& state) {
    bench::converge_merge<g_set>(state, overlap::half_shared, bench::count_as::merged_entries);
}

// The same elements all in the bulk, as decode or an earlier merge leaves a set.
void converge_merge_compacted(benchmark::State& state) {
    const auto& pairs = bench::operand_pairs(bench::size_arg(state), overlap::half_shared);
    const auto& sets = bench::memo(&pairs, [&] {
        return bench::convert_pairs(pairs, [](const bench::entries& es) {
            g_set compacted;
            compacted.merge(bench::make_state<g_set>(es));  // a merge into an empty set leaves one sorted run
            return compacted;
        });
    });
    bench::merge_copies(state, sets.a, sets.b, [](g_set& into, const g_set& from) { into.merge(from); });
    bench::rate(state, "entries", bench::input_entries(pairs));
}

void baseline_branchless_union(benchmark::State& state) {
    const auto& pairs = bench::operand_pairs(bench::size_arg(state), overlap::half_shared);
    const auto& v = bench::memo(&pairs, [&] { return bench::convert_pairs(pairs, bench::to_ids); });
    auto out = bench::observed(bench::spaced_vector<std::uint64_t>(2 * bench::size_arg(state)));
    bench::each_operand(state, pairs.size(), [&](std::size_t k) {
        benchmark::DoNotOptimize(bench::union_sorted(v.a[k].data(), v.a[k].size(), v.b[k].data(), v.b[k].size(), out.data()));
    });
    bench::rate(state, "entries", bench::input_entries(pairs));
}

void register_benchmarks() {
    bench::add("g_set_merge/converge", set_sizes, converge_merge);
    bench::add("g_set_merge/converge_compacted", set_sizes, converge_merge_compacted);
    bench::add("g_set_merge/baseline_branchless_union", set_sizes, baseline_branchless_union);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, register_benchmarks); }
