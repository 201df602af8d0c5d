// The viewer-count endpoints: the counter, heartbeats, leaves and the live WebSocket.
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

namespace active_users::viewer_api {

/// What the viewer-count handlers use; owned by the server, which outlives every request.
struct parts {
    viewer_counts& counts;
    session_table& sessions;
    page_registry& pages;
    const session_clock& clock;
    persister& disk;
    fanout& viewers;
    const options& opts;
};

using handler = boost::asio::awaitable<http_response>(const parts&, const http_request&, const route_params&);
using socket_handler = boost::asio::awaitable<void>(const parts&, boost::beast::tcp_stream, http_request, route_params);

/// Each turns one request into calls on `parts`; route parameter 0 is the page.
///   get_counter   GET /:page/counter: the count as JSON, or the live page for a browser
///   put_counter   PUT /:page/counter {"action": "increment" | "decrement"}, acknowledged once on disk
///   heartbeat     POST /:page/heartbeat {"session": id}: starts or renews a session
///   leave         POST /:page/leave {"session": id}: ends a session at once
handler get_counter, put_counter, heartbeat, leave;
/// WS /:page/live: one viewer while open, pushed the count when it changes.
socket_handler live;

}  // namespace active_users::viewer_api
