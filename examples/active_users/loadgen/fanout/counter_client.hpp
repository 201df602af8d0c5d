// One keep-alive HTTP connection that increments a page's counter and reads back the count it answered.
// SPDX-License-Identifier: MIT
#pragma once

#include "unique_fd.hpp"

#include <cstdint>
#include <string>

namespace fanout {

/// Blocking, one request at a time: the fan-out measures the pushes, not this connection.
/// Example: `counter_client c(8080, "fan"); std::int64_t now = c.increment();`
/// Failures (refused, closed, an answer that is not 200 with a count) throw std::runtime_error.
class counter_client {
public:
    counter_client(std::uint16_t port, const std::string& page);

    /// PUT /<page>/counter {"action": "increment"}; the count in the answer.
    std::int64_t increment();

private:
    void connect();
    /// The next answer's body; reconnects before the next request when the server said "close".
    std::string read_answer();

    std::uint16_t port_;
    std::string request_;
    unique_fd fd_;
    std::string pending_;  ///< bytes read past the end of the last answer
    bool reconnect_ = false;
};

}  // namespace fanout
