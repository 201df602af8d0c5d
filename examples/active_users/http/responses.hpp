// JSON in and out of the HTTP API: replies, errors from failures, request fields, count messages.
// SPDX-License-Identifier: MIT
#pragma once

#include "count_view.hpp"
#include "http/http_types.hpp"
#include "result.hpp"

#include <boost/beast/http/status.hpp>

#include <string>
#include <string_view>

namespace active_users {

/// A response to `req` with `body`, keep-alive as the request asked, never cached.
http_response reply(const http_request& req, boost::beast::http::status code, std::string body,
                    std::string_view content_type = "application/json");
/// `{"error": message}` with the HTTP status that stands for `f.code`.
http_response error_reply(const http_request& req, const failure& f);

/// The string field `key` of a JSON object body; bad_request saying what is wrong otherwise.
result<std::string> string_field(std::string_view body, std::string_view key);

/// True when the client asks for HTML rather than JSON (a browser).
bool wants_html(const http_request& req);

/// "2030-10-10T12:11:42Z"; the epoch for a count never seen.
std::string iso8601(clock::time_point t);
/// `{"count": N, "updated_at": "..."}`: GET /:page/counter, GET /users/:user/unread.
std::string count_json(const count_view& v);
/// What a live WebSocket receives: `{"page": p, "count", "updated_at"}` or `{"user": u, ...}`.
std::string live_message(std::string_view kind, std::string_view key, const count_view& v);

}  // namespace active_users
