// The server: HTTP API, live WebSocket viewers and unread counts, timers that fold, push, expire and retire.
// SPDX-License-Identifier: MIT
#pragma once

#include "notifications.hpp"
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
#include <boost/beast/websocket/stream.hpp>

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

/// Page names are one URL segment: 1-128 of [A-Za-z0-9._~-]. User names follow the same rule.
bool valid_page(std::string_view page);

/// The path of a request target split at '/', without the leading one and the query:
/// "/users/ann/read?x" gives {"users", "ann", "read"}; empty segments are kept.
std::vector<std::string> path_segments(std::string_view target);

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

/// A live WebSocket (a page's viewer, or a user following their unread count) waiting for
/// pushes; touched only on its connection's strand. Pushes are coalesced: only the latest
/// message is sent.
struct subscriber {
    explicit subscriber(boost::asio::any_io_executor ex) : wake(ex, std::chrono::steady_clock::time_point::max()) {}
    boost::asio::steady_timer wake;
    std::string latest;  ///< the JSON message to send next
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
    using ws_stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;
    /// Live sockets by page (viewers) or by user (unread counts).
    using listeners = std::unordered_map<std::string, std::unordered_set<std::shared_ptr<subscriber>>>;

    // http_server.cpp
    boost::asio::awaitable<void> accept_http(boost::asio::ip::tcp::acceptor acceptor);
    boost::asio::awaitable<void> http_connection(boost::asio::ip::tcp::socket socket);
    boost::asio::awaitable<http_response> handle(const http_request& req);
    boost::asio::awaitable<void> live(boost::beast::tcp_stream stream, http_request req, std::string page);
    /// Sets the timeouts and completes the handshake; false when the client went away.
    boost::asio::awaitable<bool> accept_live(ws_stream& ws, const http_request& req);
    /// Sends `sub`'s pushes until the client closes; returns once nothing uses `ws` any more.
    boost::asio::awaitable<void> pump(ws_stream& ws, std::shared_ptr<subscriber> sub);
    /// Returns once generation `gen` of `from` is on disk (at once without --data-dir).
    boost::asio::awaitable<void> durable(std::uint64_t gen, persister::source from);
    void subscribe(listeners& to, const std::string& key, const std::shared_ptr<subscriber>& s);
    void unsubscribe(listeners& from, const std::string& key, const std::shared_ptr<subscriber>& s);

    // notifications_http.cpp
    boost::asio::awaitable<http_response> handle_user(const http_request& req, const std::vector<std::string>& path);
    boost::asio::awaitable<http_response> handle_modified(const http_request& req, const std::string& page);
    boost::asio::awaitable<void> live_user(boost::beast::tcp_stream stream, http_request req, std::string user);

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
    notifications notifications_;
    persister persister_;
    replication replication_;
    session_table sessions_;
    page_registry pages_;

    std::mutex subscribers_mutex_;  ///< guards both maps
    listeners subscribers_;         ///< by page
    listeners user_subscribers_;    ///< by user
    std::atomic<std::uint64_t> http_requests_{0};
    std::atomic<std::uint64_t> expired_{0};
};

}  // namespace active_users
