// The load run's phases: baseline, churn, settle (expiry wait, then polling against the truth), cleanup.
// SPDX-License-Identifier: MIT
#include "scenario_impl.hpp"

#include <boost/asio/co_spawn.hpp>

#include <algorithm>
#include <iostream>

namespace loadgen {

using namespace std::chrono_literals;

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
        clients_.push_back(std::make_unique<replica_client>(ex_, r.name, eps, o_.connections, o_.api_token));
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
        if (auto n = doubtful(); n > 0)
            std::cout << "note: " << n << " counted sessions had their last heartbeat fail; they may be gone\n";
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
            std::int64_t sessions = 0;
            for (auto id : alive_) sessions += counted(viewers_[id]);
            std::string verdict = "converged: every replica equals the truth (" + std::to_string(sessions) +
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
