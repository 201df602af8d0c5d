// Responses and request bodies: the common shapes written and read directly, the rest through Boost.JSON.
// SPDX-License-Identifier: MIT
#include "http/responses.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>

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

namespace {

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// A JSON string with nothing to unescape or validate: printable ASCII, no quote, no backslash.
/// Moves `at` past the closing quote; nullopt for anything else (the caller falls back).
std::optional<std::string_view> plain_string(std::string_view s, std::size_t& at) {
    if (at >= s.size() || s[at] != '"') return std::nullopt;
    const std::size_t begin = ++at;
    for (; at < s.size(); ++at) {
        const char c = s[at];
        if (c == '"') return s.substr(begin, at++ - begin);
        if (c == '\\' || c < 0x20 || c > 0x7E) return std::nullopt;
    }
    return std::nullopt;
}

enum class scan { found, absent, unsure };

/// The common body, a flat object of plain strings (`{"session": "abc"}`), read in one pass
/// without building a DOM. Everything it accepts is valid JSON that Boost.JSON reads to the same
/// value; anything else (escapes, non-ASCII, numbers, nesting, a repeated key, bad syntax) is
/// `unsure`, and the caller lets Boost.JSON decide, so what is accepted and every error message
/// stay Boost.JSON's.
scan plain_object_field(std::string_view s, std::string_view key, std::string_view& value) {
    std::size_t at = 0;
    const auto skip = [&] {
        while (at < s.size() && json_space(s[at])) ++at;
    };
    skip();
    if (at >= s.size() || s[at] != '{') return scan::unsure;
    ++at;
    skip();
    bool found = false;
    if (at < s.size() && s[at] == '}') {
        ++at;
    } else {
        for (;;) {
            const auto k = plain_string(s, at);
            if (!k) return scan::unsure;
            skip();
            if (at >= s.size() || s[at] != ':') return scan::unsure;
            ++at;
            skip();
            const auto v = plain_string(s, at);
            if (!v) return scan::unsure;
            if (*k == key) {
                if (found) return scan::unsure;  // a repeated key: Boost.JSON's rule decides
                found = true;
                value = *v;
            }
            skip();
            if (at < s.size() && s[at] == ',') {
                ++at;
                skip();
                continue;
            }
            if (at < s.size() && s[at] == '}') {
                ++at;
                break;
            }
            return scan::unsure;
        }
    }
    skip();
    if (at != s.size()) return scan::unsure;
    return found ? scan::found : scan::absent;
}

failure missing_field(std::string_view key) {
    return fail(status::bad_request, "body must be a JSON object with a string \"" + std::string(key) + "\"");
}

}  // namespace

result<std::string> string_field(std::string_view body, std::string_view key) {
    std::string_view plain;
    switch (plain_object_field(body, key, plain)) {
        case scan::found: return std::string(plain);
        case scan::absent: return missing_field(key);
        case scan::unsure: break;
    }
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec) return fail(status::bad_request, "body is not JSON: " + ec.message());
    const json::object* o = v.if_object();
    const json::value* f = o != nullptr ? o->if_contains(key) : nullptr;
    if (f == nullptr || !f->is_string()) return missing_field(key);
    return std::string(f->as_string());
}

bool wants_html(const http_request& req) {
    const auto accept = req[http::field::accept];
    return accept.find("text/html") != std::string_view::npos &&
           accept.find("application/json") == std::string_view::npos;
}

namespace {

/// Writes `n` as `width` decimal digits, zero-padded, ending before `end`.
void put_digits(char* end, unsigned n, int width) {
    for (int i = 0; i < width; ++i, n /= 10) *--end = static_cast<char>('0' + n % 10);
}

constexpr std::size_t iso8601_size = 20;  // "2030-10-10T12:11:42Z"

/// The calendar through <chrono> rather than gmtime_r and strftime: no locale, no string.
/// Years 0-9999 cover every time a clock of this service reads.
void put_iso8601(char* out, clock::time_point t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    put_digits(out + 4, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
    out[4] = '-';
    put_digits(out + 7, static_cast<unsigned>(ymd.month()), 2);
    out[7] = '-';
    put_digits(out + 10, static_cast<unsigned>(ymd.day()), 2);
    out[10] = 'T';
    put_digits(out + 13, static_cast<unsigned>(hms.hours().count()), 2);
    out[13] = ':';
    put_digits(out + 16, static_cast<unsigned>(hms.minutes().count()), 2);
    out[16] = ':';
    put_digits(out + 19, static_cast<unsigned>(hms.seconds().count()), 2);
    out[19] = 'Z';
}

/// Appends `"count":N,"updated_at":"..."}`, the tail both count messages share, in the bytes
/// Boost.JSON's serializer wrote for them before (no spaces).
void append_count_tail(std::string& out, const count_view& v) {
    char buf[96];
    char* p = buf;
    constexpr std::string_view count_key = "\"count\":";
    p = std::copy(count_key.begin(), count_key.end(), p);
    p = std::to_chars(p, buf + 40, v.count).ptr;
    constexpr std::string_view at_key = ",\"updated_at\":\"";
    p = std::copy(at_key.begin(), at_key.end(), p);
    if (v.updated_at == clock::time_point{}) {
        constexpr std::string_view epoch = "1970-01-01T00:00:00Z";
        p = std::copy(epoch.begin(), epoch.end(), p);
    } else {
        put_iso8601(p, v.updated_at);
        p += iso8601_size;
    }
    *p++ = '"';
    *p++ = '}';
    out.append(buf, p);
}

/// True when Boost.JSON writes `s` as it is between quotes: printable ASCII but `"` and `\\`
/// (page and user names always are; they are checked by valid_name).
bool needs_no_escape(std::string_view s) {
    for (const char c : s)
        if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
    return true;
}

}  // namespace

std::string iso8601(clock::time_point t) {
    if (t == clock::time_point{}) return "1970-01-01T00:00:00Z";
    std::string out(iso8601_size, '\0');
    put_iso8601(out.data(), t);
    return out;
}

std::string count_json(const count_view& v) {
    std::string out;
    out.reserve(64);
    out += '{';
    append_count_tail(out, v);
    return out;
}

std::string live_message(std::string_view kind, std::string_view key, const count_view& v) {
    if (!needs_no_escape(kind) || !needs_no_escape(key))
        return json::serialize(json::object{{kind, key}, {"count", v.count}, {"updated_at", iso8601(v.updated_at)}});
    std::string out;
    out.reserve(kind.size() + key.size() + 70);
    out += "{\"";
    out += kind;
    out += "\":\"";
    out += key;
    out += "\",";
    append_count_tail(out, v);
    return out;
}

}  // namespace active_users
