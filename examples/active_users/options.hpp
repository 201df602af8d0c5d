// Command-line flags of converge-active-users, parsed and validated before anything starts.
// SPDX-License-Identifier: MIT
#pragma once

#include "result.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace active_users {

struct endpoint {
    std::string host;
    std::uint16_t port = 0;
};

struct peer_address {
    std::uint32_t id = 0;
    endpoint address;
};

/// Replication through NATS (--nats) instead of the TCP mesh: the servers, how to log in, and the
/// subjects' common first tokens.
struct nats_options {
    std::vector<std::string> servers;  ///< nats://host:port URLs; empty: the TCP mesh
    std::string token;                 ///< from --nats-token-file
    std::string creds_file;            ///< --nats-creds: a user JWT and seed, read by libnats
    std::string subject_prefix = "converge";
    /// Presence is split into this many shards by page, each on its own subjects: more shards
    /// hold fewer pages besides the followed ones, at one subscription and one sync state each.
    std::uint32_t shards = 1024;
    bool follow_all = false;  ///< --nats-follow all: hold every shard, not only those in use
    /// A shard without local viewers is dropped this long after its last read (--interest-lapse).
    std::chrono::milliseconds interest_lapse{60'000};
};

struct options {
    std::uint32_t id = 0;
    endpoint http{"127.0.0.1", 8080};
    endpoint listen{"127.0.0.1", 9080};
    std::vector<peer_address> peers;
    nats_options nats;
    std::string secret;                        ///< from --secret-file or CONVERGE_SECRET
    std::string api_token;                     ///< from --api-token-file; empty: writes are open
    std::chrono::milliseconds expiry{30'000};  ///< a session without heartbeat for this long is gone
    std::chrono::milliseconds retire_after{10'000};
    std::chrono::milliseconds interval{100};   ///< replication push interval
    std::string data_dir;                      ///< empty: no snapshot of adjustments
    unsigned threads = 0;                      ///< 0: one per core
    bool help = false;                         ///< --help: print the usage, nothing else
};

/// The flags, or a failure saying which flag is wrong and why (the caller prints it, exits 2).
result<options> parse_options(const std::vector<std::string>& args, const char* env_secret);

extern const char* const usage;

/// A NATS subject prefix: dot-separated tokens of letters, digits, '-' and '_' (no wildcards).
[[nodiscard]] bool valid_subject_prefix(const std::string& s);

/// "host:port" with a port in 1..65535.
std::optional<endpoint> parse_endpoint(const std::string& s);

}  // namespace active_users
