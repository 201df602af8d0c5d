// One live connection waiting for pushes: the latest message and a timer that wakes its writer.
// SPDX-License-Identifier: MIT
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace active_users {

/// A live WebSocket (a page's viewer, or a user following their unread count). Touched only on
/// its connection's strand: a push is posted there. Pushes are coalesced: only the latest
/// message is kept, so a slow client gets fewer messages, never a growing queue.
struct subscriber {
    explicit subscriber(const boost::asio::any_io_executor& ex)
        : wake(ex, std::chrono::steady_clock::time_point::max()) {}
    boost::asio::steady_timer wake;
    std::shared_ptr<const std::string> latest;  ///< the message to send next, shared by every subscriber of the key
    bool dirty = false;  ///< `latest` is not sent yet
    /// When the oldest push not yet sent was published (the epoch for none): the push delay
    /// runs from there to the end of the write that carries it.
    std::chrono::steady_clock::time_point pending_since{};
    bool closed = false;
    bool going_away = false;  ///< the server is stopping: close with 1001 Going Away
};

}  // namespace active_users
