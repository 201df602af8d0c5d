// The unread-notification endpoints: subscriptions, modifications, reads and the live count.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/route_table.hpp"
#include "notifications/notifications.hpp"
#include "options.hpp"
#include "persistence/persister.hpp"
#include "push/fanout.hpp"

namespace active_users::notification_api {

/// What the notification handlers use; owned by the server, which outlives every request.
struct parts {
    notifications& notes;
    persister& disk;
    fanout& followers;
    const options& opts;
};

using handler = boost::asio::awaitable<http_response>(const parts&, const http_request&, const route_params&);

/// Each turns one request into a call on `notes`; writes are acknowledged once on disk and answer
/// the user's unread count. Route parameter 0 is the user (the page for `modified`), 1 the page.
///   subscribe, unsubscribe   PUT, DELETE /users/:user/subscriptions/:page
///   read_all, read           POST /users/:user/read, POST /users/:user/read/:page
///   unread                   GET /users/:user/unread
///   modified                 POST /:page/modified: the page's modification count
handler subscribe, unsubscribe, read_all, read, unread, modified;
/// WS /users/:user/live: pushed the user's unread count when it changes.
boost::asio::awaitable<void> live(const parts& p, boost::beast::tcp_stream stream, http_request req, route_params params);

}  // namespace active_users::notification_api
