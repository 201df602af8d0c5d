// WebSocket frames: server frames unmasked and shared; client bytes decoded as hostile, in any chunking.
// SPDX-License-Identifier: MIT
#include "http/ws_frame.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace active_users;
using namespace active_users::ws;

namespace {

using bytes = std::vector<std::uint8_t>;

/// A client frame: `first` is FIN/RSV/opcode, `payload` masked with `mask`; `length_bytes` forces
/// a 16- or 64-bit length (non-minimal when small).
bytes client_frame(std::uint8_t first, const std::string& payload, bool masked = true, int length_bytes = 0) {
    const std::array<std::uint8_t, 4> mask{0x37, 0xfa, 0x21, 0x3d};
    bytes out{first};
    const std::uint8_t m = masked ? 0x80 : 0x00;
    const std::uint64_t n = payload.size();
    if (length_bytes == 0 && n < 126) {
        out.push_back(static_cast<std::uint8_t>(m | n));
    } else if (length_bytes == 2 || (length_bytes == 0 && n <= 0xFFFF)) {
        out.insert(out.end(), {static_cast<std::uint8_t>(m | 126), static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    } else {
        out.push_back(static_cast<std::uint8_t>(m | 127));
        for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(n >> s));
    }
    if (masked) out.insert(out.end(), mask.begin(), mask.end());
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(static_cast<std::uint8_t>(static_cast<std::uint8_t>(payload[i]) ^ (masked ? mask[i % 4] : 0)));
    return out;
}

/// Every event of `in`, fed `chunk` bytes at a time.
std::vector<client_event> events(const bytes& in, std::size_t chunk, std::uint64_t max_message = 4096) {
    client_reader r(max_message);
    std::vector<client_event> out;
    std::size_t at = 0;
    while (at < in.size()) {
        const std::size_t n = std::min(chunk, in.size() - at);
        std::span<const std::uint8_t> part(in.data() + at, n);
        while (!part.empty()) {
            const auto s = r.feed(part);
            if (s.event.what != client_event::kind::none) out.push_back(s.event);
            if (s.event.what == client_event::kind::error) return out;
            REQUIRE((s.used > 0 || s.event.what != client_event::kind::none));
            part = part.subspan(s.used);
        }
        at += n;
    }
    CHECK_FALSE(r.holds_buffer());
    return out;
}

frame_error error_of(const bytes& in) {
    const auto e = events(in, in.size() + 1);
    REQUIRE_FALSE(e.empty());
    REQUIRE(e.back().what == client_event::kind::error);
    return e.back().error;
}

}  // namespace

TEST_CASE("server frames are unmasked, minimal and the same bytes for every client", "[ws_frame]") {
    CHECK(server_frame(opcode::text, "hi") == std::string("\x81\x02hi", 4));
    const std::string mid(300, 'x');
    const std::string f = server_frame(opcode::text, mid);
    CHECK(f.substr(0, 4) == std::string("\x81\x7e\x01\x2c", 4));
    CHECK(f.size() == 4 + 300);
    const std::string big(70000, 'y');
    const std::string g = server_frame(opcode::binary, big);
    CHECK(g.substr(0, 10) == std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
    CHECK(close_frame(1001) == std::string("\x88\x02\x03\xe9", 4));
    CHECK(close_frame(0) == std::string("\x88\x00", 2));
}

TEST_CASE("masked control frames decode in any chunking, data is skipped", "[ws_frame]") {
    bytes in = client_frame(0x89, "are you there");  // ping
    const bytes text = client_frame(0x81, std::string(1000, 'a'));
    in.insert(in.end(), text.begin(), text.end());
    const bytes pong = client_frame(0x8A, "");
    in.insert(in.end(), pong.begin(), pong.end());
    const bytes part1 = client_frame(0x02, std::string(200, 'b'));  // binary, not final
    const bytes ping2 = client_frame(0x89, std::string(125, 'p'));  // control between fragments
    const bytes part2 = client_frame(0x80, std::string(70000, 'c'));  // 64-bit length, final
    for (const auto* b : {&part1, &ping2, &part2}) in.insert(in.end(), b->begin(), b->end());
    const bytes close = client_frame(0x88, std::string("\x03\xe8" "bye", 5));
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{13},
                              std::size_t{139}, std::size_t{4096}}) {
        bytes all = in;
        all.insert(all.end(), close.begin(), close.end());
        const auto e = events(all, chunk, 1 << 20);
        REQUIRE(e.size() == 4);
        CHECK(e[0].what == client_event::kind::ping);
        CHECK(e[0].payload_view() == "are you there");
        CHECK(e[1].what == client_event::kind::pong);
        CHECK(e[2].what == client_event::kind::ping);
        CHECK(e[2].payload_view() == std::string(125, 'p'));
        CHECK(e[3].what == client_event::kind::close);
        CHECK(e[3].close_code == 1000);
    }
}

TEST_CASE("a continuation finishes a fragmented message; the size limit spans its fragments", "[ws_frame]") {
    bytes in = client_frame(0x01, std::string(3000, 'a'));
    bytes last = client_frame(0x80, std::string(1096, 'b'));
    in.insert(in.end(), last.begin(), last.end());
    const bytes ping = client_frame(0x89, "x");
    in.insert(in.end(), ping.begin(), ping.end());
    auto e = events(in, 512);
    REQUIRE(e.size() == 1);
    CHECK(e[0].what == client_event::kind::ping);

    bytes over = client_frame(0x01, std::string(3000, 'a'));
    last = client_frame(0x80, std::string(1097, 'b'));
    over.insert(over.end(), last.begin(), last.end());
    CHECK(error_of(over) == frame_error::message_too_big);
    CHECK(close_code_for(frame_error::message_too_big) == 1009);
    CHECK(close_code_for(frame_error::unmasked) == 1002);
}

TEST_CASE("hostile client frames are refused", "[ws_frame]") {
    CHECK(error_of(client_frame(0x81, "hello", false)) == frame_error::unmasked);
    CHECK(error_of(client_frame(0x89, "ping", false)) == frame_error::unmasked);
    CHECK(error_of(client_frame(0xC1, "x")) == frame_error::reserved_bits);  // RSV1
    CHECK(error_of(client_frame(0x91, "x")) == frame_error::reserved_bits);  // RSV3
    CHECK(error_of(client_frame(0x83, "x")) == frame_error::unknown_opcode);
    CHECK(error_of(client_frame(0x8B, "x")) == frame_error::unknown_opcode);
    CHECK(error_of(client_frame(0x09, "x")) == frame_error::control_fragmented);
    CHECK(error_of(client_frame(0x89, std::string(126, 'x'))) == frame_error::control_too_long);
    CHECK(error_of(client_frame(0x80, "x")) == frame_error::unexpected_continuation);
    bytes twice = client_frame(0x01, "a");
    const bytes again = client_frame(0x81, "b");
    twice.insert(twice.end(), again.begin(), again.end());
    CHECK(error_of(twice) == frame_error::expected_continuation);
    CHECK(error_of(client_frame(0x81, "short", true, 2)) == frame_error::length_not_minimal);
    CHECK(error_of(client_frame(0x81, std::string(300, 'x'), true, 8)) == frame_error::length_not_minimal);
    CHECK(error_of(client_frame(0x88, "\x03")) == frame_error::bad_close_payload);
    CHECK(error_of(client_frame(0x88, std::string("\x03\xed", 2))) == frame_error::bad_close_payload);  // 1005
    CHECK(error_of(client_frame(0x88, std::string("\x00\x00", 2))) == frame_error::bad_close_payload);
}

TEST_CASE("huge announced lengths are refused before any byte of payload is awaited", "[ws_frame]") {
    // 2^63 and above: the top bit of a 64-bit length must be clear.
    const bytes top{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    CHECK(error_of(top) == frame_error::length_too_large);
    // 2^62: valid framing, but over the message limit at once.
    const bytes huge{0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    CHECK(error_of(huge) == frame_error::message_too_big);
    // A 64 KiB data frame within a 1 MiB limit is skipped without being held.
    client_reader r(1 << 20);
    const bytes big = client_frame(0x82, std::string(65536, 'z'));
    std::size_t used = 0;
    while (used < big.size()) used += r.feed(std::span<const std::uint8_t>(big.data() + used, std::min<std::size_t>(1000, big.size() - used))).used;
    CHECK_FALSE(r.holds_buffer());
}

TEST_CASE("truncated input waits for more, holding only the partial frame", "[ws_frame]") {
    const bytes ping = client_frame(0x89, std::string(100, 'q'));
    for (std::size_t cut = 1; cut < ping.size(); ++cut) {
        client_reader r(4096);
        const auto s = r.feed(std::span<const std::uint8_t>(ping.data(), cut));
        CHECK(s.used == cut);
        CHECK(s.event.what == client_event::kind::none);
        CHECK(r.holds_buffer());
        const auto t = r.feed(std::span<const std::uint8_t>(ping.data() + cut, ping.size() - cut));
        CHECK(t.used == ping.size() - cut);
        REQUIRE(t.event.what == client_event::kind::ping);
        CHECK(t.event.payload_view() == std::string(100, 'q'));
        CHECK_FALSE(r.holds_buffer());
    }
    // An error is sticky: nothing after it is read.
    client_reader r(4096);
    const bytes bad = client_frame(0x81, "x", false);
    CHECK(r.feed(bad).event.what == client_event::kind::error);
    CHECK(r.feed(ping).event.error == frame_error::unmasked);
    CHECK(decode_client_header({}).complete == false);
}
