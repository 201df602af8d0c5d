// Durable snapshots of the lasting adjustments: write, fsync, rename; acknowledgements wait for them.
// SPDX-License-Identifier: MIT
#pragma once

#include "replica.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace active_users {

/// What a previous run left: its adjustments and its incarnation (dead now, to be retired).
struct snapshot {
    adjustment_state adjustments;
    std::uint64_t incarnation = 0;
};

/// Reads `dir`/snapshot; nullopt when there is none; throws std::runtime_error with the reason
/// when there is one but it is damaged (the server then refuses to start rather than lose data).
std::optional<snapshot> load_snapshot(const std::string& dir);

/// Group commit: callers that need an adjustment on disk before they acknowledge it register a
/// callback for its generation; one thread writes a snapshot that covers every generation
/// requested so far and then runs their callbacks. With no directory, callbacks run at once.
class persister {
public:
    persister(std::string dir, replica& r);
    ~persister();
    persister(const persister&) = delete;
    persister& operator=(const persister&) = delete;

    /// Runs `done` (on the persister's thread) once generation `gen` is durable.
    void when_durable(std::uint64_t gen, std::function<void()> done);

    [[nodiscard]] std::uint64_t snapshots_written() const;

private:
    void run();
    void write(const adjustment_state& s, std::uint64_t incarnation);

    std::string dir_;
    replica& replica_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::multimap<std::uint64_t, std::function<void()>> waiting_;
    std::uint64_t durable_ = 0;
    std::uint64_t written_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace active_users
