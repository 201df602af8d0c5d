// The dashboard's timeline of retirements, rejoins and restarts: the newest few, with their times.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace active_users {

/// Fed by the server's dashboard timer from viewer_counts' and agreement_board's feeds; read by
/// the dashboard. Keeps the newest `capacity` events. Thread-safe.
class membership_timeline {
public:
    static constexpr std::size_t capacity = 32;

    struct event {
        std::string time;                ///< ISO 8601, when this replica saw it
        std::string what;                ///< "retired", "retirement heard", "rejoined", "started over", "new incarnation"
        std::optional<peer_id> replica;  ///< whose incarnation, when known
        std::uint64_t incarnation = 0;
        std::optional<std::uint64_t> previous;  ///< for "new incarnation": the one it replaced
    };
    void add(event e);
    /// Newest first.
    [[nodiscard]] std::vector<event> newest_first() const;

private:
    mutable std::mutex mutex_;
    std::deque<event> events_;
};

}  // namespace active_users
