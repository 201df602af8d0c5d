// 128-bit sums, so that counter values are exact even where 64-bit counts add up past 2^64.
// SPDX-License-Identifier: MIT
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace converge {

// __extension__ keeps -Wpedantic quiet: GCC and clang both provide the type on 64-bit targets.
__extension__ using uint128 = unsigned __int128;  ///< what g_counter::value() returns
__extension__ using int128 = __int128;            ///< what pn_counter::value() returns

/// Decimal text of a 128-bit value (iostreams have no operator<< for it).
///
/// Example:
/// ```
/// assert(converge::to_string(converge::int128{-42}) == "-42");
/// ```
inline std::string to_string(uint128 v) {
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    } while (v != 0);
    return digits;
}

inline std::string to_string(int128 v) {
    if (v >= 0) return to_string(static_cast<uint128>(v));
    // Negate in unsigned arithmetic: -INT128_MIN does not fit int128.
    return "-" + to_string(uint128{0} - static_cast<uint128>(v));
}

/// `v` as `T` if it fits, otherwise nothing; for handing a counter value to a narrower API.
///
/// Example:
/// ```
/// converge::pn_counter<std::uint32_t> counter;
/// counter.decrement(1, 5);
/// assert(converge::narrow<std::int64_t>(counter.value()).value_or(INT64_MAX) == -5);
/// assert(!converge::narrow<std::uint8_t>(counter.value()));   // negative: does not fit
/// ```
template <std::integral T>
std::optional<T> narrow(int128 v) noexcept {
    if (v < static_cast<int128>(std::numeric_limits<T>::min()) ||
        v > static_cast<int128>(std::numeric_limits<T>::max()))
        return std::nullopt;
    return static_cast<T>(v);
}

template <std::integral T>
std::optional<T> narrow(uint128 v) noexcept {
    if (v > static_cast<uint128>(std::numeric_limits<T>::max())) return std::nullopt;
    return static_cast<T>(v);
}

}  // namespace converge
