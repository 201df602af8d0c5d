// The delta_crdt concept: what a state must offer to be nested in a g_map or shipped by anti_entropy.
// SPDX-License-Identifier: MIT
#pragma once

#include <concepts>

namespace converge {

/// A join-semilattice state with deltas: `merge` joins, `delta_for(peer)` is what *this holds
/// that `peer` lacks, and the default-constructed state is bottom, which `empty()` detects.
/// Every converge CRDT satisfies it.
///
/// Example:
/// ```
/// static_assert(converge::delta_crdt<converge::g_counter<std::uint32_t>>);
/// ```
template <class S>
concept delta_crdt = std::regular<S> && requires(S& s, const S& c) {
    s.merge(c);
    { c.delta_for(c) } -> std::same_as<S>;
    { c.empty() } -> std::convertible_to<bool>;
};

}  // namespace converge
