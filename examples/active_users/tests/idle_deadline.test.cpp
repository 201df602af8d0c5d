// idle_deadline: a socket left idle past the limit is closed, a restarted one is not, a destroyed deadline does nothing.
// SPDX-License-Identifier: MIT
#include "http/idle_deadline.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <utility>

using namespace active_users;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

/// Two ends of one loopback connection: {server side, client side}.
std::pair<tcp::socket, tcp::socket> connected_pair(asio::io_context& io) {
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    return {acceptor.accept(), std::move(client)};
}

/// A one-byte read on `s` that records how and when it ended.
struct pending_read {
    explicit pending_read(tcp::socket& s) {
        s.async_read_some(asio::buffer(&byte, 1), [this](const boost::system::error_code& e, std::size_t) {
            ec = e;
            ended = steady::now();
        });
    }
    char byte = 0;
    std::optional<boost::system::error_code> ec;
    steady::time_point ended;
};

void run_until(asio::io_context& io, const std::optional<boost::system::error_code>& done) {
    const auto give_up = steady::now() + 20s;
    while (!done && steady::now() < give_up) io.run_one_for(100ms);
}

}  // namespace

TEST_CASE("idle_deadline closes a socket left idle past its limit, and not before", "[idle_deadline]") {
    asio::io_context io;
    auto [server, client] = connected_pair(io);
    idle_deadline idle(server, 200ms);
    const auto restarted = steady::now();
    idle.restart();
    pending_read read(server);
    run_until(io, read.ec);
    REQUIRE(read.ec);
    CHECK(*read.ec == asio::error::operation_aborted);
    CHECK(read.ended - restarted >= 200ms);
    CHECK_FALSE(server.is_open());
}

TEST_CASE("idle_deadline restarted within its limit keeps the socket open past the first limit", "[idle_deadline]") {
    asio::io_context io;
    auto [server, client] = connected_pair(io);
    idle_deadline idle(server, 300ms);
    idle.restart();
    pending_read read(server);
    // Restarts every 50 ms for 900 ms, three limits: the first wait fires early and waits again.
    asio::steady_timer tick(io);
    steady::time_point last_restart;
    int ticks = 0;
    std::function<void()> next = [&] {
        tick.expires_after(50ms);
        tick.async_wait([&](const boost::system::error_code&) {
            idle.restart();
            last_restart = steady::now();
            if (++ticks < 18) next();
        });
    };
    next();
    run_until(io, read.ec);
    REQUIRE(read.ec);
    CHECK(ticks == 18);
    CHECK(*read.ec == asio::error::operation_aborted);
    CHECK(read.ended - last_restart >= 300ms);
}

TEST_CASE("idle_deadline destroyed before its limit leaves the socket alone", "[idle_deadline]") {
    asio::io_context io;
    auto [server, client] = connected_pair(io);
    std::optional<idle_deadline> idle;
    idle.emplace(server, 50ms);
    idle->restart();
    idle.reset();
    asio::steady_timer later(io);
    later.expires_after(300ms);
    later.async_wait([](const boost::system::error_code&) {});
    io.run();  // the cancelled wait and the 300 ms timer, no more
    REQUIRE(server.is_open());
    asio::write(client, asio::buffer("x", 1));
    pending_read read(server);
    io.restart();
    run_until(io, read.ec);
    REQUIRE(read.ec);
    CHECK_FALSE(*read.ec);
    CHECK(read.byte == 'x');
}
