// Command-line flags of converge-loadgen, parsed and validated before any connection is made.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace loadgen {

struct replica_address {
    std::string host;
    std::string port;
    std::string name;  ///< "host:port" as given, for reports
};

struct options {
    std::vector<replica_address> replicas;
    std::size_t viewers = 1000;
    std::size_t pages = 10;
    double duration_s = 10;
    double ws_fraction = 0.1;
    double heartbeat_interval_s = 2;
    double expiry_s = 30;
    std::size_t adjustments = 100;
    double settle_timeout_s = 30;
    std::size_t connections = 8;
    std::uint64_t seed = 0;
    double read_ratio = 10;    ///< GET reads per write (heartbeats, leaves, PUTs)
    double churn_rate = -1;    ///< join/leave/drop events per second; negative: viewers / 10
    std::string api_token;     ///< from --api-token-file: sent with every write
    bool help = false;
};

/// Thrown for a bad flag or value; main prints it with the usage and exits 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Parses argv; throws usage_error. Example: `parse_options(argc, argv).replicas.size()`.
options parse_options(int argc, char** argv);

extern const char* const usage;

}  // namespace loadgen
