// One load run's state (scenario::impl): viewer records, truth bookkeeping, helpers; for viewers.cpp and scenario.cpp only.
// SPDX-License-Identifier: MIT
#pragma once

#include "http_client.hpp"
#include "scenario.hpp"
#include "ws_session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace loadgen {

namespace asio = boost::asio;
using verb = boost::beast::http::verb;
using clock_type = std::chrono::steady_clock;

enum class viewer_kind : std::uint8_t { heartbeat, websocket };
enum class viewer_state : std::uint8_t { joining, alive, gone };
constexpr std::size_t no_slot = std::numeric_limits<std::size_t>::max();

/// A viewer is a few fields, not a task: thousands of them cost one timer loop, not thousands of threads.
struct viewer {
    viewer_kind kind = viewer_kind::heartbeat;
    viewer_state state = viewer_state::joining;
    std::size_t replica = 0;
    std::size_t page = 0;
    std::string session;
    std::size_t alive_slot = no_slot;    ///< index in impl::alive_ while alive
    bool heartbeat_in_flight = false;    ///< a session never has two heartbeats racing each other
    bool leave_pending = false;          ///< leave once the in-flight heartbeat is answered
    bool dropped = false;                ///< went silent: only the server's expiry removes it
    bool last_heartbeat_failed = false;
    clock_type::time_point last_ok{};    ///< last answered heartbeat
    clock_type::time_point started{};    ///< of the pending WebSocket open or close, for its latency
    std::shared_ptr<ws_session> ws;
};

inline clock_type::duration seconds(double s) {
    return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}

inline double since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

inline std::chrono::microseconds elapsed_us(clock_type::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t);
}

inline std::string fixed1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

struct scenario::impl {
    impl(asio::any_io_executor ex, const options& opts, stats& st) : ex_(ex), o_(opts), stats_(st), rng_(opts.seed) {
        std::vector<double> weights;
        for (std::size_t p = 0; p < o_.pages; ++p) {
            page_names_.push_back("page-" + std::to_string(p));
            // Popularity falls off like 1/rank, so some pages are crowded and some nearly empty.
            weights.push_back(1.0 / static_cast<double>(p + 1));
        }
        popular_page_ = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
        baseline_.assign(o_.pages, 0);
        net_.assign(o_.pages, 0);
        unknown_up_.assign(o_.pages, 0);
        unknown_down_.assign(o_.pages, 0);
        char prefix[32];
        std::snprintf(prefix, sizeof prefix, "lg%016llx-", static_cast<unsigned long long>(o_.seed));
        session_prefix_ = prefix;
    }

    asio::awaitable<run_result> run();

    // --- plumbing ---------------------------------------------------------------------------

    asio::awaitable<void> sleep(clock_type::duration d) {
        asio::steady_timer t(ex_, d);
        boost::system::error_code ec;
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }

    /// Waits until `done()` or `limit` passes; true when done.
    asio::awaitable<bool> wait_for(const std::function<bool()>& done, clock_type::duration limit) {
        auto end = clock_type::now() + limit;
        while (!done()) {
            if (clock_type::now() >= end) co_return false;
            co_await sleep(std::chrono::milliseconds(10));
        }
        co_return true;
    }

    std::string target(std::size_t page, const char* what) const { return "/" + page_names_[page] + "/" + what; }

    void send(std::size_t replica, request_kind kind, verb method, std::string path, std::string body,
              std::function<void(const http_result&)> then) {
        http_job job{kind, method, std::move(path), std::move(body),
                     [this, kind, then = std::move(then)](const http_result& r) {
                         stats_.finished(kind, r.result, r.latency, r.detail);
                         if (then) then(r);
                     }};
        if (kind == request_kind::read) {
            if (!clients_[replica]->try_submit_read(std::move(job))) {
                stats_.skipped(kind);
                return;
            }
        } else {
            clients_[replica]->submit(std::move(job));
        }
        stats_.sent(kind);
        if (kind == request_kind::heartbeat || kind == request_kind::leave || kind == request_kind::adjust) ++writes_;
    }

    template <class Int>
    Int uniform(Int n) {
        return std::uniform_int_distribution<Int>(0, n - 1)(rng_);
    }
    double chance() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

    void expire_after(clock_type::time_point last_seen) {
        expire_after_ = std::max(expire_after_, last_seen + seconds(o_.expiry_s));
    }

    void add_alive(std::size_t id) {
        viewers_[id].alive_slot = alive_.size();
        alive_.push_back(id);
    }

    void remove_alive(std::size_t id) {
        auto slot = viewers_[id].alive_slot;
        if (slot == no_slot) return;
        alive_[slot] = alive_.back();
        viewers_[alive_[slot]].alive_slot = slot;
        alive_.pop_back();
        viewers_[id].alive_slot = no_slot;
    }

    // --- viewers ----------------------------------------------------------------------------

    void join();
    void on_ws_event(std::size_t id, ws_event e, std::string_view detail);
    void send_heartbeat(std::size_t id);
    /// Sends the leave of a session already counted in pending_.
    void send_leave(std::size_t id);
    void leave(std::size_t id);
    void drop(std::size_t id);
    void churn_event();
    void adjust();
    void read();
    /// Keeps every live heartbeat session heartbeating, from the first join until cleanup.
    asio::awaitable<void> heartbeat_loop();

    // --- phases -----------------------------------------------------------------------------

    asio::awaitable<bool> resolve();
    asio::awaitable<std::vector<std::vector<std::optional<std::int64_t>>>> poll_all();
    asio::awaitable<std::optional<std::string>> take_baseline();
    asio::awaitable<void> churn();
    asio::awaitable<run_result> settle();
    asio::awaitable<void> cleanup();

    /// What every replica should report per page: the sessions the server still has, plus adjustments.
    std::vector<std::int64_t> truth() const {
        std::vector<std::int64_t> t(o_.pages);
        for (std::size_t p = 0; p < o_.pages; ++p) t[p] = baseline_[p] + net_[p];
        for (auto id : alive_) t[viewers_[id].page] += counted(viewers_[id]);
        return t;
    }

    /// A heartbeat session whose heartbeats have failed for a whole expiry time is gone from the
    /// server (its replica may have restarted or died) even though this viewer still tries.
    bool counted(const viewer& v) const {
        return v.kind == viewer_kind::websocket ||
               (v.last_ok != clock_type::time_point{} && clock_type::now() - v.last_ok < seconds(o_.expiry_s));
    }

    /// Sessions the truth counts although their last heartbeat failed: the server may have dropped them.
    std::size_t doubtful() const {
        std::size_t n = 0;
        for (auto id : alive_) n += viewers_[id].last_heartbeat_failed && counted(viewers_[id]);
        return n;
    }

    asio::any_io_executor ex_;
    const options& o_;
    stats& stats_;
    std::mt19937_64 rng_;
    std::shared_ptr<int> alive_token_ = std::make_shared<int>(0);  ///< WebSocket callbacks check it

    std::vector<std::vector<asio::ip::tcp::endpoint>> endpoints_;
    std::vector<std::unique_ptr<replica_client>> clients_;
    std::vector<std::string> page_names_;
    std::discrete_distribution<std::size_t> popular_page_;
    std::string session_prefix_;

    std::deque<viewer> viewers_;       ///< every viewer ever started, by id
    std::vector<std::size_t> alive_;   ///< ids of the sessions the truth counts
    using due_entry = std::pair<clock_type::time_point, std::size_t>;
    std::priority_queue<due_entry, std::vector<due_entry>, std::greater<>> heartbeat_due_;
    bool heartbeating_ = true;

    std::vector<std::int64_t> baseline_;      ///< counts before the run (earlier runs' adjustments)
    std::vector<std::int64_t> net_;           ///< answered PUTs
    std::vector<std::int64_t> unknown_up_;    ///< PUT increments whose answer was lost
    std::vector<std::int64_t> unknown_down_;
    clock_type::time_point expire_after_{};   ///< every silent session is gone by then
    std::size_t pending_ = 0;                 ///< leaves, PUTs, WS opens and closes not yet answered
    std::uint64_t writes_ = 0;
};

}  // namespace loadgen
