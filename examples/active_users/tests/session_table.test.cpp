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

TEST_CASE("the session table counts joins, leaves and expiries as net changes per page", "[sessions]") {
    session_table t;
    CHECK(t.heartbeat(1, "a", 100));
    CHECK_FALSE(t.heartbeat(1, "a", 200));  // the same session, later deadline
    CHECK(t.heartbeat(1, "b", 100));
    CHECK(t.heartbeat(2, "a", 100));        // the same id on another page is another session
    t.adjust(2, +1, 0x1000);                // a WebSocket viewer
    CHECK(t.heartbeat_sessions() == 3);
    CHECK(t.streams() == 1);
    CHECK(drained(t) == std::map<session_table::page_id, std::int64_t>{{1, 2}, {2, 2}});

    CHECK(t.expire(150) == 2);  // 1/b and 2/a; 1/a was renewed to 200
    CHECK(t.leave(1, "a"));
    CHECK_FALSE(t.leave(1, "a"));
    CHECK(drained(t) == std::map<session_table::page_id, std::int64_t>{{1, -2}, {2, -1}});
    CHECK(t.heartbeat_sessions() == 0);
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
