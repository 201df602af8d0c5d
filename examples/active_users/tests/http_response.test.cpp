// http_response: the bytes Beast's serializer wrote for the same calls, whatever their order and the version.
// SPDX-License-Identifier: MIT
#include "http/http_response.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

using namespace active_users;
namespace http = boost::beast::http;

namespace {

using beast_response = http::response<http::string_body>;

/// The same steps applied to ours and to a Beast response, and both serialized.
struct both {
    both(http::status code, unsigned version) : ours(code, version), theirs(code, version) {}
    void set(http::field f, std::string_view v) {
        ours.set(f, v);
        theirs.set(f, v);
    }
    void set(std::string_view n, std::string_view v) {
        ours.set(n, v);
        theirs.set(n, v);
    }
    void keep_alive(bool v) {
        ours.keep_alive(v);
        theirs.keep_alive(v);
    }
    void body(const std::string& b) {
        ours.body() = b;
        theirs.body() = b;
    }
    void prepare_payload() {
        ours.prepare_payload();
        theirs.prepare_payload();
    }
    std::string our_bytes() const {
        std::string out = "kept:";  // write_to appends
        ours.write_to(out);
        return out.substr(5);
    }
    std::string their_bytes() const {
        std::ostringstream s;
        s << theirs;
        return s.str();
    }
    http_response ours;
    beast_response theirs;
};

/// What reply() does, then what the server or a guard may do after it.
void check_reply_steps(http::status code, unsigned version, bool keep, bool refuse_after, bool guard_after,
                       const std::string& body) {
    INFO("status " << static_cast<unsigned>(code) << " version " << version << " keep " << keep << " refuse "
                   << refuse_after << " guard " << guard_after << " body " << body.size());
    both r(code, version);
    r.set(http::field::server, "converge-active-users");
    r.set(http::field::content_type, "application/json");
    r.set(http::field::cache_control, "no-store");
    r.keep_alive(keep);
    r.body(body);
    r.prepare_payload();
    if (guard_after) r.set(http::field::www_authenticate, "Bearer");
    if (refuse_after) r.keep_alive(false);
    CHECK(r.our_bytes() == r.their_bytes());
    CHECK(r.ours.keep_alive() == r.theirs.keep_alive());
    CHECK(r.ours[http::field::content_length] == r.theirs[http::field::content_length]);
    CHECK(r.ours[http::field::connection] == r.theirs[http::field::connection]);
    CHECK(r.ours.result() == r.theirs.result());
}

}  // namespace

TEST_CASE("http_response writes the bytes Beast wrote for every reply shape", "[http_response]") {
    for (const auto code : {http::status::ok, http::status::bad_request, http::status::unauthorized,
                            http::status::not_found, http::status::method_not_allowed, http::status::conflict,
                            http::status::upgrade_required, http::status::internal_server_error,
                            http::status::service_unavailable})
        for (const unsigned version : {10U, 11U})
            for (const bool keep : {true, false})
                for (const bool refuse : {true, false})
                    for (const bool guard : {true, false})
                        for (const std::string& body : {std::string(), std::string("{\"count\":715}"), std::string(5000, 'x')})
                            check_reply_steps(code, version, keep, refuse, guard, body);
}

TEST_CASE("http_response headers beyond its inline buffer, set again in any case, and looked up", "[http_response]") {
    both r(http::status::ok, 11);
    r.set(http::field::server, "converge-active-users");
    r.set("X-Content-Type-Options", "nosniff");
    r.set("Content-Security-Policy", std::string(600, 'p'));  // past the inline buffer: moves to the heap
    r.set("x-content-type-options", "again");  // replaced whatever its case, and moved last
    r.set(http::field::server, "converge-active-users");
    r.body("<html></html>");
    r.prepare_payload();
    r.prepare_payload();  // set twice: one Content-Length
    CHECK(r.our_bytes() == r.their_bytes());
    CHECK(r.ours["X-CONTENT-TYPE-OPTIONS"] == "again");
    CHECK(r.ours["Content-Security-Policy"] == std::string(600, 'p'));
    CHECK(r.ours[http::field::www_authenticate].empty());
    CHECK(r.ours["Content-Security"].empty());  // a prefix of a name is not the name
}

TEST_CASE("http_response refuses a header that would split the head", "[http_response]") {
    http_response r(http::status::ok, 11);
    CHECK_THROWS_AS(r.set(http::field::content_type, "text/plain\r\nSet-Cookie: x"), std::invalid_argument);
    CHECK_THROWS_AS(r.set("X-A\nB", "v"), std::invalid_argument);
    CHECK(r[http::field::content_type].empty());
    std::string out;
    r.write_to(out);
    CHECK(out == "HTTP/1.1 200 OK\r\n\r\n");
}

TEST_CASE("a default http_response is an empty 200 that keeps the connection", "[http_response]") {
    const http_response r;
    CHECK(r.result() == http::status::ok);
    CHECK(r.keep_alive());
    CHECK(r.body().empty());
}
