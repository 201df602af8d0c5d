// Viewer behaviour: joining, heartbeating, leaving, dropping, WebSocket events, reads and adjustments.
// SPDX-License-Identifier: MIT
#include "json.hpp"
#include "scenario_impl.hpp"

#include <algorithm>

namespace loadgen {

using namespace std::chrono_literals;

void scenario::impl::join() {
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
    v.started = clock_type::now();
    v.ws = open_ws_session(ex_, endpoints_[v.replica], o_.replicas[v.replica].name, page_names_[v.page],
                           [this, id, token = std::weak_ptr<int>(alive_token_)](ws_event e, std::string_view d) {
                               if (!token.expired()) on_ws_event(id, e, d);
                           });
}

void scenario::impl::on_ws_event(std::size_t id, ws_event e, std::string_view detail) {
    viewer& v = viewers_[id];
    switch (e) {
        case ws_event::opened:
            --pending_;
            stats_.finished(request_kind::ws_open, outcome::ok, elapsed_us(v.started), {});
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
            stats_.finished(request_kind::ws_close, outcome::ok, elapsed_us(v.started), {});
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

void scenario::impl::send_heartbeat(std::size_t id) {
    viewer& v = viewers_[id];
    v.heartbeat_in_flight = true;
    send(v.replica, request_kind::heartbeat, verb::post, target(v.page, "heartbeat"), json_body("session", v.session),
         [this, id](const http_result& r) {
             viewer& w = viewers_[id];
             w.heartbeat_in_flight = false;
             w.last_heartbeat_failed = r.result != outcome::ok;
             if (!w.last_heartbeat_failed) w.last_ok = clock_type::now();
             if (w.leave_pending) {
                 w.leave_pending = false;
                 send_leave(id);
             } else if (w.dropped) {
                 expire_after(clock_type::now());
             }
         });
}

/// Sends the leave of a session already counted in pending_.
void scenario::impl::send_leave(std::size_t id) {
    viewer& v = viewers_[id];
    send(v.replica, request_kind::leave, verb::post, target(v.page, "leave"), json_body("session", v.session),
         [this](const http_result& r) {
             --pending_;
             // An unanswered leave may or may not have removed the session; expiry settles it.
             if (r.result != outcome::ok) expire_after(clock_type::now());
         });
}

void scenario::impl::leave(std::size_t id) {
    viewer& v = viewers_[id];
    remove_alive(id);
    v.state = viewer_state::gone;
    ++pending_;
    if (v.kind == viewer_kind::websocket) {
        stats_.sent(request_kind::ws_close);
        v.started = clock_type::now();
        v.ws->close();
    } else if (v.heartbeat_in_flight) {
        // Sent now, the leave could overtake the heartbeat on another connection and the
        // heartbeat would bring the session back.
        v.leave_pending = true;
    } else {
        send_leave(id);
    }
}

void scenario::impl::drop(std::size_t id) {
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

void scenario::impl::churn_event() {
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

void scenario::impl::adjust() {
    std::size_t page = uniform(o_.pages);
    bool up = chance() < 0.5;
    ++pending_;
    send(uniform(clients_.size()), request_kind::adjust, verb::put, target(page, "counter"),
         json_body("action", up ? "increment" : "decrement"), [this, page, up](const http_result& r) {
             --pending_;
             std::int64_t delta = up ? 1 : -1;
             // A 200 applied it (even with an odd body); a refusal or a failed connect did not;
             // a connection lost after sending may have.
             if (r.result == outcome::ok || r.result == outcome::bad_body) net_[page] += delta;
             else if (r.result == outcome::connection_error && r.maybe_delivered)
                 ++(up ? unknown_up_ : unknown_down_)[page];
         });
}

void scenario::impl::read() {
    send(uniform(clients_.size()), request_kind::read, verb::get, target(uniform(o_.pages), "counter"), {}, {});
}

/// Keeps every live heartbeat session heartbeating, from the first join until cleanup.
asio::awaitable<void> scenario::impl::heartbeat_loop() {
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

}  // namespace loadgen
