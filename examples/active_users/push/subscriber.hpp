// One live connection waiting for pushes: the latest message, and how the fanout wakes it.
// SPDX-License-Identifier: MIT
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace active_users {

/// A live WebSocket (a page's viewer, a user following their unread count, a dashboard). Its
/// fields are touched only on `executor` (the connection's strand): a push is posted there and
/// then `notify` is called. Pushes are coalesced: only the latest message is kept, so a slow
/// client gets fewer messages, never a growing queue.
struct subscriber {
    explicit subscriber(boost::asio::any_io_executor ex) : executor(std::move(ex)) {}
    virtual ~subscriber() = default;
    subscriber(const subscriber&) = delete;
    subscriber& operator=(const subscriber&) = delete;

    /// On `executor`, after a push or `fanout::close_all` changed the fields below.
    virtual void notify() {}
    /// From any thread, every sweep period (`fanout::sweep`): a connection checks its own
    /// liveness here, so that no connection needs a timer of its own.
    virtual void sweep(std::chrono::steady_clock::time_point) {}

    boost::asio::any_io_executor executor;
    /// The next message to send, as a complete server frame (unmasked, so the same bytes go to
    /// every subscriber of the key and are built once per push).
    std::shared_ptr<const std::string> latest;
    bool dirty = false;  ///< `latest` is not sent yet
    /// When the oldest push not yet sent was published (the epoch for none): the push delay
    /// runs from there to the end of the write that carries it.
    std::chrono::steady_clock::time_point pending_since{};
    bool closed = false;
    bool going_away = false;  ///< the server is stopping: close with 1001 Going Away
    /// The fanout's bookkeeping: this subscriber's place among its key's, under the fanout's lock.
    std::size_t slot = 0;
    /// Between the fanout (any thread) and `executor`, under `box_lock`: the newest push not yet
    /// taken, and whether a post to take it is on its way. A push while one is on its way only
    /// replaces the message, so a server that falls behind queues nothing either.
    std::atomic_flag box_lock;
    bool box_posted = false;
    std::shared_ptr<const std::string> box;
    std::chrono::steady_clock::time_point box_since{};
};

}  // namespace active_users
