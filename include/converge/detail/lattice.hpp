// Join (least upper bound) and bottom for the values stored in a max_map.
// SPDX-License-Identifier: MIT
#pragma once

#include <concepts>

namespace converge::detail {

/// Counts join by max, so re-delivering an older count never lowers a newer one.
template <std::unsigned_integral C>
constexpr C join(C a, C b) noexcept {
    return a < b ? b : a;
}

template <std::unsigned_integral C>
constexpr bool is_bottom(C c) noexcept {
    return c == 0;
}

/// `c` when `keep`, bottom otherwise, computed with a mask: a merge loop that chooses this way
/// has no branch on the (unpredictable) interleaving of two replicas' ids.
template <std::unsigned_integral C>
constexpr C keep_if(bool keep, C c) noexcept {
    return static_cast<C>(c & static_cast<C>(C{0} - static_cast<C>(keep)));
}

/// One replica's pair of tallies in a pn_counter; each half joins by max on its own.
template <std::unsigned_integral C>
struct pn_pair {
    C increments = 0;
    C decrements = 0;

    friend constexpr pn_pair join(const pn_pair& a, const pn_pair& b) noexcept {
        return {detail::join(a.increments, b.increments), detail::join(a.decrements, b.decrements)};
    }
    friend constexpr bool is_bottom(const pn_pair& p) noexcept {
        return p.increments == 0 && p.decrements == 0;
    }
    friend constexpr pn_pair keep_if(bool keep, const pn_pair& p) noexcept {
        return {detail::keep_if(keep, p.increments), detail::keep_if(keep, p.decrements)};
    }
    friend bool operator==(const pn_pair&, const pn_pair&) = default;
};

/// `V` forms a join-semilattice with a bottom element, which max_map leaves out.
template <class V>
concept lattice_value = std::regular<V> && requires(const V& a, const V& b) {
    { join(a, b) } -> std::same_as<V>;
    { is_bottom(a) } -> std::same_as<bool>;
    { keep_if(true, a) } -> std::same_as<V>;
};

}  // namespace converge::detail
