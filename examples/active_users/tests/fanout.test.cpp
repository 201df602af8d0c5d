// The fanout: one message built per key and shared by its subscribers; leaving is RAII.
// SPDX-License-Identifier: MIT
#include "push/fanout.hpp"

#include "http/ws_frame.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

using namespace active_users;

namespace {

/// Counts the wake-ups a connection would act on.
struct counting_subscriber : subscriber {
    using subscriber::subscriber;
    void notify() override { ++notified; }
    void sweep(std::chrono::steady_clock::time_point) override { ++swept; }
    int notified = 0;
    int swept = 0;
};

}  // namespace

TEST_CASE("a push is built and framed once per key and shared by every subscriber", "[fanout]") {
    boost::asio::io_context io;
    fanout f;
    const auto a = std::make_shared<counting_subscriber>(io.get_executor());
    const auto b = std::make_shared<counting_subscriber>(io.get_executor());
    const auto other = std::make_shared<counting_subscriber>(io.get_executor());
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
        // A WebSocket text frame, unmasked: the same bytes go to every viewer.
        CHECK(*a->latest == ws::server_frame(ws::opcode::text, "{\"count\":1}"));
        CHECK(a->latest == b->latest);  // the same string, not a copy each
        CHECK(a->dirty);
        CHECK(a->notified == 1);
        CHECK_FALSE(other->latest);
        CHECK(other->notified == 0);

        f.sweep(std::chrono::steady_clock::now());
        CHECK(a->swept == 1);
        CHECK(other->swept == 1);

        f.close_all();
        io.restart();
        io.run();
        CHECK(a->going_away);
        CHECK(a->closed);
        CHECK(a->notified == 2);
    }
    CHECK(f.size() == 0);
    f.publish("home", [&] {
        ++built;
        return std::string();
    });
    CHECK(built == 1);
}
