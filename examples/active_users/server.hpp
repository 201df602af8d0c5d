// The composition root: builds every component, wires them together and owns the timers.
// SPDX-License-Identifier: MIT
#pragma once

#include "api/cluster_api.hpp"
#include "api/notification_api.hpp"
#include "api/viewer_api.hpp"
#include "cluster/agreement_board.hpp"
#include "cluster/cluster_view.hpp"
#include "cluster/membership_timeline.hpp"
#include "cluster/page_board.hpp"
#include "cluster/peer_traffic.hpp"
#include "http/bearer_token.hpp"
#include "http/http_server.hpp"
#include "metrics/service_stats.hpp"
#include "notifications/notifications.hpp"
#include "options.hpp"
#include "persistence/persister.hpp"
#include "presence/page_registry.hpp"
#include "presence/session_clock.hpp"
#include "presence/session_table.hpp"
#include "presence/viewer_counts.hpp"
#include "push/fanout.hpp"
#include "replication/channel_table.hpp"
#include "replication/sync_engine.hpp"
#include "replication/transport.hpp"
#include "result.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace active_users {

/// One replica of converge-active-users. Data flows one way: transport -> replication -> channel
/// owner (viewer counts, notifications) -> their change feeds -> the push timer -> fanout ->
/// WebSockets; HTTP writes enter the owners directly and leave by the same feeds. The change feed
/// also keeps the page board (totals, top pages) that the dashboard and /metrics read, and the
/// transport's events pass through peer_traffic on their way to the replicator.
class server {
public:
    server(boost::asio::io_context& io, options o);
    /// Stops the transport first: its threads (libnats's) may be calling into replication.
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Restores the snapshots in --data-dir, binds both ports and starts the timers. A failure
    /// (a damaged snapshot, a port that cannot be bound) names its cause; the caller exits.
    result<void> start();

    /// A graceful stop (SIGTERM): retires this replica's incarnation and pushes that to every peer
    /// (waiting, a few intervals at most, for it to be written), closes live WebSockets with 1001
    /// Going Away, and waits for everything written to be on disk. Peers stop counting this
    /// replica's viewers as soon as the retirement arrives, instead of after --retire-after.
    boost::asio::awaitable<void> shutdown();

    /// Every component's counters, copied.
    [[nodiscard]] service_stats statistics() const;
    /// What the dashboard shows (GET /cluster), with the `top` largest pages.
    [[nodiscard]] cluster_view cluster(std::size_t top) const;

private:
    boost::asio::awaitable<void> every(std::chrono::milliseconds period, void (server::*task)(), const char* what);
    void fold();
    void push();
    void sweep_sockets();
    void expire();
    void retire();
    void replicate();
    void publish_cluster();
    /// Reports this replica's digest when settled and moves retirements and new incarnations
    /// into the timeline.
    void observe_cluster();
    /// The agreement board compared with this replica's counts, given the peers as traffic sees them.
    [[nodiscard]] agreement_board::view agreement_now(const std::vector<peer_traffic::peer_view>& peers) const;

    boost::asio::io_context& io_;
    options opts_;
    session_clock clock_;
    session_table sessions_;
    page_registry pages_;
    viewer_counts counts_;
    notifications notes_;
    agreement_board agreement_;
    channel_table channels_;
    persister disk_;
    std::unique_ptr<transport> net_;            ///< the TCP mesh, or NATS with --nats
    std::unique_ptr<sync_engine> replication_;  ///< per-peer anti-entropy on the mesh, broadcast on NATS
    peer_traffic traffic_;
    page_board board_;
    membership_timeline timeline_;
    fanout page_viewers_;
    fanout user_followers_;
    fanout dashboards_;
    viewer_api::parts viewer_parts_;
    notification_api::parts notification_parts_;
    cluster_api::parts cluster_parts_;
    bearer_token writes_;
    route_table routes_;
    http_server http_;
    std::atomic<std::uint64_t> expired_{0};
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace active_users
