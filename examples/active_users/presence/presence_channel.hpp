// The presence channel: viewers per page and incarnation, persisted only as the incarnation.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/synced_state.hpp"

#include <converge/presence_map.hpp>

#include <cstdint>
#include <string>

namespace active_users {

/// Live viewers per page, one gauge per replica incarnation: a page's entry goes when its last
/// viewer leaves (no tombstone), and a dead incarnation is retired, so its viewers stop counting,
/// with a marker that is collected after the horizon (see viewer_counts).
using presence_state = converge::presence_map<std::string, std::uint64_t>;

/// The clock of retirement markers and of the horizon: seconds since the Unix epoch, a clock the
/// replicas share (their skew must stay well below --retire-after).
[[nodiscard]] std::uint64_t presence_clock_now();

/// Presence does not survive a restart: the sessions die with the process. What is kept is the
/// incarnation that wrote it (the channel's epoch), so that the next run retires it at once
/// instead of waiting for its peers to notice the silence. The bytes are the same whatever the
/// CRDT behind the channel, so a file written by a build that kept presence as a
/// retirable_counter_map restores here unchanged.
class presence_channel final : public synced_state<presence_state> {
public:
    using synced_state::synced_state;

    std::vector<std::byte> snapshot() const override;
    /// Retires the incarnation of the run that wrote `bytes`.
    result<void> restore(std::span<const std::byte> bytes) override;
    /// The journal logs the incarnation as a whole snapshot, never the sessions' deltas.
    journal_changes take_changes() override { return {}; }
};

}  // namespace active_users
