// The agreement board: settled digests reported over the channel, compared with the replicas heard.
// SPDX-License-Identifier: MIT
#include "cluster/agreement_board.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <vector>

using namespace active_users;

namespace {

page_board::summary counts(std::uint64_t digest, std::int64_t viewers = 1) { return {viewers, 1, digest, {}}; }

/// Sends what `from` has for `to_id` over the channel, as the mesh would.
void deliver(agreement_board& from, peer_id from_id, agreement_board& to, peer_id to_id) {
    const std::vector<std::byte> m = from.channel().message_for(to_id);
    REQUIRE(to.channel().receive(from_id, m));
}

/// Two boards, each with the link to the other up.
struct pair_of_boards {
    agreement_board a{1};
    agreement_board b{2};
    pair_of_boards() {
        a.channel().peer_up(2);
        b.channel().peer_up(1);
    }
    void exchange() {
        deliver(a, 1, b, 2);
        deliver(b, 2, a, 1);
    }
};

constexpr std::array<peer_id, 1> only_2{2};
constexpr std::array<peer_id, 1> only_1{1};

}  // namespace

TEST_CASE("a replica reports its digest only once its counts have held still for a period", "[agreement_board]") {
    agreement_board a{1};
    a.observe(counts(7), 100, 1000);
    CHECK_FALSE(a.snapshot(counts(7), {}, 1000).settled);
    CHECK(a.snapshot(counts(7), {}, 1000).reporting == 0);
    a.observe(counts(7), 100, 2000);
    const auto v = a.snapshot(counts(7), {}, 2500);
    CHECK(v.settled);
    CHECK(v.agree);  // alone, it agrees with itself
    REQUIRE(v.replicas.size() == 1);
    CHECK(v.replicas[0].report == digest_report{100, 7, 1, 1});
    CHECK(v.replicas[0].seconds_since_report == Approx(0.5));
    // A change unsettles it until the next still period.
    a.observe(counts(8), 100, 3000);
    CHECK_FALSE(a.snapshot(counts(8), {}, 3000).settled);
}

TEST_CASE("replicas that report the same digest agree; one that reports another differs", "[agreement_board]") {
    pair_of_boards p;
    for (const std::uint64_t t : {std::uint64_t{1000}, std::uint64_t{2000}}) {
        p.a.observe(counts(7), 100, t);
        p.b.observe(counts(7), 200, t);
    }
    p.exchange();
    const auto v = p.a.snapshot(counts(7), only_2, 2100);
    CHECK(v.agree);
    CHECK(v.up == 2);
    CHECK(v.differing == 0);
    CHECK(v.reporting == 2);
    REQUIRE(v.replicas.size() == 2);
    CHECK(v.replicas[1].id == 2);
    CHECK(v.replicas[1].report.incarnation == 200);
    CHECK(v.replicas[1].agrees);

    // b's counts move on and settle elsewhere; a still holds 7.
    p.b.observe(counts(9, 2), 200, 3000);
    p.b.observe(counts(9, 2), 200, 4000);
    p.exchange();
    const auto w = p.a.snapshot(counts(7), only_2, 4100);
    CHECK_FALSE(w.agree);
    CHECK(w.differing == 1);
    CHECK(w.replicas[1].report.digest == 9);
    CHECK_FALSE(w.replicas[1].agrees);
    // And b sees a differ likewise.
    CHECK(p.b.snapshot(counts(9, 2), only_1, 4100).differing == 1);
}

TEST_CASE("a peer that is up but has not reported counts against agreement; one that is down does not", "[agreement_board]") {
    pair_of_boards p;
    p.a.observe(counts(7), 100, 1000);
    p.a.observe(counts(7), 100, 2000);
    CHECK(p.a.snapshot(counts(7), only_2, 2000).differing == 1);
    CHECK_FALSE(p.a.snapshot(counts(7), only_2, 2000).agree);
    // b reported another digest but its link is down: listed, not counted.
    p.b.observe(counts(9), 200, 1000);
    p.b.observe(counts(9), 200, 2000);
    p.exchange();
    const auto v = p.a.snapshot(counts(7), {}, 2000);
    CHECK(v.agree);
    CHECK(v.up == 1);
    REQUIRE(v.replicas.size() == 2);
    CHECK_FALSE(v.replicas[1].up);
}

TEST_CASE("a replica reporting under a new incarnation is a change, and both incarnations name it", "[agreement_board]") {
    pair_of_boards p;
    p.b.observe(counts(7), 200, 1000);
    p.b.observe(counts(7), 200, 2000);
    p.exchange();
    CHECK(p.a.take_changes().empty());  // the first report of a replica is no change
    p.b.observe(counts(7), 201, 3000);  // same counts, new incarnation: reported at once
    p.exchange();
    const auto changes = p.a.take_changes();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].id == 2);
    CHECK(changes[0].from == 200);
    CHECK(changes[0].to == 201);
    CHECK(p.a.owner_of(200) == std::optional<peer_id>(2));
    CHECK(p.a.owner_of(201) == std::optional<peer_id>(2));
    CHECK_FALSE(p.a.owner_of(999));
    CHECK(p.a.take_changes().empty());
}

TEST_CASE("a report written after a restart wins even when the wall clock went back", "[agreement_board]") {
    pair_of_boards p;
    p.b.observe(counts(7), 200, 50'000);
    p.b.observe(counts(7), 200, 51'000);
    p.exchange();
    // b restarts with an empty board and a clock an hour behind; it learns its old report first.
    agreement_board b2{2};
    b2.channel().peer_up(1);
    p.a.channel().peer_up(2);  // the new link: a sends everything
    deliver(p.a, 1, b2, 2);
    b2.observe(counts(8), 300, 1'000);
    b2.observe(counts(8), 300, 2'000);
    deliver(b2, 2, p.a, 1);
    const auto v = p.a.snapshot(counts(8), only_2, 2'000);
    REQUIRE(v.replicas.size() == 1);
    CHECK(v.replicas[0].report.incarnation == 300);
    CHECK(v.replicas[0].report.digest == 8);
}

TEST_CASE("bytes that are not a digests message are refused and change nothing", "[agreement_board]") {
    agreement_board a{1};
    a.observe(counts(7), 100, 1000);
    a.observe(counts(7), 100, 2000);
    const auto before = a.snapshot(counts(7), {}, 2000);
    const std::vector<std::byte> junk{std::byte{0xff}, std::byte{0x01}, std::byte{0x7f}};
    CHECK_FALSE(a.channel().receive(2, junk));
    CHECK_FALSE(a.channel().receive(2, {}));
    const auto after = a.snapshot(counts(7), {}, 2000);
    CHECK(after.reporting == before.reporting);
    CHECK(after.replicas.size() == 1);
    CHECK(a.channel().statistics().rejected == 2);
}
