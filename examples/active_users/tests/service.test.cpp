// The service's parts in-process: flags, frames, the session table, replicas, snapshots.
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN
#include "options.hpp"
#include "persistence.hpp"
#include "replica.hpp"
#include "replication.hpp"
#include "session_table.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace active_users;

namespace {

parse_result parse(std::vector<std::string> args, const char* secret = "0123456789abcdef") {
    return parse_options(args, secret);
}

}  // namespace

TEST_CASE("flags parse into options, and every bad flag is named in the error", "[options]") {
    const auto ok = parse({"--id", "3", "--http", "0.0.0.0:80", "--peer", "4@10.0.0.2:9000", "--expiry", "2.5"});
    REQUIRE(ok.opts);
    CHECK(ok.opts->id == 3);
    CHECK(ok.opts->http.port == 80);
    REQUIRE(ok.opts->peers.size() == 1);
    CHECK(ok.opts->peers[0].id == 4);
    CHECK(ok.opts->peers[0].address.host == "10.0.0.2");
    CHECK(ok.opts->expiry == std::chrono::milliseconds(2500));

    CHECK(parse({}).error == "--id is required");
    CHECK(parse({"--id", "0"}).error.find("--id 0") == 0);
    CHECK(parse({"--id", "1x"}).error.find("--id 1x") == 0);
    CHECK(parse({"--id", "1", "--http", "host"}).error.find("expected HOST:PORT") != std::string::npos);
    CHECK(parse({"--id", "1", "--http", "h:70000"}).error.find("expected HOST:PORT") != std::string::npos);
    CHECK(parse({"--id", "1", "--peer", "1@h:1"}).error.find("own id") != std::string::npos);
    CHECK(parse({"--id", "1", "--peer", "h:1"}).error.find("ID@HOST:PORT") != std::string::npos);
    CHECK(parse({"--id", "1", "--expiry", "-1"}).error.find("--expiry") == 0);
    CHECK(parse({"--id", "1", "--bogus", "1"}).error == "--bogus: unknown flag");
    CHECK(parse({"--id"}).error.find("missing value") != std::string::npos);
    CHECK(parse({"--id", "1"}, "short").error.find("secret") != std::string::npos);
    CHECK(parse({"--id", "1"}, nullptr).error.find("secret") != std::string::npos);
    CHECK(parse({"--help"}).help);
}

TEST_CASE("a sealed frame opens only with the same secret and unaltered bytes", "[frames]") {
    const std::string secret = "cluster-secret-0123456789";
    const frame f{channel::adjustments, 7, 123456, {std::byte{1}, std::byte{2}, std::byte{3}}};
    const auto sealed = seal_frame(secret, f);
    const auto body = std::span(sealed).subspan(4, sealed.size() - 4 - mac_size);
    const auto mac = std::span(sealed).last(mac_size);
    std::string error;

    const auto opened = open_frame(secret, body, mac, error);
    REQUIRE(opened);
    CHECK(opened->ch == channel::adjustments);
    CHECK(opened->sender == 7);
    CHECK(opened->sent_ms == 123456);
    CHECK(opened->payload == f.payload);

    CHECK_FALSE(open_frame("another-secret-0123456789", body, mac, error));
    CHECK(error.find("authentication") != std::string::npos);
    auto tampered = sealed;
    tampered[tampered.size() - mac_size - 1] ^= std::byte{1};
    CHECK_FALSE(open_frame(secret, std::span(tampered).subspan(4, sealed.size() - 4 - mac_size),
                           std::span(tampered).last(mac_size), error));

    // Authentic but malformed: an unknown channel is refused after the MAC check.
    frame odd = f;
    odd.ch = static_cast<channel>(9);
    const auto sealed_odd = seal_frame(secret, odd);
    CHECK_FALSE(open_frame(secret, std::span(sealed_odd).subspan(4, sealed_odd.size() - 4 - mac_size),
                           std::span(sealed_odd).last(mac_size), error));
    CHECK(error == "unknown channel 9");
}

TEST_CASE("the session table counts joins, leaves and expiries as net changes per page", "[sessions]") {
    session_table t;
    CHECK(t.heartbeat(1, "a", 100));
    CHECK_FALSE(t.heartbeat(1, "a", 200));  // the same session, later deadline
    CHECK(t.heartbeat(1, "b", 100));
    CHECK(t.heartbeat(2, "a", 100));        // the same id on another page is another session
    t.adjust(2, +1, 0x1000);                // a WebSocket viewer
    CHECK(t.heartbeat_sessions() == 3);
    CHECK(t.streams() == 1);

    std::map<session_table::page_id, std::int64_t> net;
    t.drain([&](auto page, auto delta) { net[page] += delta; });
    CHECK(net == std::map<session_table::page_id, std::int64_t>{{1, 2}, {2, 2}});

    CHECK(t.expire(150) == 2);  // 1/b and 2/a; 1/a was renewed to 200
    CHECK(t.leave(1, "a"));
    CHECK_FALSE(t.leave(1, "a"));
    net.clear();
    t.drain([&](auto page, auto delta) { net[page] += delta; });
    CHECK(net == std::map<session_table::page_id, std::int64_t>{{1, -2}, {2, -1}});
    CHECK(t.heartbeat_sessions() == 0);
}

TEST_CASE("replicas exchange counts, retire a silent one, and a retired replica rejoins exactly", "[replica]") {
    replica a(1, {}, std::nullopt);
    replica b(2, {}, std::nullopt);
    std::string error;
    const auto sync = [&] {
        for (int round = 0; round < 3; ++round) {
            for (const channel ch : {channel::presence, channel::adjustments}) {
                REQUIRE(b.receive(1, ch, a.message_for(2, ch), error));
                REQUIRE(a.receive(2, ch, b.message_for(1, ch), error));
            }
        }
    };
    a.fold_sessions({{"home", 3}});
    b.fold_sessions({{"home", 2}});
    b.adjust("home", true);
    sync();
    CHECK(a.view("home").count == 6);
    CHECK(b.view("home").count == 6);

    // b stops hearing from a: a's viewers stop counting there, its own and the adjustment stay.
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(b.retire_silent(t0, std::chrono::seconds(1)) == 0);  // first sight starts the clock
    CHECK(b.retire_silent(t0 + std::chrono::seconds(2), std::chrono::seconds(1)) == 1);
    CHECK(b.view("home").count == 3);

    // The partition heals: a learns it was retired, rejoins under a new incarnation with its 3.
    const auto before = a.incarnation();
    sync();
    CHECK(a.incarnation() != before);
    CHECK(a.statistics().rejoins == 1);
    CHECK(a.view("home").count == 6);
    CHECK(b.view("home").count == 6);
}

TEST_CASE("a replica rejects undecodable messages and changes nothing", "[replica]") {
    replica a(1, {}, std::nullopt);
    a.fold_sessions({{"p", 2}});
    std::string error;
    const std::vector<std::byte> junk{std::byte{0xC7}, std::byte{1}, std::byte{7}, std::byte{0xFF}};
    CHECK_FALSE(a.receive(2, channel::presence, junk, error));
    CHECK(error.find("converge:") == 0);
    CHECK(a.view("p").count == 2);
    CHECK(a.statistics().rejected == 1);
}

TEST_CASE("snapshots survive a restart, and a damaged snapshot is refused, not ignored", "[persistence]") {
    const auto dir = std::filesystem::temp_directory_path() / ("converge-snapshot-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    CHECK_FALSE(load_snapshot(dir.string()));

    std::uint64_t incarnation = 0;
    {
        replica r(1, {}, std::nullopt);
        incarnation = r.incarnation();
        persister p(dir.string(), r);
        const auto gen = r.adjust("home", true).second;
        r.adjust("home", true);
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        p.when_durable(gen + 1, [&] {
            std::lock_guard lock(m);
            done = true;
            cv.notify_one();
        });
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
    }
    const auto restored = load_snapshot(dir.string());
    REQUIRE(restored);
    CHECK(restored->incarnation == incarnation);
    replica again(1, restored->adjustments, restored->incarnation);
    CHECK(again.view("home").count == 2);
    CHECK(again.incarnation() != incarnation);

    std::ofstream(dir / "snapshot", std::ios::binary | std::ios::trunc) << "CVAU\x01\x02\x03\x04\x05\x06\x07\x08garbage";
    CHECK_THROWS_WITH(load_snapshot(dir.string()), Catch::Contains("snapshot"));
    std::filesystem::remove_all(dir);
}
