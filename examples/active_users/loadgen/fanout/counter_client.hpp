// One keep-alive HTTP connection that increments a page's counter and reads back the count it answered.
// SPDX-License-Identifier: MIT
#pragma once

#include "unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace fanout {

/// One request at a time. The answer is read without blocking, so that the caller can read
/// its viewers while the server answers: a writer that waited would leave every viewer unread
/// whenever the server is slower than the interval.
/// Example: `c.send_increment(); while (!(n = c.answer())) wait_until_readable(c.fd());`
/// Failures (refused, closed, an answer that is not 200 with a count) throw std::runtime_error.
class counter_client {
public:
    counter_client(std::uint16_t port, const std::string& page);

    /// Sends PUT /<page>/counter {"action": "increment"}.
    void send_increment();

    /// The count in the answer once it is whole; nullopt while more bytes are due.
    std::optional<std::int64_t> answer();

    /// The connection, to wait on for the answer.
    int fd() const { return fd_.get(); }
    /// Connections made so far: a new one (after an answer that said "close") has a new fd to wait on.
    std::size_t connections() const { return connections_; }

private:
    void connect();
    /// The next answer's body when pending_ holds all of it; reconnects before the next request
    /// when the server said "close".
    std::optional<std::string> take_answer();

    std::uint16_t port_;
    std::string request_;
    unique_fd fd_;
    std::string pending_;  ///< bytes read past the end of the last answer
    bool reconnect_ = false;
    std::size_t connections_ = 0;
};

}  // namespace fanout
