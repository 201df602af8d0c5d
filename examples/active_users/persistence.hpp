// Durable snapshots of adjustments and notifications: write, fsync, rename; acknowledgements wait for them.
// SPDX-License-Identifier: MIT
#pragma once

#include "notifications.hpp"
#include "replica.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace active_users {

/// What a previous run left: its adjustments, its incarnation (dead now, to be retired) and the
/// notification states.
struct snapshot {
    adjustment_state adjustments;
    std::uint64_t incarnation = 0;
    notification_states notes;
};

/// Reads `dir`/snapshot and `dir`/notifications (empty states when only the first exists);
/// nullopt when there is no snapshot; throws std::runtime_error with the reason when a file is
/// damaged (the server then refuses to start rather than lose data).
std::optional<snapshot> load_snapshot(const std::string& dir);

/// Group commit: callers that need an adjustment (or a notification write) on disk before they
/// acknowledge it register a callback for its generation; one thread writes snapshots that cover
/// every generation requested so far and then runs their callbacks. With no directory, callbacks
/// run at once. The two sources count generations apart, each under its own lock.
class persister {
public:
    enum class source { adjustments, notifications };

    /// `n` may be null: then only the adjustments are written.
    persister(std::string dir, replica& r, notifications* n = nullptr);
    ~persister();
    persister(const persister&) = delete;
    persister& operator=(const persister&) = delete;

    /// Runs `done` (on the persister's thread) once generation `gen` of `from` is durable.
    void when_durable(std::uint64_t gen, std::function<void()> done, source from = source::adjustments);

    [[nodiscard]] std::uint64_t snapshots_written() const;

private:
    void run();
    void write(const adjustment_state& s, std::uint64_t incarnation);
    void write_notes(const notification_states& s);
    void replace(const std::string& name, const std::vector<std::byte>& bytes);

    using waiters = std::multimap<std::uint64_t, std::function<void()>>;
    std::string dir_;
    replica& replica_;
    notifications* notes_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    waiters waiting_;
    waiters waiting_notes_;
    std::uint64_t durable_ = 0;
    std::uint64_t notes_durable_ = 0;
    std::uint64_t written_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace active_users
