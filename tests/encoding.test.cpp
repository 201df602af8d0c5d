// Wire-format examples: the bytes docs/wire-format.md shows, each decode error at its offset, limits, reporting.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include <converge/converge.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace {

using namespace converge;

using bytes = std::vector<std::byte>;

// Aliases keep commas out of the Catch macros.
using gc_u32 = g_counter<std::uint32_t>;
using gc_u32_u8 = g_counter<std::uint32_t, std::uint8_t>;
using gc_u16 = g_counter<std::uint16_t>;
using gc_i8 = g_counter<std::int8_t>;
using gc_str = g_counter<std::string>;
using pn_u32 = pn_counter<std::uint32_t>;
using pn_u32_u16 = pn_counter<std::uint32_t, std::uint16_t>;
using pn_str = pn_counter<std::string>;
using vc_i64 = vector_clock<std::int64_t>;
using gs_u16 = g_set<std::uint16_t>;
using gs_i64 = g_set<std::int64_t>;
using gs_str = g_set<std::string>;
using gm_gc = g_map<std::string, gc_u32>;
using gm_pn = g_map<std::string, pn_u32>;
using rcm_u32 = retirable_counter_map<std::string, std::uint32_t>;
using rcm_u32_u8 = retirable_counter_map<std::string, std::uint32_t, std::uint8_t>;
using sm_gc = sync_message<gc_u32>;
using bm_gc = broadcast_message<gc_u32, std::uint32_t>;
using rr_u32 = repair_request<std::uint32_t>;
using mr_u64 = max_register<std::uint64_t>;
using mr_u8 = max_register<std::uint8_t>;
using mr_str = max_register<std::string>;
using lww_str = lww_register<std::string, std::string>;
using lww_str_u32 = lww_register<std::string, std::uint32_t>;
using lww_str_u8 = lww_register<std::string, std::uint8_t>;
using lww_u8_u32 = lww_register<std::uint8_t, std::uint32_t>;
using os_str_u32 = or_set<std::string, std::uint32_t>;
using os_str_u8 = or_set<std::string, std::uint8_t>;
using os_u8_u32 = or_set<std::uint8_t, std::uint32_t>;
using gm_mr = g_map<std::string, mr_u64>;
using gm_lww = g_map<std::string, lww_str_u32>;
using gm_os = g_map<std::string, os_str_u32>;
using pm_str_u32 = presence_map<std::string, std::uint32_t>;
using pm_str_u32_u8 = presence_map<std::string, std::uint32_t, std::uint8_t>;

constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();
constexpr auto i64_min = std::numeric_limits<std::int64_t>::min();
constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();

/// "c7 01 02" -> bytes. A malformed literal throws, which fails the test that wrote it.
bytes hex(std::string_view text) {
    bytes out;
    std::istringstream in{std::string(text)};
    std::string token;
    while (in >> token) {
        if (token.size() != 2 || token.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw std::invalid_argument("not a lower-case hex byte: " + token);
        out.push_back(static_cast<std::byte>(std::stoul(token, nullptr, 16)));
    }
    return out;
}

/// bytes -> "c7 01 02", so that failures print readable bytes.
std::string to_hex(std::span<const std::byte> b) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (const std::byte x : b) {
        if (!out.empty()) out += ' ';
        const auto v = std::to_integer<unsigned>(x);
        out += digits[v >> 4];
        out += digits[v & 0xf];
    }
    return out;
}

/// The error decoding `input` as T gives; fails the test if it decodes.
template <class T>
decode_error rejection(const bytes& input, const decode_limits& limits = {}) {
    INFO("input: " << to_hex(input));
    const auto r = decode<T>(input, limits);
    REQUIRE_FALSE(r.has_value());
    return r.error();
}

template <class T>
decode_error rejection(std::string_view input, const decode_limits& limits = {}) {
    return rejection<T>(hex(input), limits);
}

/// Decodes `input` as T and checks that it re-encodes to the same bytes.
template <class T>
T accepted(std::string_view input) {
    INFO("input: " << input);
    const auto r = decode<T>(hex(input));
    REQUIRE(r.has_value());
    CHECK(to_hex(encode(*r)) == input);
    return *r;
}

bytes concat(bytes a, const bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// --- The examples in docs/wire-format.md, built through the public API -----------------------

gc_u32 doc_g_counter() {
    gc_u32 c;
    c.increment(1, 5);
    c.increment(2, 3);
    c.increment(7, 200);
    return c;
}

pn_str doc_pn_counter() {
    pn_str c;
    c.increment("eu", 3);
    c.decrement("eu", 1);
    c.decrement("us", 2);
    return c;
}

vc_i64 doc_vector_clock() {
    vc_i64 c;
    c.tick(1);
    c.tick(64);
    c.tick(-2);
    c.tick(1);
    c.tick(1);
    return c;
}

gs_str doc_g_set() {
    gs_str s;
    s.insert("b");
    s.insert("aa");
    return s;
}

gm_gc doc_g_map() {
    gm_gc m;
    m.update("us", [](gc_u32& c) { return c.increment(7, 1); });
    m.update("eu", [](gc_u32& c) { return c.increment(1, 5); });
    m.update("us", [](gc_u32& c) { return c.increment(2, 3); });
    return m;
}

rcm_u32 doc_retirable_counter_map() {
    rcm_u32 m;
    m.increment("home", 1, 3);
    m.decrement("home", 2, 1);
    m.increment("home", 7, 4);
    m.retire(7);
    return m;
}

sm_gc doc_sync_message() {
    sm_gc m;
    m.epoch = 300;
    m.from = 2;
    m.to = 5;
    m.ack_epoch = 9;
    m.ack = 4;
    m.payload.increment(1, 5);
    return m;
}

sm_gc doc_sync_message_report() {
    sm_gc m;
    m.epoch = 300;
    m.from = 5;
    m.to = 7;
    m.ack_epoch = 9;
    m.ack = 4;
    m.payload.increment(1, 2);
    m.relayed.increment(3, 1);
    m.report_version = 2;
    m.has_report = true;
    m.report = {{11, 6}, {12, 2}};
    m.dropped = {{13, 4}};
    return m;
}

bm_gc doc_broadcast_interval() {
    bm_gc m{.kind = broadcast_kind::interval, .sender = 1, .epoch = 300, .from = 2, .to = 5};
    m.payload.increment(1, 5);
    return m;
}

bm_gc doc_broadcast_digest() {
    return {.kind = broadcast_kind::digest, .sender = 1, .epoch = 300, .from = 5, .to = 5};
}

rr_u32 doc_repair_request() { return {.requester = 2, .sender = 1, .epoch = 300, .have = 2}; }

mr_u64 doc_max_register() {
    mr_u64 m;
    m.raise(300);
    return m;
}

lww_str doc_lww_register() {
    lww_str r;
    r.assign("Home", 10, "eu-1");
    r.assign("Start", 10, "us-1");
    return r;
}

os_str_u32 doc_or_set() {
    os_str_u32 one;
    one.add("news", 1);
    one.add("home", 1);
    one.remove("home");
    os_str_u32 two;
    const auto news = two.add("news", 2);
    two.add("tmp", 2);  // this delta never reaches replica 1
    const auto sport = two.add("sport", 2);
    one.merge(news);
    one.merge(sport);
    return one;
}

pm_str_u32 doc_presence_map() {
    pm_str_u32 one;
    one.set("home", 1, 2);
    one.set("news", 1, 1);
    one.set("news", 1, 0);  // a leave: no entry, its dot (1, 2) stays in the run
    pm_str_u32 two;
    one.merge(two.set("home", 2, 3));
    one.retire(7, 300);
    return one;
}

struct wire_example {
    std::string name;
    std::string hex;      // as written in this file and in the doc
    std::string encoded;  // what encode() writes for the example's value
    bool decodes_back;    // decode(hex) gives the example's value again
};

template <class T>
wire_example make_example(std::string name, std::string hex_text, const T& value) {
    const auto back = decode<T>(hex(hex_text));
    return {std::move(name), hex_text, to_hex(encode(value)), back.has_value() && *back == value};
}

std::vector<wire_example> wire_examples() {
    return {
        make_example("g_counter_u32", "c7 01 02 03 01 05 02 03 07 c8 01", doc_g_counter()),
        make_example("pn_counter_str", "c7 01 03 02 02 65 75 03 01 02 75 73 00 02", doc_pn_counter()),
        make_example("vector_clock_i64", "c7 01 01 03 03 01 02 03 80 01 01", doc_vector_clock()),
        make_example("g_set_str", "c7 01 04 02 02 61 61 01 62", doc_g_set()),
        make_example("g_map_str", "c7 01 05 02 02 65 75 01 01 05 02 75 73 02 02 03 07 01", doc_g_map()),
        make_example("retirable_counter_map_str", "c7 01 06 01 07 01 04 68 6f 6d 65 02 01 03 00 02 00 01",
                     doc_retirable_counter_map()),
        make_example("sync_message_g_counter", "c7 01 07 02 ac 02 02 05 00 09 04 01 01 05", doc_sync_message()),
        make_example("sync_message_report",
                     "c7 01 07 02 ac 02 05 07 0a 09 04 02 01 01 02 01 03 01 01 02 0b 06 0c 02 01 0d 04",
                     doc_sync_message_report()),
        make_example("broadcast_interval_g_counter", "c7 01 0c 00 02 01 ac 02 02 05 01 01 05",
                     doc_broadcast_interval()),
        make_example("broadcast_digest_g_counter", "c7 01 0c 01 02 01 ac 02 05", doc_broadcast_digest()),
        make_example("repair_request_u32", "c7 01 0d 02 01 ac 02 02", doc_repair_request()),
        make_example("max_register_u64", "c7 01 08 01 ac 02", doc_max_register()),
        make_example("lww_register_str", "c7 01 09 01 0a 04 75 73 2d 31 05 53 74 61 72 74", doc_lww_register()),
        make_example("or_set_str_u32",
                     "c7 01 0a 03 01 01 01 02 01 00 02 03 00 02 04 6e 65 77 73 02 01 01 02 01 "
                     "05 73 70 6f 72 74 01 02 03",
                     doc_or_set()),
        make_example("presence_map_str_u32",
                     "c7 01 0b 00 01 07 ac 02 02 01 01 01 02 01 00 01 04 68 6f 6d 65 02 01 01 02 02 01 03",
                     doc_presence_map()),
    };
}

// --- Reading docs/wire-format.md --------------------------------------------------------------

std::optional<std::string> wire_format_doc() {
#ifdef CONVERGE_SOURCE_DIR
    const std::string path = std::string(CONVERGE_SOURCE_DIR) + "/docs/wire-format.md";
    std::ifstream in(path);
    INFO("reading " << path);
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
#else
    return std::nullopt;
#endif
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(line);
    }
    return out;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

struct doc_examples {
    std::map<std::string, std::string> hex_by_name;
    std::vector<std::string> problems;
};

/// Every block of the form
///     <!-- wire-example: NAME -->
///     ```text
///     c7 01    # [0] what these bytes are
///     ```
/// as NAME -> "c7 01 ...". Each line must be hex bytes, then "# [OFFSET]" with the offset of its
/// first byte, so that the annotations cannot drift from the bytes either.
doc_examples parse_examples(const std::string& doc) {
    static constexpr std::string_view open = "<!-- wire-example: ";
    static constexpr std::string_view close = " -->";
    doc_examples out;
    const auto lines = lines_of(doc);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& marker = lines[i];
        if (!marker.starts_with(open)) continue;
        if (!marker.ends_with(close) || marker.size() <= open.size() + close.size()) {
            out.problems.push_back("malformed marker: " + marker);
            continue;
        }
        const std::string name = marker.substr(open.size(), marker.size() - open.size() - close.size());
        if (i + 1 >= lines.size() || lines[i + 1] != "```text") {
            out.problems.push_back(name + ": the marker is not followed by a ```text block");
            continue;
        }
        std::string hex_text;
        std::size_t offset = 0;
        bool closed = false;
        for (i += 2; i < lines.size(); ++i) {
            const std::string& line = lines[i];
            if (line == "```") {
                closed = true;
                break;
            }
            const auto hash = line.find('#');
            const std::string field = trim(std::string_view(line).substr(0, hash));
            const std::string note = hash == std::string::npos ? std::string{} : trim(line.substr(hash + 1));
            std::size_t n = 0;
            try {
                n = hex(field).size();
            } catch (const std::invalid_argument&) {
                out.problems.push_back(name + ": not hex bytes: " + line);
                continue;
            }
            if (n == 0) {
                out.problems.push_back(name + ": a line without bytes: " + line);
                continue;
            }
            const std::string expected_note = "[" + std::to_string(offset) + "]";
            if (!note.starts_with(expected_note))
                out.problems.push_back(name + ": expected the note to start with " + expected_note + ": " + line);
            if (!hex_text.empty()) hex_text += ' ';
            hex_text += field;
            offset += n;
        }
        if (!closed) out.problems.push_back(name + ": the block is not closed");
        if (!out.hex_by_name.emplace(name, hex_text).second) out.problems.push_back(name + ": shown twice");
    }
    return out;
}

struct doc_rejection {
    std::string errc_name;
    std::string type_name;
    std::string input;
    std::string offset;
    std::string row;
};

/// The rows of the table between <!-- wire-rejects --> and <!-- /wire-rejects -->.
std::vector<doc_rejection> parse_rejections(const std::string& doc) {
    std::vector<doc_rejection> out;
    bool inside = false;
    for (const std::string& line : lines_of(doc)) {
        if (line == "<!-- wire-rejects -->") inside = true;
        else if (line == "<!-- /wire-rejects -->") inside = false;
        if (!inside || !line.starts_with("| `")) continue;
        std::vector<std::string> cells;
        std::string cell;
        for (const char c : line.substr(1)) {
            if (c == '|') {
                cells.push_back(trim(cell));
                cell.clear();
            } else if (c != '`') {
                cell += c;
            }
        }
        if (cells.size() < 4) cells.resize(4);
        out.push_back({cells[0], cells[1], cells[2] == "(empty)" ? std::string{} : cells[2], cells[3], line});
    }
    return out;
}

constexpr std::array<std::pair<std::string_view, errc>, 12> errc_names{{
    {"truncated", errc::truncated},
    {"bad_magic", errc::bad_magic},
    {"unsupported_version", errc::unsupported_version},
    {"wrong_type", errc::wrong_type},
    {"varint_overlong", errc::varint_overlong},
    {"varint_overflow", errc::varint_overflow},
    {"value_out_of_range", errc::value_out_of_range},
    {"length_exceeds_input", errc::length_exceeds_input},
    {"not_canonical", errc::not_canonical},
    {"zero_entry", errc::zero_entry},
    {"trailing_bytes", errc::trailing_bytes},
    {"limit_exceeded", errc::limit_exceeded},
}};

/// decode<T> with default limits, by the type's name in the doc's table; nullopt if it decodes.
using decoder = std::function<std::optional<decode_error>(const bytes&)>;

template <class T>
decoder decoder_for() {
    return [](const bytes& b) -> std::optional<decode_error> {
        const auto r = decode<T>(b);
        if (r) return std::nullopt;
        return r.error();
    };
}

const std::map<std::string, decoder, std::less<>>& decoders_by_name() {
    static const std::map<std::string, decoder, std::less<>> m{
        {"g_counter<uint32_t>", decoder_for<gc_u32>()},
        {"g_counter<uint32_t, uint8_t>", decoder_for<gc_u32_u8>()},
        {"g_counter<uint16_t>", decoder_for<gc_u16>()},
        {"g_counter<int8_t>", decoder_for<gc_i8>()},
        {"g_counter<string>", decoder_for<gc_str>()},
        {"pn_counter<uint32_t>", decoder_for<pn_u32>()},
        {"pn_counter<string>", decoder_for<pn_str>()},
        {"vector_clock<int64_t>", decoder_for<vc_i64>()},
        {"g_set<uint16_t>", decoder_for<gs_u16>()},
        {"g_set<string>", decoder_for<gs_str>()},
        {"g_map<string, g_counter<uint32_t>>", decoder_for<gm_gc>()},
        {"retirable_counter_map<string, uint32_t>", decoder_for<rcm_u32>()},
        {"sync_message<g_counter<uint32_t>>", decoder_for<sm_gc>()},
        {"broadcast_message<g_counter<uint32_t>, uint32_t>", decoder_for<bm_gc>()},
        {"repair_request<uint32_t>", decoder_for<rr_u32>()},
        {"max_register<uint64_t>", decoder_for<mr_u64>()},
        {"max_register<uint8_t>", decoder_for<mr_u8>()},
        {"g_map<string, max_register<uint64_t>>", decoder_for<gm_mr>()},
        {"lww_register<string, uint32_t>", decoder_for<lww_str_u32>()},
        {"lww_register<string, uint8_t>", decoder_for<lww_str_u8>()},
        {"or_set<string, uint32_t>", decoder_for<os_str_u32>()},
        {"g_map<string, or_set<string, uint32_t>>", decoder_for<gm_os>()},
        {"presence_map<string, uint32_t>", decoder_for<pm_str_u32>()},
    };
    return m;
}

}  // namespace

// --- The documented bytes ---------------------------------------------------------------------

TEST_CASE("encode writes exactly the example bytes shown in the wire-format doc", "[encoding][docs]") {
    for (const wire_example& e : wire_examples()) {
        INFO("example " << e.name);
        CHECK(e.encoded == e.hex);
        CHECK(e.decodes_back);
    }
}

TEST_CASE("docs/wire-format.md shows the same hex dumps and rejections that the tests check",
          "[encoding][docs]") {
    const auto doc = wire_format_doc();
    if (!doc) {
        WARN("CONVERGE_SOURCE_DIR is not defined, so docs/wire-format.md was not checked");
        return;
    }

    SECTION("every hex dump is the test's bytes, with offsets that match") {
        const doc_examples parsed = parse_examples(*doc);
        for (const std::string& problem : parsed.problems) FAIL_CHECK(problem);
        const auto examples = wire_examples();
        for (const wire_example& e : examples) {
            INFO("example " << e.name);
            const auto found = parsed.hex_by_name.find(e.name);
            REQUIRE(found != parsed.hex_by_name.end());
            CHECK(found->second == e.hex);
            CHECK(found->second == e.encoded);
        }
        // No example in the doc that no test checks.
        for (const auto& shown : parsed.hex_by_name) {
            INFO("doc example " << shown.first << ": " << shown.second);
            CHECK(std::any_of(examples.begin(), examples.end(),
                              [&](const wire_example& e) { return e.name == shown.first; }));
        }
    }

    SECTION("every row of the rejection table decodes to its error and offset, and every errc has one") {
        const auto rows = parse_rejections(*doc);
        REQUIRE(rows.size() >= errc_names.size());
        std::map<errc, int> seen;
        for (const doc_rejection& row : rows) {
            INFO("doc row: " << row.row);
            const auto name = std::find_if(errc_names.begin(), errc_names.end(),
                                           [&](const auto& p) { return p.first == row.errc_name; });
            REQUIRE(name != errc_names.end());
            const auto dec = decoders_by_name().find(row.type_name);
            REQUIRE(dec != decoders_by_name().end());
            const auto error = dec->second(hex(row.input));
            REQUIRE(error.has_value());
            CHECK(*error == decode_error{name->second, std::stoul(row.offset)});
            ++seen[name->second];
        }
        for (const auto& [label, code] : errc_names) {
            INFO("errc::" << label);
            CHECK(seen[code] > 0);
        }
    }
}

TEST_CASE("eight replicas with small ids and counts encode in 20 bytes, two per entry", "[encoding][size]") {
    gc_u32 c;
    for (std::uint32_t id = 1; id <= 8; ++id) c.increment(id, 10 * id);
    const auto b = encode(c);
    CHECK(b.size() == 20);
    CHECK(b.size() == 3 + 1 + 8 * 2);  // header, count, (id, count) per entry
    CHECK(to_hex(b) == "c7 01 02 08 01 0a 02 14 03 1e 04 28 05 32 06 3c 07 46 08 50");

    SECTION("a ninth replica adds two bytes") {
        c.increment(9, 90);
        CHECK(encode(c).size() == 22);
    }
    SECTION("a count of 128 or more adds one byte to its entry") {
        c.increment(8, 128 - 80);
        CHECK(encode(c).size() == 21);
    }
}

TEST_CASE("every encoding starts with the magic byte, the format version and the type's tag", "[encoding]") {
    CHECK(wire_magic == 0xC7);
    CHECK(wire_version == 1);
    CHECK(to_hex(encode(vector_clock<std::uint32_t>{})) == "c7 01 01 00");
    CHECK(to_hex(encode(gc_u32{})) == "c7 01 02 00");
    CHECK(to_hex(encode(pn_u32{})) == "c7 01 03 00");
    CHECK(to_hex(encode(gs_u16{})) == "c7 01 04 00");
    CHECK(to_hex(encode(mr_u64{})) == "c7 01 08 00");
    CHECK(to_hex(encode(lww_str_u32{})) == "c7 01 09 00");
    CHECK(to_hex(encode(os_str_u32{})) == "c7 01 0a 00 00");
    // The tag names the CRDT, not its arguments.
    CHECK(to_hex(encode(gc_str{})) == "c7 01 02 00");
    CHECK(to_hex(encode(mr_str{})) == "c7 01 08 00");
}

TEST_CASE("varints are minimal little-endian groups of seven bits, at most ten bytes", "[encoding][varint]") {
    CHECK(to_hex(encode(gc_u32{}.increment(1, 127))) == "c7 01 02 01 01 7f");
    CHECK(to_hex(encode(gc_u32{}.increment(1, 128))) == "c7 01 02 01 01 80 01");
    CHECK(to_hex(encode(gc_u32{}.increment(1, 300))) == "c7 01 02 01 01 ac 02");
    CHECK(to_hex(encode(gc_u32{}.increment(1, 16384))) == "c7 01 02 01 01 80 80 01");
    CHECK(to_hex(encode(gc_u32{}.increment(1, std::uint64_t{1} << 63))) ==
          "c7 01 02 01 01 80 80 80 80 80 80 80 80 80 01");

    // 2^(7k) - 1 is the largest value that fits k bytes; 2^(7k) needs one more.
    for (unsigned k = 1; k <= 9; ++k) {
        const std::uint64_t top = (std::uint64_t{1} << (7 * k)) - 1;
        for (const auto& [value, length] : {std::pair{top, k}, std::pair{top + 1, k + 1}}) {
            INFO("value " << value);
            gc_u32 c;
            c.increment(1, value);
            const auto b = encode(c);
            REQUIRE(b.size() == 5 + length);  // header, count 1, id 1, then the count's varint
            for (std::size_t i = 5; i + 1 < b.size(); ++i) CHECK((std::to_integer<unsigned>(b[i]) & 0x80u) != 0);
            CHECK(std::to_integer<unsigned>(b.back()) != 0);
            CHECK(std::to_integer<unsigned>(b.back()) < 0x80u);
            const auto back = decode<gc_u32>(b);
            REQUIRE(back.has_value());
            CHECK(back->value_of(1) == value);
        }
    }
}

// --- One rejection per error code, each at its exact offset ------------------------------------

TEST_CASE("an empty input or a cut-off header is truncated at the missing byte", "[encoding][hostile]") {
    CHECK(rejection<gc_u32>(bytes{}) == decode_error{errc::truncated, 0});
    CHECK(rejection<gc_u32>("c7") == decode_error{errc::truncated, 1});
    CHECK(rejection<gc_u32>("c7 01") == decode_error{errc::truncated, 2});
    CHECK(rejection<gc_u32>("c7 01 02") == decode_error{errc::truncated, 3});  // no count
}

TEST_CASE("a varint cut off by the end of the input is truncated at the varint's first byte",
          "[encoding][hostile]") {
    CHECK(rejection<gc_u32>("c7 01 02 80") == decode_error{errc::truncated, 3});                 // the count
    CHECK(rejection<gc_u32>("c7 01 02 01 81 80") == decode_error{errc::truncated, 4});           // an id
    CHECK(rejection<gc_u32>("c7 01 02 02 01 05 02 83") == decode_error{errc::truncated, 7});     // a count
    CHECK(rejection<pn_u32>("c7 01 03 01 01 05 ff") == decode_error{errc::truncated, 6});        // decrements
}

TEST_CASE("a first byte other than 0xC7 is bad_magic at byte 0", "[encoding][hostile]") {
    CHECK(rejection<gc_u32>("c8 01 02 00") == decode_error{errc::bad_magic, 0});
    CHECK(rejection<gc_u32>("47 01 02 00") == decode_error{errc::bad_magic, 0});  // 0xC7 without its top bit
    CHECK(rejection<gc_u32>("00") == decode_error{errc::bad_magic, 0});
}

TEST_CASE("a format version other than 1 is unsupported_version at byte 1", "[encoding][hostile]") {
    CHECK(rejection<gc_u32>("c7 02 02 00") == decode_error{errc::unsupported_version, 1});
    CHECK(rejection<gc_u32>("c7 00 02 00") == decode_error{errc::unsupported_version, 1});
    CHECK(rejection<gc_u32>("c7 ff 02 00") == decode_error{errc::unsupported_version, 1});
}

TEST_CASE("bytes of one CRDT decoded as another are wrong_type at byte 2", "[encoding][hostile]") {
    gc_u32 c;
    c.increment(1, 5);
    const bytes b = encode(c);
    CHECK(rejection<pn_u32>(b) == decode_error{errc::wrong_type, 2});
    CHECK(rejection<vector_clock<std::uint32_t>>(b) == decode_error{errc::wrong_type, 2});
    CHECK(rejection<g_set<std::uint32_t>>(b) == decode_error{errc::wrong_type, 2});
    CHECK(rejection<gc_u32>("c7 01 00 00") == decode_error{errc::wrong_type, 2});
    CHECK(rejection<gc_u32>("c7 01 05 00") == decode_error{errc::wrong_type, 2});
}

TEST_CASE("a varint with a redundant zero group is varint_overlong at its first byte", "[encoding][hostile]") {
    CHECK(rejection<gc_u32>("c7 01 02 80 00") == decode_error{errc::varint_overlong, 3});        // 0 as count
    CHECK(rejection<gc_u32>("c7 01 02 81 00 01 05") == decode_error{errc::varint_overlong, 3});  // 1 as count
    CHECK(rejection<gc_u32>("c7 01 02 01 85 00 05") == decode_error{errc::varint_overlong, 4});  // id 5
    CHECK(rejection<gc_u32>("c7 01 02 01 01 85 80 00") == decode_error{errc::varint_overlong, 5});
    // Ten bytes ending in 0x00: overlong, not overflow.
    CHECK(rejection<gc_u32>("c7 01 02 80 80 80 80 80 80 80 80 80 00") == decode_error{errc::varint_overlong, 3});
}

TEST_CASE("a varint wider than 64 bits is varint_overflow at its first byte", "[encoding][hostile]") {
    // Eleven bytes: rejected when the tenth carries a continuation bit.
    CHECK(rejection<gc_u32>("c7 01 02 80 80 80 80 80 80 80 80 80 80 01") == decode_error{errc::varint_overflow, 3});
    CHECK(rejection<gc_u32>("c7 01 02 ff ff ff ff ff ff ff ff ff ff 01") == decode_error{errc::varint_overflow, 3});
    // Ten bytes whose last holds more than bit 63: 2^64 and 2^64 + 2^63 - 1.
    CHECK(rejection<gc_u32>("c7 01 02 80 80 80 80 80 80 80 80 80 02") == decode_error{errc::varint_overflow, 3});
    CHECK(rejection<gc_u32>("c7 01 02 ff ff ff ff ff ff ff ff ff 02") == decode_error{errc::varint_overflow, 3});
    CHECK(rejection<gc_u32>("c7 01 02 01 01 ff ff ff ff ff ff ff ff ff 7f") ==
          decode_error{errc::varint_overflow, 5});
    CHECK(rejection<vc_i64>("c7 01 01 01 02 80 80 80 80 80 80 80 80 80 02") ==
          decode_error{errc::varint_overflow, 5});
}

TEST_CASE("a value too wide for its C++ type is value_out_of_range at its first byte", "[encoding][hostile]") {
    SECTION("a count of 300 in a uint8_t count; 255 fits") {
        CHECK(rejection<gc_u32_u8>("c7 01 02 01 01 ac 02") == decode_error{errc::value_out_of_range, 5});
        CHECK(accepted<gc_u32_u8>("c7 01 02 01 01 ff 01").value_of(1) == 255);
    }
    SECTION("replica id 70000 in a uint16_t id; 65535 fits") {
        CHECK(rejection<gc_u16>("c7 01 02 01 f0 a2 04 01") == decode_error{errc::value_out_of_range, 4});
        CHECK(accepted<gc_u16>("c7 01 02 01 ff ff 03 01").value_of(65535) == 1);
    }
    SECTION("signed ids 128 and -129 in an int8_t id; 127 and -128 fit") {
        CHECK(rejection<gc_i8>("c7 01 02 01 80 02 01") == decode_error{errc::value_out_of_range, 4});
        CHECK(rejection<gc_i8>("c7 01 02 01 81 02 01") == decode_error{errc::value_out_of_range, 4});
        CHECK(accepted<gc_i8>("c7 01 02 01 fe 01 01").value_of(127) == 1);
        CHECK(accepted<gc_i8>("c7 01 02 01 ff 01 01").value_of(-128) == 1);
    }
    SECTION("decrements of 65536 in a uint16_t tally") {
        CHECK(rejection<pn_u32_u16>("c7 01 03 01 01 00 80 80 04") == decode_error{errc::value_out_of_range, 6});
    }
}

TEST_CASE("a count or length the remaining bytes cannot hold is length_exceeds_input at its first byte",
          "[encoding][hostile]") {
    decode_limits unlimited;
    unlimited.max_entries = std::numeric_limits<std::size_t>::max();

    SECTION("a billion entries declared in a ten-byte input") {
        const auto input = hex("c7 01 02 80 94 eb dc 03 01 01");
        REQUIRE(input.size() == 10);
        CHECK(rejection<gc_u32>(input, unlimited) == decode_error{errc::length_exceeds_input, 3});
        // With the default limits the entry cap, checked first, is what rejects it.
        CHECK(rejection<gc_u32>(input) == decode_error{errc::limit_exceeded, 3});
    }
    SECTION("more entries than the remaining bytes at the smallest entry size") {
        // g_counter and vector_clock entries take at least 2 bytes, pn_counter 3, g_set 1.
        CHECK(rejection<gc_u32>("c7 01 02 04 01 01 01 01") == decode_error{errc::length_exceeds_input, 3});
        CHECK(rejection<vc_i64>("c7 01 01 02 02 01 04") == decode_error{errc::length_exceeds_input, 3});
        CHECK(rejection<pn_u32>("c7 01 03 02 01 01 00 02 01") == decode_error{errc::length_exceeds_input, 3});
        CHECK(rejection<gs_u16>("c7 01 04 03 01 02") == decode_error{errc::length_exceeds_input, 3});
        CHECK(rejection<gs_u16>("c7 01 04 01") == decode_error{errc::length_exceeds_input, 3});
    }
    SECTION("a string longer than the rest of the input") {
        CHECK(rejection<gc_str>("c7 01 02 01 05 61 62") == decode_error{errc::length_exceeds_input, 4});
        CHECK(rejection<gs_str>("c7 01 04 02 01 61 03 62 63") == decode_error{errc::length_exceeds_input, 6});
    }
}

TEST_CASE("a declared count of 2^62 entries is rejected without allocating for it", "[encoding][hostile]") {
    // Any reserve() sized by these counts would throw or, under ASan, abort the run.
    decode_limits unlimited;
    unlimited.max_entries = std::numeric_limits<std::size_t>::max();
    const std::string huge = "80 80 80 80 80 80 80 80 40";  // 2^62
    const std::string big = "80 80 80 80 80 20";            // 2^40
    const std::string widest = "ff ff ff ff ff ff ff ff ff 01";

    CHECK(rejection<gc_u32>("c7 01 02 " + huge) == decode_error{errc::limit_exceeded, 3});
    const decode_error too_long{errc::length_exceeds_input, 3};
    for (const std::string& count : {huge, big, widest}) {
        INFO("count " << count);
        CHECK(rejection<gc_u32>("c7 01 02 " + count + " 01 01", unlimited) == too_long);
        CHECK(rejection<gc_str>("c7 01 02 " + count + " 00 01", unlimited) == too_long);
        CHECK(rejection<pn_str>("c7 01 03 " + count + " 00 01 00", unlimited) == too_long);
        CHECK(rejection<vc_i64>("c7 01 01 " + count + " 00 01", unlimited) == too_long);
        CHECK(rejection<gs_str>("c7 01 04 " + count + " 00", unlimited) == too_long);
    }
}

TEST_CASE("unsorted or repeated ids and elements are not_canonical at the later one", "[encoding][hostile]") {
    CHECK(rejection<gc_u32>("c7 01 02 02 02 01 01 01") == decode_error{errc::not_canonical, 6});     // 2, 1
    CHECK(rejection<gc_u32>("c7 01 02 02 01 01 01 02") == decode_error{errc::not_canonical, 6});     // 1, 1
    CHECK(rejection<pn_str>("c7 01 03 02 01 61 01 00 01 61 00 01") == decode_error{errc::not_canonical, 8});
    CHECK(rejection<gs_u16>("c7 01 04 02 05 05") == decode_error{errc::not_canonical, 5});
    CHECK(rejection<gs_u16>("c7 01 04 03 01 05 03") == decode_error{errc::not_canonical, 6});

    SECTION("order is by the decoded value, not by the encoded bytes") {
        // "aa" < "b" although its length byte is larger; -2 < 1 although its zigzag byte is larger.
        CHECK(rejection<gs_str>("c7 01 04 02 01 62 02 61 61") == decode_error{errc::not_canonical, 6});
        CHECK(accepted<gs_str>("c7 01 04 02 02 61 61 01 62").size() == 2);
        CHECK(rejection<vc_i64>("c7 01 01 02 02 01 03 01") == decode_error{errc::not_canonical, 6});
        CHECK(accepted<vc_i64>("c7 01 01 02 03 01 02 01").get(-2) == 1);
    }
}

TEST_CASE("an entry that is zero is zero_entry at the zero value", "[encoding][hostile]") {
    CHECK(rejection<gc_u32>("c7 01 02 01 01 00") == decode_error{errc::zero_entry, 5});
    CHECK(rejection<gc_u32>("c7 01 02 02 01 05 02 00") == decode_error{errc::zero_entry, 7});
    CHECK(rejection<vc_i64>("c7 01 01 01 02 00") == decode_error{errc::zero_entry, 5});
    // A pn_counter entry is zero only when both tallies are.
    CHECK(rejection<pn_str>("c7 01 03 01 01 61 00 00") == decode_error{errc::zero_entry, 6});
    CHECK(accepted<pn_str>("c7 01 03 01 01 61 00 02").value_of("a") == -2);
    CHECK(accepted<pn_str>("c7 01 03 01 01 61 02 00").value_of("a") == 2);
}

TEST_CASE("a g_map with unsorted or repeated keys is not_canonical and an empty value is zero_entry",
          "[encoding][hostile][g_map]") {
    // {"b": {1: 1}, "a": {1: 1}}: "a" after "b".
    CHECK(rejection<gm_gc>("c7 01 05 02 01 62 01 01 01 01 61 01 01 01") == decode_error{errc::not_canonical, 9});
    CHECK(rejection<gm_gc>("c7 01 05 02 01 61 01 01 01 01 61 01 01 01") == decode_error{errc::not_canonical, 9});
    // {"a": {}}: a key holding bottom is left out of the canonical form.
    CHECK(rejection<gm_gc>("c7 01 05 01 01 61 00") == decode_error{errc::zero_entry, 6});
    CHECK(rejection<gm_pn>("c7 01 05 01 01 61 00") == decode_error{errc::zero_entry, 6});
    // The nested value is checked like a top-level one.
    CHECK(rejection<gm_gc>("c7 01 05 01 01 61 01 01 00") == decode_error{errc::zero_entry, 8});
    CHECK(rejection<gm_gc>("c7 01 05 01 01 61 02 02 01 01 01") == decode_error{errc::not_canonical, 9});
    // A count the input cannot hold (each entry takes at least two bytes), and a cut-off value.
    CHECK(rejection<gm_gc>("c7 01 05 02 01 61 01") == decode_error{errc::length_exceeds_input, 3});
    CHECK(rejection<gm_gc>("c7 01 05 01 01 61 01 01") == decode_error{errc::length_exceeds_input, 6});
    CHECK(rejection<gm_gc>("c7 01 05 01 01 61 01 01 85") == decode_error{errc::truncated, 8});
    CHECK(rejection<gm_gc>("c7 01 05 01 01 61 01 01 05 00") == decode_error{errc::trailing_bytes, 9});
    CHECK(accepted<gm_gc>("c7 01 05 02 01 61 01 01 01 01 62 01 01 01").size() == 2);
}

TEST_CASE("a retirable_counter_map holding an entry of a retired replica is not_canonical at its counters",
          "[encoding][hostile][retirable_counter_map]") {
    // retired {7}, counters {"a": {7: +1/-0}}.
    CHECK(rejection<rcm_u32>("c7 01 06 01 07 01 01 61 01 07 01 00") == decode_error{errc::not_canonical, 5});
    // The same entry for replica 8 is fine.
    CHECK(accepted<rcm_u32>("c7 01 06 01 07 01 01 61 01 08 01 00").value("a") == 1);
    // The retired set and the counters are checked as a g_set and a g_map.
    CHECK(rejection<rcm_u32>("c7 01 06 02 07 07 00") == decode_error{errc::not_canonical, 5});
    CHECK(rejection<rcm_u32>("c7 01 06 00 01 01 61 00") == decode_error{errc::zero_entry, 7});
    CHECK(rejection<rcm_u32>("c7 01 06 00 01 01 61 01 08 00 00") == decode_error{errc::zero_entry, 9});
    CHECK(rejection<rcm_u32_u8>("c7 01 06 00 01 01 61 01 08 ac 02 00") == decode_error{errc::value_out_of_range, 9});
    CHECK(rejection<rcm_u32>("c7 01 06 00") == decode_error{errc::truncated, 4});
    CHECK(accepted<rcm_u32>("c7 01 06 00 00").empty());
}

TEST_CASE("a sync_message with to < from, bad flags or a payload of another type is rejected at that field",
          "[encoding][hostile][sync_message]") {
    // tag, epoch 1, from 5, to 3
    CHECK(rejection<sm_gc>("c7 01 07 02 01 05 03 00 00 00 00") == decode_error{errc::value_out_of_range, 6});
    CHECK(accepted<sm_gc>("c7 01 07 02 01 03 03 00 00 00 00").to == 3);
    // flags 16: only bit 0 (full state), bit 1 (extension), bit 2 (awaiting a report) and bit 3
    // (a report version) exist
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 10 00 00 00") == decode_error{errc::value_out_of_range, 7});
    CHECK(accepted<sm_gc>("c7 01 07 02 01 00 01 04 00 00 00").awaiting_report);
    // bit 3: a version follows the ack, and it is not 0 (0 is written by leaving it out)
    CHECK(accepted<sm_gc>("c7 01 07 02 01 00 01 08 00 00 03 00").report_version == 3);
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 08 00 00 00 00") == decode_error{errc::not_canonical, 10});
    // bit 1 promises an extension: it must be there, say something, and be well formed
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 02 00 00 00") == decode_error{errc::truncated, 11});
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 02 00 00 00 00 00") == decode_error{errc::not_canonical, 7});
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 03 00 00 00 01 01 01 00 00") ==
          decode_error{errc::value_out_of_range, 11});
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 02 00 00 00 00 02 00") == decode_error{errc::value_out_of_range, 12});
    // a report needs a version
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 02 00 00 00 00 01 00 00") ==
          decode_error{errc::value_out_of_range, 12});
    // with version 1 (flags 0a): the report's epochs rise, counts fit the input, dropped peers
    // are not also heard
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 0a 00 00 01 00 00 01 02 05 01 03 01 00") ==
          decode_error{errc::not_canonical, 17});
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 0a 00 00 01 00 00 01 05 01 02") ==
          decode_error{errc::length_exceeds_input, 14});
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 0a 00 00 01 00 00 01 01 05 01 01 05 02") ==
          decode_error{errc::not_canonical, 17});
    CHECK(accepted<sm_gc>("c7 01 07 02 01 00 01 0a 00 00 01 00 00 01 00 00").has_report);
    const sm_gc with_report = accepted<sm_gc>("c7 01 07 02 01 00 01 0a 00 00 01 00 00 01 01 05 01 01 06 02");
    CHECK(with_report.report == std::vector<heard_peer>{{5, 1}});
    CHECK(with_report.dropped == std::vector<heard_peer>{{6, 2}});
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 80 00 00 00") == decode_error{errc::value_out_of_range, 7});
    // a full state covers (0, to]: from 1 is rejected at the flags
    CHECK(rejection<sm_gc>("c7 01 07 02 01 01 02 01 00 00 00") == decode_error{errc::value_out_of_range, 7});
    CHECK(accepted<sm_gc>("c7 01 07 02 01 00 02 01 00 00 00").full_state);
    // payload tag 3 (pn_counter) where a g_counter is expected
    CHECK(rejection<sm_gc>("c7 01 07 03 01 00 01 00 00 00 00") == decode_error{errc::wrong_type, 3});
    CHECK(rejection<sync_message<pn_u32>>("c7 01 07 02 01 00 01 00 00 00 00") == decode_error{errc::wrong_type, 3});
    // the payload is checked like a top-level value, and nothing may follow it
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 00 00 00 01 01 00") == decode_error{errc::zero_entry, 12});
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 00 00 00 00 00") == decode_error{errc::trailing_bytes, 11});
    CHECK(rejection<sm_gc>("c7 01 07 02 01 00 01 00 00 80") == decode_error{errc::truncated, 9});
    CHECK(rejection<sm_gc>("c7 01 07") == decode_error{errc::truncated, 3});
    // the header's tag is sync_message's own
    CHECK(rejection<sm_gc>("c7 01 02 00") == decode_error{errc::wrong_type, 2});
}

TEST_CASE("a broadcast_message with an unknown kind, to < from, an empty interval or a payload of another type "
          "is rejected at that field",
          "[encoding][hostile][broadcast_message]") {
    // kind, payload tag, sender 1, epoch 1, then by kind
    CHECK(rejection<bm_gc>("c7 01 0c 04 02 01 01 00") == decode_error{errc::value_out_of_range, 3});
    CHECK(rejection<bm_gc>("c7 01 0c ff 02 01 01 00") == decode_error{errc::value_out_of_range, 3});
    CHECK(rejection<bm_gc>("c7 01 0c 00 03 01 01 00 01 00") == decode_error{errc::wrong_type, 4});
    CHECK(rejection<bm_gc>("c7 01 0c 01 03 01 01 05") == decode_error{errc::wrong_type, 4});
    // intervals: to > from; repairs: to >= from
    CHECK(rejection<bm_gc>("c7 01 0c 00 02 01 01 05 03 00") == decode_error{errc::value_out_of_range, 8});
    CHECK(rejection<bm_gc>("c7 01 0c 00 02 01 01 03 03 00") == decode_error{errc::value_out_of_range, 8});
    CHECK(accepted<bm_gc>("c7 01 0c 00 02 01 01 03 04 00").to == 4);
    CHECK(rejection<bm_gc>("c7 01 0c 02 02 01 01 05 03 00") == decode_error{errc::value_out_of_range, 8});
    CHECK(accepted<bm_gc>("c7 01 0c 02 02 01 01 03 03 00").from == 3);
    // a full state has no `from`: it covers (0, to]
    const auto full = accepted<bm_gc>("c7 01 0c 03 02 01 01 07 01 01 05");
    CHECK(full.kind == broadcast_kind::full_state);
    CHECK(full.from == 0);
    CHECK(full.to == 7);
    CHECK(full.payload.value() == 5);
    // a digest has no payload: from = to = seq
    const auto digest = accepted<bm_gc>("c7 01 0c 01 02 01 01 05");
    CHECK(digest.from == 5);
    CHECK(digest.to == 5);
    CHECK(rejection<bm_gc>("c7 01 0c 01 02 01 01 05 00") == decode_error{errc::trailing_bytes, 8});
    // the sender is checked by its codec, the payload like a top-level value
    CHECK(rejection<broadcast_message<gc_u32, std::uint8_t>>("c7 01 0c 01 02 ac 02 01 05") ==
          decode_error{errc::value_out_of_range, 5});
    CHECK(rejection<bm_gc>("c7 01 0c 00 02 01 01 00 01 01 01 00") == decode_error{errc::zero_entry, 11});
    CHECK(rejection<bm_gc>("c7 01 0c 00 02 01 01 00 01") == decode_error{errc::truncated, 9});
    CHECK(rejection<bm_gc>("c7 01 0c") == decode_error{errc::truncated, 3});
    CHECK(rejection<bm_gc>("c7 01 07 00") == decode_error{errc::wrong_type, 2});
}

TEST_CASE("a repair_request is two ids and two varints, each checked", "[encoding][hostile][repair_request]") {
    const auto q = accepted<rr_u32>("c7 01 0d 02 01 ac 02 02");
    CHECK(q == rr_u32{.requester = 2, .sender = 1, .epoch = 300, .have = 2});
    CHECK(rejection<rr_u32>("c7 01 0d 02 01 01") == decode_error{errc::truncated, 6});
    CHECK(rejection<repair_request<std::uint8_t>>("c7 01 0d 02 ac 02 01 01") == decode_error{errc::value_out_of_range, 4});
    CHECK(rejection<rr_u32>("c7 01 0d 02 01 01 01 00") == decode_error{errc::trailing_bytes, 7});
    CHECK(rejection<rr_u32>("c7 01 0c 02 01 01 01") == decode_error{errc::wrong_type, 2});
    CHECK(accepted<repair_request<std::string>>("c7 01 0d 01 61 01 62 00 00").sender == "b");
}

TEST_CASE("a max_register is a presence byte then the value, and any other presence byte is not_canonical",
          "[encoding][hostile][max_register]") {
    CHECK(accepted<mr_u64>("c7 01 08 00").empty());
    // 0 is a value, not bottom.
    const auto zero = accepted<mr_u64>("c7 01 08 01 00");
    CHECK_FALSE(zero.empty());
    CHECK(zero.get() == std::optional<std::uint64_t>{0});
    CHECK(accepted<mr_u64>("c7 01 08 01 ff ff ff ff ff ff ff ff ff 01").get() == std::optional{u64_max});

    CHECK(rejection<mr_u64>("c7 01 08 02") == decode_error{errc::not_canonical, 3});
    CHECK(rejection<mr_u64>("c7 01 08 02 05") == decode_error{errc::not_canonical, 3});
    CHECK(rejection<mr_u64>("c7 01 08 ff 05") == decode_error{errc::not_canonical, 3});
    // Cut off before the presence byte, before the value, inside the value.
    CHECK(rejection<mr_u64>("c7 01 08") == decode_error{errc::truncated, 3});
    CHECK(rejection<mr_u64>("c7 01 08 01") == decode_error{errc::truncated, 4});
    CHECK(rejection<mr_u64>("c7 01 08 01 ac") == decode_error{errc::truncated, 4});
    CHECK(rejection<mr_str>("c7 01 08 01 03 61") == decode_error{errc::length_exceeds_input, 4});
    // The value is checked by its codec.
    CHECK(rejection<mr_u8>("c7 01 08 01 ac 02") == decode_error{errc::value_out_of_range, 4});
    CHECK(accepted<mr_u8>("c7 01 08 01 ff 01").get() == std::optional<std::uint8_t>{255});
    CHECK(rejection<mr_u64>("c7 01 08 01 80 00") == decode_error{errc::varint_overlong, 4});
    // Nothing after bottom or after the value.
    CHECK(rejection<mr_u64>("c7 01 08 00 00") == decode_error{errc::trailing_bytes, 4});
    CHECK(rejection<mr_u64>("c7 01 08 01 05 05") == decode_error{errc::trailing_bytes, 5});
    CHECK(rejection<mr_u64>(encode(os_str_u32{})) == decode_error{errc::wrong_type, 2});
}

TEST_CASE("an lww_register is a presence byte then timestamp, writer and value, each checked by its codec",
          "[encoding][hostile][lww_register]") {
    CHECK(accepted<lww_str_u32>("c7 01 09 00").empty());
    // Timestamp 0, writer 0, the empty string: a write like any other.
    const auto zero = accepted<lww_str_u32>("c7 01 09 01 00 00 00");
    REQUIRE(zero.get() != nullptr);
    CHECK(zero.get()->empty());
    CHECK(zero.timestamp() == 0);
    CHECK(*zero.writer() == 0);
    const auto top = accepted<lww_str_u32>("c7 01 09 01 ff ff ff ff ff ff ff ff ff 01 ff ff ff ff 0f 01 78");
    CHECK(top.timestamp() == u64_max);
    CHECK(*top.writer() == std::numeric_limits<std::uint32_t>::max());
    CHECK(*top.get() == "x");

    CHECK(rejection<lww_str_u32>("c7 01 09 02") == decode_error{errc::not_canonical, 3});
    CHECK(rejection<lww_str_u32>("c7 01 09 02 01 01 00") == decode_error{errc::not_canonical, 3});
    // Cut off at each field in turn.
    CHECK(rejection<lww_str_u32>("c7 01 09") == decode_error{errc::truncated, 3});
    CHECK(rejection<lww_str_u32>("c7 01 09 01") == decode_error{errc::truncated, 4});
    CHECK(rejection<lww_str_u32>("c7 01 09 01 85") == decode_error{errc::truncated, 4});
    CHECK(rejection<lww_str_u32>("c7 01 09 01 05") == decode_error{errc::truncated, 5});
    CHECK(rejection<lww_str_u32>("c7 01 09 01 05 01") == decode_error{errc::truncated, 6});
    CHECK(rejection<lww_str_u32>("c7 01 09 01 05 01 03 61") == decode_error{errc::length_exceeds_input, 6});
    CHECK(rejection<lww_str_u32>("c7 01 09 01 ff ff ff ff ff ff ff ff ff 02 01 00") ==
          decode_error{errc::varint_overflow, 4});
    // The writer and the value out of range of their types, and a writer one past uint32_t.
    CHECK(rejection<lww_str_u8>("c7 01 09 01 05 ac 02 00") == decode_error{errc::value_out_of_range, 5});
    CHECK(rejection<lww_str_u32>("c7 01 09 01 05 80 80 80 80 10 00") == decode_error{errc::value_out_of_range, 5});
    CHECK(rejection<lww_u8_u32>("c7 01 09 01 05 01 ac 02") == decode_error{errc::value_out_of_range, 6});
    CHECK(*accepted<lww_u8_u32>("c7 01 09 01 05 01 ff 01").get() == 255);
    CHECK(rejection<lww_str_u32>("c7 01 09 01 05 01 00 00") == decode_error{errc::trailing_bytes, 7});
    CHECK(rejection<lww_str_u32>(encode(mr_u64{})) == decode_error{errc::wrong_type, 2});
}

TEST_CASE("an or_set context run that starts at 0 or overflows is value_out_of_range at the run",
          "[encoding][hostile][or_set]") {
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 00 00 00") == decode_error{errc::value_out_of_range, 4});
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 00 05 00") == decode_error{errc::value_out_of_range, 4});
    // first + extra: 2^64 - 1 + 1 overflows, 2^64 - 1 + 0 and 1 + (2^64 - 2) do not.
    const std::string top = "ff ff ff ff ff ff ff ff ff 01";
    const std::string below_top = "fe ff ff ff ff ff ff ff ff 01";
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 " + top + " 01 00") == decode_error{errc::value_out_of_range, 4});
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 02 " + below_top + " 00") ==
          decode_error{errc::value_out_of_range, 4});
    CHECK(accepted<os_str_u32>("c7 01 0a 01 01 " + top + " 00 00").context().ranges().front().last == u64_max);
    CHECK(accepted<os_str_u32>("c7 01 0a 01 01 01 " + below_top + " 00").context().ranges().front().last == u64_max);
    // Reported at the run's own first byte, after valid runs.
    CHECK(rejection<os_str_u32>("c7 01 0a 02 01 01 00 02 00 00 00") == decode_error{errc::value_out_of_range, 7});
    // The replica is checked by its codec first.
    CHECK(rejection<os_str_u8>("c7 01 0a 01 ac 02 01 00 00") == decode_error{errc::value_out_of_range, 4});
}

TEST_CASE("or_set context runs out of order, overlapping or touching are not_canonical at the later run",
          "[encoding][hostile][or_set]") {
    // Replica 2's run, then replica 1's.
    CHECK(rejection<os_str_u32>("c7 01 0a 02 02 01 00 01 01 00 00") == decode_error{errc::not_canonical, 7});
    // Replica 1: (5..5) then (1..1); (1..3) then (2..2); (1..1) twice.
    CHECK(rejection<os_str_u32>("c7 01 0a 02 01 05 00 01 01 00 00") == decode_error{errc::not_canonical, 7});
    CHECK(rejection<os_str_u32>("c7 01 0a 02 01 01 02 01 02 00 00") == decode_error{errc::not_canonical, 7});
    CHECK(rejection<os_str_u32>("c7 01 0a 02 01 01 00 01 01 00 00") == decode_error{errc::not_canonical, 7});
    // (1..2) then (3..3) touch: the canonical form is the one run (1..3).
    CHECK(rejection<os_str_u32>("c7 01 0a 02 01 01 01 01 03 00 00") == decode_error{errc::not_canonical, 7});
    CHECK(accepted<os_str_u32>("c7 01 0a 01 01 01 02 00").context().ranges().size() == 1);
    // (1..2) then (4..4) leave a gap at 3, and runs of different replicas may touch.
    CHECK(accepted<os_str_u32>("c7 01 0a 02 01 01 01 01 04 00 00").context().ranges().size() == 2);
    CHECK(accepted<os_str_u32>("c7 01 0a 02 01 01 00 02 02 00 00").context().ranges().size() == 2);
    // The third run checked against the second, not the first.
    CHECK(rejection<os_str_u32>("c7 01 0a 03 01 01 00 01 05 00 01 04 00 00") == decode_error{errc::not_canonical, 10});
}

TEST_CASE("or_set elements out of order, without dots, or with dots out of place are rejected at that field",
          "[encoding][hostile][or_set]") {
    // The context is (1, 1..3) throughout.
    const std::string ctx = "c7 01 0a 01 01 01 02 ";
    CHECK(accepted<os_str_u32>(ctx + "02 01 61 01 01 01 01 62 02 01 02 01 03").size() == 2);

    SECTION("elements unsorted or repeated: not_canonical at the later element") {
        CHECK(rejection<os_str_u32>(ctx + "02 01 62 01 01 01 01 61 01 01 02") == decode_error{errc::not_canonical, 13});
        CHECK(rejection<os_str_u32>(ctx + "02 01 61 01 01 01 01 61 01 01 02") == decode_error{errc::not_canonical, 13});
        // By the decoded value: "aa" precedes "b" although its length byte is larger.
        CHECK(rejection<os_str_u32>(ctx + "02 01 62 01 01 01 02 61 61 01 01 02") ==
              decode_error{errc::not_canonical, 13});
        CHECK(accepted<os_str_u32>(ctx + "02 02 61 61 01 01 01 01 62 01 01 02").contains("aa"));
    }
    SECTION("an element with no dot: zero_entry at its dot count") {
        CHECK(rejection<os_str_u32>(ctx + "02 01 61 00 01 62 01 01 01") == decode_error{errc::zero_entry, 10});
        CHECK(rejection<os_str_u32>(ctx + "01 03 61 61 61 00") == decode_error{errc::zero_entry, 12});
        // Too short to hold one element of the smallest size (element, count, one dot): the
        // count is rejected first.
        CHECK(rejection<os_str_u32>(ctx + "01 01 61 00") == decode_error{errc::length_exceeds_input, 7});
    }
    SECTION("dots unsorted or repeated on one element: not_canonical at the later dot") {
        CHECK(rejection<os_str_u32>(ctx + "01 01 61 02 01 02 01 01") == decode_error{errc::not_canonical, 13});
        CHECK(rejection<os_str_u32>(ctx + "01 01 61 02 01 01 01 01") == decode_error{errc::not_canonical, 13});
        CHECK(accepted<os_str_u32>(ctx + "01 01 61 02 01 01 01 02").entries().front().second.size() == 2);
    }
    SECTION("a dot outside the context: not_canonical at the dot") {
        CHECK(rejection<os_str_u32>(ctx + "01 01 61 01 01 04") == decode_error{errc::not_canonical, 11});
        CHECK(rejection<os_str_u32>(ctx + "01 01 61 01 02 01") == decode_error{errc::not_canonical, 11});
        CHECK(rejection<os_str_u32>(ctx + "01 01 61 01 01 00") == decode_error{errc::not_canonical, 11});
        CHECK(rejection<os_str_u32>(ctx + "01 01 61 02 01 03 01 04") == decode_error{errc::not_canonical, 13});
        // Inside a gap between two runs of the same replica: (1, 1..1) and (1, 3..3).
        CHECK(rejection<os_str_u32>("c7 01 0a 02 01 01 00 01 03 00 01 01 61 01 01 02") ==
              decode_error{errc::not_canonical, 14});
        CHECK(accepted<os_str_u32>("c7 01 0a 02 01 01 00 01 03 00 01 01 61 01 01 03").contains("a"));
        // No context at all: no dot can be inside it.
        CHECK(rejection<os_str_u32>("c7 01 0a 00 01 01 61 01 01 01") == decode_error{errc::not_canonical, 8});
    }
    SECTION("a dot on two elements: not_canonical after the last element") {
        const bytes input = hex(ctx + "02 01 61 01 01 01 01 62 01 01 01");
        CHECK(rejection<os_str_u32>(input) == decode_error{errc::not_canonical, input.size()});
        // Also when the two elements are not neighbours.
        const bytes apart = hex(ctx + "03 01 61 01 01 01 01 62 01 01 02 01 63 01 01 01");
        CHECK(rejection<os_str_u32>(apart) == decode_error{errc::not_canonical, apart.size()});
    }
}

TEST_CASE("or_set counts beyond the input are length_exceeds_input and cut-off fields truncated",
          "[encoding][hostile][or_set]") {
    // Runs take at least 3 bytes, elements 4 (element, count, one dot), dots 2.
    CHECK(rejection<os_str_u32>("c7 01 0a 02 01 01 00") == decode_error{errc::length_exceeds_input, 3});
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 01") == decode_error{errc::length_exceeds_input, 3});
    CHECK(rejection<os_str_u32>("c7 01 0a 00 02 01 61 01 01 01") == decode_error{errc::length_exceeds_input, 4});
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 01 02 01 01 61 03 01 01 01 02") ==
          decode_error{errc::length_exceeds_input, 10});
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 01 02 01 05 61 62 01 01") ==
          decode_error{errc::length_exceeds_input, 8});
    decode_limits unlimited;
    unlimited.max_entries = std::numeric_limits<std::size_t>::max();
    const std::string huge = "80 80 80 80 80 80 80 80 40";  // 2^62
    CHECK(rejection<os_str_u32>("c7 01 0a " + huge + " 01 01 00", unlimited) ==
          decode_error{errc::length_exceeds_input, 3});
    CHECK(rejection<os_str_u32>("c7 01 0a " + huge) == decode_error{errc::limit_exceeded, 3});
    CHECK(rejection<os_str_u32>("c7 01 0a 00 " + huge + " 01 61 01 01 01", unlimited) ==
          decode_error{errc::length_exceeds_input, 4});

    CHECK(rejection<os_str_u32>("c7 01 0a") == decode_error{errc::truncated, 3});
    CHECK(rejection<os_str_u32>("c7 01 0a 00") == decode_error{errc::truncated, 4});
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 01 82") == decode_error{errc::truncated, 6});
    CHECK(rejection<os_str_u32>("c7 01 0a 01 01 01 02") == decode_error{errc::truncated, 7});
    CHECK(rejection<os_str_u32>("c7 01 0a 00 00 00") == decode_error{errc::trailing_bytes, 5});
    CHECK(accepted<os_str_u32>("c7 01 0a 00 00").empty());
    // A set whose elements were all removed keeps its context: not bottom.
    const auto removed = accepted<os_str_u32>("c7 01 0a 01 01 01 00 00");
    CHECK_FALSE(removed.empty());
    CHECK(removed.size() == 0);
}

TEST_CASE("decode_limits cap an or_set's runs, elements, dots and strings", "[encoding][hostile][or_set][limits]") {
    const bytes b = encode(doc_or_set());  // 3 runs, 2 elements, 2 dots on "news", a 5-byte "sport"
    CHECK(decode<os_str_u32>(b, {.max_entries = 3, .max_string_bytes = 5}).has_value());
    CHECK(rejection<os_str_u32>(b, {.max_entries = 2}) == decode_error{errc::limit_exceeded, 3});
    CHECK(rejection<os_str_u32>(b, {.max_string_bytes = 4}) == decode_error{errc::limit_exceeded, 24});
    os_str_u32 many_runs;
    for (std::uint32_t r = 1; r <= 2; ++r) many_runs.add("a", r);  // 2 runs, 1 element
    CHECK(rejection<os_str_u32>(encode(many_runs), {.max_entries = 1}) == decode_error{errc::limit_exceeded, 3});
    os_str_u32 one_run;
    for (std::uint32_t i = 0; i < 3; ++i) one_run.add(std::string(1, static_cast<char>('a' + i)), 1);
    // 1 run, then 3 elements at byte 7.
    CHECK(rejection<os_str_u32>(encode(one_run), {.max_entries = 2}) == decode_error{errc::limit_exceeded, 7});
}

TEST_CASE("presence_map markers, runs and entries out of their canonical place are rejected at that field",
          "[encoding][hostile][presence_map]") {
    SECTION("a marker before the horizon or out of order: not_canonical at the marker") {
        CHECK(rejection<pm_str_u32>("c7 01 0b 05 01 07 04 00 00") == decode_error{errc::not_canonical, 5});
        CHECK(accepted<pm_str_u32>("c7 01 0b 05 01 07 05 00 00").is_retired(7));
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 02 07 01 03 01 00 00") == decode_error{errc::not_canonical, 7});
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 02 07 01 07 02 00 00") == decode_error{errc::not_canonical, 7});
    }
    SECTION("context runs: checked as for or_set, and none of a retired replica") {
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 00 01 01 00 00 00") == decode_error{errc::value_out_of_range, 6});
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 00 02 01 01 01 01 03 00 00") == decode_error{errc::not_canonical, 9});
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 01 07 01 01 07 01 00 00") == decode_error{errc::not_canonical, 8});
        const auto history = accepted<pm_str_u32>("c7 01 0b 00 00 01 01 01 00 00");
        CHECK(history.size() == 0);
        CHECK_FALSE(history.empty());
    }
    SECTION("entries: sorted, of live replicas, inside the context, on one key only, gauges not 0") {
        const std::string ctx = "c7 01 0b 00 00 01 01 01 01 ";  // run (1, 1..2) ends at byte 8
        CHECK(accepted<pm_str_u32>(ctx + "01 01 61 02 01 01 01 01 02 01").size() == 2);
        CHECK(rejection<pm_str_u32>(ctx + "01 01 61 02 01 02 01 01 01 01") == decode_error{errc::not_canonical, 16});
        CHECK(rejection<pm_str_u32>(ctx + "01 01 61 01 01 03 01") == decode_error{errc::not_canonical, 13});
        CHECK(rejection<pm_str_u32>(ctx + "01 01 61 01 02 01 01") == decode_error{errc::not_canonical, 13});
        CHECK(rejection<pm_str_u32>(ctx + "01 01 61 01 01 01 00") == decode_error{errc::zero_entry, 15});
        CHECK(rejection<pm_str_u32>(ctx + "01 01 61 00 00 00") == decode_error{errc::zero_entry, 12});
        CHECK(rejection<pm_str_u32>(ctx + "02 01 62 01 01 01 01 01 61 01 01 02 01") ==
              decode_error{errc::not_canonical, 16});
        const bytes twice = hex(ctx + "02 01 61 01 01 01 01 01 62 01 01 01 01");
        CHECK(rejection<pm_str_u32>(twice) == decode_error{errc::not_canonical, twice.size()});
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 01 07 01 00 01 01 61 01 07 01 01") ==
              decode_error{errc::not_canonical, 12});
        CHECK(rejection<pm_str_u32_u8>(ctx + "01 01 61 01 01 01 ac 02") == decode_error{errc::value_out_of_range, 15});
    }
    SECTION("counts beyond the input, cut-off fields and limits") {
        // Markers take at least 2 bytes, runs 3, keys 5 (key, count, one entry), entries 3.
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 02 01 01") == decode_error{errc::length_exceeds_input, 4});
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 00 01 01 01") == decode_error{errc::length_exceeds_input, 5});
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 00 00 01 01 61 01 01") == decode_error{errc::length_exceeds_input, 6});
        CHECK(rejection<pm_str_u32>("c7 01 0b") == decode_error{errc::truncated, 3});
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 00 00") == decode_error{errc::truncated, 6});
        CHECK(rejection<pm_str_u32>("c7 01 0b 00 00 00 00 00") == decode_error{errc::trailing_bytes, 7});
        CHECK(accepted<pm_str_u32>("c7 01 0b 00 00 00 00").empty());
        const bytes b = encode(doc_presence_map());  // 1 marker, 2 runs, 1 key with 2 entries
        CHECK(decode<pm_str_u32>(b, {.max_entries = 2, .max_string_bytes = 4}).has_value());
        CHECK(rejection<pm_str_u32>(b, {.max_entries = 1}) == decode_error{errc::limit_exceeded, 8});
        CHECK(rejection<pm_str_u32>(b, {.max_string_bytes = 3}) == decode_error{errc::limit_exceeded, 16});
    }
    SECTION("extremes round-trip, and equal states encode identically whatever the order of the deltas") {
        pm_str_u32 x;
        x.collect_retired(u64_max - 1);
        x.retire(std::numeric_limits<std::uint32_t>::max(), u64_max);
        x.set(std::string(300, 'k'), 0, u64_max);
        CHECK(decode<pm_str_u32>(encode(x)).value() == x);
        pm_str_u32 a;
        pm_str_u32 b;
        const auto a1 = a.set("x", 1, 1);
        const auto b1 = b.set("x", 2, 2);
        const auto a2 = a.set("x", 1, 0);
        const auto b2 = b.retire(3, 9);
        pm_str_u32 forward;
        for (const pm_str_u32* d : {&a1, &b1, &a2, &b2}) forward.merge(*d);
        pm_str_u32 backward;
        for (const pm_str_u32* d : {&b2, &a2, &b1, &a1}) backward.merge(*d);
        CHECK(encode(forward) == encode(backward));
    }
}

TEST_CASE("a bottom register or or_set as a g_map value is zero_entry; nested errors keep their offsets",
          "[encoding][hostile][g_map]") {
    CHECK(rejection<gm_mr>("c7 01 05 01 01 61 00") == decode_error{errc::zero_entry, 6});
    CHECK(rejection<gm_lww>("c7 01 05 01 01 61 00") == decode_error{errc::zero_entry, 6});
    CHECK(rejection<gm_os>("c7 01 05 01 01 61 00 00") == decode_error{errc::zero_entry, 6});
    // Written values, and a set with only a context, are not bottom.
    CHECK(accepted<gm_mr>("c7 01 05 01 01 61 01 00").size() == 1);
    CHECK(accepted<gm_lww>("c7 01 05 01 01 61 01 00 00 00").size() == 1);
    CHECK(accepted<gm_os>("c7 01 05 01 01 61 01 01 01 00 00").size() == 1);
    // Errors inside a value are at their offset in the whole input.
    CHECK(rejection<gm_mr>("c7 01 05 01 01 61 02 00") == decode_error{errc::not_canonical, 6});
    CHECK(rejection<gm_lww>("c7 01 05 01 01 61 02 00 00 00") == decode_error{errc::not_canonical, 6});
    CHECK(rejection<gm_os>("c7 01 05 01 01 61 01 01 00 00 00") == decode_error{errc::value_out_of_range, 7});
    CHECK(rejection<gm_os>("c7 01 05 01 01 61 01 01 01 00 01 01 62 01 01 02") ==
          decode_error{errc::not_canonical, 14});
}

TEST_CASE("the new types round-trip at their extremes and encode equal states identically",
          "[encoding][canonical]") {
    mr_u64 m;
    m.raise(u64_max);
    CHECK(to_hex(encode(m)) == "c7 01 08 01 ff ff ff ff ff ff ff ff ff 01");
    CHECK(decode<mr_u64>(encode(m)).value() == m);

    lww_str_u32 r;
    r.assign(std::string(300, 'v'), u64_max, std::numeric_limits<std::uint32_t>::max());
    CHECK(decode<lww_str_u32>(encode(r)).value() == r);

    // The same adds and removes received in different orders and groupings give the same bytes.
    os_str_u32 a;
    os_str_u32 b;
    const auto a1 = a.add("x", 1);
    const auto b1 = b.add("x", 2);
    const auto b2 = b.add("y", 2);
    const auto a2 = a.add("z", 1);
    a.merge(b1);
    const auto a3 = a.remove("x");  // removes (1, 1) and (2, 1)
    os_str_u32 forward;
    for (const os_str_u32* d : {&a1, &b1, &b2, &a2, &a3}) forward.merge(*d);
    os_str_u32 backward;
    for (const os_str_u32* d : {&a3, &a2, &b2, &b1, &a1}) backward.merge(*d);
    CHECK(encode(forward) == encode(backward));
    CHECK(to_hex(encode(forward)) == "c7 01 0a 02 01 01 01 02 01 01 02 01 79 01 02 02 01 7a 01 01 02");
    CHECK(decode<os_str_u32>(encode(forward)).value() == forward);
}

TEST_CASE("bytes after a complete value are trailing_bytes at the first extra byte", "[encoding][hostile]") {
    CHECK(rejection<gc_u32>("c7 01 02 00 00") == decode_error{errc::trailing_bytes, 4});
    const bytes one = encode(doc_g_counter());
    CHECK(rejection<gc_u32>(concat(one, one)) == decode_error{errc::trailing_bytes, one.size()});
    CHECK(rejection<gc_u32>(concat(one, hex("ff"))) == decode_error{errc::trailing_bytes, one.size()});
}

TEST_CASE("each decode_limits cap accepts a value at the cap and rejects one above it", "[encoding][hostile][limits]") {
    SECTION("the defaults") {
        const decode_limits defaults;
        CHECK(defaults.max_bytes == 64u * 1024 * 1024);
        CHECK(defaults.max_entries == 4u * 1024 * 1024);
        CHECK(defaults.max_string_bytes == 64u * 1024);
    }
    SECTION("max_entries, at the count's first byte") {
        const bytes b = encode(doc_g_counter());  // 3 entries
        CHECK(decode<gc_u32>(b, {.max_entries = 3}).has_value());
        CHECK(rejection<gc_u32>(b, {.max_entries = 2}) == decode_error{errc::limit_exceeded, 3});
        CHECK(rejection<gs_str>(encode(doc_g_set()), {.max_entries = 1}) == decode_error{errc::limit_exceeded, 3});
    }
    SECTION("max_bytes, at the first byte beyond the cap, before anything is read") {
        const bytes b = encode(doc_g_counter());  // 11 bytes
        CHECK(decode<gc_u32>(b, {.max_bytes = 11}).has_value());
        CHECK(rejection<gc_u32>(b, {.max_bytes = 10}) == decode_error{errc::limit_exceeded, 10});
        CHECK(rejection<gc_u32>("00 00 00 00", {.max_bytes = 3}) == decode_error{errc::limit_exceeded, 3});
    }
    SECTION("max_string_bytes, at the length's first byte") {
        gs_str s;
        s.insert("abc");
        s.insert("abcd");  // at offset 8: length 4
        const bytes b = encode(s);
        CHECK(decode<gs_str>(b, {.max_string_bytes = 4}).has_value());
        CHECK(rejection<gs_str>(b, {.max_string_bytes = 3}) == decode_error{errc::limit_exceeded, 8});
        // Checked before the length is compared with the input: 65537 > the default cap.
        CHECK(rejection<gc_str>("c7 01 02 01 81 80 04") == decode_error{errc::limit_exceeded, 4});
    }
}

// --- Reporting ----------------------------------------------------------------------------------

TEST_CASE("decode_result::value throws decode_failure carrying the code and the offset", "[encoding][errors]") {
    const bytes b = hex("c7 01 02 02 01 05 02 83");
    const auto r = decode<gc_u32>(b);
    REQUIRE_FALSE(r);
    CHECK(r.error() == decode_error{errc::truncated, 7});
    CHECK(r.error().message() == "converge: input truncated at byte 7");

    try {
        (void)r.value();
        FAIL("value() returned without a value");
    } catch (const decode_failure& f) {
        CHECK(f.error() == decode_error{errc::truncated, 7});
        CHECK(f.code() == errc::truncated);
        CHECK(std::string(f.code().category().name()) == "converge");
        CHECK_THAT(std::string(f.what()), Catch::Contains("at byte 7") && Catch::Contains("input truncated"));
    }
    CHECK_THROWS_AS(*decode<gc_u32>(b), decode_failure);
    CHECK_THROWS_AS(decode<gc_u32>(b).value(), std::system_error);

    const auto ok = decode<gc_u32>(encode(doc_g_counter()));
    REQUIRE(ok);
    CHECK(ok->value_of(7) == 200);
    CHECK_THROWS_AS(ok.error(), std::bad_variant_access);
}

TEST_CASE("converge::errc converts to a std::error_code in the converge category", "[encoding][errors]") {
    std::error_code ec = converge::errc::truncated;
    CHECK(std::string(ec.category().name()) == "converge");
    CHECK(ec.category() == converge::error_category());
    CHECK(ec.value() == 1);
    CHECK(ec.message() == "input truncated");
    CHECK(ec == converge::errc::truncated);
    CHECK(ec != converge::errc::bad_magic);
    CHECK(static_cast<bool>(ec));

    const std::array<std::string_view, 12> messages{
        "input truncated", "bad magic byte", "unsupported format version", "type tag names another type",
        "overlong varint", "varint overflows 64 bits", "value out of range for the target type",
        "length exceeds the remaining input", "not the canonical encoding (entries out of order, repeated or misplaced)",
        "zero entry in canonical encoding", "trailing bytes after value", "decode limit exceeded"};
    for (std::size_t i = 0; i < errc_names.size(); ++i) {
        const auto& [label, code] = errc_names[i];
        INFO("errc::" << label);
        CHECK(static_cast<int>(code) == static_cast<int>(i) + 1);
        CHECK(make_error_code(code).message() == messages[i]);
        CHECK(decode_error{code, 42}.message() == "converge: " + std::string(messages[i]) + " at byte 42");
    }
}

// --- Round trips at the edges -----------------------------------------------------------------

TEST_CASE("signed ids zigzag to varints and round-trip at INT64_MIN, -1, 0 and INT64_MAX", "[encoding][zigzag]") {
    const std::string min_z = "ff ff ff ff ff ff ff ff ff 01";  // zigzag(INT64_MIN) = 2^64 - 1
    const std::string max_z = "fe ff ff ff ff ff ff ff ff 01";  // zigzag(INT64_MAX) = 2^64 - 2

    gs_i64 s;
    for (const std::int64_t x : {i64_max, std::int64_t{0}, std::int64_t{-1}, i64_min}) s.insert(x);
    CHECK(to_hex(encode(s)) == "c7 01 04 04 " + min_z + " 01 00 " + max_z);
    const auto s_back = decode<gs_i64>(encode(s));
    REQUIRE(s_back);
    CHECK(*s_back == s);

    vc_i64 c;
    for (const std::int64_t id : {std::int64_t{0}, i64_min, i64_max, std::int64_t{-1}, std::int64_t{1}}) c.tick(id);
    CHECK(to_hex(encode(c)) == "c7 01 01 05 " + min_z + " 01 01 01 00 01 02 01 " + max_z + " 01");
    const auto c_back = decode<vc_i64>(encode(c));
    REQUIRE(c_back);
    CHECK(*c_back == c);
    CHECK(c_back->get(i64_min) == 1);
    CHECK(c_back->get(i64_max) == 1);
}

TEST_CASE("a count of UINT64_MAX round-trips as a ten-byte varint", "[encoding][varint]") {
    const std::string max = "ff ff ff ff ff ff ff ff ff 01";

    gc_u32 c;
    c.increment(1, u64_max);
    CHECK(to_hex(encode(c)) == "c7 01 02 01 01 " + max);
    const auto back = decode<gc_u32>(encode(c));
    REQUIRE(back);
    CHECK(back->value_of(1) == u64_max);

    pn_counter<std::uint32_t> p;
    p.increment(1, u64_max);
    p.decrement(1, u64_max);
    CHECK(to_hex(encode(p)) == "c7 01 03 01 01 " + max + " " + max);
    CHECK(decode<pn_counter<std::uint32_t>>(encode(p)).value() == p);

    // A clock cannot tick 2^64 - 1 times in a test, but it can receive such an entry.
    CHECK(accepted<vc_i64>("c7 01 01 01 00 " + max).get(0) == u64_max);
}

TEST_CASE("equal states encode to identical bytes whatever history built them", "[encoding][canonical]") {
    // Past the recent-insert run, so the two sets differ in internal layout.
    gs_u16 up, down, merged;
    for (std::uint16_t i = 0; i < 200; ++i) up.insert(i);
    for (std::uint16_t i = 200; i-- > 0;) down.insert(i);
    for (std::uint16_t i = 0; i < 200; i += 2) merged.insert(i);
    gs_u16 odd;
    for (std::uint16_t i = 1; i < 200; i += 2) odd.insert(i);
    merged.merge(odd);
    CHECK(encode(up) == encode(down));
    CHECK(encode(up) == encode(merged));

    // A zero increment stores nothing, so it leaves no entry on the wire.
    gc_u32 c;
    c.increment(5, 0);
    CHECK(to_hex(encode(c)) == "c7 01 02 00");
}

TEST_CASE("encode_to appends to what the buffer already holds", "[encoding]") {
    bytes buffer = hex("aa bb");
    const gc_u32 first = doc_g_counter();
    encode_to(first, buffer);
    const auto n = encode(first).size();
    REQUIRE(buffer.size() == 2 + n);
    CHECK(to_hex(std::span(buffer).first(2)) == "aa bb");
    CHECK(to_hex(std::span(buffer).subspan(2)) == to_hex(encode(first)));

    gs_str second = doc_g_set();
    encode_to(second, buffer);
    REQUIRE(buffer.size() == 2 + n + encode(second).size());
    const auto a = decode<gc_u32>(std::span<const std::byte>(buffer).subspan(2, n));
    const auto b = decode<gs_str>(std::span<const std::byte>(buffer).subspan(2 + n));
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == first);
    CHECK(*b == second);
}
