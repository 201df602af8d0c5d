// A keep-alive HTTP/1.1 client pool for one replica: a fixed number of connections serve two request queues.
// SPDX-License-Identifier: MIT
#pragma once

#include "stats.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace loadgen {

struct http_result {
    outcome result = outcome::connection_error;
    unsigned status = 0;         ///< HTTP status when answered
    std::int64_t count = 0;      ///< the reply's count when result == ok
    std::chrono::microseconds latency{0};
    std::string detail;          ///< error text, empty when ok
    bool maybe_delivered = true; ///< false when the connection failed before the request went out
};

struct http_job {
    request_kind kind = request_kind::read;
    boost::beast::http::verb method = boost::beast::http::verb::get;
    std::string target;
    std::string body;            ///< JSON, sent only when non-empty
    std::function<void(const http_result&)> done;
};

class replica_client {
public:
    /// `token`, when not empty, goes with every request but GETs as `Authorization: Bearer`.
    replica_client(boost::asio::any_io_executor ex, std::string name,
                   std::vector<boost::asio::ip::tcp::endpoint> endpoints, std::size_t connections, std::string token);
    ~replica_client();
    replica_client(const replica_client&) = delete;
    replica_client& operator=(const replica_client&) = delete;

    /// Starts the connection workers; they connect lazily, on their first request.
    void start();
    /// Queues a request that must go out (heartbeats, leaves, PUTs, polls): served before any read.
    void submit(http_job job);
    /// Queues a read unless the backlog is already long; a loadgen that queues without bound would
    /// measure its own queue, not the server, and delay the heartbeats that keep sessions alive.
    bool try_submit_read(http_job job);
    /// Closes every connection and ends the workers once their current request is done.
    void stop();

    const std::string& name() const { return name_; }
    std::size_t backlog() const { return urgent_.size() + reads_.size(); }

private:
    struct connection;
    boost::asio::awaitable<void> work(connection& c);
    boost::asio::awaitable<http_result> exchange(connection& c, const http_job& job);
    void wake_one();

    boost::asio::any_io_executor ex_;
    std::string name_;
    std::string authorization_;  ///< "Bearer <token>", or empty
    std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
    std::vector<std::unique_ptr<connection>> connections_;
    std::deque<http_job> urgent_;
    std::deque<http_job> reads_;
    boost::asio::steady_timer idle_;  ///< idle workers wait on it; a new job cancels one wait
    bool stopping_ = false;
};

}  // namespace loadgen
