// The load run's state machine: viewers as plain records driven by two timer loops, and the truth they imply.
// SPDX-License-Identifier: MIT
#include "scenario.hpp"

#include "http_client.hpp"
#include "json.hpp"
#include "ws_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <iostream>
#include <limits>
#include <queue>
#include <random>
#include <sstream>

namespace loadgen {

namespace asio = boost::asio;
using verb = boost::beast::http::verb;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

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
    std::shared_ptr<ws_session> ws;
};

clock_type::duration seconds(double s) {
    return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}

double since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

std::string fixed1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

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
            co_await sleep(10ms);
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

    void join() {
        std::size_t id = viewers_.size();
        viewer& v = viewers_.emplace_back();
        v.kind = chance() < o_.ws_fraction ? viewer_kind::websocket : viewer_kind::heartbeat;
        v.replica = uniform(clients_.size());
        v.page = popular_page_(rng_);
        v.session = session_prefix_ + std::to_string(id);
        if (v.kind == viewer_kind::heartbeat) {
            // The first heartbeat creates the session; it counts from now on.
            v.state = viewer_state::alive;
            add_alive(id);
            send_heartbeat(id);
            heartbeat_due_.push({clock_type::now() + seconds(o_.heartbeat_interval_s), id});
            return;
        }
        ++pending_;
        stats_.sent(request_kind::ws_open);
        v.ws = open_ws_session(ex_, endpoints_[v.replica], o_.replicas[v.replica].name, page_names_[v.page],
                               [this, id, token = std::weak_ptr<int>(alive_token_)](ws_event e, std::string_view d) {
                                   if (!token.expired()) on_ws_event(id, e, d);
                               });
    }

    void on_ws_event(std::size_t id, ws_event e, std::string_view detail) {
        viewer& v = viewers_[id];
        switch (e) {
            case ws_event::opened:
                --pending_;
                stats_.finished(request_kind::ws_open, outcome::ok, {}, {});
                v.state = viewer_state::alive;
                add_alive(id);
                break;
            case ws_event::open_failed:
                --pending_;
                stats_.finished(request_kind::ws_open, outcome::connection_error, {}, detail);
                v.state = viewer_state::gone;
                v.ws.reset();
                break;
            case ws_event::frame: stats_.ws_frame(true); break;
            case ws_event::bad_frame: stats_.ws_frame(false); break;
            case ws_event::closed:
                --pending_;
                stats_.finished(request_kind::ws_close, outcome::ok, {}, {});
                v.ws.reset();
                break;
            case ws_event::close_failed:
                --pending_;
                stats_.finished(request_kind::ws_close, outcome::connection_error, {}, detail);
                expire_after(clock_type::now());
                v.ws.reset();
                break;
            case ws_event::lost:
                stats_.ws_lost(detail);
                if (v.state == viewer_state::alive) {
                    remove_alive(id);
                    v.state = viewer_state::gone;
                    expire_after(clock_type::now());
                }
                v.ws.reset();
                break;
        }
    }

    void send_heartbeat(std::size_t id) {
        viewer& v = viewers_[id];
        v.heartbeat_in_flight = true;
        send(v.replica, request_kind::heartbeat, verb::post, target(v.page, "heartbeat"), json_body("session", v.session),
             [this, id](const http_result&) {
                 viewer& w = viewers_[id];
                 w.heartbeat_in_flight = false;
                 if (w.leave_pending) {
                     w.leave_pending = false;
                     send_leave(id);
                 } else if (w.dropped) {
                     expire_after(clock_type::now());
                 }
             });
    }

    /// Sends the leave of a session already counted in pending_.
    void send_leave(std::size_t id) {
        viewer& v = viewers_[id];
        send(v.replica, request_kind::leave, verb::post, target(v.page, "leave"), json_body("session", v.session),
             [this](const http_result& r) {
                 --pending_;
                 // An unanswered leave may or may not have removed the session; expiry settles it.
                 if (r.result != outcome::ok) expire_after(clock_type::now());
             });
    }

    void leave(std::size_t id) {
        viewer& v = viewers_[id];
        remove_alive(id);
        v.state = viewer_state::gone;
        ++pending_;
        if (v.kind == viewer_kind::websocket) {
            stats_.sent(request_kind::ws_close);
            v.ws->close();
        } else if (v.heartbeat_in_flight) {
            // Sent now, the leave could overtake the heartbeat on another connection and the
            // heartbeat would bring the session back.
            v.leave_pending = true;
        } else {
            send_leave(id);
        }
    }

    void drop(std::size_t id) {
        viewer& v = viewers_[id];
        remove_alive(id);
        v.state = viewer_state::gone;
        v.dropped = true;
        if (v.kind == viewer_kind::websocket) {
            v.ws->drop();
            v.ws.reset();
            expire_after(clock_type::now());
        } else if (!v.heartbeat_in_flight) {
            // Its last heartbeat was answered before now, so the server expires it by now + expiry.
            expire_after(clock_type::now());
        }
        // else: the in-flight heartbeat's answer sets the expiry
    }

    void churn_event() {
        auto population = static_cast<double>(alive_.size());
        auto target_population = static_cast<double>(o_.viewers);
        double r = chance();
        bool join_now = alive_.empty() || population < 0.8 * target_population ||
                        (population <= 1.2 * target_population && r < 0.5);
        if (join_now) {
            join();
            return;
        }
        std::size_t victim = alive_[uniform(alive_.size())];
        // Two in three departures say goodbye; the rest vanish and must be expired by the server.
        if (chance() < 2.0 / 3.0) leave(victim);
        else drop(victim);
    }

    void adjust() {
        std::size_t page = uniform(o_.pages);
        bool up = chance() < 0.5;
        ++pending_;
        send(uniform(clients_.size()), request_kind::adjust, verb::put, target(page, "counter"),
             json_body("action", up ? "increment" : "decrement"), [this, page, up](const http_result& r) {
                 --pending_;
                 std::int64_t delta = up ? 1 : -1;
                 // A 200 applied it (even with an odd body); a refusal did not; a lost answer may have.
                 if (r.result == outcome::ok || r.result == outcome::bad_body) net_[page] += delta;
                 else if (r.result == outcome::connection_error) ++(up ? unknown_up_ : unknown_down_)[page];
             });
    }

    void read() {
        send(uniform(clients_.size()), request_kind::read, verb::get, target(uniform(o_.pages), "counter"), {}, {});
    }

    /// Keeps every live heartbeat session heartbeating, from the first join until cleanup.
    asio::awaitable<void> heartbeat_loop() {
        auto interval = seconds(o_.heartbeat_interval_s);
        while (heartbeating_) {
            auto now = clock_type::now();
            while (!heartbeat_due_.empty() && heartbeat_due_.top().first <= now) {
                auto [due, id] = heartbeat_due_.top();
                heartbeat_due_.pop();
                if (viewers_[id].state != viewer_state::alive) continue;
                if (viewers_[id].heartbeat_in_flight) stats_.skipped(request_kind::heartbeat);
                else send_heartbeat(id);
                // Keep each session's phase, so heartbeats stay spread out instead of bunching.
                heartbeat_due_.push({std::max(due + interval, now), id});
            }
            co_await sleep(10ms);
        }
    }

    // --- phases -----------------------------------------------------------------------------

    asio::awaitable<bool> resolve();
    asio::awaitable<std::vector<std::vector<std::optional<std::int64_t>>>> poll_all();
    asio::awaitable<std::optional<std::string>> take_baseline();
    asio::awaitable<void> churn();
    asio::awaitable<run_result> settle();
    asio::awaitable<void> cleanup();

    std::vector<std::int64_t> truth() const {
        std::vector<std::int64_t> t(o_.pages);
        for (std::size_t p = 0; p < o_.pages; ++p) t[p] = baseline_[p] + net_[p];
        for (auto id : alive_) ++t[viewers_[id].page];
        return t;
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

asio::awaitable<bool> scenario::impl::resolve() {
    asio::ip::tcp::resolver resolver(ex_);
    for (const auto& r : o_.replicas) {
        boost::system::error_code ec;
        auto results = co_await resolver.async_resolve(r.host, r.port, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || results.empty()) {
            std::cerr << "cannot resolve " << r.name << ": " << ec.message() << "\n";
            co_return false;
        }
        std::vector<asio::ip::tcp::endpoint> eps;
        for (const auto& e : results) eps.push_back(e.endpoint());
        endpoints_.push_back(eps);
        clients_.push_back(std::make_unique<replica_client>(ex_, r.name, eps, o_.connections));
        clients_.back()->start();
    }
    co_return true;
}

asio::awaitable<std::vector<std::vector<std::optional<std::int64_t>>>> scenario::impl::poll_all() {
    struct round {
        std::vector<std::vector<std::optional<std::int64_t>>> counts;
        std::size_t outstanding = 0;
    };
    // Shared, not a local: should the wait below give up, late answers still have somewhere to go.
    auto state = std::make_shared<round>();
    state->counts.assign(clients_.size(), std::vector<std::optional<std::int64_t>>(o_.pages));
    state->outstanding = clients_.size() * o_.pages;
    for (std::size_t r = 0; r < clients_.size(); ++r)
        for (std::size_t p = 0; p < o_.pages; ++p)
            send(r, request_kind::poll, verb::get, target(p, "counter"), {}, [state, r, p](const http_result& res) {
                --state->outstanding;
                if (res.result == outcome::ok) state->counts[r][p] = res.count;
            });
    co_await wait_for([&] { return state->outstanding == 0; }, 60s);
    co_return state->counts;
}

asio::awaitable<std::optional<std::string>> scenario::impl::take_baseline() {
    auto start = clock_type::now();
    for (;;) {
        auto counts = co_await poll_all();
        std::optional<std::string> problem;
        for (std::size_t p = 0; p < o_.pages && !problem; ++p)
            for (std::size_t r = 0; r < clients_.size() && !problem; ++r) {
                if (!counts[r][p]) problem = "replica " + o_.replicas[r].name + " gave no count for " + page_names_[p];
                else if (*counts[r][p] != *counts[0][p])
                    problem = "replicas disagree on " + page_names_[p] + " before the run (" + o_.replicas[0].name + ": " +
                              std::to_string(*counts[0][p]) + ", " + o_.replicas[r].name + ": " +
                              std::to_string(*counts[r][p]) + "); is an earlier run still settling?";
            }
        if (!problem) {
            std::int64_t sum = 0;
            for (std::size_t p = 0; p < o_.pages; ++p) sum += baseline_[p] = *counts[0][p];
            std::cout << "baseline: the " << o_.pages << " pages sum to " << sum
                      << (sum != 0 ? " before the run (earlier adjustments or sessions); the truth starts there\n" : "\n")
                      << std::flush;
            co_return std::nullopt;
        }
        if (since(start) >= o_.settle_timeout_s) co_return problem;
        co_await sleep(1s);
    }
}

asio::awaitable<void> scenario::impl::churn() {
    auto start = clock_type::now();
    // Initial joins are spread over one heartbeat interval, which also spreads the heartbeats.
    double ramp = std::min(o_.heartbeat_interval_s, o_.duration_s / 2);
    std::vector<double> adjust_at(o_.adjustments);
    for (auto& t : adjust_at) t = chance() * o_.duration_s;
    std::sort(adjust_at.begin(), adjust_at.end());

    std::size_t joined = 0;
    std::size_t next_adjust = 0;
    double churn_credit = 0;
    double read_credit = 0;
    std::uint64_t writes_seen = writes_;
    std::uint64_t completed_seen = stats_.completed();
    double next_progress = 1;
    auto last = start;
    for (;;) {
        auto now = clock_type::now();
        double elapsed = std::chrono::duration<double>(now - start).count();
        double dt = std::chrono::duration<double>(now - last).count();
        last = now;
        if (elapsed >= o_.duration_s) break;

        auto want = static_cast<std::size_t>(static_cast<double>(o_.viewers) * std::min(1.0, elapsed / ramp));
        for (; joined < want; ++joined) join();
        if (elapsed >= ramp) {
            churn_credit += o_.churn_rate * dt;
            for (; churn_credit >= 1; churn_credit -= 1) churn_event();
        }
        for (; next_adjust < adjust_at.size() && adjust_at[next_adjust] <= elapsed; ++next_adjust) adjust();
        // Reads follow the writes actually sent, so the mix holds whatever the heartbeat timing does.
        read_credit = std::min(read_credit + o_.read_ratio * static_cast<double>(writes_ - writes_seen), 100'000.0);
        writes_seen = writes_;
        for (; read_credit >= 1; read_credit -= 1) read();

        if (elapsed >= next_progress) {
            std::size_t ws = 0;
            for (auto id : alive_) ws += viewers_[id].kind == viewer_kind::websocket;
            std::size_t backlog = 0;
            for (const auto& c : clients_) backlog += c->backlog();
            auto completed = stats_.completed();
            std::cout << "t=" << fixed1(elapsed) << "s churn: " << alive_.size() << " live sessions (" << ws
                      << " WebSocket), " << completed - completed_seen << " requests in the last second, backlog "
                      << backlog << "\n"
                      << std::flush;
            completed_seen = completed;
            next_progress += 1;
        }
        co_await sleep(10ms);
    }
    for (; next_adjust < adjust_at.size(); ++next_adjust) adjust();  // rounding left one or two behind
    stats_.end_churn(since(start));
}

asio::awaitable<run_result> scenario::impl::settle() {
    auto churn_end = clock_type::now();
    std::size_t ws = 0;
    for (auto id : alive_) ws += viewers_[id].kind == viewer_kind::websocket;
    std::int64_t net = 0;
    std::int64_t unknown = 0;
    for (std::size_t p = 0; p < o_.pages; ++p) {
        net += net_[p];
        unknown += unknown_up_[p] + unknown_down_[p];
    }
    std::cout << "churn over: " << alive_.size() << " live sessions (" << ws << " WebSocket), net adjustments " << net
              << (unknown ? " (+ " + std::to_string(unknown) + " PUTs whose answer was lost)" : std::string())
              << "; waiting for " << pending_ << " requests in flight\n"
              << std::flush;
    if (!co_await wait_for([&] { return pending_ == 0; }, seconds(o_.settle_timeout_s)))
        std::cout << "warning: " << pending_ << " leaves/PUTs/WebSocket opens or closes still unanswered\n";

    if (auto now = clock_type::now(); expire_after_ + 1s > now) {
        auto wait = expire_after_ + 1s - now;
        std::cout << "waiting " << fixed1(std::chrono::duration<double>(wait).count())
                  << " s for silently dropped sessions to expire (--expiry " << o_.expiry_s << " s + 1 s margin)\n"
                  << std::flush;
        co_await sleep(wait);
    }

    auto poll_start = clock_type::now();
    std::cout << "polling every replica for every page (settle timeout " << o_.settle_timeout_s
              << " s from now; t counts from the end of churn)\n"
              << std::flush;
    for (;;) {
        auto round_start = clock_type::now();
        auto counts = co_await poll_all();
        auto t = truth();
        std::int64_t truth_sum = 0;
        for (auto v : t) truth_sum += v;
        std::vector<std::string> mismatches;
        for (std::size_t r = 0; r < clients_.size(); ++r) {
            std::int64_t sum = 0;
            std::size_t exact = 0;
            std::size_t missing = 0;
            for (std::size_t p = 0; p < o_.pages; ++p) {
                const auto& c = counts[r][p];
                if (!c) {
                    ++missing;
                    mismatches.push_back(o_.replicas[r].name + " " + page_names_[p] + " no answer");
                    continue;
                }
                sum += *c;
                // A PUT whose answer was lost may or may not have counted; either is right.
                bool in_range = *c >= t[p] - unknown_down_[p] && *c <= t[p] + unknown_up_[p];
                bool agrees = !counts[0][p] || *counts[0][p] == *c;
                if (in_range && agrees) ++exact;
                else
                    mismatches.push_back(o_.replicas[r].name + " " + page_names_[p] + " = " + std::to_string(*c) +
                                         " (truth " + std::to_string(t[p]) + ")");
            }
            std::cout << "t=" << fixed1(since(churn_end)) << "s replica " << o_.replicas[r].name << ": " << sum << "/"
                      << truth_sum << ", " << exact << "/" << o_.pages << " pages exact"
                      << (missing ? ", " + std::to_string(missing) + " unanswered" : std::string()) << ", truth "
                      << truth_sum << "\n";
        }
        std::cout << std::flush;
        if (mismatches.empty()) {
            std::string verdict = "converged: every replica equals the truth (" + std::to_string(alive_.size()) +
                                  " sessions, " + std::to_string(o_.pages) + " pages)";
            if (unknown) verdict += "; " + std::to_string(unknown) + " PUTs with lost answers accepted either way";
            co_return run_result{true, verdict};
        }
        if (since(poll_start) >= o_.settle_timeout_s) {
            std::string verdict = "NOT converged: after " + fixed1(since(poll_start)) + " s of polling, " +
                                  std::to_string(mismatches.size()) + " replica/page counts differ from the truth:";
            for (std::size_t i = 0; i < mismatches.size() && i < 5; ++i) verdict += (i ? ", " : " ") + mismatches[i];
            if (mismatches.size() > 5) verdict += ", ...";
            co_return run_result{false, verdict};
        }
        auto next = round_start + 1s;
        if (next > clock_type::now()) co_await sleep(next - clock_type::now());
    }
}

asio::awaitable<void> scenario::impl::cleanup() {
    // Ending our sessions leaves the cluster at its baseline for the next run instead of
    // making it wait out the expiry.
    heartbeating_ = false;
    auto ids = alive_;
    for (auto id : ids) leave(id);
    if (!co_await wait_for([&] { return pending_ == 0; }, 10s))
        std::cout << "cleanup: " << pending_ << " leaves/closes unanswered\n";
    for (auto& v : viewers_)
        if (v.ws) {
            v.ws->drop();
            v.ws.reset();
        }
    for (auto& c : clients_) c->stop();
    std::cout << "cleanup: ended " << ids.size() << " sessions\n" << std::flush;
}

asio::awaitable<run_result> scenario::impl::run() {
    if (!co_await resolve()) co_return run_result{false, "NOT converged: a replica address did not resolve"};
    std::cout << "converge-loadgen: " << o_.replicas.size() << " replicas, " << o_.viewers << " viewers ("
              << o_.ws_fraction * 100 << "% WebSocket), " << o_.pages << " pages, " << o_.duration_s
              << " s churn at " << o_.churn_rate << " events/s, " << o_.adjustments << " adjustments, seed " << o_.seed
              << "\n"
              << std::flush;
    if (auto problem = co_await take_baseline()) {
        co_await cleanup();
        co_return run_result{false, "NOT converged: " + *problem};
    }
    asio::co_spawn(ex_, heartbeat_loop(), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    co_await churn();
    auto result = co_await settle();
    co_await cleanup();
    co_return result;
}

scenario::scenario(asio::any_io_executor ex, const options& opts, stats& st)
    : impl_(std::make_unique<impl>(std::move(ex), opts, st)) {}

scenario::~scenario() = default;

asio::awaitable<run_result> scenario::run() { return impl_->run(); }

}  // namespace loadgen
