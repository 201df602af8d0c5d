// Big-endian integers in frame headers: appended to a buffer, read at an offset already bounds-checked.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace active_users {

/// Appends the low `bytes` bytes of `v`, most significant first.
inline void put_be(std::vector<std::byte>& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

/// Reads `bytes` bytes at `at`; the caller has checked that `in` holds them.
inline std::uint64_t get_be(std::span<const std::byte> in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(in[at + static_cast<std::size_t>(i)]);
    return v;
}

}  // namespace active_users
