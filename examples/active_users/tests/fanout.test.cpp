// The fanout: one message built per key and shared by its subscribers; leaving is RAII.
// SPDX-License-Identifier: MIT
#include "push/fanout.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

using namespace active_users;

TEST_CASE("a push is built once per key and shared by every subscriber", "[fanout]") {
    boost::asio::io_context io;
    fanout f;
    const auto a = std::make_shared<subscriber>(io.get_executor());
    const auto b = std::make_shared<subscriber>(io.get_executor());
    const auto other = std::make_shared<subscriber>(io.get_executor());
    int built = 0;
    {
        const fanout::subscription sa(f, "home", a), sb(f, "home", b), so(f, "news", other);
        CHECK(f.size() == 3);
        f.publish("home", [&] {
            ++built;
            return std::string("{\"count\":1}");
        });
        f.publish("nobody-listens", [&] {
            ++built;
            return std::string("never");
        });
        io.run();
        CHECK(built == 1);
        REQUIRE(a->latest);
        CHECK(*a->latest == "{\"count\":1}");
        CHECK(a->latest == b->latest);  // the same string, not a copy each
        CHECK(a->dirty);
        CHECK_FALSE(other->latest);

        f.close_all();
        io.restart();
        io.run();
        CHECK(a->going_away);
        CHECK(a->closed);
    }
    CHECK(f.size() == 0);
    f.publish("home", [&] {
        ++built;
        return std::string();
    });
    CHECK(built == 1);
}
