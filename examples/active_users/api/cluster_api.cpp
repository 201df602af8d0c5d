// The operators' endpoints: a page from the assets, JSON made by the server, a push-only socket.
// SPDX-License-Identifier: MIT
#include "api/cluster_api.hpp"

#include "http/asset_reply.hpp"
#include "http/live_socket.hpp"
#include "http/responses.hpp"

namespace active_users::cluster_api {

namespace asio = boost::asio;
namespace http = boost::beast::http;

asio::awaitable<http_response> dashboard(const parts&, const http_request& req, const route_params&) {
    co_return asset_reply(req, find_asset("dashboard.html"));
}

asio::awaitable<http_response> snapshot(const parts& p, const http_request& req, const route_params&) {
    co_return reply(req, http::status::ok, p.render());
}

asio::awaitable<void> live(const parts& p, boost::beast::tcp_stream stream, http_request req, route_params) {
    auto socket = co_await accept_websocket(std::move(stream), std::move(req));
    if (!socket) co_return;
    live_socket::start(std::move(*socket), p.watchers, key, p.render(), p.opts.expiry);
}

}  // namespace active_users::cluster_api
