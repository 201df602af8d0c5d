// The service's parts in-process: flags, frames, the session table, replicas, notifications, snapshots.
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN
#include "notifications.hpp"
#include "options.hpp"
#include "persistence.hpp"
#include "replica.hpp"
#include "replication.hpp"
#include "session_table.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
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

    // The notification channels are 3 to 5; 6 is unknown.
    for (const int ch : {3, 4, 5, 6}) {
        frame n = f;
        n.ch = static_cast<channel>(ch);
        const auto sealed_n = seal_frame(secret, n);
        const auto opened_n = open_frame(secret, std::span(sealed_n).subspan(4, sealed_n.size() - 4 - mac_size),
                                         std::span(sealed_n).last(mac_size), error);
        CHECK(static_cast<bool>(opened_n) == (ch != 6));
    }
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

TEST_CASE("an idle link sends only presence, and every message it skips would have been a no-op", "[frames]") {
    replica a(1, {}, std::nullopt);
    replica b(2, {}, std::nullopt);
    repeat_filter a_to_b;
    repeat_filter b_to_a;
    std::string error;
    std::map<channel, int> sent;
    std::map<channel, int> skipped;
    const auto round = [&] {
        for (const channel ch : {channel::presence, channel::adjustments}) {
            const auto m = a.message_for(2, ch);
            if (a_to_b.should_send(ch, m)) {
                ++sent[ch];
                REQUIRE(b.receive(1, ch, m, error));
            } else {
                ++skipped[ch];
                // Delivered anyway, it would merge nothing and move no ack: b's reply is unchanged.
                const auto merges = b.statistics().merges;
                const auto reply = b.message_for(1, ch);
                REQUIRE(b.receive(1, ch, m, error));
                CHECK(b.statistics().merges == merges);
                CHECK(b.message_for(1, ch) == reply);
            }
            const auto back = b.message_for(1, ch);
            if (b_to_a.should_send(ch, back)) REQUIRE(a.receive(2, ch, back, error));
        }
    };
    a.fold_sessions({{"home", 3}});
    b.adjust("home", true);
    for (int i = 0; i < 4; ++i) round();
    CHECK(b.view("home").count == 4);
    sent.clear();
    skipped.clear();

    for (int i = 0; i < 5; ++i) round();  // idle
    CHECK(sent[channel::presence] == 5);
    CHECK(sent[channel::adjustments] == 0);
    CHECK(skipped[channel::adjustments] == 5);

    a.adjust("home", true);  // news goes out at once
    round();
    CHECK(sent[channel::adjustments] == 1);
    CHECK(b.view("home").count == 5);

    // A new connection knows nothing has arrived: its first message goes out even if it repeats.
    repeat_filter fresh;
    const auto m = a.message_for(2, channel::adjustments);
    CHECK(a_to_b.should_send(channel::adjustments, m));
    CHECK_FALSE(a_to_b.should_send(channel::adjustments, m));
    CHECK(fresh.should_send(channel::adjustments, m));
    CHECK(fresh.should_send(channel::presence, m));
    CHECK(fresh.should_send(channel::presence, m));  // the heartbeat repeats
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

namespace {

/// Three rounds of every notification channel both ways, as replication does every interval.
void exchange(notifications& a, notifications& b) {
    std::string error;
    for (int round = 0; round < 3; ++round) {
        for (const channel ch : notifications::channels) {
            REQUIRE(b.receive(1, ch, a.message_for(2, ch), error));
            REQUIRE(a.receive(2, ch, b.message_for(1, ch), error));
        }
    }
}

}  // namespace

TEST_CASE("a modification concurrent with a read stays unread, and replicas agree on the exact count",
          "[notifications]") {
    notifications a, b;
    CHECK(a.writer() != b.writer());
    CHECK(a.subscribe("ann", "home").view.count == 0);
    CHECK(a.subscribe("ann", "news").view.count == 0);
    exchange(a, b);
    for (int i = 0; i < 3; ++i) REQUIRE(b.modify("home"));
    REQUIRE(b.modify("news"));
    REQUIRE(b.modify("sports"));  // ann does not subscribe to it
    exchange(a, b);
    CHECK(a.unread("ann").count == 4);
    CHECK(b.unread("ann").count == 4);

    // Concurrently: ann reads everything on a (3 + 1 seen there) while b takes two more edits of home.
    CHECK(a.read_all("ann").view.count == 0);
    REQUIRE(b.modify("home"));
    CHECK(b.modify("home")->first == 5);
    CHECK(b.unread("ann").count == 6);  // b has not heard of the read yet
    exchange(a, b);
    CHECK(a.unread("ann").count == 2);  // the two edits a had not seen stay unread
    CHECK(b.unread("ann").count == 2);
    CHECK(a.modifications("home") == 5);

    // Both replicas mark the same page read concurrently: the marks join to the larger, nothing
    // is subtracted twice.
    CHECK(a.read("ann", "home").view.count == 0);
    CHECK(b.read("ann", "home").view.count == 0);
    exchange(a, b);
    CHECK(a.unread("ann").count == 0);
    CHECK(b.unread("ann").count == 0);

    // Reading a page one does not subscribe to changes nothing.
    const auto before = a.snapshot().first;
    CHECK(a.read("ann", "sports").result == notifications::status::not_subscribed);
    CHECK(a.read("bob", "home").result == notifications::status::not_subscribed);
    CHECK(a.snapshot().first == before);
}

TEST_CASE("unsubscribe then resubscribe starts fresh, and a subscribe wins over a concurrent unsubscribe",
          "[notifications]") {
    notifications a, b;
    a.subscribe("ann", "home");
    exchange(a, b);
    REQUIRE(b.modify("home"));
    REQUIRE(b.modify("home"));
    exchange(a, b);
    CHECK(a.unread("ann").count == 2);

    CHECK(a.unsubscribe("ann", "home").view.count == 0);
    REQUIRE(b.modify("home"));
    exchange(a, b);
    CHECK(a.unread("ann").count == 0);
    CHECK(b.unread("ann").count == 0);
    CHECK(a.subscribe("ann", "home").view.count == 0);  // the three edits so far count as read
    REQUIRE(b.modify("home"));
    exchange(a, b);
    CHECK(a.unread("ann").count == 1);
    CHECK(b.unread("ann").count == 1);

    // a unsubscribes while b (where ann is subscribed) subscribes again: add wins; b's
    // subscribe did not reset the mark since ann was already subscribed there.
    a.unsubscribe("ann", "home");
    CHECK(a.unread("ann").count == 0);
    CHECK(b.subscribe("ann", "home").view.count == 1);
    exchange(a, b);
    CHECK(a.unread("ann").count == 1);
    CHECK(b.unread("ann").count == 1);

    // Concurrent unsubscribes on both sides: gone everywhere. Unsubscribing twice is a no-op.
    a.unsubscribe("ann", "home");
    b.unsubscribe("ann", "home");
    const auto gen = b.snapshot().second;
    CHECK(b.unsubscribe("ann", "home").generation == gen);
    exchange(a, b);
    REQUIRE(b.modify("home"));
    exchange(a, b);
    CHECK(a.unread("ann").count == 0);
    CHECK(b.unread("ann").count == 0);
    CHECK(a.snapshot().first == b.snapshot().first);
}

TEST_CASE("unread changes are reported once per user whose count moved", "[notifications]") {
    notifications a, b;
    a.subscribe("ann", "home");
    a.subscribe("bob", "news");
    exchange(a, b);
    a.take_changed();
    REQUIRE(b.modify("home"));
    exchange(a, b);
    const auto changed = a.take_changed();
    CHECK(changed == std::vector<std::string>{"ann"});  // bob's count did not move
    CHECK(a.take_changed().empty());
}

TEST_CASE("notifications reject undecodable or misrouted messages and change nothing", "[notifications]") {
    notifications a, b;
    a.subscribe("ann", "home");
    REQUIRE(a.modify("home"));
    REQUIRE(b.modify("home"));
    const auto before = a.snapshot();
    const auto unread = a.unread("ann").count;
    std::string error;
    const std::vector<std::byte> junk{std::byte{0xC7}, std::byte{1}, std::byte{7}, std::byte{0xFF}};
    for (const channel ch : notifications::channels) {
        CHECK_FALSE(a.receive(2, ch, junk, error));
        CHECK(error.find("converge:") == 0);
    }
    // A well-formed message of one channel sent on another is a type mismatch.
    const auto modifications = b.message_for(1, channel::modifications);
    CHECK_FALSE(a.receive(2, channel::subscriptions, modifications, error));
    CHECK_FALSE(a.receive(2, channel::read_marks, modifications, error));
    // The truncated message is refused too, though its prefix is valid.
    CHECK_FALSE(a.receive(2, channel::modifications, std::span(modifications).first(modifications.size() - 1), error));
    CHECK_FALSE(a.receive(2, channel::presence, modifications, error));
    CHECK(a.snapshot() == before);
    CHECK(a.unread("ann").count == unread);
    CHECK(a.statistics().rejected == 6);
    // The intact message still merges.
    CHECK(a.receive(2, channel::modifications, modifications, error));
    CHECK(a.modifications("home") == 2);
}

TEST_CASE("notification snapshots survive a restart under a new writer id", "[persistence][notifications]") {
    const auto dir =
        std::filesystem::temp_directory_path() / ("converge-notes-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    notification_states saved;
    std::uint64_t writer = 0;
    {
        replica r(1, {}, std::nullopt);
        notifications n;
        writer = n.writer();
        persister p(dir.string(), r, &n);
        n.subscribe("ann", "home");
        n.modify("home");
        const auto gen = n.modify("home")->second;
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        p.when_durable(
            gen,
            [&] {
                std::lock_guard lock(m);
                done = true;
                cv.notify_one();
            },
            persister::source::notifications);
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
        saved = n.snapshot().first;
    }
    const auto restored = load_snapshot(dir.string());
    REQUIRE(restored);
    CHECK(restored->notes == saved);
    notifications again(restored->notes);
    CHECK(again.writer() != writer);
    CHECK(again.unread("ann").count == 2);
    CHECK(again.modify("home")->first == 3);

    std::ofstream(dir / "notifications", std::ios::binary | std::ios::trunc) << "CVNT\x05";
    CHECK_THROWS_WITH(load_snapshot(dir.string()), Catch::Contains("notifications"));
    std::filesystem::remove_all(dir);
}
