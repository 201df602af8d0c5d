// fresh_id: 64 random bits from the operating system.
// SPDX-License-Identifier: MIT
#include "replication/fresh_id.hpp"

#include <random>

namespace active_users {

std::uint64_t fresh_id() {
    std::random_device rd;
    std::uint64_t x = 0;
    while (x == 0) x = (std::uint64_t{rd()} << 32) ^ rd();
    return x;
}

}  // namespace active_users
