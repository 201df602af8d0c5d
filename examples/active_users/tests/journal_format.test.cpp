// The journal's bytes: frames round-trip, a torn tail is told from corruption, every length is checked.
// SPDX-License-Identifier: MIT
#include "persistence/journal_format.hpp"

#include <catch2/catch.hpp>

#include <string_view>

using namespace active_users;

namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
    std::vector<std::byte> out;
    for (const char c : s) out.push_back(static_cast<std::byte>(c));
    return out;
}

/// A journal of generation 3 with one frame per element of `frames`.
std::vector<std::byte> journal_of(const std::vector<std::vector<journal_record>>& frames) {
    std::vector<std::byte> out = journal_header(3);
    for (const auto& records : frames) {
        journal_frame f;
        for (const auto& r : records) f.add(r.channel, r.kind, r.bytes);
        const auto sealed = f.seal();
        out.insert(out.end(), sealed.begin(), sealed.end());
    }
    return out;
}

}  // namespace

TEST_CASE("journal_crc32 is the zlib CRC-32", "[journal]") {
    CHECK(journal_crc32(bytes_of("123456789")) == 0xCBF43926U);
    CHECK(journal_crc32({}) == 0U);
}

TEST_CASE("journal frames parse back to their records, in order", "[journal]") {
    const journal_record a{2, journal_kind::delta, bytes_of("abc")};
    const journal_record b{1, journal_kind::whole, bytes_of("12345678")};
    const journal_record empty{5, journal_kind::delta, {}};
    const auto file = journal_of({{a, b}, {empty}});
    const auto parsed = parse_journal(file);
    REQUIRE(parsed);
    CHECK(parsed->generation == 3);
    CHECK(parsed->records == std::vector<journal_record>{a, b, empty});
    CHECK(parsed->valid_bytes == file.size());
    CHECK_FALSE(parsed->torn_tail);
    const auto none = parse_journal(journal_header(9));
    REQUIRE(none);
    CHECK(none->records.empty());
    CHECK(none->generation == 9);
}

TEST_CASE("a journal cut anywhere in its last frame keeps the frames before it", "[journal]") {
    const journal_record a{2, journal_kind::delta, bytes_of("first")};
    const journal_record b{2, journal_kind::delta, bytes_of("second")};
    const auto one = journal_of({{a}});
    const auto file = journal_of({{a}, {b}});
    for (std::size_t cut = one.size() + 1; cut < file.size(); ++cut) {
        const auto parsed = parse_journal(std::span(file).first(cut));
        REQUIRE(parsed);
        CHECK(parsed->records == std::vector<journal_record>{a});
        CHECK(parsed->valid_bytes == one.size());
        CHECK(parsed->torn_tail);
    }
}

TEST_CASE("a tail of zeros is the journal's end, not a torn tail", "[journal]") {
    const journal_record a{2, journal_kind::delta, bytes_of("first")};
    auto file = journal_of({{a}});
    const std::size_t end = file.size();
    file.resize(end + 1000, std::byte{0});
    const auto parsed = parse_journal(file);
    REQUIRE(parsed);
    CHECK(parsed->records == std::vector<journal_record>{a});
    CHECK(parsed->valid_bytes == end);
    CHECK_FALSE(parsed->torn_tail);
    file[end + 500] = std::byte{1};  // not zeros: what a cut write leaves
    const auto torn = parse_journal(file);
    REQUIRE(torn);
    CHECK(torn->torn_tail);
    CHECK(torn->valid_bytes == end);
}

TEST_CASE("a flipped byte is a torn tail in the last frame and corruption before it", "[journal]") {
    const journal_record a{2, journal_kind::delta, bytes_of("first")};
    const journal_record b{3, journal_kind::delta, bytes_of("second")};
    const auto one = journal_of({{a}});
    const auto file = journal_of({{a}, {b}});
    for (std::size_t at = journal_header_bytes; at < file.size(); ++at) {
        auto flipped = file;
        flipped[at] ^= std::byte{0x04};
        const auto parsed = parse_journal(flipped);
        if (at < one.size()) {
            REQUIRE_FALSE(parsed);
            CHECK(parsed.error().message.find("journal damaged at byte " + std::to_string(journal_header_bytes)) == 0);
        } else {
            REQUIRE(parsed);
            CHECK(parsed->records == std::vector<journal_record>{a});
            CHECK(parsed->torn_tail);
        }
    }
}

TEST_CASE("a frame whose checksum holds but whose records do not parse is corruption", "[journal]") {
    // A body of one record header claiming 200 bytes, sealed with a correct checksum by hand.
    std::vector<std::byte> body{std::byte{2}, std::byte{0}, std::byte{200}, std::byte{0}, std::byte{0}, std::byte{0}};
    std::vector<std::byte> file = journal_header(1);
    const auto put32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) file.push_back(static_cast<std::byte>(v >> (8 * i)));
    };
    put32(static_cast<std::uint32_t>(body.size()));
    put32(journal_crc32(body));
    put32(journal_crc32(std::span(file).subspan(journal_header_bytes, 8)));
    file.insert(file.end(), body.begin(), body.end());
    const auto parsed = parse_journal(file);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message.find("runs past its frame") != std::string::npos);

    body[1] = std::byte{7};  // an unknown kind
    body[2] = std::byte{0};
    file.resize(journal_header_bytes);
    put32(static_cast<std::uint32_t>(body.size()));
    put32(journal_crc32(body));
    put32(journal_crc32(std::span(file).subspan(journal_header_bytes, 8)));
    file.insert(file.end(), body.begin(), body.end());
    const auto kind = parse_journal(file);
    REQUIRE_FALSE(kind);
    CHECK(kind.error().message.find("unknown record kind 7") != std::string::npos);
}

TEST_CASE("a file that is not a journal is refused", "[journal]") {
    CHECK_FALSE(parse_journal(bytes_of("")));
    CHECK_FALSE(parse_journal(bytes_of("CVJL")));
    CHECK_FALSE(parse_journal(bytes_of("CVCH\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")));
    auto other = journal_header(1);
    other[4] = std::byte{2};
    const auto refused = parse_journal(other);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "journal format 2 (this build reads 1)");
}
