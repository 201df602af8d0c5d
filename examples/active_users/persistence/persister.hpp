// Durable channels: an append-only journal group-committed with one fdatasync, snapshots at each rotation.
// SPDX-License-Identifier: MIT
#pragma once

#include "persistence/journal_file.hpp"
#include "persistence/snapshot_file.hpp"
#include "replication/channel_table.hpp"
#include "result.hpp"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace active_users {

/// Keeps `DIR/<channel>.snapshot` for every row of the channel table and `DIR/journal.log`, an
/// append-only journal of what changed since (journal_format.hpp). A caller that must not
/// acknowledge a write before it is on disk makes the write, then registers a callback; one
/// thread takes every callback registered so far, takes each channel's changes (its delta, or
/// its snapshot when a channel keeps no deltas and it changed: so every write made before a
/// registration is included), appends them as one frame, fdatasyncs once, and runs the
/// callbacks; callbacks registered meanwhile wait for the next group. When the journal would
/// grow past `rotate_after` bytes, the pass rotates instead: every snapshot is rewritten (each
/// marked as covering the journal's generation) and the journal replaced by an empty one of the
/// next generation, so a crash between the two steps replays nothing twice that matters.
/// With no directory, callbacks run at once.
///
/// Example:
/// ```
/// persister disk(dir, channels);
/// if (auto r = disk.restore(); !r) return fail_start(r.error());  // snapshots + journal
/// disk.start();
/// counts.adjust("home", true);
/// disk.when_durable([] { /* acknowledge */ });
/// ```
class persister {
public:
    static constexpr std::size_t default_rotate_after = std::size_t{4} << 20;

    persister(std::string dir, const channel_table& channels, std::size_t rotate_after = default_rotate_after);
    ~persister();
    persister(const persister&) = delete;
    persister& operator=(const persister&) = delete;

    /// Gives each channel what an earlier run left (its snapshot, then the journal's records for
    /// it), before replication starts. A damaged or unreadable file, or a journal damaged
    /// anywhere but in its torn last frame, is a failure: the service then refuses to start
    /// rather than lose data. A torn tail is ignored (those writes were never acknowledged).
    result<void> restore();
    /// Starts the writer; its first pass rotates (writes every channel's snapshot and an empty
    /// journal), so this run's incarnation is on disk before any session exists.
    void start();

    /// Runs `done` (on the writer's thread) once everything written before this call is durable.
    void when_durable(std::function<void()> done);
    /// Whether writes go to disk at all (a data directory was given).
    [[nodiscard]] bool durable() const noexcept { return !dir_.empty(); }

    struct stats {
        std::uint64_t snapshots_written = 0;  ///< rotations: passes that rewrote the snapshots
        std::uint64_t failures = 0;           ///< passes that failed (and were retried)
        std::uint64_t journal_commits = 0;    ///< frames appended and fdatasynced
    };
    [[nodiscard]] stats statistics() const;

private:
    void run();
    /// One pass: the channels' changes as a frame appended and synced, or a rotation when
    /// `rotate` or the journal is full; false after a failure.
    bool commit(bool rotate);
    bool rotate_all();
    result<void> replay(const channel& c, const journal_contents& journal);

    std::string dir_;
    const channel_table& channels_;
    std::size_t rotate_after_;
    std::vector<snapshot_file> files_;                ///< one per row, in table order
    std::vector<std::vector<std::byte>> last_whole_;  ///< what each channel that keeps no deltas last logged
    journal_file journal_;
    std::uint64_t generation_ = 0;                    ///< of the journal on disk
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<std::function<void()>> waiting_;
    stats stats_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace active_users
