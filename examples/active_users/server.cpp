// The server: the channel table, the route table, and the fold/push/expire/retire/replicate timers.
// SPDX-License-Identifier: MIT
#include "server.hpp"

#include "api/routes.hpp"
#include "http/responses.hpp"
#include "metrics/metrics.hpp"
#include "persistence/await_durable.hpp"
#include "replication/broadcast_replicator.hpp"
#include "replication/fresh_id.hpp"
#include "replication/nats_transport.hpp"
#include "replication/replicator.hpp"
#include "replication/tcp_mesh.hpp"
#include "spawn.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>

namespace active_users {

namespace asio = boost::asio;

namespace {

/// How many pages the dashboard lists.
constexpr std::size_t dashboard_pages = 10;

/// With --nats the channels replicate by broadcast, named by --id on the wire.
sync_mode mode_of(const options& o) { return {.broadcast = !o.nats.servers.empty(), .self = o.id}; }

/// With --nats presence is sharded by page, and only the shards in use are held.
shard_plan plan_of(const options& o) {
    if (o.nats.servers.empty()) return {};
    return {.shards = o.nats.shards, .follow_all = o.nats.follow_all, .lapse = o.nats.interest_lapse};
}

std::unique_ptr<transport> make_transport(asio::io_context& io, const options& o) {
    if (!o.nats.servers.empty()) return std::make_unique<nats_transport>(o, fresh_id());
    return std::make_unique<tcp_mesh>(io, o);
}

std::unique_ptr<sync_engine> make_replication(const channel_table& channels, transport& net, const options& o) {
    if (!o.nats.servers.empty()) return std::make_unique<broadcast_replicator>(channels, net, o.retire_after);
    return std::make_unique<replicator>(channels, net);
}

/// The digest reports' timestamps.
std::uint64_t wall_ms(clock::time_point t) {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

const char* event_name(viewer_counts::membership_event::kind k) {
    using kind = viewer_counts::membership_event::kind;
    switch (k) {
    case kind::retired: return "retired";
    case kind::retirement_heard: return "retirement heard";
    case kind::rejoined: return "rejoined";
    case kind::started_over: return "started over";
    }
    return "?";
}

}  // namespace

server::server(asio::io_context& io, options o)
    : io_(io),
      opts_(std::move(o)),
      counts_(mode_of(opts_), plan_of(opts_)),
      notes_(0, mode_of(opts_)),
      agreement_(opts_.id, mode_of(opts_)),
      // The replicated channels. A new channel is a row here and its owner; nothing else changes.
      channels_{
          // Sharded presence (NATS) sends nothing when idle; adjustments, a small global
          // channel, then carries the heartbeat by which silent replicas are retired.
          {1, "presence", &counts_.presence(), /*heartbeat=*/counts_.presence_shard_set() == nullptr,
           counts_.presence_shard_set()},
          {2, "adjustments", &counts_.adjustments(), /*heartbeat=*/counts_.presence_shard_set() != nullptr},
          {3, "subscriptions", &notes_.subscriptions()},
          {4, "modifications", &notes_.modifications()},
          {5, "read_marks", &notes_.read_marks()},
          {6, "digests", &agreement_.channel()},
      },
      disk_(opts_.data_dir, channels_),
      net_(make_transport(io_, opts_)),
      replication_(make_replication(channels_, *net_, opts_)),
      traffic_(opts_.peers, *replication_,
               opts_.nats.servers.empty() ? std::nullopt : std::optional<std::chrono::milliseconds>(opts_.retire_after)),
      viewer_parts_{counts_, sessions_, pages_, clock_, disk_, page_viewers_, opts_},
      notification_parts_{notes_, disk_, user_followers_, opts_},
      cluster_parts_{dashboards_, [this] { return cluster_json(cluster(dashboard_pages)); }, opts_},
      writes_(opts_.api_token),
      routes_(make_routes(viewer_parts_, notification_parts_, cluster_parts_, writes_,
                          [this] { return render_metrics(statistics()); })),
      http_(io_, routes_, opts_.threads == 1 ? connection_threads::one : connection_threads::several) {}

server::~server() { net_.reset(); }

result<void> server::start() {
    if (auto restored = disk_.restore(); !restored) return restored;
    disk_.start();
    if (auto bound = http_.listen(opts_.http); !bound) return bound;
    if (auto started = net_->start(traffic_); !started) return started;
    const auto run_every = [this](std::chrono::milliseconds period, void (server::*task)(), const char* what) {
        spawn_logged(io_, every(period, task, what), what);
    };
    // Folding often keeps the local count fresh; pushes are coalesced to one per key per 100 ms.
    run_every(std::chrono::milliseconds(20), &server::fold, "fold timer");
    run_every(std::chrono::milliseconds(100), &server::push, "push timer");
    run_every(std::chrono::milliseconds(250), &server::expire, "expiry timer");
    run_every(std::chrono::milliseconds(500), &server::retire, "retirement timer");
    run_every(opts_.interval, &server::replicate, "replication timer");
    run_every(std::chrono::milliseconds(1000), &server::publish_cluster, "dashboard timer");
    // One sweep for every WebSocket instead of a timer each: pings the quiet, drops the silent.
    const auto sweep_period = std::clamp<std::chrono::milliseconds>(opts_.expiry / 8, std::chrono::milliseconds(50),
                                                                    std::chrono::milliseconds(1000));
    run_every(sweep_period, &server::sweep_sockets, "WebSocket sweep timer");
    return {};
}

asio::awaitable<void> server::every(std::chrono::milliseconds period, void (server::*task)(), const char* what) {
    asio::steady_timer timer(io_);
    auto next = std::chrono::steady_clock::now();
    std::uint64_t failures = 0;
    for (;;) {
        next += period;
        timer.expires_at(next);
        co_await timer.async_wait(asio::use_awaitable);
        try {
            (this->*task)();
        } catch (const std::exception& e) {
            // No input makes a task throw, so this is a bug; but a timer that stopped would
            // freeze what it keeps fresh (the fold timer: every local count) for the life of
            // the process. Said loudly, a few times, and the next run goes on.
            if (++failures <= 10)
                std::fprintf(stderr, "replica %u: %s failed (%llu time(s), going on): %s\n", opts_.id, what,
                             static_cast<unsigned long long>(failures), e.what());
        }
    }
}

void server::fold() {
    std::vector<std::pair<std::string, std::int64_t>> joins;
    sessions_.drain([&](session_table::page_id page, std::int64_t delta) { joins.emplace_back(pages_.name(page), delta); });
    if (!joins.empty()) counts_.fold_sessions(joins);
}

void server::push() {
    for (const std::string& page : counts_.take_changed()) {
        const count_view view = counts_.view(page);
        board_.set(page, view.count);
        page_viewers_.publish(page, [&] { return live_message("page", page, view); });
    }
    for (const std::string& page : counts_.take_forgotten()) board_.set(page, 0);
    for (const std::string& user : notes_.take_changed())
        user_followers_.publish(user, [&] { return live_message("user", user, notes_.unread(user)); });
}

void server::sweep_sockets() {
    const auto now = std::chrono::steady_clock::now();
    page_viewers_.sweep(now);
    user_followers_.sweep(now);
    dashboards_.sweep(now);
}

void server::expire() { expired_ += sessions_.expire(clock_.after(std::chrono::milliseconds(0))); }

void server::retire() {
    const auto now = std::chrono::steady_clock::now();
    const std::size_t n = counts_.retire_silent(now, opts_.retire_after);
    if (n > 0) std::fprintf(stderr, "replica %u: retired %zu silent incarnation(s)\n", opts_.id, n);
    // Markers older than the horizon go; a replica that heard no peer for that long starts over.
    const auto horizon = retirement_horizon(opts_.retire_after);
    const auto lag = static_cast<std::uint64_t>(std::chrono::ceil<std::chrono::seconds>(horizon).count());
    const std::uint64_t wall = presence_clock_now();
    if (wall > lag) counts_.collect_retired(wall - lag);
    const bool has_peers = !opts_.peers.empty() || !opts_.nats.servers.empty();
    if (has_peers && counts_.start_over_if_cut_off(now, horizon))
        std::fprintf(stderr, "replica %u: heard no peer for %lld s; started over as incarnation %016llx\n", opts_.id,
                     static_cast<long long>(lag), static_cast<unsigned long long>(counts_.incarnation()));
}

void server::replicate() { replication_->tick(); }

void server::publish_cluster() {
    observe_cluster();
    dashboards_.publish(cluster_api::key, [this] { return cluster_json(cluster(dashboard_pages)); });
}

void server::observe_cluster() {
    const auto now = clock::now();
    agreement_.observe(board_.totals(), counts_.incarnation(), wall_ms(now));
    for (const auto& c : agreement_.take_changes())
        timeline_.add({iso8601(now), "new incarnation", c.id, c.to, c.from});
    for (const auto& e : counts_.take_events())
        timeline_.add({iso8601(now), event_name(e.what), agreement_.owner_of(e.incarnation), e.incarnation, {}});
}

asio::awaitable<void> server::shutdown() {
    counts_.retire_self();
    page_viewers_.close_all();
    user_followers_.close_all();
    dashboards_.close_all();
    replication_->flush();  // the retirement goes out now, not at the next interval or later
    asio::steady_timer wait(io_);
    const auto deadline = std::chrono::steady_clock::now() + std::max<std::chrono::milliseconds>(std::chrono::milliseconds(500), 5 * opts_.interval);
    // Until replication is written out and every WebSocket has written its close and ended.
    const auto live = [this] { return page_viewers_.size() + user_followers_.size() + dashboards_.size(); };
    while ((!net_->drained() || live() > 0) && std::chrono::steady_clock::now() < deadline) {
        wait.expires_after(std::chrono::milliseconds(5));
        co_await wait.async_wait(asio::use_awaitable);
    }
    co_await await_durable(disk_);
    std::fprintf(stderr, "replica %u: retired incarnation %016llx and stopped\n", opts_.id,
                 static_cast<unsigned long long>(counts_.incarnation()));
}

service_stats server::statistics() const {
    service_stats s;
    s.heartbeat_sessions = sessions_.heartbeat_sessions();
    s.websocket_sessions = sessions_.streams();
    s.expired_sessions = expired_.load();
    s.http_requests = http_.requests();
    s.counts = counts_.statistics();
    s.presence_bytes = counts_.presence_bytes();
    s.notes = notes_.statistics();
    s.replication = replication_->statistics();
    s.net = net_->statistics();
    s.disk = disk_.statistics();
    for (const channel& c : channels_) s.channels.emplace_back(c.name, c.owner->statistics());
    s.http_latency = http_.latencies();
    s.push_delay = {{"pages", page_viewers_.push_delays()}, {"users", user_followers_.push_delays()},
                    {"cluster", dashboards_.push_delays()}};
    s.websockets = {{"pages", page_viewers_.size()}, {"users", user_followers_.size()}, {"cluster", dashboards_.size()}};
    s.board = board_.totals();
    s.agreement = agreement_now(traffic_.snapshot());
    return s;
}

agreement_board::view server::agreement_now(const std::vector<peer_traffic::peer_view>& peers) const {
    std::vector<peer_id> up;
    for (const auto& p : peers)
        if (p.up) up.push_back(p.id);
    agreement_board::view v = agreement_.snapshot(board_.totals(), up, wall_ms(clock::now()));
    // With NATS interest each replica's board holds only the shards it follows.
    if (!opts_.nats.servers.empty() && !opts_.nats.follow_all) {
        v.comparable = false;
        v.agree = false;
    }
    return v;
}

cluster_view server::cluster(std::size_t top) const {
    cluster_view v;
    v.replica = opts_.id;
    v.incarnation = counts_.incarnation();
    v.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    v.pages = board_.top(top);
    v.peers = traffic_.snapshot();
    const transport_stats net = net_->statistics();
    v.lag_seconds = net.lag_seconds;
    v.bytes_sent = net.bytes_sent;
    v.peers_up = replication_->statistics().peers_up;
    const viewer_counts::stats counts = counts_.statistics();
    v.retired = counts.retired;
    v.rejoins = counts.rejoins;
    v.local_sessions = static_cast<std::int64_t>(sessions_.heartbeat_sessions()) + sessions_.streams();
    v.agreement = agreement_now(v.peers);
    v.timeline = timeline_.newest_first();
    return v;
}

}  // namespace active_users
