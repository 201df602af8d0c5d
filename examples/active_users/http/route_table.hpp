// The HTTP routes: method and path pattern to handler, one path parser for every route.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/http_types.hpp"
#include "result.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace active_users {

/// The values of a route's `:name` segments, in order: for `/users/:user/read/:page`, {user, page}.
/// Every value has been checked to be a valid name (see valid_name) before a handler sees it.
/// Inline up to two (every route has at most two), so that matching a request allocates nothing.
using route_params = boost::container::small_vector<std::string, 2>;

using http_handler = std::function<boost::asio::awaitable<http_response>(const http_request&, const route_params&)>;
/// Takes over the connection for a WebSocket upgrade; the handshake is the handler's to make.
using websocket_handler =
    std::function<boost::asio::awaitable<void>(boost::beast::tcp_stream, http_request, route_params)>;

/// Page, user and other names in paths are one URL segment: 1-128 of [A-Za-z0-9._~-], and
/// neither "." nor "..".
bool valid_name(std::string_view name);

/// The path of a request target split at '/', without the leading one and the query string:
/// "/users/ann/read?x" gives {"users", "ann", "read"}; empty segments are kept. Nullopt when the
/// target does not start with '/'.
std::optional<std::vector<std::string_view>> path_segments(std::string_view target);

/// Routes declared in one table, like `routes.add(verb::get, "/:page/counter", handler)`.
/// A pattern is literal segments and `:name` parameters. Adding an endpoint is one row.
class route_table {
public:
    route_table& add(boost::beast::http::verb method, std::string_view pattern, http_handler handler);
    /// A WebSocket route: a GET with an upgrade.
    route_table& add_websocket(std::string_view pattern, websocket_handler handler);

    /// What a request resolved to: exactly one of the handlers is set.
    struct match {
        const http_handler* http = nullptr;
        const websocket_handler* websocket = nullptr;
        route_params params;
        std::size_t row = 0;  ///< which row matched, in the order the rows were added
    };
    /// Resolves a request. Failures, each with a message for the client: not_found (no route has
    /// this path), bad_request (a parameter is not a valid name), method_not_allowed (listing the
    /// methods the path has), upgrade_required (a WebSocket route asked for without upgrading).
    [[nodiscard]] result<match> find(boost::beast::http::verb method, std::string_view target, bool upgrade) const;

    /// The rows, for per-route metrics: how many, and each one's method and pattern as added
    /// ("/:page/counter"); the labels never come from a request, so their number is fixed.
    [[nodiscard]] std::size_t size() const noexcept { return routes_.size(); }
    [[nodiscard]] boost::beast::http::verb method_of(std::size_t row) const { return routes_.at(row).method; }
    [[nodiscard]] const std::string& pattern_of(std::size_t row) const { return routes_.at(row).text; }
    [[nodiscard]] bool is_websocket(std::size_t row) const { return static_cast<bool>(routes_.at(row).websocket); }

private:
    struct segment {
        std::string text;  ///< the literal, or the parameter's name
        bool parameter;
    };
    struct route {
        std::vector<segment> pattern;
        std::string text;  ///< the pattern as written
        boost::beast::http::verb method;
        http_handler http;
        websocket_handler websocket;  ///< set for WebSocket routes
    };
    static std::vector<segment> parse_pattern(std::string_view pattern);
    // `path` is the target's path after its leading '/', without the query: its segments are
    // walked in place, never split into a container.
    static bool matches(const route& r, std::string_view path);
    static result<route_params> params_of(const route& r, std::string_view path);
    [[nodiscard]] failure no_match(boost::beast::http::verb method, std::string_view path, bool upgrade) const;

    std::vector<route> routes_;
};

}  // namespace active_users
