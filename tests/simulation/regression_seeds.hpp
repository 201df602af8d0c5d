// Seeds that run on every simulation run, whatever --seeds says: past failures and scenarios worth keeping.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string_view>

namespace converge_sim {

struct regression_seed {
    std::string_view type;  // a name from `converge-simulation --list-types`; empty: every type
    std::uint64_t seed;
    std::string_view note;  // why it is here
};

/// Add a failing seed here, with its type and a note, before fixing the bug it found.
/// `converge-simulation --seed S --describe` prints a seed's scenario.
inline constexpr regression_seed regression_seeds[] = {
    {"", 1000654, "16 replicas, 95% of messages lost, repartitioned often"},
    {"", 1001833, "16 replicas, many operations, 98% of messages lost: only anti-entropy repairs"},
    {"", 1000035, "16 replicas, 3-4 way partitions changing every few ticks"},
    {"", 1000460, "16 replicas, many operations, no loss: deltas alone nearly converge"},
    {"", 1000510, "2 replicas, delays up to 20 ticks: heavy reordering"},
    {"", 1002107, "2 replicas, rare shipping: large delta groups"},
    {"broadcast_presence_map_str_u64", 12, "56 replicas, a log of 13, restarts and one-way link failures"},
    {"broadcast_g_counter_u64", 54, "14 replicas, a log of 0 (every repair a full state), frequent restarts"},
};

}  // namespace converge_sim
