// HTTP handlers of unread notifications: subscriptions, modifications, reads and the live count.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/route_table.hpp"
#include "notifications/notifications.hpp"
#include "options.hpp"
#include "persistence/persister.hpp"
#include "push/fanout.hpp"

namespace active_users {

/// Each handler turns one request into a call on `notifications`; writes are acknowledged once
/// on disk. Routes are declared in api/routes.cpp: parameter 0 is the user (or the page, for
/// /:page/modified), parameter 1 the page.
class notification_api {
public:
    struct parts {
        notifications& notes;
        persister& disk;
        fanout& followers;
        const options& opts;
    };
    explicit notification_api(parts p) : p_(p) {}

    /// PUT /users/:user/subscriptions/:page
    boost::asio::awaitable<http_response> subscribe(const http_request& req, const route_params& params);
    /// DELETE /users/:user/subscriptions/:page
    boost::asio::awaitable<http_response> unsubscribe(const http_request& req, const route_params& params);
    /// POST /users/:user/read
    boost::asio::awaitable<http_response> read_all(const http_request& req, const route_params& params);
    /// POST /users/:user/read/:page
    boost::asio::awaitable<http_response> read(const http_request& req, const route_params& params);
    /// GET /users/:user/unread
    boost::asio::awaitable<http_response> unread(const http_request& req, const route_params& params);
    /// POST /:page/modified
    boost::asio::awaitable<http_response> modified(const http_request& req, const route_params& params);
    /// WebSocket /users/:user/live: pushed the user's unread count when it changes.
    boost::asio::awaitable<void> live(boost::beast::tcp_stream stream, http_request req, route_params params);

private:
    /// Answers a write's outcome: the failure, or the unread count once the write is durable.
    boost::asio::awaitable<http_response> acknowledge(const http_request& req, const result<count_view>& outcome);

    parts p_;
};

}  // namespace active_users
