// Which signed frames of each sender's run were already accepted: refuses replays and stale frames.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "result.hpp"

#include <bitset>
#include <cstdint>
#include <map>
#include <mutex>

namespace active_users {

/// On a broadcast fabric anyone who can subscribe can capture a signed frame and publish it again
/// later, and there is no connection to bind frames to. So each frame names its sender's run (a
/// random id drawn at start) and a counter that grows within the run, and carries its send time.
/// A frame is admitted once: its counter must be above the run's highest seen, or within the
/// `window` below it and not seen yet; and its time must be within `max_age` of now, so a frame
/// of an earlier run, whose counters are no longer tracked, is refused. Thread-safe.
///
/// Why the window is wide: NATS keeps one publisher's order on each subject, not across them, and
/// a frame published by another thread of the sender may overtake. A sender's frames of one
/// interval (its heartbeat, a publication per changed shard, digests, answers) are spread over
/// many subjects; with a window of 64, 24 replicas on a loaded machine refused 700,000 genuine
/// frames as replays in a minute, each refusal a gap repaired by more frames.
class replay_window {
public:
    static constexpr std::uint64_t window = 1024;
    static constexpr std::uint64_t max_age_ms = 30'000;
    /// Runs tracked per sender: a restart is a new run, and the old one's frames age out.
    static constexpr std::size_t runs_per_sender = 4;

    /// Admits the frame or refuses it with status::replayed; an admitted frame is remembered.
    result<void> admit(peer_id sender, std::uint64_t run, std::uint64_t counter, std::uint64_t sent_ms,
                       std::uint64_t now_ms);

private:
    struct run_state {
        std::uint64_t highest = 0;
        std::bitset<window> seen;  ///< bit i: counter highest - i was admitted
        std::uint64_t last_ms = 0;
    };
    std::mutex mutex_;
    std::map<peer_id, std::map<std::uint64_t, run_state>> senders_;
};

}  // namespace active_users
