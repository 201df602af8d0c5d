// viewer_api: requests to presence and adjustments, answers from the viewer counts.
// SPDX-License-Identifier: MIT
#include "api/viewer_api.hpp"

#include "http/live_socket.hpp"
#include "http/responses.hpp"
#include "http/viewer_page.hpp"
#include "persistence/await_durable.hpp"

#include <boost/asio/this_coro.hpp>

namespace active_users {

namespace asio = boost::asio;
namespace http = boost::beast::http;

asio::awaitable<http_response> viewer_api::get_counter(const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    if (wants_html(req)) co_return reply(req, http::status::ok, viewer_page(page), "text/html; charset=utf-8");
    co_return reply(req, http::status::ok, count_json(p_.counts.view(page)));
}

asio::awaitable<http_response> viewer_api::put_counter(const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    const auto action = string_field(req.body(), "action");
    if (!action) co_return error_reply(req, action.error());
    if (*action != "increment" && *action != "decrement")
        co_return error_reply(req, fail(status::bad_request, "action must be \"increment\" or \"decrement\""));
    if (auto id = p_.pages.intern(page); !id) co_return error_reply(req, id.error());
    const count_view view = p_.counts.adjust(page, *action == "increment");
    // Acknowledge only once the adjustment is on disk (group commit with other writes).
    co_await await_durable(p_.disk);
    co_return reply(req, http::status::ok, count_json(view));
}

result<std::string> viewer_api::session_of(const http_request& req) {
    auto session = string_field(req.body(), "session");
    if (session && (session->empty() || session->size() > 128)) return fail(status::bad_request, "session ids are 1-128 bytes");
    return session;
}

asio::awaitable<http_response> viewer_api::heartbeat(const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    const auto session = session_of(req);
    if (!session) co_return error_reply(req, session.error());
    const auto id = p_.pages.intern(page);
    if (!id) co_return error_reply(req, id.error());
    p_.sessions.heartbeat(*id, *session, p_.clock.after(p_.opts.expiry));
    co_return reply(req, http::status::ok, count_json(p_.counts.view(page)));
}

asio::awaitable<http_response> viewer_api::leave(const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    const auto session = session_of(req);
    if (!session) co_return error_reply(req, session.error());
    const auto id = p_.pages.intern(page);
    if (!id) co_return error_reply(req, id.error());
    p_.sessions.leave(*id, *session);
    co_return reply(req, http::status::ok, count_json(p_.counts.view(page)));
}

asio::awaitable<void> viewer_api::live(boost::beast::tcp_stream stream, http_request req, route_params params) {
    const std::string page = std::move(params[0]);
    const auto id = p_.pages.intern(page);
    if (!id) co_return;  // the registry is full: the connection closes without a handshake
    live_socket ws(std::move(stream), p_.opts.expiry);
    if (!co_await ws.accept(req)) co_return;
    auto sub = std::make_shared<subscriber>(co_await asio::this_coro::executor);
    const session_table::stream_session viewer(p_.sessions, *id, reinterpret_cast<std::uintptr_t>(sub.get()));
    const fanout::subscription listening(p_.viewers, page, sub);
    sub->latest = live_message("page", page, p_.counts.view(page));
    sub->dirty = true;
    co_await ws.run(sub);
}

}  // namespace active_users
