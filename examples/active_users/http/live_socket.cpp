// live_socket: a reader that drains client frames beside a writer that sends coalesced pushes.
// SPDX-License-Identifier: MIT
#include "http/live_socket.hpp"

#include "spawn.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <utility>

namespace active_users {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

live_socket::live_socket(beast::tcp_stream stream, std::chrono::milliseconds idle_timeout) : ws_(std::move(stream)) {
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(10);
    timeout.idle_timeout = idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(4 * 1024);
}

asio::awaitable<bool> live_socket::accept(http_request req) {
    boost::system::error_code ec;
    co_await ws_.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
}

asio::awaitable<void> live_socket::run(fanout& feed, std::string key, std::string first) {
    const auto ex = co_await asio::this_coro::executor;
    const auto sub = std::make_shared<subscriber>(ex);
    const fanout::subscription listening(feed, std::move(key), sub);
    sub->latest = std::make_shared<const std::string>(std::move(first));
    sub->dirty = true;
    // The reader only drains client frames (and lets Beast answer control frames); when it ends,
    // the session is over.
    bool reader_done = false;
    spawn_logged(
        ex,
        [&]() -> asio::awaitable<void> {
            beast::flat_buffer in;
            boost::system::error_code ec;
            while (!ec) {
                co_await ws_.async_read(in, asio::redirect_error(asio::use_awaitable, ec));
                in.clear();
            }
            sub->closed = true;
            reader_done = true;
            sub->wake.cancel();
        },
        "WebSocket reader");

    boost::system::error_code ec;
    while (!sub->closed) {
        if (sub->dirty) {
            sub->dirty = false;
            const auto msg = sub->latest;  // held: a push may replace `latest` during the write
            const auto since = std::exchange(sub->pending_since, std::chrono::steady_clock::time_point{});
            co_await ws_.async_write(asio::buffer(*msg), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            if (since != std::chrono::steady_clock::time_point{}) feed.delivered(std::chrono::steady_clock::now() - since);
            continue;
        }
        sub->wake.expires_at(std::chrono::steady_clock::time_point::max());
        co_await sub->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        ec = {};
    }
    if (sub->going_away && !reader_done) {
        // The reader sees the client's answer to the close and ends.
        co_await ws_.async_close(websocket::close_code::going_away, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!reader_done) {
        // Stop the reader and wait for it: it uses `ws_`, which outlives this call only as long
        // as the caller's frame does.
        beast::get_lowest_layer(ws_).socket().close(ec);
        while (!reader_done) {
            sub->wake.expires_at(std::chrono::steady_clock::time_point::max());
            co_await sub->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }
}

}  // namespace active_users
