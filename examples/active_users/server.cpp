// Server wiring: listeners, the periodic fold/push/expire/retire tasks, metrics, page names.
// SPDX-License-Identifier: MIT
#include "server.hpp"

#include "http_common.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <ostream>
#include <sstream>
#include <string_view>

namespace active_users {

namespace asio = boost::asio;
using asio::ip::tcp;

std::optional<session_table::page_id> page_registry::intern(const std::string& page) {
    {
        std::shared_lock lock(mutex_);
        if (const auto it = ids_.find(page); it != ids_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    if (const auto it = ids_.find(page); it != ids_.end()) return it->second;
    if (names_.size() >= max_pages) return std::nullopt;
    const auto id = static_cast<session_table::page_id>(names_.size());
    names_.push_back(page);
    ids_.emplace(page, id);
    return id;
}

std::string page_registry::name(session_table::page_id id) const {
    std::shared_lock lock(mutex_);
    return names_.at(id);
}

server::server(asio::io_context& io, options o, std::optional<snapshot> restored)
    : io_(io),
      opts_(std::move(o)),
      replica_(opts_.id, restored ? std::move(restored->adjustments) : adjustment_state{},
               restored ? std::optional<std::uint64_t>(restored->incarnation) : std::nullopt),
      notifications_(restored ? std::move(restored->notes) : notification_states{}),
      persister_(opts_.data_dir, replica_, &notifications_),
      replication_(io, opts_, replica_, notifications_) {}

void server::start() {
    tcp::acceptor acceptor(io_);
    const tcp::endpoint ep(asio::ip::make_address(opts_.http.host), opts_.http.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
    asio::co_spawn(io_, accept_http(std::move(acceptor)), asio::detached);
    replication_.start();
    // Folding often keeps the local count fresh; pushes are coalesced to one per page per 100 ms.
    asio::co_spawn(io_, every(std::chrono::milliseconds(20), &server::fold), asio::detached);
    asio::co_spawn(io_, every(std::chrono::milliseconds(100), &server::push), asio::detached);
    asio::co_spawn(io_, every(std::chrono::milliseconds(250), &server::expire), asio::detached);
    asio::co_spawn(io_, every(std::chrono::milliseconds(500), &server::retire), asio::detached);
}

asio::awaitable<void> server::every(std::chrono::milliseconds period, void (server::*task)()) {
    asio::steady_timer timer(io_);
    auto next = std::chrono::steady_clock::now();
    for (;;) {
        next += period;
        timer.expires_at(next);
        co_await timer.async_wait(asio::use_awaitable);
        (this->*task)();
    }
}

session_table::tick server::tick_after(std::chrono::milliseconds d) const {
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    return static_cast<session_table::tick>(since.count() + d.count());
}

void server::fold() {
    std::vector<std::pair<std::string, std::int64_t>> joins;
    sessions_.drain([&](session_table::page_id page, std::int64_t delta) { joins.emplace_back(pages_.name(page), delta); });
    if (!joins.empty()) replica_.fold_sessions(joins);
}

void server::push() {
    const auto pages = replica_.take_changed();
    auto users = notifications_.take_changed();
    if (pages.empty() && users.empty()) return;
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    const auto send = [](const std::unordered_set<std::shared_ptr<subscriber>>& subs, const std::string& msg) {
        for (const auto& sub : subs) {
            asio::post(sub->wake.get_executor(), [sub, msg] {
                sub->latest = msg;
                sub->dirty = true;
                sub->wake.cancel();
            });
        }
    };
    std::lock_guard lock(subscribers_mutex_);
    for (const std::string& page : pages) {
        if (const auto it = subscribers_.find(page); it != subscribers_.end())
            send(it->second, page_message(page, replica_.view(page)));
    }
    for (const std::string& user : users) {
        if (const auto it = user_subscribers_.find(user); it != user_subscribers_.end())
            send(it->second, user_message(user, notifications_.unread(user)));
    }
}

void server::expire() { expired_ += sessions_.expire(tick_after(std::chrono::milliseconds(0))); }

void server::retire() {
    const std::size_t n = replica_.retire_silent(std::chrono::steady_clock::now(), opts_.retire_after);
    if (n > 0) std::fprintf(stderr, "replica %u: retired %zu silent incarnation(s)\n", opts_.id, n);
}

namespace {

/// The HELP (when there is one) and TYPE lines that open a metric family in the Prometheus text format.
void family(std::ostream& out, std::string_view name, std::string_view type, std::string_view help = {}) {
    if (!help.empty()) out << "# HELP " << name << ' ' << help << '\n';
    out << "# TYPE " << name << ' ' << type << '\n';
}

/// A family with one unlabelled sample.
template <class Value>
void metric(std::ostream& out, std::string_view name, std::string_view type, Value value, std::string_view help = {}) {
    family(out, name, type, help);
    out << name << ' ' << value << '\n';
}

}  // namespace

std::string server::metrics() {
    const replica::stats s = replica_.statistics();
    const notifications::stats n = notifications_.statistics();
    replication_stats& r = replication_.stats();
    std::ostringstream out;
    family(out, "converge_sessions", "gauge", "Live viewer sessions held by this replica.");
    out << "converge_sessions{kind=\"heartbeat\"} " << sessions_.heartbeat_sessions() << "\n"
        << "converge_sessions{kind=\"websocket\"} " << sessions_.streams() << "\n";
    metric(out, "converge_pages", "gauge", s.pages, "Pages this replica knows a count for.");
    metric(out, "converge_merges_total", "counter", s.merges, "Replication messages that brought news.");
    metric(out, "converge_rejected_messages_total", "counter", s.rejected + n.rejected + r.frames_rejected.load());
    metric(out, "converge_frames_received_total", "counter", r.frames_received.load());
    metric(out, "converge_replication_bytes_sent_total", "counter", r.bytes_sent.load(),
           "Bytes of replication frames sent.");
    family(out, "converge_replication_lag_seconds", "gauge", "Age of the last frame from each peer on arrival.");
    {
        std::lock_guard lock(r.lag_mutex);
        for (const auto& [peer, lag] : r.lag_seconds)
            out << "converge_replication_lag_seconds{peer=\"" << peer << "\"} " << lag << "\n";
    }
    metric(out, "converge_retired_incarnations", "gauge", s.retired);
    metric(out, "converge_rejoins_total", "counter", s.rejoins);
    metric(out, "converge_expired_sessions_total", "counter", expired_.load());
    metric(out, "converge_http_requests_total", "counter", http_requests_.load());
    metric(out, "converge_snapshots_written_total", "counter", persister_.snapshots_written());
    metric(out, "converge_notification_users", "gauge", n.users, "Users with subscriptions or read marks known here.");
    metric(out, "converge_notification_pages", "gauge", n.pages, "Pages with modifications known here.");
    metric(out, "converge_notification_merges_total", "counter", n.merges,
           "Notification messages that brought news.");
    metric(out, "converge_notification_rejected_total", "counter", n.rejected,
           "Notification messages that failed to decode.");
    metric(out, "converge_notification_writes_total", "counter", n.local_writes,
           "Subscribes, unsubscribes, reads and modifications made here.");
    return out.str();
}

}  // namespace active_users
