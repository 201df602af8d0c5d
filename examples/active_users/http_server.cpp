// HTTP API and WebSocket viewers: routing, JSON in and out, group-committed PUTs, pushes.
// SPDX-License-Identifier: MIT
#include "server.hpp"

#include "http_common.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <ctime>

namespace active_users {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using asio::ip::tcp;

std::string iso8601(clock::time_point t) {
    if (t == clock::time_point{}) return "1970-01-01T00:00:00Z";
    const std::time_t secs = clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string count_json(const page_view& v) {
    return json::serialize(json::object{{"count", v.count}, {"updated_at", iso8601(v.updated_at)}});
}

std::string count_json(const unread_view& v) {
    return json::serialize(json::object{{"count", v.count}, {"updated_at", iso8601(v.updated_at)}});
}

std::string page_message(const std::string& page, const page_view& v) {
    return json::serialize(json::object{{"page", page}, {"count", v.count}, {"updated_at", iso8601(v.updated_at)}});
}

std::string user_message(const std::string& user, const unread_view& v) {
    return json::serialize(json::object{{"user", user}, {"count", v.count}, {"updated_at", iso8601(v.updated_at)}});
}

http_response reply(const http_request& req, http::status status, std::string body, const char* type) {
    http_response res{status, req.version()};
    res.set(http::field::server, "converge-active-users");
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

http_response error(const http_request& req, http::status status, const std::string& why) {
    return reply(req, status, json::serialize(json::object{{"error", why}}));
}

namespace {

/// Parses a JSON object body and returns the string field `key`, or a reason it is missing.
std::optional<std::string> string_field(const std::string& body, const char* key, std::string& why) {
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec) {
        why = "body is not JSON: " + ec.message();
        return std::nullopt;
    }
    const json::object* o = v.if_object();
    const json::value* f = o ? o->if_contains(key) : nullptr;
    if (f == nullptr || !f->is_string()) {
        why = std::string("body must be a JSON object with a string \"") + key + "\"";
        return std::nullopt;
    }
    return std::string(f->as_string());
}

bool wants_html(const http_request& req) {
    const auto accept = req[http::field::accept];
    return accept.find("text/html") != beast::string_view::npos &&
           accept.find("application/json") == beast::string_view::npos;
}

std::string live_page(const std::string& page) {
    // The page name is restricted to URL-safe characters, so it needs no escaping here.
    return "<!doctype html><meta charset=utf-8><title>" + page +
           " viewers</title><body style=\"font:2em sans-serif\"><p><b id=n>…</b> people are viewing <i>" + page +
           "</i></p><script>const n=document.getElementById('n');"
           "const ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/" +
           page + "/live');ws.onmessage=e=>{n.textContent=JSON.parse(e.data).count};"
           "ws.onclose=()=>{n.textContent+=' (disconnected)'};</script>";
}

}  // namespace

std::vector<std::string> path_segments(std::string_view target) {
    if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    std::vector<std::string> out;
    if (target.empty() || target[0] != '/') return out;
    target.remove_prefix(1);
    for (;;) {
        const auto slash = target.find('/');
        out.emplace_back(target.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        target.remove_prefix(slash + 1);
    }
}

bool valid_page(std::string_view page) {
    if (page.empty() || page.size() > 128) return false;
    for (const char c : page) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '~' || c == '-';
        if (!ok) return false;
    }
    return true;
}

asio::awaitable<void> server::accept_http(tcp::acceptor acceptor) {
    for (;;) {
        tcp::socket s = co_await acceptor.async_accept(asio::make_strand(io_), asio::use_awaitable);
        const auto ex = s.get_executor();
        asio::co_spawn(ex, http_connection(std::move(s)), asio::detached);
    }
}

asio::awaitable<void> server::http_connection(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    try {
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(8 * 1024);
            parser.body_limit(4 * 1024);
            stream.expires_after(std::chrono::seconds(60));
            boost::system::error_code ec;
            co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
            if (ec == http::error::end_of_stream || ec == beast::error::timeout) break;
            if (ec) {
                // Malformed or oversized request: say so once, then close.
                http_request bad;
                bad.version(11);
                auto res = error(bad, http::status::bad_request, "bad request: " + ec.message());
                res.keep_alive(false);
                co_await http::async_write(stream, res, asio::use_awaitable);
                break;
            }
            http_request req = parser.release();
            ++http_requests_;
            if (websocket::is_upgrade(req)) {
                const auto path = path_segments(req.target());
                if (req.method() == http::verb::get && path.size() == 3 && path[0] == "users" && path[2] == "live" &&
                    valid_page(path[1])) {
                    stream.expires_never();
                    co_await live_user(std::move(stream), std::move(req), path[1]);
                    co_return;
                }
                const std::string target(req.target());
                const auto slash = target.find('/', 1);
                const std::string page = slash == std::string::npos ? "" : target.substr(1, slash - 1);
                if (req.method() == http::verb::get && valid_page(page) && target.substr(slash) == "/live") {
                    stream.expires_never();
                    co_await live(std::move(stream), std::move(req), page);
                    co_return;
                }
                co_await http::async_write(stream, error(req, http::status::not_found, "no WebSocket here"),
                                           asio::use_awaitable);
                break;
            }
            http_response res = co_await handle(req);
            const bool keep = res.keep_alive();
            co_await http::async_write(stream, res, asio::use_awaitable);
            if (!keep) break;
        }
        stream.socket().shutdown(tcp::socket::shutdown_send);
    } catch (const std::exception&) {
        // The client went away mid-request; nothing was changed on its behalf after that point.
    }
}

asio::awaitable<http_response> server::handle(const http_request& req) {
    std::string target(req.target());
    if (const auto q = target.find('?'); q != std::string::npos) target.resize(q);
    if (target == "/metrics") {
        if (req.method() != http::verb::get) co_return error(req, http::status::method_not_allowed, "use GET");
        co_return reply(req, http::status::ok, metrics(), "text/plain; version=0.0.4");
    }
    if (const auto path = path_segments(target); path.size() >= 3 && path[0] == "users")
        co_return co_await handle_user(req, path);
    const auto slash = target.find('/', 1);
    if (target.size() < 2 || target[0] != '/' || slash == std::string::npos)
        co_return error(req, http::status::not_found, "no such resource");
    const std::string page = target.substr(1, slash - 1);
    const std::string what = target.substr(slash + 1);
    if (!valid_page(page)) co_return error(req, http::status::bad_request, "page names are 1-128 of [A-Za-z0-9._~-]");

    if (what == "counter") {
        if (req.method() == http::verb::get) {
            if (wants_html(req)) co_return reply(req, http::status::ok, live_page(page), "text/html; charset=utf-8");
            co_return reply(req, http::status::ok, count_json(replica_.view(page)));
        }
        if (req.method() != http::verb::put) co_return error(req, http::status::method_not_allowed, "use GET or PUT");
        std::string why;
        const auto action = string_field(req.body(), "action", why);
        if (!action) co_return error(req, http::status::bad_request, why);
        if (*action != "increment" && *action != "decrement")
            co_return error(req, http::status::bad_request, "action must be \"increment\" or \"decrement\"");
        if (!pages_.intern(page)) co_return error(req, http::status::service_unavailable, "too many pages");
        const auto [view, gen] = replica_.adjust(page, *action == "increment");
        // Acknowledge only once the adjustment is on disk (group commit with other PUTs).
        co_await durable(gen, persister::source::adjustments);
        co_return reply(req, http::status::ok, count_json(view));
    }
    if (what == "modified") co_return co_await handle_modified(req, page);
    if (what == "heartbeat" || what == "leave") {
        if (req.method() != http::verb::post) co_return error(req, http::status::method_not_allowed, "use POST");
        std::string why;
        const auto session = string_field(req.body(), "session", why);
        if (!session) co_return error(req, http::status::bad_request, why);
        if (session->empty() || session->size() > 128)
            co_return error(req, http::status::bad_request, "session ids are 1-128 bytes");
        const auto id = pages_.intern(page);
        if (!id) co_return error(req, http::status::service_unavailable, "too many pages");
        if (what == "heartbeat") sessions_.heartbeat(*id, *session, tick_after(opts_.expiry));
        else sessions_.leave(*id, *session);
        co_return reply(req, http::status::ok, count_json(replica_.view(page)));
    }
    co_return error(req, http::status::not_found, "no such resource");
}

asio::awaitable<void> server::live(beast::tcp_stream stream, http_request req, std::string page) {
    const auto id = pages_.intern(page);
    if (!id) co_return;
    ws_stream ws(std::move(stream));
    if (!co_await accept_live(ws, req)) co_return;
    auto sub = std::make_shared<subscriber>(co_await asio::this_coro::executor);
    const auto hint = reinterpret_cast<std::uintptr_t>(sub.get());
    sessions_.adjust(*id, +1, hint);
    subscribe(subscribers_, page, sub);
    sub->latest = page_message(page, replica_.view(page));
    sub->dirty = true;
    co_await pump(ws, sub);
    unsubscribe(subscribers_, page, sub);
    sessions_.adjust(*id, -1, hint);
}

asio::awaitable<bool> server::accept_live(ws_stream& ws, const http_request& req) {
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(10);
    // No frame (a pong counts) for the expiry time ends the session, as a missed heartbeat does.
    timeout.idle_timeout = opts_.expiry;
    timeout.keep_alive_pings = true;
    ws.set_option(timeout);
    ws.read_message_max(4 * 1024);
    try {
        co_await ws.async_accept(req, asio::use_awaitable);
    } catch (const std::exception&) {
        co_return false;
    }
    co_return true;
}

asio::awaitable<void> server::pump(ws_stream& ws, std::shared_ptr<subscriber> sub) {
    const auto ex = co_await asio::this_coro::executor;
    // The reader only drains client frames (and lets Beast answer control frames); when it ends,
    // the session is over.
    bool reader_done = false;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
            beast::flat_buffer in;
            boost::system::error_code ec;
            while (!ec) {
                co_await ws.async_read(in, asio::redirect_error(asio::use_awaitable, ec));
                in.clear();
            }
            sub->closed = true;
            reader_done = true;
            sub->wake.cancel();
        },
        asio::detached);

    boost::system::error_code ec;
    while (!sub->closed) {
        if (sub->dirty) {
            sub->dirty = false;
            const std::string msg = sub->latest;  // a copy: a push may replace it during the write
            co_await ws.async_write(asio::buffer(msg), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            continue;
        }
        sub->wake.expires_at(std::chrono::steady_clock::time_point::max());
        co_await sub->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        ec = {};
    }
    if (!reader_done) {
        // Stop the reader and wait for it: it uses `ws`, which lives in the caller's frame.
        beast::get_lowest_layer(ws).socket().close(ec);
        while (!reader_done) {
            sub->wake.expires_at(std::chrono::steady_clock::time_point::max());
            co_await sub->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }
}

asio::awaitable<void> server::durable(std::uint64_t gen, persister::source from) {
    const auto ex = co_await asio::this_coro::executor;
    asio::steady_timer done(ex, std::chrono::steady_clock::time_point::max());
    persister_.when_durable(gen, [&done, ex] { asio::post(ex, [&done] { done.cancel(); }); }, from);
    boost::system::error_code ignored;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void server::subscribe(listeners& to, const std::string& key, const std::shared_ptr<subscriber>& s) {
    std::lock_guard lock(subscribers_mutex_);
    to[key].insert(s);
}

void server::unsubscribe(listeners& from, const std::string& key, const std::shared_ptr<subscriber>& s) {
    std::lock_guard lock(subscribers_mutex_);
    const auto it = from.find(key);
    if (it == from.end()) return;
    it->second.erase(s);
    if (it->second.empty()) from.erase(it);
}

}  // namespace active_users
