// Random ids for one run of a replica: incarnations, writer ids, anti-entropy epochs.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

namespace active_users {

/// A random non-zero 64-bit id, new for every call. Random, so that a restarted process never
/// reuses an id its last run wrote under.
std::uint64_t fresh_id();

}  // namespace active_users
