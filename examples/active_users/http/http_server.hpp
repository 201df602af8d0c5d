// The HTTP listener and its connections: read a request, resolve its route, answer or upgrade.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/route_table.hpp"
#include "metrics/latency_histogram.hpp"
#include "net/tcp_listener.hpp"
#include "options.hpp"
#include "result.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace active_users {

/// Serves `routes` on one address. Each connection is a coroutine (on its own strand when several
/// threads run the io_context) that reads
/// requests (headers up to 8 KiB, bodies up to 4 KiB, 60 s idle), answers them in order, and
/// hands the connection to a WebSocket route's handler on an upgrade. Each answer's latency, from
/// the request read to the response written, is counted in its route's histogram.
class http_server {
public:
    /// `threads`: how many threads run `io` (one: no strand per connection).
    http_server(boost::asio::io_context& io, const route_table& routes, connection_threads threads);

    /// Binds `at` and starts accepting; a failure (the port is taken) names the address.
    result<void> listen(const endpoint& at);

    [[nodiscard]] std::uint64_t requests() const noexcept { return requests_.load(); }

    /// Every HTTP route's histogram (WebSocket routes have none: a socket lasts as long as its
    /// client), then the unmatched one.
    [[nodiscard]] std::vector<route_latency> latencies() const;

private:
    boost::asio::awaitable<void> connection(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io_;
    const route_table& routes_;
    connection_threads threads_;
    std::atomic<std::uint64_t> requests_{0};
    std::unique_ptr<latency_histogram[]> latency_;  ///< one per route row, then the unmatched one
};

}  // namespace active_users
