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

}  // namespace converge::detail
