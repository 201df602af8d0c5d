// Listening TCP sockets for the HTTP and replication ports: bind with a clear failure, accept forever.
// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"
#include "result.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace active_users {

/// Opens, binds and listens on `at`. A failure names `what` ("HTTP port") and the address, for
/// the process to exit with.
result<boost::asio::ip::tcp::acceptor> bind_listener(boost::asio::io_context& io, const endpoint& at,
                                                     std::string_view what);

/// Accepts connections until the acceptor is closed, each socket on a strand of its own, and
/// hands each to `serve`. A failed accept (out of descriptors, EMFILE) is logged and retried
/// after 100 ms rather than ending the loop: the port keeps working once descriptors free up.
boost::asio::awaitable<void> accept_forever(boost::asio::ip::tcp::acceptor acceptor,
                                            std::function<void(boost::asio::ip::tcp::socket)> serve, std::string what);

}  // namespace active_users
