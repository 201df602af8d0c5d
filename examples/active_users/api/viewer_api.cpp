// The viewer-count endpoints: requests to presence and adjustments, answers from the counts.
// SPDX-License-Identifier: MIT
#include "api/viewer_api.hpp"

#include "http/asset_reply.hpp"
#include "http/live_socket.hpp"
#include "http/responses.hpp"
#include "persistence/await_durable.hpp"

namespace active_users::viewer_api {

namespace asio = boost::asio;
namespace http = boost::beast::http;

using reply_to = asio::awaitable<http_response>;

reply_to get_counter(const parts& p, const http_request& req, const route_params& params) {
    const std::string& page = params[0];
    // The page is the same for every page name: its script reads the name from the URL.
    if (wants_html(req)) co_return asset_reply(req, find_asset("viewer.html"));
    co_return reply(req, http::status::ok, count_json(p.counts.view(page)));
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
    live_socket ws(std::move(stream), p.opts.expiry);
    if (!co_await ws.accept(std::move(req))) co_return;
    const session_table::stream_session viewer(p.sessions, *id, reinterpret_cast<std::uintptr_t>(&ws));
    co_await ws.run(p.viewers, page, live_message("page", page, p.counts.view(page)));
}

}  // namespace active_users::viewer_api
