// HTTP handlers of the viewer counts: the counter, heartbeats, leaves and the live WebSocket.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/route_table.hpp"
#include "options.hpp"
#include "persistence/persister.hpp"
#include "presence/page_registry.hpp"
#include "presence/session_clock.hpp"
#include "presence/session_table.hpp"
#include "presence/viewer_counts.hpp"
#include "push/fanout.hpp"

namespace active_users {

/// Each handler turns one request into calls on the presence components; route parameter 0 is
/// the page. Routes are declared in api/routes.cpp.
class viewer_api {
public:
    struct parts {
        viewer_counts& counts;
        session_table& sessions;
        page_registry& pages;
        const session_clock& clock;
        persister& disk;
        fanout& viewers;
        const options& opts;
    };
    explicit viewer_api(parts p) : p_(p) {}

    /// GET /:page/counter: the count as JSON, or the live page for a browser.
    boost::asio::awaitable<http_response> get_counter(const http_request& req, const route_params& params);
    /// PUT /:page/counter {"action": "increment" | "decrement"}: acknowledged once on disk.
    boost::asio::awaitable<http_response> put_counter(const http_request& req, const route_params& params);
    /// POST /:page/heartbeat {"session": id}: starts or renews a session.
    boost::asio::awaitable<http_response> heartbeat(const http_request& req, const route_params& params);
    /// POST /:page/leave {"session": id}: ends a session at once.
    boost::asio::awaitable<http_response> leave(const http_request& req, const route_params& params);
    /// WebSocket /:page/live: one viewer while open, pushed the count when it changes.
    boost::asio::awaitable<void> live(boost::beast::tcp_stream stream, http_request req, route_params params);

private:
    /// The session id of a heartbeat or leave body, checked.
    static result<std::string> session_of(const http_request& req);

    parts p_;
};

}  // namespace active_users
