// A deliberately broken counter whose merge adds instead of taking the max, to prove the simulation catches bugs.
// SPDX-License-Identifier: MIT
#pragma once

#include "../support/crdt_ops.hpp"

#include <converge/converge.hpp>
#include <converge/fmt.hpp>

#include <cstdint>

namespace converge_sim {

/// The classic mistake: a counter whose merge sums entries. It is not idempotent, so duplicated
/// messages and repeated anti-entropy inflate it. `converge-simulation --self-test` runs the
/// harness on it and passes only if the harness reports failures: a harness that cannot see
/// this bug cannot see any.
struct summing_counter {
    converge::g_counter<std::uint64_t> inner;

    void merge(const summing_counter& other) {
        for (const auto& [replica, n] : other.inner.entries()) inner.increment(replica, n);
    }
    [[nodiscard]] summing_counter delta_for(const summing_counter& peer) const {
        return {inner.delta_for(peer.inner)};
    }
    [[nodiscard]] bool empty() const noexcept { return inner.empty(); }
    friend bool operator==(const summing_counter&, const summing_counter&) = default;
};

}  // namespace converge_sim

/// It travels as the g_counter it wraps.
template <>
struct converge::wire<converge_sim::summing_counter> {
    using inner = converge::g_counter<std::uint64_t>;
    static constexpr wire_tag tag = wire<inner>::tag;
    static void write(detail::byte_writer& w, const converge_sim::summing_counter& c) { wire<inner>::write(w, c.inner); }
    static converge_sim::summing_counter read(detail::byte_reader& r) { return {wire<inner>::read(r)}; }
};

template <>
struct fmt::formatter<converge_sim::summing_counter> : fmt::formatter<converge::g_counter<std::uint64_t>> {
    template <class Ctx>
    auto format(const converge_sim::summing_counter& c, Ctx& ctx) const {
        return fmt::formatter<converge::g_counter<std::uint64_t>>::format(c.inner, ctx);
    }
};

/// The g_counter's operations and truth, applied to the wrapped counter.
template <>
struct converge_test::crdt_ops<converge_sim::summing_counter> {
    using crdt = converge_sim::summing_counter;
    using base = crdt_ops<converge::g_counter<std::uint64_t>>;
    using actor = base::actor;
    using op = base::op;
    using truth = base::truth;
    static rc::Gen<op> gen_op() { return base::gen_op(); }
    static crdt apply(crdt& x, const actor& self, const op& o) { return {base::apply(x.inner, self, o)}; }
    static void record(truth& t, const actor& self, const op& o) { base::record(t, self, o); }
    static bool matches(const crdt& x, const truth& t) { return base::matches(x.inner, t); }
};
