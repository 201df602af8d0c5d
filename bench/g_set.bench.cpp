// Why g_set stores a sorted bulk plus a small sorted run of recent inserts: insert cost beside
// a single sorted vector (quadratic) and std::set (node-based), on the same random elements.
// SPDX-License-Identifier: MIT
#include <converge/g_set.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace {

std::vector<std::uint64_t> random_elements(std::size_t n) {
    std::mt19937_64 rng(n);
    std::vector<std::uint64_t> v(n);
    for (auto& x : v) x = rng();
    return v;
}

// Builds a set of n elements by single inserts; reports inserts per second.
template <class Insert>
void run_inserts(benchmark::State& state, Insert insert_all) {
    const auto elements = random_elements(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) insert_all(elements);
    state.counters["inserts"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * static_cast<double>(elements.size()), benchmark::Counter::kIsRate);
}

void g_set_insert(benchmark::State& state) {
    run_inserts(state, [](const std::vector<std::uint64_t>& elements) {
        converge::g_set<std::uint64_t> s;
        for (const auto x : elements) benchmark::DoNotOptimize(s.insert(x));
        benchmark::DoNotOptimize(s.size());
    });
}

// Baseline: one sorted vector, each insert shifting the tail (O(n) per insert).
void baseline_sorted_vector_insert(benchmark::State& state) {
    run_inserts(state, [](const std::vector<std::uint64_t>& elements) {
        std::vector<std::uint64_t> s;
        for (const auto x : elements) {
            const auto it = std::lower_bound(s.begin(), s.end(), x);
            if (it == s.end() || *it != x) s.insert(it, x);
        }
        benchmark::DoNotOptimize(s.data());
    });
}

// Baseline: a red-black tree, O(log n) per insert but one allocation and cache miss per node.
void baseline_std_set_insert(benchmark::State& state) {
    run_inserts(state, [](const std::vector<std::uint64_t>& elements) {
        std::set<std::uint64_t> s;
        for (const auto x : elements) s.insert(x);
        benchmark::DoNotOptimize(s.size());
    });
}

}  // namespace

BENCHMARK(g_set_insert)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(baseline_sorted_vector_insert)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(baseline_std_set_insert)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
