// How the benchmarks time their work: sizes, untimed copies of merge targets, rate counters.
// SPDX-License-Identifier: MIT
#pragma once

#include "data.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

// Naming: every benchmark is `<group>/<implementation>/<size>`. In a group, implementations whose
// name starts with `baseline_` are the references; bench/compare sets each other
// implementation beside each reference of its group at the same size, on the same operands.
namespace bench {

/// Replica counts for the counter and encoding benchmarks.
inline void counter_sizes(benchmark::internal::Benchmark* b) {
    for (const int r : {8, 64, 1024, 16384}) b->Arg(r);
}

inline std::size_t size_arg(const benchmark::State& state) {
    return static_cast<std::size_t>(state.range(0));
}

/// Reports `per_iteration` units of work as a rate: `entries` merged (the inputs of both sides),
/// `inserts`, or `ops` (whole operations, for costs compared per call).
inline void rate(benchmark::State& state, const char* unit, std::size_t per_iteration) {
    state.counters[unit] = benchmark::Counter(
        static_cast<double>(state.iterations()) * static_cast<double>(per_iteration), benchmark::Counter::kIsRate);
}

/// Each iteration merges `sources[k]` into a fresh copy of `targets[k]` for every k of the
/// rotation. The copies are made with the timers paused: a copy costs about as much as a merge,
/// while the pause costs two clock reads, small beside a rotation of tens of thousands of entries.
template <class Target, class Source, class Merge>
void merge_copies(benchmark::State& state, const std::vector<Target>& targets, const std::vector<Source>& sources,
                  Merge merge) {
    std::vector<Target> work;
    for (auto _ : state) {
        state.PauseTiming();
        work = targets;
        state.ResumeTiming();
        for (std::size_t k = 0; k < work.size(); ++k) merge(work[k], sources[k]);
        benchmark::DoNotOptimize(work.data());  // the merged states are observed: no merge is dead
    }
}

enum class count_as { merged_entries, merges };

/// Full-state merges of converge `State`s over a rotation of operand pairs of the benchmark's
/// size, counted as entries (the inputs of both sides) or as ops (merges).
template <class State>
void converge_merge(benchmark::State& state, overlap o, count_as unit) {
    const auto& pairs = operand_pairs(size_arg(state), o);
    const auto& states = memo(&pairs, [&] { return convert_pairs(pairs, make_state<State>); });
    merge_copies(state, states.a, states.b, [](State& into, const State& from) { into.merge(from); });
    if (unit == count_as::merges) rate(state, "ops", pairs.size());
    else rate(state, "entries", input_entries(pairs));
}

/// A copy of `states` to mutate in place, whose changes the compiler must assume are observed.
template <class T>
std::vector<T> observed_copy(const std::vector<T>& states) {
    std::vector<T> copy = states;
    benchmark::DoNotOptimize(copy.data());
    return copy;
}

/// A buffer that a baseline writes, whose contents the compiler must assume are read.
template <class Buffer>
Buffer observed(Buffer buffer) {
    benchmark::DoNotOptimize(buffer.data());
    return buffer;
}

/// Each iteration runs `op(k)` for every k of a rotation of `n` operands.
template <class Op>
void each_operand(benchmark::State& state, std::size_t n, Op op) {
    for (auto _ : state) {
        for (std::size_t k = 0; k < n; ++k) op(k);
        benchmark::ClobberMemory();
    }
}

/// Registers `fn` (with `args` after the State) under `name`, once for each of `sizes`.
template <class Fn, class... Args>
void add(const char* name, void (*sizes)(benchmark::internal::Benchmark*), Fn fn, Args... args) {
    benchmark::RegisterBenchmark(name, fn, args...)->Apply(sizes);
}

/// BENCHMARK_MAIN, after `register_benchmarks` has added the file's benchmarks.
inline int main(int argc, char** argv, void (*register_benchmarks)()) {
    register_benchmarks();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

}  // namespace bench
