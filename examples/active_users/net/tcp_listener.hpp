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

/// How a listener's connections are scheduled. With several threads running the io_context each
/// socket gets a strand of its own, so that its handlers never run at once; with one thread they
/// cannot anyway, and a strand would only add its queue and locks to every operation.
enum class connection_threads : bool { several, one };

/// Accepts connections until the acceptor is closed, each socket on a strand of its own (unless
/// `threads` says one thread runs them all), and hands each to `serve`. A failed accept (out of
/// descriptors, EMFILE) is logged and retried after 100 ms rather than ending the loop: the port
/// keeps working once descriptors free up.
boost::asio::awaitable<void> accept_forever(boost::asio::ip::tcp::acceptor acceptor,
                                            std::function<void(boost::asio::ip::tcp::socket)> serve, std::string what,
                                            connection_threads threads = connection_threads::several);

}  // namespace active_users
