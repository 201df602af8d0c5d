// The presence channel: viewers per page and incarnation, persisted only as the incarnation.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/synced_state.hpp"

#include <converge/retirable_counter_map.hpp>

#include <cstdint>
#include <string>

namespace active_users {

/// Viewers per page, one entry per replica incarnation: retirable, so a dead replica's viewers
/// stop counting.
using presence_state = converge::retirable_counter_map<std::string, std::uint64_t>;

/// Presence does not survive a restart: the sessions die with the process. What is kept is the
/// incarnation that wrote it (the channel's epoch), so that the next run retires it at once
/// instead of waiting for its peers to notice the silence.
class presence_channel final : public synced_state<presence_state> {
public:
    using synced_state::synced_state;

    std::vector<std::byte> snapshot() const override;
    /// Retires the incarnation of the run that wrote `bytes`.
    result<void> restore(std::span<const std::byte> bytes) override;
};

}  // namespace active_users
