// N WebSocket viewers of one page on one epoll: opened together, then read for the counts the server pushes.
// SPDX-License-Identifier: MIT
#pragma once

#include "clock.hpp"
#include "server_frames.hpp"
#include "unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fanout {

/// Called for each read whose last text frame carried a count: the viewer's count before it
/// (-1 when none yet), the new one, and when it was read.
using on_count = std::function<void(std::int64_t before, std::int64_t now, clock::time_point at)>;

/// Example: `viewer_pool v(8080, "fan", 2000, 8192); v.open_all(); v.settle(500ms, 60s); v.pump(until, seen);`
/// Every failure (a refusal, a close, a bad frame, a viewer that never opens) throws viewer_error.
class viewer_pool {
public:
    /// Nothing is connected until open_all. `rcvbuf`: each socket's SO_RCVBUF, 0 for the default.
    viewer_pool(std::uint16_t port, std::string page, std::size_t viewers, int rcvbuf);

    /// Opens every viewer, each connect after the last (paced by the server's accepts), not
    /// waiting for answers, and returns when each has had its first message. A viewer
    /// is not read again after that until all are open: every join is pushed to every viewer
    /// open so far, and with a small receive buffer the server soon holds those pushes back
    /// and keeps only the latest, where reading them would cost N^2/2 stale frames. A viewer
    /// without a first message after 20 s (its handshake lost in a full accept queue, retried
    /// by TCP with backoff) is opened again; after 120 s the whole opening fails.
    void open_all();

    /// Reads what the opening left in the sockets until nothing arrives for `quiet`.
    void settle(clock::duration quiet, clock::duration limit);

    /// Reads every viewer until `until`, calling `seen` for each new count; at least one pass
    /// even when `until` has passed, so a writer that runs late never stops the reading.
    void pump(clock::time_point until, const on_count& seen);

    /// Watches `fd` (another socket, readable) on the same epoll, for pump_until_readable.
    void watch_also(int fd);

    /// Reads every viewer until the fd given to watch_also is readable (true) or `deadline` (false).
    bool pump_until_readable(clock::time_point deadline, const on_count& seen);

    std::size_t text_frames() const { return text_frames_; }
    std::size_t reopened() const { return reopened_; }

private:
    struct viewer {
        unique_fd fd;
        server_frames frames;
        std::int64_t last = -1;  ///< the latest count seen, -1 before the first
        std::string outbox;      ///< the upgrade request or pongs not yet accepted by the socket
        bool paused = false;     ///< opened and left unread until all are
        std::optional<clock::time_point> waiting_since;  ///< opening, no first message yet
        std::uint32_t interest = 0;                      ///< the events epoll watches now
    };

    void connect(std::size_t slot);
    /// One readiness event of `slot`; `seen` may be empty (the opening reads no counts).
    void on_event(std::size_t slot, std::uint32_t events, const on_count* seen);
    void read(std::size_t slot, const on_count* seen);
    void flush(viewer& v);
    void watch(std::size_t slot);
    /// Waits up to `timeout_ms` and handles what is ready; the number of events.
    std::size_t poll(int timeout_ms, const on_count* seen);
    /// Polls until `until`, at least once; returns early, true, when `stop_on_other` and the
    /// watch_also fd is readable.
    bool pump_while(clock::time_point until, const on_count& seen, bool stop_on_other);

    std::uint16_t port_;
    std::string request_;
    int rcvbuf_;
    std::size_t size_;
    unique_fd epoll_;
    std::vector<viewer> viewers_;
    std::size_t waiting_ = 0;
    std::size_t text_frames_ = 0;
    std::size_t reopened_ = 0;
    bool other_ready_ = false;  ///< the watch_also fd was reported readable by the last poll
    std::vector<char> buffer_;
};

}  // namespace fanout
