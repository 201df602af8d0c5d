// The unread-notification endpoints: requests to the notifications component, acknowledged after group commit.
// SPDX-License-Identifier: MIT
#include "api/notification_api.hpp"

#include "http/live_socket.hpp"
#include "http/responses.hpp"
#include "persistence/await_durable.hpp"

#include <boost/json.hpp>

namespace active_users::notification_api {

namespace asio = boost::asio;
namespace http = boost::beast::http;

using reply_to = asio::awaitable<http_response>;

namespace {

/// Answers a write's outcome: the failure, or the unread count once the write is durable. Callers
/// name the outcome before the co_await: GCC 12 mishandles temporaries that live across one.
reply_to acknowledge(const parts& p, const http_request& req, const result<count_view>& outcome) {
    if (!outcome) co_return error_reply(req, outcome.error());
    // A no-op waits too: the state it answers from may not be on disk yet.
    co_await await_durable(p.disk);
    co_return reply(req, http::status::ok, count_json(*outcome));
}

}  // namespace

reply_to subscribe(const parts& p, const http_request& req, const route_params& params) {
    const auto outcome = p.notes.subscribe(params[0], params[1]);
    co_return co_await acknowledge(p, req, outcome);
}

reply_to unsubscribe(const parts& p, const http_request& req, const route_params& params) {
    const auto outcome = p.notes.unsubscribe(params[0], params[1]);
    co_return co_await acknowledge(p, req, outcome);
}

reply_to read_all(const parts& p, const http_request& req, const route_params& params) {
    const auto outcome = p.notes.read_all(params[0]);
    co_return co_await acknowledge(p, req, outcome);
}

reply_to read(const parts& p, const http_request& req, const route_params& params) {
    const auto outcome = p.notes.read(params[0], params[1]);
    co_return co_await acknowledge(p, req, outcome);
}

reply_to unread(const parts& p, const http_request& req, const route_params& params) {
    co_return reply(req, http::status::ok, count_json(p.notes.unread(params[0])));
}

reply_to modified(const parts& p, const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    const auto count = p.notes.modify(page);
    if (!count) co_return error_reply(req, count.error());
    co_await await_durable(p.disk);
    co_return reply(req, http::status::ok,
                    boost::json::serialize(boost::json::object{{"page", page}, {"modifications", *count}}));
}

asio::awaitable<void> live(const parts& p, boost::beast::tcp_stream stream, http_request req,
                           route_params params) {
    const std::string user = std::move(params[0]);
    auto socket = co_await accept_websocket(std::move(stream), std::move(req));
    if (!socket) co_return;
    live_socket::start(std::move(*socket), p.followers, user, live_message("user", user, p.notes.unread(user)),
                       p.opts.expiry);
}

}  // namespace active_users::notification_api
