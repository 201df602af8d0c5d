// HTTP API of unread notifications: subscriptions, page modifications, reads, and the live unread count.
// SPDX-License-Identifier: MIT
#include "server.hpp"

#include "http_common.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace active_users {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

// Routes, with `path` = {"users", user, ...}:
//   GET    /users/:user/unread
//   POST   /users/:user/read            POST /users/:user/read/:page
//   PUT    /users/:user/subscriptions/:page      DELETE the same
//   WS     /users/:user/live            (a plain GET there is told to upgrade)
asio::awaitable<http_response> server::handle_user(const http_request& req, const std::vector<std::string>& path) {
    const std::string& user = path[1];
    if (!valid_page(user)) co_return error(req, http::status::bad_request, "user names are 1-128 of [A-Za-z0-9._~-]");
    const std::string& what = path[2];
    const bool with_page = path.size() == 4 && (what == "subscriptions" || what == "read");
    if (path.size() != 3 && !with_page) co_return error(req, http::status::not_found, "no such resource");
    if (with_page && !valid_page(path[3]))
        co_return error(req, http::status::bad_request, "page names are 1-128 of [A-Za-z0-9._~-]");
    const auto method = req.method();

    if (what == "unread" && path.size() == 3) {
        if (method != http::verb::get) co_return error(req, http::status::method_not_allowed, "use GET");
        co_return reply(req, http::status::ok, count_json(notifications_.unread(user)));
    }
    if (what == "live" && path.size() == 3)
        co_return error(req, http::status::upgrade_required, "open a WebSocket here");

    notifications::outcome out;
    if (what == "subscriptions" && with_page) {
        if (method == http::verb::put) out = notifications_.subscribe(user, path[3]);
        else if (method == http::verb::delete_) out = notifications_.unsubscribe(user, path[3]);
        else co_return error(req, http::status::method_not_allowed, "use PUT or DELETE");
    } else if (what == "read") {
        if (method != http::verb::post) co_return error(req, http::status::method_not_allowed, "use POST");
        out = with_page ? notifications_.read(user, path[3]) : notifications_.read_all(user);
    } else {
        co_return error(req, http::status::not_found, "no such resource");
    }
    if (out.result == notifications::status::full)
        co_return error(req, http::status::service_unavailable, "too many users");
    if (out.result == notifications::status::not_subscribed)
        co_return error(req, http::status::not_found, user + " does not subscribe to " + path[3] + " on this replica");
    // Acknowledge only once the write is on disk (group commit, as PUT /:page/counter does).
    co_await durable(out.generation, persister::source::notifications);
    co_return reply(req, http::status::ok, count_json(out.view));
}

asio::awaitable<http_response> server::handle_modified(const http_request& req, const std::string& page) {
    if (req.method() != http::verb::post) co_return error(req, http::status::method_not_allowed, "use POST");
    const auto done = notifications_.modify(page);
    if (!done) co_return error(req, http::status::service_unavailable, "too many pages");
    co_await durable(done->second, persister::source::notifications);
    co_return reply(req, http::status::ok, json::serialize(json::object{{"page", page}, {"modifications", done->first}}));
}

asio::awaitable<void> server::live_user(beast::tcp_stream stream, http_request req, std::string user) {
    ws_stream ws(std::move(stream));
    if (!co_await accept_live(ws, req)) co_return;
    auto sub = std::make_shared<subscriber>(co_await asio::this_coro::executor);
    subscribe(user_subscribers_, user, sub);
    sub->latest = user_message(user, notifications_.unread(user));
    sub->dirty = true;
    co_await pump(ws, sub);
    unsubscribe(user_subscribers_, user, sub);
}

}  // namespace active_users
