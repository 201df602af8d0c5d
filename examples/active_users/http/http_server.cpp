// http_server: the request loop of each connection.
// SPDX-License-Identifier: MIT
#include "http/http_server.hpp"

#include "http/idle_deadline.hpp"
#include "http/responses.hpp"
#include "net/tcp_listener.hpp"
#include "spawn.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace active_users {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

http_server::http_server(asio::io_context& io, const route_table& routes, connection_threads threads)
    : io_(io), routes_(routes), threads_(threads), latency_(std::make_unique<latency_histogram[]>(routes.size() + 1)) {}

std::vector<route_latency> http_server::latencies() const {
    std::vector<route_latency> out;
    for (std::size_t row = 0; row < routes_.size(); ++row) {
        if (routes_.is_websocket(row)) continue;
        out.push_back({std::string(http::to_string(routes_.method_of(row))), routes_.pattern_of(row),
                       latency_[row].snapshot()});
    }
    out.push_back({"any", "unmatched", latency_[routes_.size()].snapshot()});
    return out;
}

result<void> http_server::listen(const endpoint& at) {
    auto acceptor = bind_listener(io_, at, "HTTP port");
    if (!acceptor) return acceptor.error();
    auto serve = [this](tcp::socket s) {
        const auto ex = s.get_executor();
        spawn_logged(ex, connection(std::move(s)), "HTTP connection");
    };
    spawn_logged(io_, accept_forever(std::move(*acceptor), serve, "http", threads_), "HTTP accept loop");
    return {};
}

asio::awaitable<void> http_server::connection(tcp::socket socket) {
    beast::flat_buffer buffer;
    std::string out;  // each response's bytes; its capacity is kept from one request to the next
    boost::system::error_code ec;
    // Bounds each request and its reply together, as one 60 s deadline restarted per request.
    auto idle = std::make_optional<idle_deadline>(socket, std::chrono::seconds(60));
    auto replied = std::chrono::steady_clock::now();  // when the last reply was written
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(8 * 1024);
        parser.body_limit(4 * 1024);
        idle->restart(replied);
        co_await http::async_read(socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        // operation_aborted: the idle deadline closed the socket.
        if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset)
            break;
        if (ec) {
            // Malformed or oversized request: say so once, then close.
            http_request bad;
            bad.version(11);
            auto res = error_reply(bad, fail(status::bad_request, "bad request: " + ec.message()));
            res.keep_alive(false);
            out.clear();
            res.write_to(out);
            co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
            break;
        }
        http_request req = parser.release();
        ++requests_;
        const auto started = std::chrono::steady_clock::now();
        const bool upgrade = beast::websocket::is_upgrade(req);
        auto route = routes_.find(req.method(), req.target(), upgrade);
        if (route && route->websocket != nullptr) {
            idle.reset();  // the WebSocket keeps its own liveness checks
            // The socket may stay open for hours, idle: give back what served the HTTP request.
            buffer = beast::flat_buffer{};
            std::string{}.swap(out);
            co_await (*route->websocket)(beast::tcp_stream(std::move(socket)), std::move(req), std::move(route->params));
            co_return;
        }
        // Not a conditional expression: GCC 12 miscompiles co_await inside one.
        http_response res;
        if (route) res = co_await (*route->http)(req, route->params);
        else res = error_reply(req, route.error());
        if (upgrade) res.keep_alive(false);  // a refused upgrade: the client expects no more requests here
        // One contiguous buffer is one plain write: Beast's serializer's chain of buffer views
        // over header and body cost more than building the reply (profile of GET, issue 16).
        out.clear();
        res.write_to(out);
        // A client that does not read is bounded by the idle deadline, as a silent one is.
        co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
        replied = std::chrono::steady_clock::now();
        latency_[route ? route->row : routes_.size()].observe(replied - started);
        if (ec || !res.keep_alive()) break;
    }
    idle.reset();
    socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace active_users
