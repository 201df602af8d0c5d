// The server: HTTP API, live WebSocket viewers, timers that fold, push, expire and retire.
// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"
#include "persistence.hpp"
#include "replica.hpp"
#include "replication.hpp"
#include "session_table.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace active_users {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

/// Page names are one URL segment: 1-128 of [A-Za-z0-9._~-].
bool valid_page(std::string_view page);

/// Interns page names, so sessions store a 32-bit id instead of a string.
class page_registry {
public:
    static constexpr std::size_t max_pages = 1'000'000;
    /// The page's id, registering it; nullopt when the registry is full.
    std::optional<session_table::page_id> intern(const std::string& page);
    [[nodiscard]] std::string name(session_table::page_id id) const;

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, session_table::page_id> ids_;
    std::vector<std::string> names_;
};

/// A live WebSocket viewer waiting for pushes; touched only on its connection's strand.
struct subscriber {
    explicit subscriber(boost::asio::any_io_executor ex) : wake(ex, std::chrono::steady_clock::time_point::max()) {}
    boost::asio::steady_timer wake;
    page_view latest;
    bool dirty = false;
    bool closed = false;
};

class server {
public:
    server(boost::asio::io_context& io, options o, std::optional<snapshot> restored);
    /// Binds the listeners and starts the timers; throws on a bind failure.
    void start();

private:
    using strand = boost::asio::strand<boost::asio::io_context::executor_type>;

    // http_server.cpp
    boost::asio::awaitable<void> accept_http(boost::asio::ip::tcp::acceptor acceptor);
    boost::asio::awaitable<void> http_connection(boost::asio::ip::tcp::socket socket);
    boost::asio::awaitable<http_response> handle(const http_request& req);
    boost::asio::awaitable<void> live(boost::beast::tcp_stream stream, http_request req, std::string page);
    void subscribe(const std::string& page, const std::shared_ptr<subscriber>& s);
    void unsubscribe(const std::string& page, const std::shared_ptr<subscriber>& s);

    // server.cpp
    boost::asio::awaitable<void> every(std::chrono::milliseconds period, void (server::*task)());
    void fold();
    void push();
    void expire();
    void retire();
    [[nodiscard]] std::string metrics();
    session_table::tick tick_after(std::chrono::milliseconds d) const;

    boost::asio::io_context& io_;
    options opts_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    replica replica_;
    persister persister_;
    replication replication_;
    session_table sessions_;
    page_registry pages_;

    std::mutex subscribers_mutex_;
    std::unordered_map<std::string, std::unordered_set<std::shared_ptr<subscriber>>> subscribers_;
    std::atomic<std::uint64_t> http_requests_{0};
    std::atomic<std::uint64_t> expired_{0};
};

}  // namespace active_users
