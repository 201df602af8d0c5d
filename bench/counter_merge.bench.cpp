// Full-state merge of g_counter and pn_counter beside sorted-vector, std::map and dense-array limits.
// SPDX-License-Identifier: MIT
#include "support/baselines.hpp"
#include "support/data.hpp"
#include "support/run.hpp"

#include <cstring>

namespace {

using bench::overlap;

// Both sides as sorted (id, count) or (id, inc, dec) vectors, merged branch-free into one buffer.
template <class Entry>
void baseline_sorted(benchmark::State& state) {
    const auto& pairs = bench::operand_pairs(bench::size_arg(state), overlap::half_shared);
    const auto& v = bench::memo(&pairs, [&] { return bench::convert_pairs(pairs, bench::to_sorted<Entry>); });
    auto out = bench::observed(bench::spaced_vector<Entry>(2 * bench::size_arg(state)));
    bench::each_operand(state, pairs.size(), [&](std::size_t k) {
        benchmark::DoNotOptimize(bench::merge_sorted(v.a[k].data(), v.a[k].size(), v.b[k].data(), v.b[k].size(), out.data()));
    });
    bench::rate(state, "entries", bench::input_entries(pairs));
}

void baseline_std_map(benchmark::State& state) {
    const auto& pairs = bench::operand_pairs(bench::size_arg(state), overlap::half_shared);
    const auto& maps = bench::memo(&pairs, [&] { return bench::convert_pairs(pairs, bench::to_map); });
    bench::merge_copies(state, maps.a, maps.b, bench::merge_map);
    bench::rate(state, "entries", bench::input_entries(pairs));
}

// Same ids on both sides: the counts alone, as dense arrays (pn: increments and decrements).
const bench::sides<bench::spaced_vector<std::uint64_t>>& dense_counts(benchmark::State& state, bool pn) {
    const auto& pairs = bench::operand_pairs(bench::size_arg(state), overlap::same_ids);
    return bench::memo(std::pair{&pairs, pn}, [&] {
        return bench::convert_pairs(pairs, [pn](const bench::entries& es) { return bench::to_counts(es, pn); });
    });
}

void baseline_dense_max(benchmark::State& state, bool pn) {
    const auto& v = dense_counts(state, pn);
    const std::size_t n = v.a.front().size();
    auto out = bench::observed(bench::spaced_vector<std::uint64_t>(n));
    bench::each_operand(state, v.a.size(), [&](std::size_t k) { bench::max_dense(v.a[k].data(), v.b[k].data(), out.data(), n); });
    bench::rate(state, "entries", 2 * bench::size_arg(state) * v.a.size());
}

// Copies the counts a merge writes: the memory-bandwidth floor under the dense max.
void baseline_memcpy(benchmark::State& state) {
    const auto& v = dense_counts(state, false);
    const std::size_t n = v.a.front().size();
    auto out = bench::observed(bench::spaced_vector<std::uint64_t>(n));
    bench::each_operand(state, v.b.size(), [&](std::size_t k) { std::memcpy(out.data(), v.b[k].data(), n * sizeof(std::uint64_t)); });
    bench::rate(state, "entries", 2 * bench::size_arg(state) * v.b.size());
}

void register_benchmarks() {
    using bench::add;
    using bench::counter_sizes;
    add("g_counter_merge/converge", counter_sizes, bench::converge_merge<bench::g_counter>, overlap::half_shared, bench::count_as::merged_entries);
    add("g_counter_merge/baseline_sorted_pairs", counter_sizes, baseline_sorted<bench::pair_entry>);
    add("g_counter_merge/baseline_std_map", counter_sizes, baseline_std_map);

    add("pn_counter_merge/converge", counter_sizes, bench::converge_merge<bench::pn_counter>, overlap::half_shared, bench::count_as::merged_entries);
    add("pn_counter_merge/baseline_sorted_triples", counter_sizes, baseline_sorted<bench::triple_entry>);

    add("g_counter_same_ids_merge/converge", counter_sizes, bench::converge_merge<bench::g_counter>, overlap::same_ids, bench::count_as::merged_entries);
    add("g_counter_same_ids_merge/baseline_dense_max", counter_sizes, baseline_dense_max, false);
    add("g_counter_same_ids_merge/baseline_memcpy", counter_sizes, baseline_memcpy);

    add("pn_counter_same_ids_merge/converge", counter_sizes, bench::converge_merge<bench::pn_counter>, overlap::same_ids, bench::count_as::merged_entries);
    add("pn_counter_same_ids_merge/baseline_dense_max", counter_sizes, baseline_dense_max, true);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, register_benchmarks); }
