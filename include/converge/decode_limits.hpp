// Caps a caller puts on one decode, since a peer can send a huge but well-formed state.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

namespace converge {

/// Upper bounds for one call of `converge::decode`; exceeding any is `errc::limit_exceeded`.
///
/// Example:
/// ```
/// converge::g_set<std::string> s;
/// s.insert("a");
/// s.insert("b");
/// auto r = converge::decode<converge::g_set<std::string>>(converge::encode(s), {.max_entries = 1});
/// assert(!r && r.error().code == converge::errc::limit_exceeded);
/// ```
struct decode_limits {
    std::size_t max_bytes = std::size_t{64} << 20;       ///< whole input
    std::size_t max_entries = std::size_t{1} << 22;      ///< entries or elements in one value
    std::size_t max_string_bytes = std::size_t{1} << 16; ///< one string id or element
};

}  // namespace converge
