// A plain snapshot of every component's counters: what /metrics renders.
// SPDX-License-Identifier: MIT
#pragma once

#include "cluster/agreement_board.hpp"
#include "cluster/page_board.hpp"
#include "metrics/latency_histogram.hpp"
#include "notifications/notifications.hpp"
#include "persistence/persister.hpp"
#include "presence/viewer_counts.hpp"
#include "replication/sync_engine.hpp"
#include "replication/transport.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace active_users {

/// Copied out of each component by its own `statistics()`: rendering takes no component's lock.
struct service_stats {
    std::size_t heartbeat_sessions = 0;
    std::int64_t websocket_sessions = 0;
    std::uint64_t expired_sessions = 0;
    std::uint64_t http_requests = 0;
    viewer_counts::stats counts;
    std::size_t presence_bytes = 0;  ///< the presence state, encoded
    notifications::stats notes;
    replication_stats replication;
    transport_stats net;
    persister::stats disk;
    std::vector<std::pair<std::string_view, channel_stats>> channels;  ///< by channel name
    std::vector<route_latency> http_latency;                            ///< per HTTP route, then unmatched
    std::vector<std::pair<std::string_view, histogram_snapshot>> push_delay;  ///< by feed: pages, users, cluster
    std::vector<std::pair<std::string_view, std::size_t>> websockets;         ///< open, by feed
    page_board::summary board;                                          ///< totals only
    agreement_board::view agreement;
};

}  // namespace active_users
