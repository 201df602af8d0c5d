// g_set inserts beside a single sorted vector (quadratic) and std::set (node-based), same elements.
// SPDX-License-Identifier: MIT
//
// Why g_set stores a sorted bulk plus a small sorted run of recent inserts: building a set by
// single inserts of random elements, in inserts per second.
#include "support/data.hpp"
#include "support/run.hpp"

#include <algorithm>
#include <set>

namespace {

void insert_sizes(benchmark::internal::Benchmark* b) {
    for (const int n : {1'000, 10'000, 100'000}) b->Arg(n)->Unit(benchmark::kMillisecond);
}

// Builds sets of n elements by single inserts, from each of a rotation of element sequences
// (one sequence of 1000 would be short enough for the branch predictor to learn std::set's and
// std::lower_bound's branches); reports inserts per second.
template <class InsertAll>
void run_inserts(benchmark::State& state, InsertAll insert_all) {
    const auto n = bench::size_arg(state);
    const auto& rotation = bench::memo(n, [&] {
        std::vector<std::vector<std::uint64_t>> sequences(bench::rotation_size(n));
        for (std::size_t k = 0; k < sequences.size(); ++k) sequences[k] = bench::random_values(n, n + k);
        return sequences;
    });
    bench::each_operand(state, rotation.size(), [&](std::size_t k) { insert_all(rotation[k]); });
    bench::rate(state, "inserts", n * rotation.size());
}

void converge_insert(benchmark::State& state) {
    run_inserts(state, [](const std::vector<std::uint64_t>& elements) {
        bench::g_set s;
        for (const auto x : elements) benchmark::DoNotOptimize(s.insert(x));
        benchmark::DoNotOptimize(s.size());
    });
}

// One sorted vector, each insert shifting the tail (O(n) per insert).
void baseline_sorted_vector(benchmark::State& state) {
    run_inserts(state, [](const std::vector<std::uint64_t>& elements) {
        std::vector<std::uint64_t> s;
        for (const auto x : elements) {
            const auto it = std::lower_bound(s.begin(), s.end(), x);
            if (it == s.end() || *it != x) s.insert(it, x);
        }
        benchmark::DoNotOptimize(s.data());
    });
}

// A red-black tree: O(log n) per insert, but an allocation and a cache miss per node.
void baseline_std_set(benchmark::State& state) {
    run_inserts(state, [](const std::vector<std::uint64_t>& elements) {
        std::set<std::uint64_t> s;
        for (const auto x : elements) s.insert(x);
        benchmark::DoNotOptimize(s.size());
    });
}

void register_benchmarks() {
    bench::add("g_set_insert/converge", insert_sizes, converge_insert);
    bench::add("g_set_insert/baseline_sorted_vector", insert_sizes, baseline_sorted_vector);
    bench::add("g_set_insert/baseline_std_set", insert_sizes, baseline_std_set);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, register_benchmarks); }
