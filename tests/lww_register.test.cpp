// lww_register examples and edge cases: assign deltas, ties by writer then value in both merge orders, delta_for, encoding.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/encoding.hpp>
#include <converge/lww_register.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace {

using namespace converge;

using lww_str = lww_register<std::string, std::string>;
using lww_u32 = lww_register<std::string, std::uint32_t>;

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

template <class T>
T written(const std::string& value, std::uint64_t timestamp, const typename T::replica_type& writer) {
    T r;
    r.assign(value, timestamp, writer);
    return r;
}

}  // namespace

TEST_CASE("lww_register doc example: the write with the later timestamp wins", "[lww_register][example]") {
    converge::lww_register<std::string, std::string> title, peer;
    auto delta = title.assign("Home", 10, "eu-1");
    peer.assign("Start", 12, "us-1");
    peer.merge(delta);
    REQUIRE(peer.get() != nullptr);
    CHECK(*peer.get() == "Start");
    CHECK(peer.timestamp() == 12);
    CHECK(*peer.writer() == "us-1");
    title.merge(peer);
    CHECK(title == peer);
}

TEST_CASE("a new lww_register is bottom: no value, timestamp 0, no writer", "[lww_register]") {
    const lww_u32 r;
    CHECK(r.empty());
    CHECK(r.get() == nullptr);
    CHECK(r.writer() == nullptr);
    CHECK(r.timestamp() == 0);
}

TEST_CASE("lww_register bottom loses to a write at timestamp 0", "[lww_register]") {
    lww_u32 r;
    const auto delta = r.assign("", 0, 0);
    CHECK_FALSE(r.empty());
    CHECK_FALSE(delta.empty());
    REQUIRE(r.get() != nullptr);
    CHECK(*r.get() == "");
    CHECK(delta == r);
}

TEST_CASE("lww_register assign returns the new state as its delta", "[lww_register][assign][delta]") {
    lww_u32 r;
    r.assign("a", 1, 7);
    const auto delta = r.assign("b", 2, 3);
    CHECK(delta == r);
    CHECK(*delta.get() == "b");
    CHECK(delta.timestamp() == 2);
    CHECK(*delta.writer() == 3);
}

TEST_CASE("lww_register assign older than the held write changes nothing and returns an empty delta",
          "[lww_register][assign][delta]") {
    lww_u32 r;
    r.assign("new", 5, 1);
    const lww_u32 before = r;
    CHECK(r.assign("old", 4, 9).empty());  // earlier timestamp, whatever the writer
    CHECK(r.assign("new", 5, 1).empty());  // the same write again
    CHECK(r.assign("a", 5, 1).empty());    // same writer and timestamp, smaller value
    CHECK(r.assign("x", 5, 0).empty());    // same timestamp, smaller writer
    CHECK(r == before);
}

TEST_CASE("lww_register ties on timestamp go to the larger writer, in both merge orders", "[lww_register][merge][tie]") {
    const auto eu = written<lww_str>("from eu", 7, "eu-1");
    const auto us = written<lww_str>("from us", 7, "us-1");
    CHECK(merged(eu, us) == merged(us, eu));
    CHECK(*merged(eu, us).get() == "from us");
    CHECK(*merged(eu, us).writer() == "us-1");

    // The same through assign: whichever replica writes second, the larger writer wins.
    lww_str r;
    r.assign("from us", 7, "us-1");
    CHECK(r.assign("from eu", 7, "eu-1").empty());
    CHECK(*r.get() == "from us");
}

TEST_CASE("lww_register ties on timestamp and writer go to the larger value, in both merge orders",
          "[lww_register][merge][tie]") {
    const auto a = written<lww_u32>("apple", 3, 4);
    const auto b = written<lww_u32>("banana", 3, 4);
    CHECK(merged(a, b) == merged(b, a));
    CHECK(*merged(a, b).get() == "banana");

    lww_u32 r = a;
    CHECK_FALSE(r.assign("banana", 3, 4).empty());
    CHECK(r == b);
}

TEST_CASE("lww_register timestamp beats writer and value", "[lww_register][merge]") {
    const auto late = written<lww_u32>("a", 9, 0);
    const auto early = written<lww_u32>("zzz", 8, 99);
    CHECK(merged(late, early) == late);
    CHECK(merged(early, late) == late);
}

TEST_CASE("lww_register merge with bottom or itself changes nothing", "[lww_register][merge]") {
    const auto r = written<lww_u32>("v", 4, 2);
    CHECK(merged(r, lww_u32{}) == r);
    CHECK(merged(lww_u32{}, r) == r);
    CHECK(merged(r, r) == r);
}

TEST_CASE("lww_register delta_for ships the write only to a peer holding an earlier one", "[lww_register][delta]") {
    const auto r = written<lww_u32>("v", 4, 2);
    CHECK(r.delta_for(lww_u32{}) == r);
    CHECK(r.delta_for(written<lww_u32>("v", 3, 9)) == r);
    CHECK(r.delta_for(written<lww_u32>("u", 4, 2)) == r);  // same stamp, smaller value
    CHECK(r.delta_for(r).empty());
    CHECK(r.delta_for(written<lww_u32>("a", 4, 3)).empty());
    CHECK(r.delta_for(written<lww_u32>("a", 5, 0)).empty());
    CHECK(lww_u32{}.delta_for(r).empty());
}

TEST_CASE("lww_register encodes as tag 9 and decodes back to an equal register", "[lww_register][encoding]") {
    CHECK(decode<lww_u32>(encode(lww_u32{})).value() == lww_u32{});
    const auto r = written<lww_str>("Start", 1u << 20, "us-1");
    const auto bytes = encode(r);
    CHECK(std::to_integer<int>(bytes[2]) == 9);
    CHECK(decode<lww_str>(bytes).value() == r);
}

TEST_CASE("lww_register decode rejects a presence byte other than 0 or 1 and a truncated write",
          "[lww_register][encoding][hostile]") {
    auto bad = encode(lww_u32{});
    bad.back() = std::byte{2};
    auto r = decode<lww_u32>(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::not_canonical);
    CHECK(r.error().offset == 3);

    auto cut = encode(written<lww_u32>("value", 3, 1));
    cut.pop_back();
    r = decode<lww_u32>(cut);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::length_exceeds_input);  // the value's length says 5 bytes, 4 remain
}
