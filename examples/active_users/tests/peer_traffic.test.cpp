// Peer traffic: configured peers on the mesh, whoever is heard with open membership (NATS).
// SPDX-License-Identifier: MIT
#include "cluster/peer_traffic.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace active_users;

namespace {

/// The replicator's place: accepts everything, counts it.
struct counting_receiver final : transport_receiver {
    void peer_up(peer_id) override {}
    void peer_down(peer_id) override {}
    result<void> deliver(peer_id, std::uint8_t, std::span<const std::byte>) override {
        ++delivered;
        return {};
    }
    int delivered = 0;
};

const std::vector<std::byte> three_bytes(3);

}  // namespace

TEST_CASE("on the mesh only configured peers are tracked, and up is their link's state", "[peer_traffic]") {
    counting_receiver next;
    peer_traffic traffic({{2, {"10.0.0.2", 9080}}}, next);
    traffic.peer_up(2);
    REQUIRE(traffic.deliver(2, 1, three_bytes));
    REQUIRE(traffic.deliver(9, 1, three_bytes));  // unknown: handed on, not tracked
    CHECK(next.delivered == 2);
    const auto peers = traffic.snapshot();
    REQUIRE(peers.size() == 1);
    CHECK(peers[0].id == 2);
    CHECK(peers[0].address == "10.0.0.2:9080");
    CHECK(peers[0].up);
    CHECK(peers[0].bytes_received == 3);
}

TEST_CASE("with open membership a sender is tracked from its first frame and is up while heard", "[peer_traffic]") {
    counting_receiver next;
    peer_traffic traffic({}, next, std::chrono::milliseconds(30));
    CHECK(traffic.snapshot().empty());
    REQUIRE(traffic.deliver(7, 1, three_bytes));
    REQUIRE(traffic.deliver(7, 2, three_bytes));
    auto peers = traffic.snapshot();
    REQUIRE(peers.size() == 1);
    CHECK(peers[0].id == 7);
    CHECK(peers[0].up);
    CHECK(peers[0].messages_received == 2);
    CHECK(peers[0].bytes_received == 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    peers = traffic.snapshot();
    REQUIRE(peers.size() == 1);
    CHECK_FALSE(peers[0].up);

    // Bounded: senders past max_open_peers are handed on, not tracked.
    for (peer_id id = 100; id < 100 + peer_traffic::max_open_peers + 10; ++id) REQUIRE(traffic.deliver(id, 1, three_bytes));
    CHECK(traffic.snapshot().size() == peer_traffic::max_open_peers);
}
