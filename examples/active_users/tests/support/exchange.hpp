// Test helper: rounds of messages between two channel owners, as replication does every interval.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <utility>

namespace active_users::testing {

/// `rounds` rounds of each pair's messages both ways, replica 1 holding the first owner of each
/// pair and replica 2 the second. Every message must be accepted.
inline void exchange(std::initializer_list<std::pair<channel_owner*, channel_owner*>> pairs, int rounds = 3) {
    for (int round = 0; round < rounds; ++round) {
        for (const auto& [a, b] : pairs) {
            REQUIRE(b->receive(1, a->message_for(2).bytes).ok());
            REQUIRE(a->receive(2, b->message_for(1).bytes).ok());
        }
    }
}

}  // namespace active_users::testing
