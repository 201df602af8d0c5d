// Persistence: every channel's snapshot survives a restart; a damaged file is refused, not ignored.
// SPDX-License-Identifier: MIT
#include "notifications/notifications.hpp"
#include "persistence/persister.hpp"
#include "presence/viewer_counts.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

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

/// Blocks until everything written so far is durable; false after 10 s (safe on any thread).
bool durable_in_time(persister& p) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    p.when_durable([&] {
        std::lock_guard lock(m);
        done = true;
        cv.notify_one();
    });
    std::unique_lock lock(m);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; });
}

void wait_durable(persister& p) { REQUIRE(durable_in_time(p)); }

std::vector<char> file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
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
    CHECK((*back)->bytes == std::vector<std::byte>{std::byte{7}});
    CHECK((*back)->covers == 0);

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

namespace {

/// Where the journal's frames end (zeros preallocated after them).
std::size_t journal_end(const temp_dir& dir) {
    const auto raw = file_bytes(dir.path / "journal.log");
    const auto parsed = parse_journal(std::as_bytes(std::span(raw)));
    REQUIRE(parsed);
    CHECK_FALSE(parsed->torn_tail);
    return parsed->valid_bytes;
}

/// A first run that makes `puts` PUTs on "home", each acknowledged (durable) before the next;
/// returns the size of the journal after each acknowledgement.
std::vector<std::size_t> run_puts(const temp_dir& dir, int puts) {
    std::vector<std::size_t> sizes;
    replica_state r;
    persister p(dir.path.string(), r.channels);
    REQUIRE(p.restore());
    p.start();
    wait_durable(p);  // the first pass (a rotation) is over: every PUT below is a journal frame
    for (int i = 0; i < puts; ++i) {
        r.counts.adjust("home", true);
        wait_durable(p);
        sizes.push_back(journal_end(dir));
    }
    CHECK(p.statistics().snapshots_written == 1);  // only the first pass rotated
    CHECK(p.statistics().journal_commits >= static_cast<std::uint64_t>(puts));
    return sizes;
}

/// The count of "home" a restart from the files would see now; -1 when the restore fails.
std::int64_t restored_count(const temp_dir& dir) {
    replica_state r;
    persister p(dir.path.string(), r.channels);
    if (!p.restore()) return -1;
    return r.counts.view("home").count;
}

std::int64_t count_after_restore(const temp_dir& dir) {
    const std::int64_t n = restored_count(dir);
    REQUIRE(n >= 0);
    return n;
}

}  // namespace

TEST_CASE("writes acknowledged after the snapshots come back from the journal, run after run", "[persistence][journal]") {
    const temp_dir dir;
    run_puts(dir, 3);
    CHECK(count_after_restore(dir) == 3);
    run_puts(dir, 2);  // restores 3, rotates them into the snapshots, journals 2 more
    CHECK(count_after_restore(dir) == 5);
}

TEST_CASE("a torn last frame is ignored, and only the write it held is lost", "[persistence][journal]") {
    const temp_dir dir;
    const auto sizes = run_puts(dir, 3);
    const auto journal = dir.path / "journal.log";
    const auto whole = file_bytes(journal);
    REQUIRE(whole.size() == persister::default_rotate_after);  // preallocated
    REQUIRE(sizes.back() < whole.size());
    for (const std::size_t cut : {sizes.back() - 1, sizes[1] + 13, sizes[1] + 1}) {
        // A crash before the zeros reached the disk: the file ends in the last frame.
        auto torn = whole;
        torn.resize(cut);
        write_bytes(journal, torn);
        CHECK(count_after_restore(dir) == 2);
    }
    // A tail of zeros (the file grew, its data never reached the disk) after a whole frame.
    auto zeros = whole;
    zeros.resize(whole.size() + 4096, '\0');
    write_bytes(journal, zeros);
    CHECK(count_after_restore(dir) == 3);
    // A flipped byte in the last frame: it is the torn one.
    auto last = whole;
    last[sizes[1] + 14] = static_cast<char>(last[sizes[1] + 14] ^ 0x01);
    write_bytes(journal, last);
    CHECK(count_after_restore(dir) == 2);
}

TEST_CASE("a damaged frame with intact frames after it is refused, not skipped", "[persistence][journal]") {
    const temp_dir dir;
    const auto sizes = run_puts(dir, 3);
    const auto journal = dir.path / "journal.log";
    const auto whole = file_bytes(journal);
    // The first frame after the header: its body, then its length (which the header check guards).
    for (const std::size_t at : {journal_header_bytes + journal_frame_header_bytes + 3, journal_header_bytes + 1}) {
        auto flipped = whole;
        flipped[at] = static_cast<char>(flipped[at] ^ 0x40);
        write_bytes(journal, flipped);
        replica_state r;
        persister p(dir.path.string(), r.channels);
        const auto refused = p.restore();
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find(journal.string()) == 0);
        CHECK(refused.error().message.find("damaged") != std::string::npos);
    }
    (void)sizes;
}

TEST_CASE("a journal of another format, or naming a channel this build lacks, is refused", "[persistence][journal]") {
    const temp_dir dir;
    const auto journal = dir.path / "journal.log";
    write_bytes(journal, {'C', 'V', 'J', 'L', 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});
    {
        replica_state r;
        persister p(dir.path.string(), r.channels);
        const auto refused = p.restore();
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("journal format 9") != std::string::npos);
    }
    auto bytes = journal_header(1);
    journal_frame f;
    f.add(42, journal_kind::delta, std::vector<std::byte>{std::byte{1}});
    const auto frame = f.seal();
    bytes.insert(bytes.end(), frame.begin(), frame.end());
    write_bytes(journal, std::vector<char>(reinterpret_cast<const char*>(bytes.data()),
                                          reinterpret_cast<const char*>(bytes.data()) + bytes.size()));
    replica_state r;
    persister p(dir.path.string(), r.channels);
    const auto refused = p.restore();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("channel 42") != std::string::npos);
}

TEST_CASE("the journal rotates into the snapshots while writes continue, and nothing is lost", "[persistence][journal]") {
    const temp_dir dir;
    constexpr int writers = 3;
    constexpr int puts_each = 60;
    {
        replica_state r;
        persister p(dir.path.string(), r.channels, 256);  // a few frames per journal
        REQUIRE(p.restore());
        p.start();
        std::atomic<int> failed{0};
        std::vector<std::thread> threads;
        for (int w = 0; w < writers; ++w)
            threads.emplace_back([&, w] {
                for (int i = 0; i < puts_each; ++i) {
                    r.counts.adjust("home", true);
                    if (i % 2 == 0 && !r.notes.modify("page-" + std::to_string(w))) ++failed;
                    if (!durable_in_time(p)) ++failed;
                }
            });
        for (auto& t : threads) t.join();
        CHECK(failed == 0);
        CHECK(p.statistics().snapshots_written > 2);
        CHECK(journal_end(dir) <= 256);
    }
    replica_state again;
    persister p(dir.path.string(), again.channels);
    REQUIRE(p.restore());
    CHECK(again.counts.view("home").count == writers * puts_each);
    for (int w = 0; w < writers; ++w) CHECK(*again.notes.modify("page-" + std::to_string(w)) == puts_each / 2 + 1);
}

TEST_CASE("a crash between rewriting the snapshots and replacing the journal replays nothing they cover", "[persistence][journal]") {
    const temp_dir dir;
    std::vector<std::byte> count_one;  // the adjustments' whole snapshot at count 1
    {
        replica_state r;
        persister p(dir.path.string(), r.channels);
        REQUIRE(p.restore());
        p.start();
        r.counts.adjust("home", true);
        count_one = r.counts.adjustments().snapshot();
        for (int i = 0; i < 3; ++i) r.counts.adjust("home", true);
        wait_durable(p);
    }
    // The second run rotates at start: its snapshots hold 4 and cover generation 1.
    {
        replica_state r;
        persister p(dir.path.string(), r.channels);
        REQUIRE(p.restore());
        p.start();
        wait_durable(p);
    }
    CHECK(count_after_restore(dir) == 4);
    // A generation-1 journal holding an older whole state (as a crash before the journal's
    // replacement would leave one) is covered by the snapshots, so it is not replayed; the same
    // record in a newer journal is.
    const auto stale_journal = [&](std::uint64_t generation) {
        auto bytes = journal_header(generation);
        journal_frame f;
        f.add(2, journal_kind::whole, count_one);
        const auto frame = f.seal();
        bytes.insert(bytes.end(), frame.begin(), frame.end());
        write_bytes(dir.path / "journal.log", std::vector<char>(reinterpret_cast<const char*>(bytes.data()),
                                                                 reinterpret_cast<const char*>(bytes.data()) + bytes.size()));
    };
    stale_journal(1);
    CHECK(count_after_restore(dir) == 4);
    stale_journal(2);
    CHECK(count_after_restore(dir) == 1);
}

TEST_CASE("a callback runs only once the writes before it can be read back from the files", "[persistence][journal]") {
    const temp_dir dir;
    replica_state r;
    persister p(dir.path.string(), r.channels, 512);
    REQUIRE(p.restore());
    p.start();
    std::atomic<int> behind{0};
    std::atomic<int> ran{0};
    constexpr int puts = 40;
    for (int i = 1; i <= puts; ++i) {
        r.counts.adjust("home", true);
        p.when_durable([&, i] {
            // On the writer's thread, between passes: what is on disk now.
            if (restored_count(dir) < i) ++behind;
            ++ran;
        });
    }
    wait_durable(p);
    CHECK(ran == puts);
    CHECK(behind == 0);
}
