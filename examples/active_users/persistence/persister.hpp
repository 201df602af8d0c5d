// Durable snapshots of every replicated channel, group-committed: one write serves every waiter.
// SPDX-License-Identifier: MIT
#pragma once

#include "persistence/snapshot_file.hpp"
#include "replication/channel_table.hpp"
#include "result.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace active_users {

/// Keeps `DIR/<channel>.snapshot` for every row of the channel table. A caller that must not
/// acknowledge a write before it is on disk makes the write, then registers a callback; one
/// thread takes every callback registered so far, snapshots each channel (so every write made
/// before a registration is included), replaces the files whose bytes changed, and runs the
/// callbacks. With no directory, callbacks run at once.
class persister {
public:
    persister(std::string dir, const channel_table& channels);
    ~persister();
    persister(const persister&) = delete;
    persister& operator=(const persister&) = delete;

    /// Gives each channel what an earlier run left, before replication starts. The first damaged
    /// or unreadable file is a failure: the service then refuses to start rather than lose data.
    result<void> restore();
    /// Starts the writer; its first pass writes every channel, so this run's incarnation is on
    /// disk before any session exists.
    void start();

    /// Runs `done` (on the writer's thread) once everything written before this call is durable.
    void when_durable(std::function<void()> done);

    struct stats {
        std::uint64_t snapshots_written = 0;  ///< passes that wrote at least one file
        std::uint64_t failures = 0;           ///< passes that failed (and were retried)
    };
    [[nodiscard]] stats statistics() const;

private:
    void run();
    /// Writes every channel whose bytes changed (all of them when `all`); false after a failure.
    bool write_changed(bool all);

    std::string dir_;
    const channel_table& channels_;
    std::vector<snapshot_file> files_;          ///< one per row, in table order
    std::vector<std::vector<std::byte>> last_;  ///< what each file holds now
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<std::function<void()>> waiting_;
    stats stats_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace active_users
