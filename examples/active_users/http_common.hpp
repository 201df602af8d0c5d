// Helpers the HTTP handlers share: JSON replies and errors, timestamps, live-push messages.
// SPDX-License-Identifier: MIT
#pragma once

#include "notifications.hpp"
#include "replica.hpp"
#include "server.hpp"

#include <string>

namespace active_users {

/// "2030-10-10T12:11:42Z"; the epoch for a page or user never seen.
std::string iso8601(clock::time_point t);

http_response reply(const http_request& req, boost::beast::http::status status, std::string body,
                    const char* type = "application/json");
/// `{"error": why}` with `status`.
http_response error(const http_request& req, boost::beast::http::status status, const std::string& why);

/// `{"count": N, "updated_at": "..."}`, the answer of GET /:page/counter and GET /users/:user/unread.
std::string count_json(const page_view& v);
std::string count_json(const unread_view& v);

/// What a live WebSocket receives: `{"page", "count", "updated_at"}` or `{"user", "count", "updated_at"}`.
std::string page_message(const std::string& page, const page_view& v);
std::string user_message(const std::string& user, const unread_view& v);

}  // namespace active_users
