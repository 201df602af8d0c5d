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

TEST_CASE("leaving in any order keeps every other subscriber of the key", "[fanout]") {
    boost::asio::io_context io;
    fanout f;
    std::vector<std::shared_ptr<counting_subscriber>> subs;
    for (int i = 0; i < 5; ++i) subs.push_back(std::make_shared<counting_subscriber>(io.get_executor()));
    std::vector<std::unique_ptr<fanout::subscription>> held;
    for (const auto& s : subs) held.push_back(std::make_unique<fanout::subscription>(f, "page", s));
    held[1].reset();  // the middle one: the last takes its place
    held[0].reset();
    held[4].reset();  // the one that moved
    CHECK(f.size() == 2);
    f.publish("page", [] { return std::string("x"); });
    io.run();
    CHECK(subs[2]->notified == 1);
    CHECK(subs[3]->notified == 1);
    CHECK(subs[0]->notified + subs[1]->notified + subs[4]->notified == 0);
    held.clear();
    CHECK(f.size() == 0);
}

TEST_CASE("pushes faster than a connection takes them are coalesced before they queue", "[fanout]") {
    boost::asio::io_context io;
    fanout f;
    const auto s = std::make_shared<counting_subscriber>(io.get_executor());
    const fanout::subscription held(f, "page", s);
    for (int i = 1; i <= 100; ++i) f.publish("page", [i] { return std::to_string(i); });
    // One post carries the newest message; the delay runs from the oldest push not yet sent.
    CHECK(io.run() == 1);
    CHECK(s->notified == 1);
    REQUIRE(s->latest);
    CHECK(*s->latest == ws::server_frame(ws::opcode::text, "100"));
    CHECK(s->pending_since != std::chrono::steady_clock::time_point{});
    f.publish("page", [] { return std::string("101"); });
    io.restart();
    CHECK(io.run() == 1);
    CHECK(s->notified == 2);
}
