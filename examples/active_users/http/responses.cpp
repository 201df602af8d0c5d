// Responses and request bodies through Boost.JSON.
// SPDX-License-Identifier: MIT
#include "http/responses.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include <ctime>

namespace active_users {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

http::status http_status(status code) {
    switch (code) {
        case status::bad_request: return http::status::bad_request;
        case status::not_found: return http::status::not_found;
        case status::method_not_allowed: return http::status::method_not_allowed;
        case status::upgrade_required: return http::status::upgrade_required;
        case status::unauthorized: return http::status::unauthorized;
        case status::replayed: return http::status::conflict;
        case status::unavailable: return http::status::service_unavailable;
        case status::io_error: return http::status::internal_server_error;
    }
    return http::status::internal_server_error;
}

}  // namespace

http_response reply(const http_request& req, http::status code, std::string body, std::string_view content_type) {
    http_response res{code, req.version()};
    res.set(http::field::server, "converge-active-users");
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

http_response error_reply(const http_request& req, const failure& f) {
    return reply(req, http_status(f.code), json::serialize(json::object{{"error", f.message}}));
}

result<std::string> string_field(std::string_view body, std::string_view key) {
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec) return fail(status::bad_request, "body is not JSON: " + ec.message());
    const json::object* o = v.if_object();
    const json::value* f = o != nullptr ? o->if_contains(key) : nullptr;
    if (f == nullptr || !f->is_string())
        return fail(status::bad_request, "body must be a JSON object with a string \"" + std::string(key) + "\"");
    return std::string(f->as_string());
}

bool wants_html(const http_request& req) {
    const auto accept = req[http::field::accept];
    return accept.find("text/html") != std::string_view::npos &&
           accept.find("application/json") == std::string_view::npos;
}

std::string iso8601(clock::time_point t) {
    if (t == clock::time_point{}) return "1970-01-01T00:00:00Z";
    const std::time_t secs = clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string count_json(const count_view& v) {
    return json::serialize(json::object{{"count", v.count}, {"updated_at", iso8601(v.updated_at)}});
}

std::string live_message(std::string_view kind, std::string_view key, const count_view& v) {
    return json::serialize(json::object{{kind, key}, {"count", v.count}, {"updated_at", iso8601(v.updated_at)}});
}

}  // namespace active_users
