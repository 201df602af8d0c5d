// g_counter encode and decode (MB/s, entries/s, bytes per entry) beside unchecked varint loops.
// SPDX-License-Identifier: MIT
#include "support/baselines.hpp"
#include "support/data.hpp"
#include "support/run.hpp"

#include <converge/encoding.hpp>

#include <span>

namespace {

using bench::g_counter;
using bench::id_kind;

// Counts below 128 take one byte, so the ids decide the size: a random 64-bit id takes 9 or 10
// bytes, the ids 0 .. r-1 one byte below 128 and two below 16384.
constexpr std::uint64_t encoding_counts = 127;

struct encoded {
    std::vector<g_counter> states;
    std::vector<bench::spaced_vector<bench::pair_entry>> pairs;  // the same entries, for the baselines
    std::vector<std::vector<std::byte>> bytes;                   // converge::encode of each state
    std::size_t entries = 0;
    std::size_t total_bytes = 0;
};

const encoded& operands(benchmark::State& state, id_kind kind) {
    const auto& states = bench::states(bench::size_arg(state), kind, encoding_counts);
    return bench::memo(&states, [&] {
        encoded e;
        for (const auto& es : states) {
            e.states.push_back(bench::make_state<g_counter>(es));
            e.pairs.push_back(bench::to_sorted<bench::pair_entry>(es));
            e.bytes.push_back(converge::encode(e.states.back()));
            e.entries += es.size();
            e.total_bytes += e.bytes.back().size();
        }
        return e;
    });
}

void report(benchmark::State& state, const encoded& e) {
    bench::rate(state, "entries", e.entries);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(e.total_bytes));
    state.counters["bytes_per_entry"] = static_cast<double>(e.total_bytes) / static_cast<double>(e.entries);
}

// Into a buffer reused across calls, as a sender would, so that the figure is the encoding's.
void converge_encode(benchmark::State& state, id_kind kind) {
    const auto& e = operands(state, kind);
    std::vector<std::byte> out;
    bench::each_operand(state, e.states.size(), [&](std::size_t k) {
        out.clear();
        converge::encode_to(e.states[k], out);
        benchmark::DoNotOptimize(out.data());
    });
    report(state, e);
}

// Header, count and varints into a buffer with room, no growth checks.
void baseline_varint_encode(benchmark::State& state, id_kind kind) {
    const auto& e = operands(state, kind);
    auto out = bench::observed(std::vector<std::byte>(3 + 10 + 20 * bench::size_arg(state)));
    bench::each_operand(state, e.pairs.size(), [&](std::size_t k) {
        std::byte* p = out.data();
        for (const auto b : {converge::wire_magic, converge::wire_version, std::uint8_t{2}}) *p++ = std::byte{b};
        p += bench::put_varint(p, e.pairs[k].size());
        for (const auto& [id, count] : e.pairs[k]) {
            p += bench::put_varint(p, id);
            p += bench::put_varint(p, count);
        }
        benchmark::DoNotOptimize(p);
    });
    report(state, e);
}

// Full validation: bounds, minimal varints, order, ranges; builds a new state each time.
void converge_decode(benchmark::State& state, id_kind kind) {
    const auto& e = operands(state, kind);
    if (converge::decode<g_counter>(e.bytes.front()).value() != e.states.front())
        state.SkipWithError("decode does not give back the encoded state");
    bench::each_operand(state, e.bytes.size(), [&](std::size_t k) {
        auto decoded = converge::decode<g_counter>(std::span<const std::byte>(e.bytes[k]));
        benchmark::DoNotOptimize(decoded);
    });
    report(state, e);
}

// The same bytes read into preallocated arrays, checking nothing.
void baseline_varint_decode(benchmark::State& state, id_kind kind) {
    const auto& e = operands(state, kind);
    auto ids = bench::observed(bench::spaced_vector<std::uint64_t>(bench::size_arg(state)));
    auto counts = bench::observed(bench::spaced_vector<std::uint64_t>(bench::size_arg(state)));
    bench::each_operand(state, e.bytes.size(), [&](std::size_t k) {
        const std::byte* p = e.bytes[k].data() + 3;
        const auto n = static_cast<std::size_t>(bench::get_varint(p));
        for (std::size_t i = 0; i < n; ++i) {
            ids[i] = bench::get_varint(p);
            counts[i] = bench::get_varint(p);
        }
    });
    report(state, e);
}

void register_benchmarks() {
    using bench::add;
    using bench::counter_sizes;
    add("encode_random_ids/converge", counter_sizes, converge_encode, id_kind::random64);
    add("encode_random_ids/baseline_varint", counter_sizes, baseline_varint_encode, id_kind::random64);
    add("encode_small_ids/converge", counter_sizes, converge_encode, id_kind::small);
    add("encode_small_ids/baseline_varint", counter_sizes, baseline_varint_encode, id_kind::small);
    add("decode_random_ids/converge", counter_sizes, converge_decode, id_kind::random64);
    add("decode_random_ids/baseline_varint", counter_sizes, baseline_varint_decode, id_kind::random64);
    add("decode_small_ids/converge", counter_sizes, converge_decode, id_kind::small);
    add("decode_small_ids/baseline_varint", counter_sizes, baseline_varint_decode, id_kind::small);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, register_benchmarks); }
