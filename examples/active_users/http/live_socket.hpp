// A push-only WebSocket: the handshake with timeouts, then the subscriber's messages until it closes.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/http_types.hpp"
#include "push/fanout.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <string>

namespace active_users {

/// One live WebSocket. The client sends nothing the server needs; its frames are read only so
/// that pings and pongs are answered and a close is seen. A connection that sends nothing, not
/// even a pong, for `idle_timeout` is closed: a missed heartbeat.
class live_socket {
public:
    live_socket(boost::beast::tcp_stream stream, std::chrono::milliseconds idle_timeout);

    /// Completes the handshake for `req`; false when the client went away or it failed. Takes
    /// the request so that it is freed once answered, not held for the life of the socket.
    boost::asio::awaitable<bool> accept(http_request req);
    /// Listens to `key` in `feed`: sends `first`, then the latest push whenever there is a new
    /// one, until the client closes; returns once nothing uses the socket any more.
    boost::asio::awaitable<void> run(fanout& feed, std::string key, std::string first);

private:
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
};

}  // namespace active_users
