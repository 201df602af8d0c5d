// Persistence: every channel's snapshot survives a restart; a damaged file is refused, not ignored.
// SPDX-License-Identifier: MIT
#include "notifications/notifications.hpp"
#include "persistence/persister.hpp"
#include "presence/viewer_counts.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>

using namespace active_users;

namespace {

/// A replica's persisted parts: its channels as the server's table has them.
struct replica_state {
    viewer_counts counts;
    notifications notes;
    channel_table channels{{1, "presence", &counts.presence(), true},
                           {2, "adjustments", &counts.adjustments()},
                           {3, "subscriptions", &notes.subscriptions()},
                           {4, "modifications", &notes.modifications()},
                           {5, "read_marks", &notes.read_marks()}};
};

/// Blocks until everything written so far is durable.
void wait_durable(persister& p) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    p.when_durable([&] {
        std::lock_guard lock(m);
        done = true;
        cv.notify_one();
    });
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
}

struct temp_dir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("converge-persister-test-" + std::to_string(::getpid()));
    temp_dir() {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("snapshots survive a restart, and a damaged snapshot is refused, not ignored", "[persistence]") {
    const temp_dir dir;
    std::uint64_t incarnation = 0;
    notification_states saved;
    std::uint64_t writer = 0;
    {
        replica_state r;
        persister p(dir.path.string(), r.channels);
        REQUIRE(p.restore());  // nothing there yet: a first start
        p.start();
        incarnation = r.counts.incarnation();
        writer = r.notes.writer();
        r.counts.adjust("home", true);
        r.counts.adjust("home", true);
        REQUIRE(r.notes.subscribe("ann", "home"));
        REQUIRE(r.notes.modify("home"));
        REQUIRE(r.notes.modify("home"));
        wait_durable(p);
        saved = r.notes.states();
        CHECK(p.statistics().snapshots_written >= 1);
    }
    {
        replica_state again;
        persister p(dir.path.string(), again.channels);
        REQUIRE(p.restore());
        CHECK(again.counts.view("home").count == 2);
        CHECK(again.counts.incarnation() != incarnation);
        CHECK(again.counts.statistics().retired == 1);  // the previous run, retired at once
        CHECK(again.notes.states() == saved);
        CHECK(again.notes.writer() != writer);
        CHECK(again.notes.unread("ann").count == 2);
        CHECK(*again.notes.modify("home") == 3);
    }
    // Each file with a right header and a damaged body (an incarnation of 7 bytes, undecodable
    // states): the owner refuses it.
    for (const auto& [name, id] : {std::pair{"adjustments", 2}, std::pair{"presence", 1}, std::pair{"read_marks", 5}}) {
        const auto path = dir.path / (std::string(name) + ".snapshot");
        REQUIRE(std::filesystem::exists(path));
        std::ofstream(path, std::ios::binary | std::ios::trunc) << "CVCH\x01" << static_cast<char>(id) << "garbage";
        replica_state damaged;
        persister p(dir.path.string(), damaged.channels);
        const auto refused = p.restore();
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find(path.string()) == 0);
        std::filesystem::remove(path);
    }
}

TEST_CASE("a snapshot file of another channel or format is refused", "[persistence]") {
    const temp_dir dir;
    const snapshot_file adjustments(dir.path.string(), "adjustments", 2);
    REQUIRE(adjustments.write(std::vector<std::byte>{std::byte{7}}));
    const auto back = adjustments.read();
    REQUIRE(back);
    REQUIRE(back->has_value());
    CHECK(**back == std::vector<std::byte>{std::byte{7}});

    const snapshot_file same_path_other_channel(dir.path.string(), "adjustments", 3);
    const auto wrong_channel = same_path_other_channel.read();
    REQUIRE_FALSE(wrong_channel);
    CHECK(wrong_channel.error().message.find("holds channel 2, expected 3") != std::string::npos);

    std::ofstream(dir.path / "adjustments.snapshot", std::ios::binary | std::ios::trunc) << "CVCH\x09\x02";
    const auto wrong_format = adjustments.read();
    REQUIRE_FALSE(wrong_format);
    CHECK(wrong_format.error().message.find("snapshot format 9") != std::string::npos);

    const snapshot_file missing(dir.path.string(), "nothing", 1);
    const auto none = missing.read();
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
}
