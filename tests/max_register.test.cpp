// max_register examples and edge cases: raise deltas, bottom, merge in both orders, delta_for, encoding.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/encoding.hpp>
#include <converge/max_register.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace {

using namespace converge;

using mr_u64 = max_register<std::uint64_t>;
using mr_str = max_register<std::string>;

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

}  // namespace

TEST_CASE("max_register doc example: merging a raise to 7 into a register at 9 keeps 9", "[max_register][example]") {
    converge::max_register<std::uint64_t> seen, peer;
    auto delta = seen.raise(7);  // delta holds 7
    CHECK(delta.get() == std::optional<std::uint64_t>(7));
    peer.raise(9);
    peer.merge(delta);
    CHECK(peer.value_or(0) == 9);
    CHECK(seen.value_or(0) == 7);
}

TEST_CASE("a new max_register is bottom: empty, no value, value_or gives the fallback", "[max_register]") {
    const mr_u64 m;
    CHECK(m.empty());
    CHECK_FALSE(m.get().has_value());
    CHECK(m.value_or(42) == 42);
    CHECK(m == mr_u64{});
}

TEST_CASE("max_register bottom differs from a written zero or empty string", "[max_register]") {
    mr_u64 zero;
    const auto delta = zero.raise(0);
    CHECK_FALSE(zero.empty());
    CHECK(zero.get() == std::optional<std::uint64_t>(0));
    CHECK_FALSE(delta.empty());
    CHECK(zero != mr_u64{});

    mr_str s;
    CHECK_FALSE(s.raise("").empty());
    CHECK(s.get() == std::optional<std::string>(""));
}

TEST_CASE("max_register raise above the current value returns the delta {v}", "[max_register][raise][delta]") {
    mr_u64 m;
    m.raise(3);
    const auto delta = m.raise(10);
    CHECK(delta.get() == std::optional<std::uint64_t>(10));
    CHECK(m.value_or(0) == 10);
}

TEST_CASE("max_register raise to or below the current value is a no-op with an empty delta", "[max_register][raise][delta]") {
    mr_u64 m;
    m.raise(10);
    const mr_u64 before = m;
    CHECK(m.raise(10).empty());
    CHECK(m.raise(9).empty());
    CHECK(m.raise(0).empty());
    CHECK(m == before);

    mr_str s;
    s.raise("news");
    CHECK(s.raise("home").empty());  // "home" < "news"
    CHECK(s.value_or("") == "news");
}

TEST_CASE("max_register merge keeps the larger value in either order", "[max_register][merge]") {
    mr_str a;
    mr_str b;
    a.raise("apple");
    b.raise("banana");
    CHECK(merged(a, b) == merged(b, a));
    CHECK(merged(a, b).value_or("") == "banana");
    CHECK(merged(a, mr_str{}) == a);
    CHECK(merged(mr_str{}, a) == a);
    CHECK(merged(a, a) == a);
}

TEST_CASE("max_register merge of a value below the current one changes nothing", "[max_register][merge]") {
    mr_u64 high;
    high.raise(100);
    mr_u64 low;
    low.raise(5);
    high.merge(low);
    CHECK(high.value_or(0) == 100);
}

TEST_CASE("max_register delta_for ships the state only to a peer below it", "[max_register][delta]") {
    mr_u64 a;
    a.raise(8);
    mr_u64 behind;
    behind.raise(3);
    mr_u64 ahead;
    ahead.raise(12);
    mr_u64 equal;
    equal.raise(8);

    CHECK(a.delta_for(mr_u64{}) == a);
    CHECK(a.delta_for(behind) == a);
    CHECK(a.delta_for(equal).empty());
    CHECK(a.delta_for(ahead).empty());
    CHECK(mr_u64{}.delta_for(behind).empty());
    CHECK(mr_u64{}.delta_for(mr_u64{}).empty());
}

TEST_CASE("max_register encodes as tag 8: a presence byte and the value", "[max_register][encoding]") {
    mr_u64 m;
    CHECK(decode<mr_u64>(encode(m)).value() == m);
    m.raise(300);
    const auto bytes = encode(m);
    // header (magic, version, tag), presence 1, then 300 as LEB128 (ac 02)
    REQUIRE(bytes.size() == 3 + 1 + 2);
    CHECK(std::to_integer<int>(bytes[2]) == 8);
    CHECK(std::to_integer<int>(bytes[3]) == 1);
    CHECK(decode<mr_u64>(bytes).value() == m);

    mr_str s;
    s.raise("\xff news");
    CHECK(decode<mr_str>(encode(s)).value() == s);
}

TEST_CASE("max_register decode rejects a presence byte other than 0 or 1", "[max_register][encoding][hostile]") {
    auto bytes = encode(mr_u64{});
    bytes.back() = std::byte{2};
    const auto r = decode<mr_u64>(bytes);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::not_canonical);
    CHECK(r.error().offset == 3);
}
