// The operators' endpoints: the dashboard page, the cluster snapshot, and its live WebSocket.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/route_table.hpp"
#include "options.hpp"
#include "push/fanout.hpp"

#include <functional>
#include <string>

namespace active_users::cluster_api {

/// What the cluster handlers use; owned by the server, which outlives every request.
struct parts {
    fanout& watchers;                      ///< dashboards listening, all under the key `key`
    std::function<std::string()> render;   ///< the cluster snapshot's JSON, made now
    const options& opts;
};

/// The one fanout key every dashboard listens to.
inline constexpr const char* key = "cluster";

using handler = boost::asio::awaitable<http_response>(const parts&, const http_request&, const route_params&);
using socket_handler = boost::asio::awaitable<void>(const parts&, boost::beast::tcp_stream, http_request, route_params);

///   dashboard   GET /: the dashboard page (HTML, whatever the Accept header says)
///   snapshot    GET /cluster: the cluster snapshot as JSON (see cluster_json)
handler dashboard, snapshot;
/// WS /cluster: the snapshot now, then each one the server publishes (every second).
socket_handler live;

}  // namespace active_users::cluster_api
