// The cryptography of replication links: HMAC-SHA256, random nonces, constant-time comparison.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>

namespace active_users {

inline constexpr std::size_t mac_size = 32;
inline constexpr std::size_t nonce_size = 16;
using mac = std::array<std::byte, mac_size>;
using nonce = std::array<std::byte, nonce_size>;
/// The key of one link for one connection, derived in the handshake (see link_handshake.hpp).
using link_key = std::array<std::byte, mac_size>;

/// HMAC-SHA256 under `key` of the concatenation of `parts` (OpenSSL).
mac hmac_sha256(std::span<const std::byte> key, std::initializer_list<std::span<const std::byte>> parts);

/// 16 bytes from the operating system's random source (OpenSSL RAND_bytes); throws if it fails,
/// since a predictable nonce would make replays possible.
nonce random_nonce();

/// Equality in time independent of where the bytes differ.
bool same_mac(std::span<const std::byte> a, std::span<const std::byte> b);

}  // namespace active_users
