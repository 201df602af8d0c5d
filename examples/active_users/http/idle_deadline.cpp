// idle_deadline: a lazily re-armed timer that closes an idle socket.
// SPDX-License-Identifier: MIT
#include "http/idle_deadline.hpp"

#include <boost/asio/steady_timer.hpp>

namespace active_users {

struct idle_deadline::state {
    explicit state(boost::asio::ip::tcp::socket& s) : socket(&s), timer(s.get_executor()) {}
    boost::asio::ip::tcp::socket* socket;  ///< null once the owner is gone
    boost::asio::steady_timer timer;
    std::chrono::steady_clock::time_point deadline;
    bool waiting = false;
};

idle_deadline::idle_deadline(boost::asio::ip::tcp::socket& socket, std::chrono::steady_clock::duration limit)
    : state_(std::make_shared<state>(socket)), limit_(limit) {}

idle_deadline::~idle_deadline() {
    // A wait already completed and queued runs anyway: it finds no socket and does nothing.
    state_->socket = nullptr;
    state_->timer.cancel();
}

void idle_deadline::restart(std::chrono::steady_clock::time_point now) {
    state_->deadline = now + limit_;
    if (!state_->waiting) wait(state_);
}

void idle_deadline::wait(std::shared_ptr<state> s) {
    s->waiting = true;
    s->timer.expires_at(s->deadline);
    s->timer.async_wait([s](const boost::system::error_code&) {
        s->waiting = false;
        if (s->socket == nullptr) return;
        if (std::chrono::steady_clock::now() < s->deadline) {
            wait(s);  // restarted meanwhile: wait for the new deadline
            return;
        }
        boost::system::error_code ignored;
        s->socket->close(ignored);
    });
}

}  // namespace active_users
