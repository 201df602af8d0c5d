// The write API's bearer token: exactly the token passes; without one configured, everything does.
// SPDX-License-Identifier: MIT
#include "http/bearer_token.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

using namespace active_users;

TEST_CASE("only 'Bearer <the token>' passes a required token", "[bearer]") {
    const bearer_token t("0123456789abcdef-token");
    CHECK(t.required());
    CHECK(t.allows("Bearer 0123456789abcdef-token"));
    for (const char* wrong : {"", "Bearer", "Bearer ", "bearer 0123456789abcdef-token", "Basic 0123456789abcdef-token",
                              "Bearer 0123456789abcdef-toke", "Bearer 0123456789abcdef-tokenn",
                              "Bearer  0123456789abcdef-token", "0123456789abcdef-token"})
        CHECK_FALSE(t.allows(wrong));
}

TEST_CASE("no token configured lets every request through", "[bearer]") {
    const bearer_token open("");
    CHECK_FALSE(open.required());
    CHECK(open.allows(""));
    CHECK(open.allows("Bearer anything"));
}

TEST_CASE("a guarded handler answers 401 without running", "[bearer]") {
    const bearer_token t("0123456789abcdef-token");
    bool ran = false;
    const http_handler guarded = t.guard([&](const http_request&, const route_params&) -> boost::asio::awaitable<http_response> {
        ran = true;
        co_return http_response{};
    });
    // The check happens inside the coroutine; running it needs an io_context.
    boost::asio::io_context io;
    http_request req{boost::beast::http::verb::put, "/p/counter", 11};
    http_response res;
    boost::asio::co_spawn(io, guarded(req, {"p"}), [&](std::exception_ptr, http_response r) { res = std::move(r); });
    io.run();
    CHECK_FALSE(ran);
    CHECK(res.result() == boost::beast::http::status::unauthorized);
    CHECK(res[boost::beast::http::field::www_authenticate] == "Bearer");

    req.set(boost::beast::http::field::authorization, "Bearer 0123456789abcdef-token");
    io.restart();
    boost::asio::co_spawn(io, guarded(req, {"p"}), [&](std::exception_ptr, http_response r) { res = std::move(r); });
    io.run();
    CHECK(ran);
}
