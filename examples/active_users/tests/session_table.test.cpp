// The session table: joins, leaves, expiries and WebSocket viewers as net changes per page.
// SPDX-License-Identifier: MIT
#include "presence/session_table.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace active_users;

namespace {

std::map<session_table::page_id, std::int64_t> drained(session_table& t) {
    std::map<session_table::page_id, std::int64_t> net;
    t.drain([&](auto page, auto delta) { net[page] += delta; });
    return net;
}

}  // namespace

TEST_CASE("the session table tells joins and leaves by request, and tallies expiries and streams", "[sessions]") {
    session_table t;
    CHECK(t.heartbeat(1, "a", 100));
    CHECK_FALSE(t.heartbeat(1, "a", 200));  // the same session, later deadline
    CHECK(t.heartbeat(1, "b", 100));
    CHECK(t.heartbeat(2, "a", 100));        // the same id on another page is another session
    t.adjust(2, +1, 0x1000);                // a WebSocket viewer
    CHECK(t.heartbeat_sessions() == 3);
    CHECK(t.streams() == 1);
    // Joins by request are the caller's to count; only the stream is tallied.
    CHECK(drained(t) == std::map<session_table::page_id, std::int64_t>{{2, 1}});

    CHECK(t.expire(150) == 2);  // 1/b and 2/a; 1/a was renewed to 200
    CHECK(t.leave(1, "a") == std::optional<session_table::page_id>{1});
    CHECK_FALSE(t.leave(1, "a"));
    CHECK(drained(t) == std::map<session_table::page_id, std::int64_t>{{1, -1}, {2, -1}});
    CHECK(t.heartbeat_sessions() == 0);
}

TEST_CASE("session ids are told apart exactly: across pages, and beyond 128 bytes", "[sessions]") {
    session_table t;
    const std::string long_id(300, 'x');
    CHECK(t.heartbeat(1, long_id, 100));
    CHECK(t.heartbeat(1, long_id.substr(0, 128), 100));  // its prefix is another session
    CHECK(t.heartbeat(1, long_id.substr(0, 299) + "y", 100));
    CHECK_FALSE(t.heartbeat(1, long_id, 200));
    CHECK_FALSE(t.leave(2, long_id));  // on another page: nothing to end
    CHECK(t.heartbeat_sessions() == 3);
    for (int i = 0; i < 100'000; ++i) REQUIRE(t.heartbeat(static_cast<session_table::page_id>(i % 7), std::to_string(i), 100));
    CHECK(t.heartbeat_sessions() == 100'003);
    CHECK(t.expire(100) == 100'002);  // all but the long id, renewed to 200
    const auto net = drained(t);
    CHECK(net.size() == 7);
    CHECK(net.at(1) == -(100'000 / 7 + 1) - 2);  // page 1's share of the numbers, and two long ids
}

TEST_CASE("a WebSocket viewer counts while its stream_session lives, however that ends", "[sessions]") {
    session_table t;
    {
        const session_table::stream_session viewer(t, 5, 0x2000);
        CHECK(t.streams() == 1);
        CHECK(drained(t) == std::map<session_table::page_id, std::int64_t>{{5, 1}});
    }
    CHECK(t.streams() == 0);
    CHECK(drained(t) == std::map<session_table::page_id, std::int64_t>{{5, -1}});
    try {
        const session_table::stream_session viewer(t, 6, 0x3000);
        throw std::runtime_error("the connection failed");
    } catch (const std::runtime_error&) {
    }
    CHECK(t.streams() == 0);
    CHECK(drained(t).empty());  // +1 and -1 in one drain: no net change
}
