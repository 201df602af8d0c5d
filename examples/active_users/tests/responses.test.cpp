// Request fields and count messages: the direct paths give exactly what Boost.JSON gives.
// SPDX-License-Identifier: MIT
#include "http/responses.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace active_users;
namespace json = boost::json;

namespace {

/// What string_field answered before it read plain bodies itself: Boost.JSON's DOM, always.
result<std::string> through_dom(std::string_view body, std::string_view key) {
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec) return fail(status::bad_request, "body is not JSON: " + ec.message());
    const json::object* o = v.if_object();
    const json::value* f = o != nullptr ? o->if_contains(key) : nullptr;
    if (f == nullptr || !f->is_string())
        return fail(status::bad_request, "body must be a JSON object with a string \"" + std::string(key) + "\"");
    return std::string(f->as_string());
}

}  // namespace

TEST_CASE("string_field reads every body as Boost.JSON's DOM does", "[responses]") {
    const std::vector<std::string> bodies = {
        R"({"session": "abc"})", R"({"session":"abc"})", " \t\r\n{ \"session\" : \"a b\" } \n", R"({})",
        R"({"other": "x"})", R"({"other": "x", "session": "s-1"})", R"({"session": "s-1", "other": "x"})",
        R"({"session": ""})", R"({"session": "a\"b"})", R"({"session": "a\\b"})", R"({"session": "\u00e9"})",
        "{\"session\": \"caf\xc3\xa9\"}", "{\"session\": \"bad\xff\"}", "{\"session\": \"tab\there\"}",
        R"({"session": 12})", R"({"session": null})", R"({"session": ["a"]})", R"({"session": {"a": "b"}})",
        R"({"session": "a", "session": "b"})", R"({"session": "a",})", R"({"session": "a"} x)", R"({"session": "a")",
        R"({"session" "a"})", R"({"session": "a" "b"})", R"(["session", "a"])", R"("session")", "", "   ", "{",
        R"({"session": "abc"}})", R"({"se\u0073sion": "abc"})", R"({"n": 1, "session": "abc"})",
        R"({"session": "abc", "n": true})", "{\"session\": \"abc\"}\x00", R"({'session': 'abc'})",
        R"({"session": "abc"} // comment)", R"({"action": "increment"})", R"({"action":"decrement"})"};
    for (const std::string& body : bodies) {
        for (const std::string_view key : {"session", "action"}) {
            INFO(body << " / " << key);
            const auto fast = string_field(body, key);
            const auto dom = through_dom(body, key);
            REQUIRE(static_cast<bool>(fast) == static_cast<bool>(dom));
            if (fast) CHECK(*fast == *dom);
            else CHECK(fast.error().message == dom.error().message);
        }
    }
}

TEST_CASE("count messages are the bytes Boost.JSON serialises", "[responses]") {
    const auto t = clock::time_point{} + std::chrono::seconds(1'917'864'702);  // 2030-10-10T12:11:42Z
    for (const count_view v : {count_view{715, t}, count_view{0, {}}, count_view{-3, t + std::chrono::milliseconds(999)},
                               count_view{INT64_MIN, t}, count_view{INT64_MAX, clock::time_point{} + std::chrono::hours(24 * 59)}}) {
        const std::string at = iso8601(v.updated_at);
        CHECK(count_json(v) == json::serialize(json::object{{"count", v.count}, {"updated_at", at}}));
        CHECK(live_message("page", "home", v) ==
              json::serialize(json::object{{"page", "home"}, {"count", v.count}, {"updated_at", at}}));
        CHECK(live_message("user", "a\"b\\c\n", v) ==
              json::serialize(json::object{{"user", "a\"b\\c\n"}, {"count", v.count}, {"updated_at", at}}));
    }
    CHECK(iso8601(t) == "2030-10-10T12:11:42Z");
    CHECK(iso8601(clock::time_point{}) == "1970-01-01T00:00:00Z");
    CHECK(iso8601(clock::time_point{} + std::chrono::hours(24 * 59)) == "1970-03-01T00:00:00Z");
}
