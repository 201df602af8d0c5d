// The opt-in fmt formatters of converge/fmt.hpp: exact output for every type, and format specs rejected.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/fmt.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

namespace {

using namespace converge;

using gc_u32 = g_counter<std::uint32_t>;
using gc_u32_u8 = g_counter<std::uint32_t, std::uint8_t>;
using gc_str = g_counter<std::string>;
using pn_u32 = pn_counter<std::uint32_t>;
using pn_str_u8 = pn_counter<std::string, std::uint8_t>;
using vc_str = vector_clock<std::string>;
using vc_i32 = vector_clock<std::int32_t>;
using gs_u32 = g_set<std::uint32_t>;
using gs_str = g_set<std::string>;

constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();

}  // namespace

TEST_CASE("an increment's delta formats as the g_counter it equals", "[fmt][g_counter]") {
    gc_u32 c;
    c.increment(1, 3);
    const auto d = c.increment(1, 2);
    CHECK(fmt::format("{}", d) == "{1: 5}");
    CHECK(fmt::format("{}", d) == fmt::format("{}", gc_u32(d)));
    CHECK(fmt::format("{}", c.increment(9, 0)) == "{}");
    gc_u32_u8 small;
    CHECK(fmt::format("{}", small.increment(7, 65)) == "{7: 65}");
}

TEST_CASE("a g_counter formats as {replica: entry, ...} in replica order", "[fmt][g_counter]") {
    gc_u32 c;
    CHECK(fmt::format("{}", c) == "{}");
    c.increment(2, 5);
    c.increment(1, 3);
    CHECK(fmt::format("{}", c) == "{1: 3, 2: 5}");
    c.increment(4000000000u, u64_max);
    CHECK(fmt::format("{}", c) == "{1: 3, 2: 5, 4000000000: 18446744073709551615}");

    gc_str s;
    s.increment("us-1", 1);
    s.increment("eu-1", 3);
    CHECK(fmt::format("{}", s) == "{eu-1: 3, us-1: 1}");

    // A uint8_t count prints as a number, not as a character.
    gc_u32_u8 small;
    small.increment(7, 65);
    CHECK(fmt::format("{}", small) == "{7: 65}");
}

TEST_CASE("a pn_counter formats as {replica: +increments/-decrements, ...}", "[fmt][pn_counter]") {
    pn_u32 c;
    CHECK(fmt::format("{}", c) == "{}");
    c.increment(1, 5);
    c.decrement(1, 2);
    CHECK(fmt::format("{}", c) == "{1: +5/-2}");
    c.decrement(3, 7);
    c.increment(2);
    CHECK(fmt::format("{}", c) == "{1: +5/-2, 2: +1/-0, 3: +0/-7}");

    pn_str_u8 s;
    s.increment("a", 66);
    s.decrement("a", 255);
    CHECK(fmt::format("{}", s) == "{a: +66/-255}");
}

TEST_CASE("a vector_clock formats as {replica: events seen, ...}", "[fmt][vector_clock]") {
    vc_str c;
    CHECK(fmt::format("{}", c) == "{}");
    c.tick("b");
    c.tick("a");
    c.tick("a");
    CHECK(fmt::format("{}", c) == "{a: 2, b: 1}");

    vc_i32 n;
    n.tick(-3);
    n.tick(12);
    CHECK(fmt::format("{}", n) == "{-3: 1, 12: 1}");
}

TEST_CASE("a g_set formats as {x, y, ...} in increasing order", "[fmt][g_set]") {
    gs_u32 s;
    CHECK(fmt::format("{}", s) == "{}");
    s.insert(3);
    CHECK(fmt::format("{}", s) == "{3}");
    s.insert(1);
    s.insert(2);
    s.insert(3);
    CHECK(fmt::format("{}", s) == "{1, 2, 3}");

    // Past the recent-insert run, so some elements lie in the bulk and some in the recent run.
    gs_u32 many;
    std::string expected = "{";
    for (std::uint32_t i = 0; i < 40; ++i) {
        many.insert(39 - i);
        expected += (i == 0 ? "" : ", ") + std::to_string(i);
    }
    expected += "}";
    CHECK(fmt::format("{}", many) == expected);

    gs_str names;
    names.insert("bob");
    names.insert("alice");
    CHECK(fmt::format("{}", names) == "{alice, bob}");
}

TEST_CASE("a g_map formats as {key: value, ...} in key order, each value in its own format", "[fmt][g_map]") {
    g_map<std::string, pn_u32> m;
    CHECK(fmt::format("{}", m) == "{}");
    m.update("news", [](auto& c) { return c.increment(2); });
    m.update("home", [](auto& c) { return c.increment(1, 5); });
    m.update("home", [](auto& c) { return c.decrement(1, 2); });
    CHECK(fmt::format("{}", m) == "{home: {1: +5/-2}, news: {2: +1/-0}}");

    g_map<std::uint32_t, gs_str> sets;
    sets.update(7, [](auto& s) { return s.insert("b"); });
    sets.update(7, [](auto& s) { return s.insert("a"); });
    CHECK(fmt::format("{}", sets) == "{7: {a, b}}");
}

TEST_CASE("a retirable_counter_map formats as its retired replicas and its counters", "[fmt][retirable_counter_map]") {
    retirable_counter_map<std::string, std::uint32_t> m;
    CHECK(fmt::format("{}", m) == "{retired: {}, counters: {}}");
    m.increment("home", 1, 5);
    m.decrement("home", 2, 1);
    m.increment("news", 3);
    m.retire(3);
    m.retire(9);
    CHECK(fmt::format("{}", m) == "{retired: {3, 9}, counters: {home: {1: +5/-0, 2: +0/-1}}}");
}

TEST_CASE("a presence_map formats as its markers, its horizon and each replica's gauge per key",
          "[fmt][presence_map]") {
    presence_map<std::string, std::uint32_t> m;
    CHECK(fmt::format("{}", m) == "{retired: {}, horizon: 0, gauges: {}}");
    m.set("news", 2, 1);
    m.set("home", 1, 2);
    m.set("home", 2, 3);
    m.set("home", 1, 4);  // the newer write replaces the older one
    m.set("gone", 1, 5);
    m.set("gone", 1, 0);
    m.retire(7, 300);
    CHECK(fmt::format("{}", m) == "{retired: {7 at 300}, horizon: 0, gauges: {home: {1: 4, 2: 3}, news: {2: 1}}}");
    m.collect_retired(301);
    m.retire(9, 400);
    CHECK(fmt::format("{}", m) == "{retired: {9 at 400}, horizon: 301, gauges: {home: {1: 4, 2: 3}, news: {2: 1}}}");
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), m), Catch::Contains("no format spec"));

    // A write still waiting for the delta that supersedes it is not shown: the newer one counts.
    presence_map<std::string, std::uint32_t> writer;
    const auto first = writer.set("a", 1, 1);
    writer.set("a", 1, 2);
    const auto third = writer.set("a", 1, 3);
    presence_map<std::string, std::uint32_t> peer;
    peer.merge(third);
    peer.merge(first);
    REQUIRE(peer.size() == 2);
    CHECK(fmt::format("{}", peer) == "{retired: {}, horizon: 0, gauges: {a: {1: 3}}}");
}

TEST_CASE("a sync_message formats every field, the payload in its own format", "[fmt][sync_message]") {
    sync_message<gc_u32> m;
    CHECK(fmt::format("{}", m) ==
          "{epoch: 0, from: 0, to: 0, full_state: false, ack_epoch: 0, ack: 0, payload: {}}");
    m.epoch = 7;
    m.from = 1;
    m.to = 3;
    m.ack_epoch = 9;
    m.ack = 2;
    m.payload.increment(1, 3);
    CHECK(fmt::format("{}", m) ==
          "{epoch: 7, from: 1, to: 3, full_state: false, ack_epoch: 9, ack: 2, payload: {1: 3}}");
    m.from = 0;
    m.full_state = true;
    CHECK(fmt::format("{}", m) ==
          "{epoch: 7, from: 0, to: 3, full_state: true, ack_epoch: 9, ack: 2, payload: {1: 3}}");
    m.full_state = false;
    m.relayed.increment(4, 1);
    CHECK(fmt::format("{}", m) == "{epoch: 7, from: 0, to: 3, full_state: false, ack_epoch: 9, ack: 2, payload: {1: 3}, "
                                  "relayed: {4: 1}}");
    m.relayed = {};
    m.report_version = 2;
    m.has_report = true;
    m.report = {{11, 6}, {12, 2}};
    m.dropped = {{13, 4}};
    m.awaiting_report = true;
    CHECK(fmt::format("{}", m) == "{epoch: 7, from: 0, to: 3, full_state: false, ack_epoch: 9, ack: 2, payload: {1: 3}, "
                                  "report_version: 2, relayed: {}, report: {11: 6, 12: 2}, dropped: {13: 4}, "
                                  "awaiting_report}");
}

TEST_CASE("a max_register formats as its value, or (empty) when never written", "[fmt][max_register]") {
    max_register<std::uint64_t> m;
    CHECK(fmt::format("{}", m) == "(empty)");
    m.raise(0);
    CHECK(fmt::format("{}", m) == "0");  // written: not the same as never written
    m.raise(7);
    m.raise(3);
    CHECK(fmt::format("{}", m) == "7");
    m.raise(u64_max);
    CHECK(fmt::format("{}", m) == "18446744073709551615");

    // A uint8_t value prints as a number, not as a character.
    max_register<std::uint8_t> small;
    small.raise(65);
    CHECK(fmt::format("{}", small) == "65");
    max_register<std::string> name;
    name.raise("bob");
    name.raise("alice");
    CHECK(fmt::format("{}", name) == "bob");
}

TEST_CASE("an lww_register formats as value @ timestamp by writer, or (empty)", "[fmt][lww_register]") {
    lww_register<std::string, std::string> title;
    CHECK(fmt::format("{}", title) == "(empty)");
    title.assign("Home", 10, "eu-1");
    CHECK(fmt::format("{}", title) == "Home @ 10 by eu-1");
    title.assign("Start", 10, "us-1");  // same timestamp, larger writer
    title.assign("Old", 9, "zz");       // earlier: ignored
    CHECK(fmt::format("{}", title) == "Start @ 10 by us-1");

    lww_register<std::uint8_t, std::uint8_t> small;
    small.assign(66, u64_max, 200);
    CHECK(fmt::format("{}", small) == "66 @ 18446744073709551615 by 200");
}

TEST_CASE("an or_set formats as {x, y, ...}: the elements present, in increasing order", "[fmt][or_set]") {
    or_set<std::string, std::uint32_t> s;
    CHECK(fmt::format("{}", s) == "{}");
    s.add("news", 1);
    CHECK(fmt::format("{}", s) == "{news}");
    s.add("home", 1);
    s.add("sport", 2);
    s.add("news", 2);  // a second dot on "news" does not show it twice
    CHECK(fmt::format("{}", s) == "{home, news, sport}");
    s.remove("home");
    CHECK(fmt::format("{}", s) == "{news, sport}");
    s.remove("news");
    s.remove("sport");
    CHECK_FALSE(s.empty());  // the removals are remembered, yet nothing is shown
    CHECK(fmt::format("{}", s) == "{}");

    or_set<std::uint32_t, std::string> numbers;
    numbers.add(30, "a");
    numbers.add(4, "b");
    CHECK(fmt::format("{}", numbers) == "{4, 30}");

    g_map<std::string, or_set<std::string, std::uint32_t>> subscriptions;
    subscriptions.update("ann", [](auto& x) { return x.add("news", 1); });
    CHECK(fmt::format("{}", subscriptions) == "{ann: {news}}");
}

TEST_CASE("a causal_order formats as its name", "[fmt][causal_order]") {
    CHECK(fmt::format("{}", causal_order::equal) == "equal");
    CHECK(fmt::format("{}", causal_order::before) == "before");
    CHECK(fmt::format("{}", causal_order::after) == "after");
    CHECK(fmt::format("{}", causal_order::concurrent) == "concurrent");

    vc_str a;
    vc_str b;
    a.tick("a");
    b.tick("b");
    CHECK(fmt::format("a is {} b", a.compare(b)) == "a is concurrent b");
}

TEST_CASE("a decode_error formats as its message with the byte offset", "[fmt][decode_error]") {
    CHECK(fmt::format("{}", decode_error{errc::truncated, 7}) == "converge: input truncated at byte 7");
    CHECK(fmt::format("{}", decode_error{errc::bad_magic, 0}) == "converge: bad magic byte at byte 0");
    CHECK(fmt::format("{}", decode_error{errc::trailing_bytes, 12}) ==
          "converge: trailing bytes after value at byte 12");
}

TEST_CASE("converge values format inside surrounding text and through format_to", "[fmt]") {
    gc_u32 c;
    c.increment(1, 3);
    gs_u32 s;
    s.insert(9);
    CHECK(fmt::format("[{}] and [{}]", c, s) == "[{1: 3}] and [{9}]");

    std::string out = "state=";
    fmt::format_to(std::back_inserter(out), "{}", c);
    CHECK(out == "state={1: 3}");

    CHECK(fmt::to_string(c) == "{1: 3}");
}

TEST_CASE("a format spec on a converge type is rejected with fmt::format_error", "[fmt][errors]") {
    gc_u32 gc;
    gc.increment(1, 3);
    pn_u32 pn;
    pn.decrement(1);
    vc_str vc;
    vc.tick("a");
    gs_u32 gs;
    gs.insert(1);

    CHECK_THROWS_AS(fmt::format(fmt::runtime("{:x}"), gc), fmt::format_error);
    CHECK_THROWS_AS(fmt::format(fmt::runtime("{:x}"), pn), fmt::format_error);
    CHECK_THROWS_AS(fmt::format(fmt::runtime("{:x}"), vc), fmt::format_error);
    CHECK_THROWS_AS(fmt::format(fmt::runtime("{:x}"), gs), fmt::format_error);
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), g_map<std::string, gc_u32>{}), Catch::Contains("no format spec"));
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), retirable_counter_map<std::string, std::uint32_t>{}),
                      Catch::Contains("no format spec"));
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), sync_message<gc_u32>{}), Catch::Contains("no format spec"));
    max_register<std::uint64_t> mr;
    mr.raise(3);
    lww_register<std::string, std::uint32_t> lww;
    lww.assign("a", 1, 2);
    or_set<std::string, std::uint32_t> os;
    os.add("a", 1);
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), mr), Catch::Contains("no format spec"));
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:>8}"), max_register<std::uint64_t>{}), Catch::Contains("no format spec"));
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), lww), Catch::Contains("no format spec"));
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), os), Catch::Contains("no format spec"));
    CHECK_THROWS_AS(fmt::format(fmt::runtime("{:x}"), causal_order::before), fmt::format_error);
    CHECK_THROWS_AS(fmt::format(fmt::runtime("{:x}"), decode_error{errc::truncated, 1}), fmt::format_error);
    CHECK_THROWS_AS(fmt::format(fmt::runtime("{:>20}"), gc), fmt::format_error);
    // converge's own parse() rejects it, not fmt's fallback after an unparsed spec.
    const auto spec_error = Catch::Contains("no format spec");
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), gc), spec_error);
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), pn), spec_error);
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), vc), spec_error);
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), gs), spec_error);
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), causal_order::after), spec_error);
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:x}"), decode_error{errc::truncated, 1}), spec_error);
    CHECK_THROWS_WITH(fmt::format(fmt::runtime("{:>20}"), gc), spec_error);

    // The empty spec, with or without the colon, is accepted.
    CHECK(fmt::format(fmt::runtime("{}"), gc) == "{1: 3}");
    CHECK(fmt::format(fmt::runtime("{:}"), gc) == "{1: 3}");
    CHECK(fmt::format(fmt::runtime("{0}"), gs) == "{1}");
}
