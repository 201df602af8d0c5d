// What the cluster dashboard shows, as one plain snapshot, and its JSON (GET /cluster).
// SPDX-License-Identifier: MIT
#pragma once

#include "cluster/agreement_board.hpp"
#include "cluster/membership_timeline.hpp"
#include "cluster/page_board.hpp"
#include "cluster/peer_traffic.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace active_users {

/// Copied from the components by the server; rendering takes no lock.
struct cluster_view {
    std::uint32_t replica = 0;
    std::uint64_t incarnation = 0;
    double uptime_seconds = 0;
    page_board::summary pages;                    ///< with the top pages
    std::vector<peer_traffic::peer_view> peers;
    std::map<std::uint32_t, double> lag_seconds;  ///< age of each peer's last frame on arrival
    std::size_t peers_up = 0;                     ///< as the replicator counts them
    std::uint64_t bytes_sent = 0;                 ///< replication frames, to every peer
    std::uint64_t retired = 0;
    std::uint64_t rejoins = 0;
    std::int64_t local_sessions = 0;              ///< heartbeat and WebSocket viewers held here
    agreement_board::view agreement;
    std::vector<membership_timeline::event> timeline;  ///< newest first
};

/// `{"replica", "incarnation" (16 hex digits), "time", "uptime_seconds", "viewers", "pages",
/// "digest" (16 hex digits), "top": [{"page", "count"}], "peers": [{"id", "address", "up",
/// "incarnation" (null: no report yet), "last_heard_seconds" (null: never), "lag_seconds" (null:
/// unknown), "bytes_received", "messages_received"}], "peers_up", "bytes_sent", "retired",
/// "rejoins", "local_sessions", "agreement": {"agree", "comparable", "settled", "up", "differing",
/// "reporting", "replicas": [{"id", "incarnation", "digest", "viewers", "pages",
/// "seconds_since_report", "up", "agrees"}]}, "timeline": [{"time", "event", "replica" (null:
/// unknown), "incarnation", "previous" (null unless "new incarnation")}]}`.
/// Counters are totals since start: a reader takes their rates from two snapshots.
std::string cluster_json(const cluster_view& v);

}  // namespace active_users
