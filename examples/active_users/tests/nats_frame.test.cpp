// NATS frames: signed under the secret's key and their subject, admitted once, fresh, never from oneself.
// SPDX-License-Identifier: MIT
#include "replication/nats_frame.hpp"
#include "replication/replay_window.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace active_users;

namespace {

constexpr std::uint64_t now = 1'700'000'000'000;
const std::string subject = "converge.sync.1";
const std::vector<std::byte> payload{std::byte{0}, std::byte{7}, std::byte{42}};

}  // namespace

TEST_CASE("a NATS frame opens under the same secret, on its subject, unaltered", "[nats_frame]") {
    nats_frame_sealer sender(nats_key("a shared secret, 16+"), 3, /*run*/ 99);
    const auto sealed = sender.seal(subject, 1, payload, now);

    nats_frame_opener receiver(nats_key("a shared secret, 16+"), 5);
    const auto f = receiver.open(subject, sealed, now + 5);
    REQUIRE(f);
    CHECK(f->sender == 3);
    CHECK(f->channel == 1);
    CHECK(f->run == 99);
    CHECK(f->counter == 1);
    CHECK(std::vector<std::byte>(f->payload.begin(), f->payload.end()) == payload);

    const auto next = sender.seal(subject, 1, payload, now);
    nats_frame_opener other_secret(nats_key("another secret, 16+"), 5);
    CHECK(other_secret.open(subject, next, now).error().message.find("authentication") != std::string::npos);
    // Moved to another subject (another channel, or a replica's inbox): the MAC covers the subject.
    CHECK(receiver.open("converge.sync.2", next, now).error().message.find("authentication") != std::string::npos);
    CHECK(receiver.open("converge.to.5", next, now).error().message.find("authentication") != std::string::npos);
    for (const std::size_t at : {std::size_t{0}, std::size_t{6}, nats_frame_header_size, next.size() - 1}) {
        auto altered = next;
        altered[at] ^= std::byte{1};
        CHECK_FALSE(receiver.open(subject, altered, now));
    }
    CHECK(receiver.open(subject, next, now));  // none of the refusals used up its counter
}

TEST_CASE("a NATS frame is admitted once: a replay, a stale or an own frame is refused", "[nats_frame][replay]") {
    const link_key key = nats_key("a shared secret, 16+");
    nats_frame_sealer sender(key, 3, 99);
    nats_frame_opener receiver(key, 5);

    const auto first = sender.seal(subject, 1, payload, now);
    REQUIRE(receiver.open(subject, first, now));
    const auto replayed = receiver.open(subject, first, now + 1000);
    REQUIRE_FALSE(replayed);
    CHECK(replayed.error().code == status::replayed);

    // Overtaken frames inside the window are admitted once each.
    const auto second = sender.seal(subject, 1, payload, now);
    const auto third = sender.seal(subject, 1, payload, now);
    REQUIRE(receiver.open(subject, third, now));
    REQUIRE(receiver.open(subject, second, now));
    CHECK(receiver.open(subject, second, now).error().code == status::replayed);

    // Older than the window: refused even though never seen.
    const auto old = sender.seal(subject, 1, payload, now);
    for (std::uint64_t i = 0; i < replay_window::window + 1; ++i) REQUIRE(receiver.open(subject, sender.seal(subject, 1, payload, now), now));
    CHECK(receiver.open(subject, old, now).error().code == status::replayed);

    // A frame captured long ago (of a run no longer tracked, say) is stale; so is one from the future.
    nats_frame_sealer earlier_run(key, 3, 98);
    CHECK(receiver.open(subject, earlier_run.seal(subject, 1, payload, now - replay_window::max_age_ms - 1), now).error().code ==
          status::replayed);
    CHECK(receiver.open(subject, earlier_run.seal(subject, 1, payload, now + replay_window::max_age_ms + 1), now).error().code ==
          status::replayed);
    // A restart is a new run whose counters start again at 1.
    CHECK(receiver.open(subject, earlier_run.seal(subject, 1, payload, now), now));

    nats_frame_sealer impostor(key, 5, 1);
    CHECK_FALSE(receiver.open(subject, impostor.seal(subject, 1, payload, now), now));
}

TEST_CASE("a NATS frame too short or too large is refused before its MAC is computed", "[nats_frame][limits]") {
    nats_frame_opener receiver(nats_key("a shared secret, 16+"), 5);
    CHECK(receiver.open(subject, {}, now).error().message.find("shorter") != std::string::npos);
    CHECK(receiver.open(subject, std::vector<std::byte>(nats_frame_header_size + mac_size - 1), now).error().message.find("shorter") !=
          std::string::npos);
    const std::vector<std::byte> huge(max_nats_frame + 1);
    CHECK(receiver.open(subject, huge, now).error().message.find("too large") != std::string::npos);
}

TEST_CASE("the replay window admits a whole interval's frames in any order once, and refuses them again", "[nats_frame][replay]") {
    // A sender's frames of one interval go to many subjects (a shard each), and NATS keeps order
    // per subject only: the frames of 1,024 subjects arriving last-first are all genuine.
    STATIC_REQUIRE(replay_window::window >= 1024);  // a frame per shard in one interval, at the default --nats-shards
    replay_window seen;
    const std::uint64_t at = 1'000'000;
    for (std::uint64_t counter = replay_window::window; counter >= 1; --counter) REQUIRE(seen.admit(7, 1, counter, at, at));
    for (std::uint64_t counter = 1; counter <= replay_window::window; ++counter)
        CHECK(seen.admit(7, 1, counter, at, at).error().code == status::replayed);
    // One more moves the window on: the first counter is now older than it, never admitted again.
    REQUIRE(seen.admit(7, 1, replay_window::window + 1, at, at));
    CHECK(seen.admit(7, 1, 1, at, at).error().code == status::replayed);
    // A jump past the whole window forgets what was seen below it, and tracks what follows.
    REQUIRE(seen.admit(7, 1, 10 * replay_window::window, at, at));
    REQUIRE(seen.admit(7, 1, 9 * replay_window::window + 1, at, at));
    CHECK(seen.admit(7, 1, 9 * replay_window::window + 1, at, at).error().code == status::replayed);
    CHECK(seen.admit(7, 1, 9 * replay_window::window, at, at).error().code == status::replayed);
    // Other senders and runs have windows of their own.
    CHECK(seen.admit(8, 1, 1, at, at));
    CHECK(seen.admit(7, 2, 1, at, at));
}
