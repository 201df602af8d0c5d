// notification_api: requests to the notifications component, acknowledged after group commit.
// SPDX-License-Identifier: MIT
#include "api/notification_api.hpp"

#include "http/live_socket.hpp"
#include "http/responses.hpp"
#include "persistence/await_durable.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

namespace active_users {

namespace asio = boost::asio;
namespace http = boost::beast::http;

asio::awaitable<http_response> notification_api::acknowledge(const http_request& req, const result<count_view>& outcome) {
    if (!outcome) co_return error_reply(req, outcome.error());
    // A no-op waits too: the state it answers from may not be on disk yet.
    co_await await_durable(p_.disk);
    co_return reply(req, http::status::ok, count_json(*outcome));
}

asio::awaitable<http_response> notification_api::subscribe(const http_request& req, const route_params& params) {
    co_return co_await acknowledge(req, p_.notes.subscribe(params[0], params[1]));
}

asio::awaitable<http_response> notification_api::unsubscribe(const http_request& req, const route_params& params) {
    co_return co_await acknowledge(req, p_.notes.unsubscribe(params[0], params[1]));
}

asio::awaitable<http_response> notification_api::read_all(const http_request& req, const route_params& params) {
    co_return co_await acknowledge(req, p_.notes.read_all(params[0]));
}

asio::awaitable<http_response> notification_api::read(const http_request& req, const route_params& params) {
    co_return co_await acknowledge(req, p_.notes.read(params[0], params[1]));
}

asio::awaitable<http_response> notification_api::unread(const http_request& req, const route_params& params) {
    co_return reply(req, http::status::ok, count_json(p_.notes.unread(params[0])));
}

asio::awaitable<http_response> notification_api::modified(const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    const auto count = p_.notes.modify(page);
    if (!count) co_return error_reply(req, count.error());
    co_await await_durable(p_.disk);
    co_return reply(req, http::status::ok,
                    boost::json::serialize(boost::json::object{{"page", page}, {"modifications", *count}}));
}

asio::awaitable<void> notification_api::live(boost::beast::tcp_stream stream, http_request req, route_params params) {
    const std::string user = std::move(params[0]);
    live_socket ws(std::move(stream), p_.opts.expiry);
    if (!co_await ws.accept(req)) co_return;
    auto sub = std::make_shared<subscriber>(co_await asio::this_coro::executor);
    const fanout::subscription listening(p_.followers, user, sub);
    sub->latest = live_message("user", user, p_.notes.unread(user));
    sub->dirty = true;
    co_await ws.run(sub);
}

}  // namespace active_users
