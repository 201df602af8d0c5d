// Command-line flags of converge-fanout, parsed and validated before any connection is made.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace fanout {

struct options {
    std::uint16_t port = 0;  ///< the replica's HTTP port on 127.0.0.1 (required)
    std::string page = "fan";
    std::size_t viewers = 1000;
    double duration_s = 10;
    unsigned interval_ms = 100;  ///< between PUTs: the server's push interval
    bool help = false;
};

/// A flag that is unknown, missing its value or out of range; main prints it and exits 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

extern const char* const usage;

/// The options in `argv`, or usage_error. Example: `--port 8080 --viewers 2000 --duration 5`.
options parse_options(int argc, char** argv);

}  // namespace fanout
