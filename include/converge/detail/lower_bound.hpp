// A lower_bound whose loop has no data-dependent branch, for lookups in sorted flat arrays.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

namespace converge::detail {

/// Index of the first element of sorted `data[0, n)` that is not less than `x`.
/// std::lower_bound branches on every comparison, and with keys the predictor cannot learn
/// (random ids, set elements) it mispredicts about half of them; here the halving step is a
/// conditional move, so the loop runs the same log2(n) steps whatever the data.
template <class T>
std::size_t lower_bound_index(const T* data, std::size_t n, const T& x) {
    if (n == 0) return 0;
    const T* base = data;
    while (n > 1) {
        const std::size_t half = n / 2;
        base = (base[half] < x) ? base + half : base;
        n -= half;
    }
    return static_cast<std::size_t>(base - data) + (*base < x ? 1 : 0);
}

/// lower_bound_index for arrays that are likely out of cache (one state among many): each step
/// also prefetches both places the next step can probe, so that the load of the next probe
/// overlaps this one's instead of waiting for the select that picks it. A branchy search gets
/// the same overlap by speculating, but pays a misprediction on half its steps.
template <class T>
std::size_t lower_bound_index_prefetch(const T* data, std::size_t n, const T& x) {
    if (n == 0) return 0;
    const T* base = data;
    while (n > 1) {
        const std::size_t half = n / 2;
#if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(base + half / 2);
        __builtin_prefetch(base + half + half / 2);
#endif
        base = (base[half] < x) ? base + half : base;
        n -= half;
    }
    return static_cast<std::size_t>(base - data) + (*base < x ? 1 : 0);
}

}  // namespace converge::detail
