// A connection's idle limit, kept with one timer wait per limit rather than one per request.
// SPDX-License-Identifier: MIT
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>

namespace active_users {

/// Closes `socket` (its pending read or write ends with operation_aborted) once `limit` has
/// passed since the last restart() without another restart(). The timer is armed once and, when
/// it fires early because restart() moved the deadline, once more for the new deadline: a request
/// costs a clock read, where Beast's tcp_stream armed and cancelled a timer for every read and
/// every write (12% of the GET profile, issue 16). Must be used on the socket's strand; the
/// socket is never touched once this is destroyed.
class idle_deadline {
public:
    idle_deadline(boost::asio::ip::tcp::socket& socket, std::chrono::steady_clock::duration limit);
    ~idle_deadline();
    idle_deadline(const idle_deadline&) = delete;
    idle_deadline& operator=(const idle_deadline&) = delete;

    /// The limit counts from `now` (a caller that has just read the clock passes its reading).
    void restart(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

private:
    struct state;
    static void wait(std::shared_ptr<state> s);

    std::shared_ptr<state> state_;  ///< shared with the pending wait, which may outlive this
    std::chrono::steady_clock::duration limit_;
};

}  // namespace active_users
