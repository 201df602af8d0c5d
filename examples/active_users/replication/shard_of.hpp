// The stable key -> shard map of sharded channels: the same on every replica, build and run.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string_view>

namespace active_users {

/// The shard of `key` among `shards` (at least 1): FNV-1a over the key's bytes, then the
/// splitmix64 finaliser that tools/scale_sim's shard_of uses, modulo `shards`. Written out
/// rather than std::hash, which may differ between standard libraries, and replicas built by
/// different compilers must agree on every page's shard.
[[nodiscard]] constexpr std::uint32_t shard_of(std::string_view key, std::uint32_t shards) noexcept {
    std::uint64_t x = 0xcbf29ce484222325u;
    for (const char c : key) x = (x ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return static_cast<std::uint32_t>((x ^ (x >> 31)) % (shards == 0 ? 1 : shards));
}

}  // namespace active_users
