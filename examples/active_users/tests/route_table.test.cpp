// The route table: one path parser, patterns with parameters, and the failure for each wrong request.
// SPDX-License-Identifier: MIT
#include "http/route_table.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace active_users;
using boost::beast::http::verb;

namespace {

http_handler answer() {
    return [](const http_request&, const route_params&) -> boost::asio::awaitable<http_response> { co_return http_response{}; };
}

websocket_handler socket() {
    return [](boost::beast::tcp_stream, http_request, route_params) -> boost::asio::awaitable<void> { co_return; };
}

route_table example() {
    route_table t;
    t.add(verb::get, "/metrics", answer())
        .add(verb::get, "/:page/counter", answer())
        .add(verb::put, "/:page/counter", answer())
        .add_websocket("/:page/live", socket())
        .add(verb::post, "/users/:user/read/:page", answer())
        .add_websocket("/users/:user/live", socket());
    return t;
}

status failure_of(const route_table& t, verb method, std::string_view target, bool upgrade = false) {
    const auto r = t.find(method, target, upgrade);
    REQUIRE_FALSE(r);
    return r.error().code;
}

}  // namespace

TEST_CASE("paths split at slashes, without the query, keeping empty segments", "[routes]") {
    CHECK(path_segments("/users/ann/read?x=/y") == std::vector<std::string_view>{"users", "ann", "read"});
    CHECK(path_segments("/") == std::vector<std::string_view>{""});
    CHECK(path_segments("/users//read") == std::vector<std::string_view>{"users", "", "read"});
    CHECK_FALSE(path_segments("users/ann"));
    CHECK_FALSE(path_segments(""));
    CHECK_FALSE(path_segments("*"));
}

TEST_CASE("names are 1-128 URL-safe characters", "[routes]") {
    CHECK(valid_name("home-page_2.v~1"));
    CHECK(valid_name(std::string(128, 'a')));
    CHECK_FALSE(valid_name(std::string(129, 'a')));
    CHECK_FALSE(valid_name(""));
    for (const char* bad : {"bad%20page", "a b", "a/b", "a?b", "ü", "a\nb", ".", ".."}) CHECK_FALSE(valid_name(bad));
    CHECK(valid_name("..."));
    CHECK(valid_name(".hidden"));
}

TEST_CASE("a request finds its route and parameters, whatever its query string", "[routes]") {
    const route_table t = example();
    const auto counter = t.find(verb::put, "/home/counter?cache=1", false);
    REQUIRE(counter);
    CHECK(counter->http != nullptr);
    CHECK(counter->websocket == nullptr);
    CHECK(counter->params == route_params{"home"});

    const auto read = t.find(verb::post, "/users/ann/read/news", false);
    REQUIRE(read);
    CHECK(read->params == route_params{"ann", "news"});

    const auto live = t.find(verb::get, "/home/live?since=3", true);  // query strings ignored on WebSockets too
    REQUIRE(live);
    CHECK(live->websocket != nullptr);
    CHECK(live->params == route_params{"home"});

    const auto users_page = t.find(verb::get, "/users/counter", false);  // a page may be called "users"
    REQUIRE(users_page);
    CHECK(users_page->params == route_params{"users"});
    CHECK(t.find(verb::get, "/metrics", false));
}

TEST_CASE("each wrong request gets the failure that says what is wrong", "[routes]") {
    const route_table t = example();
    CHECK(failure_of(t, verb::get, "/home/nothing") == status::not_found);
    CHECK(failure_of(t, verb::get, "/") == status::not_found);
    CHECK(failure_of(t, verb::get, "no-slash") == status::not_found);
    CHECK(failure_of(t, verb::get, "/home/counter/extra") == status::not_found);
    CHECK(failure_of(t, verb::get, "/bad%20page/counter") == status::bad_request);
    CHECK(failure_of(t, verb::get, "//counter") == status::bad_request);
    CHECK(failure_of(t, verb::post, "/users/ann/read/bad%20page") == status::bad_request);
    CHECK(failure_of(t, verb::get, "/users/" + std::string(129, 'u') + "/read/home") == status::bad_request);
    CHECK(failure_of(t, verb::delete_, "/home/counter") == status::method_not_allowed);
    CHECK(failure_of(t, verb::get, "/home/live") == status::upgrade_required);
    CHECK(failure_of(t, verb::get, "/users/ann/live") == status::upgrade_required);
    CHECK(failure_of(t, verb::post, "/home/live") == status::method_not_allowed);
    CHECK(failure_of(t, verb::get, "/home/counter", true) == status::not_found);  // no WebSocket there

    const auto bad_user = t.find(verb::post, "/users/a%20b/read/home", false);
    REQUIRE_FALSE(bad_user);
    CHECK(bad_user.error().message == "user names are 1-128 of [A-Za-z0-9._~-]");
    const auto wrong_method = t.find(verb::post, "/home/counter", false);
    REQUIRE_FALSE(wrong_method);
    CHECK(wrong_method.error().message == "use GET or PUT");
}

TEST_CASE("a match names its row, so metrics can label it with the pattern as written", "[routes]") {
    const route_table t = example();
    REQUIRE(t.size() == 6);
    const auto put = t.find(verb::put, "/home/counter?x=1", false);
    REQUIRE(put);
    CHECK(put->row == 2);
    CHECK(t.pattern_of(put->row) == "/:page/counter");
    CHECK(t.method_of(put->row) == verb::put);
    CHECK_FALSE(t.is_websocket(put->row));
    const auto live = t.find(verb::get, "/home/live", true);
    REQUIRE(live);
    CHECK(live->row == 3);
    CHECK(t.is_websocket(live->row));
}

TEST_CASE("hostile paths are refused without a match: extra, empty and thousands of segments", "[routes]") {
    const route_table t = example();
    // Segments are walked in place, not split: each case must end exactly where the old split did.
    CHECK(failure_of(t, verb::get, "/home/counter/") == status::not_found);  // a trailing empty segment
    CHECK(failure_of(t, verb::get, "/home") == status::not_found);           // one segment short
    CHECK(failure_of(t, verb::get, "/home/") == status::not_found);
    CHECK(failure_of(t, verb::get, "/home/counte") == status::not_found);
    CHECK(failure_of(t, verb::get, "/home/counterx") == status::not_found);
    CHECK(failure_of(t, verb::get, "/metrics/") == status::not_found);
    CHECK(failure_of(t, verb::get, "?/metrics") == status::not_found);
    CHECK(failure_of(t, verb::get, "/?") == status::not_found);
    CHECK(failure_of(t, verb::get, "/home/counter//") == status::not_found);
    CHECK(failure_of(t, verb::post, "/users/ann/read/") == status::bad_request);  // an empty page name
    CHECK(failure_of(t, verb::post, "/users//read/home") == status::bad_request);
    std::string deep;
    for (int i = 0; i < 4000; ++i) deep += "/a";
    CHECK(failure_of(t, verb::get, deep) == status::not_found);
    CHECK(failure_of(t, verb::get, deep + "/counter") == status::not_found);
    CHECK(failure_of(t, verb::get, std::string(8000, '/')) == status::not_found);
    const auto query_slashes = t.find(verb::get, "/home/counter?a/b/c", false);
    REQUIRE(query_slashes);
    CHECK(query_slashes->params == route_params{"home"});
    const auto empty_query = t.find(verb::get, "/metrics?", false);
    CHECK(empty_query);
}

namespace {

/// find() as it was before segments were walked in place: the path split into a vector, the
/// candidate rows collected, then checked. The model the in-place walk must agree with.
struct reference_row {
    verb method;
    std::string pattern;
    bool websocket;
};

std::string reference_find(const std::vector<reference_row>& rows, verb method, std::string_view target, bool upgrade) {
    const auto path = path_segments(target);
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; path && i < rows.size(); ++i) {
        const auto pattern = *path_segments(rows[i].pattern);
        bool same = pattern.size() == path->size();
        for (std::size_t s = 0; same && s < pattern.size(); ++s)
            same = (!pattern[s].empty() && pattern[s][0] == ':') || pattern[s] == (*path)[s];
        if (same) candidates.push_back(i);
    }
    if (candidates.empty()) return upgrade ? "404 no WebSocket here" : "404 no such resource";
    const auto params = [&](std::size_t row) {
        const auto pattern = *path_segments(rows[row].pattern);
        std::string out;
        for (std::size_t s = 0; s < pattern.size(); ++s) {
            if (pattern[s].empty() || pattern[s][0] != ':') continue;
            if (!valid_name((*path)[s])) return "400 " + std::string(pattern[s].substr(1)) + " names";
            out += "=" + std::string((*path)[s]);
        }
        return out;
    };
    if (const auto first = params(candidates.front()); first.starts_with("400")) return first;
    std::string allowed;
    bool websocket_here = false;
    for (const std::size_t row : candidates) {
        websocket_here = websocket_here || rows[row].websocket;
        if (rows[row].method == method && rows[row].websocket == upgrade)
            return "row " + std::to_string(row) + params(row);
        if (!rows[row].websocket) allowed += (allowed.empty() ? "" : " or ") + std::string(to_string(rows[row].method));
    }
    if (upgrade) return "404 no WebSocket here";
    if (websocket_here && method == verb::get) return "426 open a WebSocket here";
    return "405 use " + (allowed.empty() ? std::string("a WebSocket (GET with Upgrade)") : allowed);
}

std::string summary(const result<route_table::match>& r) {
    if (!r) {
        const std::string& m = r.error().message;
        switch (r.error().code) {
            case status::not_found: return "404 " + m;
            case status::bad_request: return "400 " + m.substr(0, m.find(" names")) + " names";
            case status::upgrade_required: return "426 " + m;
            case status::method_not_allowed: return "405 " + m;
            default: return "other " + m;
        }
    }
    std::string out = "row " + std::to_string(r->row);
    for (const std::string& p : r->params) out += "=" + p;
    return out;
}

}  // namespace

TEST_CASE("find agrees with splitting the path first, for 50,000 generated targets", "[routes]") {
    const std::vector<reference_row> rows{{verb::get, "/metrics", false},          {verb::get, "/:page/counter", false},
                                          {verb::put, "/:page/counter", false},     {verb::get, "/:page/live", true},
                                          {verb::post, "/users/:user/read/:page", false}, {verb::get, "/users/:user/live", true},
                                          {verb::get, "/", false},                  {verb::delete_, "/users/:user/x/:page", false}};
    route_table t;
    for (const auto& r : rows) {
        if (r.websocket) t.add_websocket(r.pattern, socket());
        else t.add(r.method, r.pattern, answer());
    }
    // Pieces that land on every branch: literals, names good and bad, empty segments, queries.
    const std::vector<std::string> pieces{"/", "/", "/", "metrics", "counter", "live", "users", "read", "x", "ann",
                                          "a%20b", ".", "..", "?", "?q=/a/", "", std::string(129, 'n'), "~"};
    const std::vector<verb> methods{verb::get, verb::put, verb::post, verb::delete_, verb::patch};
    std::mt19937 gen(16);
    for (int i = 0; i < 50'000; ++i) {
        std::string target;
        const int n = static_cast<int>(gen() % 9);
        for (int k = 0; k < n; ++k) target += pieces[gen() % pieces.size()];
        const verb method = methods[gen() % methods.size()];
        const bool upgrade = gen() % 4 == 0;
        INFO(target << " " << to_string(method) << (upgrade ? " upgrade" : ""));
        REQUIRE(summary(t.find(method, target, upgrade)) == reference_find(rows, method, target, upgrade));
    }
}
