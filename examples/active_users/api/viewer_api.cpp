// The viewer-count endpoints: requests to presence and adjustments, answers from the counts.
// SPDX-License-Identifier: MIT
#include "api/viewer_api.hpp"

#include "http/asset_reply.hpp"
#include "http/live_socket.hpp"
#include "http/responses.hpp"
#include "persistence/await_durable.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

namespace active_users::viewer_api {

namespace asio = boost::asio;
namespace http = boost::beast::http;

using reply_to = asio::awaitable<http_response>;

namespace {

/// The page's count, exact: at once when its presence shard is held here, else once replication
/// has followed the shard and fetched its state from a holder (about one interval and a round
/// trip), or, when no replica sent it in time, a failure (503: retrying may work).
asio::awaitable<result<count_view>> exact_view(const parts& p, const std::string& page) {
    if (auto v = p.counts.followed_view(page)) co_return *v;
    const auto deadline = std::chrono::steady_clock::now() + std::max<std::chrono::milliseconds>(std::chrono::seconds(2), 15 * p.opts.interval);
    asio::steady_timer wait(co_await asio::this_coro::executor);
    for (;;) {
        wait.expires_after(std::chrono::milliseconds(5));
        co_await wait.async_wait(asio::use_awaitable);
        if (auto v = p.counts.followed_view(page)) co_return *v;
        if (std::chrono::steady_clock::now() > deadline)
            co_return fail(status::unavailable, "the count of page " + page + " is not held here and no replica sent it in time; try again");
    }
}

}  // namespace

reply_to get_counter(const parts& p, const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    // The page is the same for every page name: its script reads the name from the URL.
    if (wants_html(req)) co_return asset_reply(req, find_asset("viewer.html"));
    const auto view = co_await exact_view(p, page);
    if (!view) co_return error_reply(req, view.error());
    co_return reply(req, http::status::ok, count_json(*view));
}

reply_to put_counter(const parts& p, const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    const auto action = string_field(req.body(), "action");
    if (!action) co_return error_reply(req, action.error());
    if (*action != "increment" && *action != "decrement")
        co_return error_reply(req, fail(status::bad_request, "action must be \"increment\" or \"decrement\""));
    if (auto id = p.pages.intern(page); !id) co_return error_reply(req, id.error());
    const count_view view = p.counts.adjust(page, *action == "increment");
    // Acknowledge only once the adjustment is on disk (group commit with other writes).
    co_await await_durable(p.disk);
    co_return reply(req, http::status::ok, count_json(view));
}

namespace {

/// A heartbeat (`leaving` false) or a leave: the session id checked, then the session table.
reply_to session_request(const parts& p, const http_request& req, const route_params& params, bool leaving) {
    const std::string& page = params[0];
    const auto session = string_field(req.body(), "session");
    if (!session) co_return error_reply(req, session.error());
    if (session->empty() || session->size() > 128)
        co_return error_reply(req, fail(status::bad_request, "session ids are 1-128 bytes"));
    const auto id = p.pages.intern(page);
    if (!id) co_return error_reply(req, id.error());
    // A join or a leave is counted before the answer, which therefore includes it.
    count_view view;
    if (!leaving && p.sessions.heartbeat(*id, *session, p.clock.after(p.opts.expiry))) {
        view = p.counts.join(page, +1);
    } else if (const auto left = leaving ? p.sessions.leave(*id, *session) : std::nullopt; left) {
        const std::string stored = p.pages.name(*left);
        view = p.counts.join(stored, -1);
        if (stored != page) view = p.counts.view(page);
    } else {
        view = p.counts.view(page);
    }
    // A page whose shard was not held until now: its count is exact once the shard is fetched.
    if (auto exact = co_await exact_view(p, page); exact) view.count = exact->count;
    co_return reply(req, http::status::ok, count_json(view));
}

}  // namespace

reply_to heartbeat(const parts& p, const http_request& req, const route_params& params) {
    return session_request(p, req, params, false);
}

reply_to leave(const parts& p, const http_request& req, const route_params& params) {
    return session_request(p, req, params, true);
}

asio::awaitable<void> live(const parts& p, boost::beast::tcp_stream stream, http_request req, route_params params) {
    const std::string page = std::move(params[0]);
    const auto id = p.pages.intern(page);
    if (!id) co_return;  // the registry is full: the connection closes without a handshake
    auto socket = co_await accept_websocket(std::move(stream), std::move(req));
    if (!socket) co_return;
    // The viewer's +1 lives as long as the socket: live_socket releases it when the connection ends.
    const auto hint = static_cast<std::uintptr_t>(socket->native_handle()) << 4;
    auto viewer = std::make_shared<session_table::stream_session>(p.sessions, *id, hint);
    live_socket::start(std::move(*socket), p.viewers, page, live_message("page", page, p.counts.view(page)),
                       p.opts.expiry, std::move(viewer));
}

}  // namespace active_users::viewer_api
