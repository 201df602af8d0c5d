// journal_format: CRC-32, frames, and the total parser that tells a torn tail from corruption.
// SPDX-License-Identifier: MIT
#include "persistence/journal_format.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

namespace active_users {

namespace {

constexpr std::array<std::byte, 4> journal_magic{std::byte{'C'}, std::byte{'V'}, std::byte{'J'}, std::byte{'L'}};
constexpr std::uint8_t journal_format_version = 1;

constexpr std::array<std::uint32_t, 256> crc32_table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}();

void journal_put_le(std::vector<std::byte>& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

/// The caller has checked that `bytes` holds `n` bytes at `at`.
std::uint64_t journal_get_le(std::span<const std::byte> bytes, std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(bytes[at + static_cast<std::size_t>(i)]);
    return v;
}

failure journal_damaged(std::size_t at, const std::string& what) {
    return fail(status::bad_request, "journal damaged at byte " + std::to_string(at) + ": " + what);
}

/// The records of one frame body whose checksum held; any malformed record is corruption.
result<void> parse_frame_body(std::span<const std::byte> body, std::size_t at, std::vector<journal_record>& out) {
    std::size_t pos = 0;
    while (pos < body.size()) {
        if (body.size() - pos < journal_record_header_bytes) return journal_damaged(at + pos, "a record header is cut short");
        const auto channel = static_cast<std::uint8_t>(body[pos]);
        const auto kind = static_cast<std::uint8_t>(body[pos + 1]);
        if (kind > static_cast<std::uint8_t>(journal_kind::whole))
            return journal_damaged(at + pos, "unknown record kind " + std::to_string(kind));
        const std::uint64_t len = journal_get_le(body, pos + 2, 4);
        pos += journal_record_header_bytes;
        if (len > body.size() - pos) return journal_damaged(at + pos, "a record runs past its frame");
        const auto bytes = body.subspan(pos, static_cast<std::size_t>(len));
        out.push_back({channel, static_cast<journal_kind>(kind), std::vector<std::byte>(bytes.begin(), bytes.end())});
        pos += static_cast<std::size_t>(len);
    }
    return {};
}

/// The body length the frame header at `at` declares, when the header's check holds and the
/// length is 1..max_journal_frame_bytes and fits in the file.
std::optional<std::size_t> frame_header_at(std::span<const std::byte> file, std::size_t at) {
    if (file.size() - at < journal_frame_header_bytes) return std::nullopt;
    const auto header = file.subspan(at, journal_frame_header_bytes);
    if (journal_get_le(header, 8, 4) != journal_crc32(header.first(8))) return std::nullopt;
    const std::uint64_t len = journal_get_le(header, 0, 4);
    if (len == 0 || len > max_journal_frame_bytes || len > file.size() - at - journal_frame_header_bytes) return std::nullopt;
    return static_cast<std::size_t>(len);
}

/// The body length of the frame at `at` when it is intact: its header holds, and its body's checksum.
std::optional<std::size_t> intact_frame_at(std::span<const std::byte> file, std::size_t at) {
    const auto len = frame_header_at(file, at);
    if (!len) return std::nullopt;
    const auto body = file.subspan(at + journal_frame_header_bytes, *len);
    if (journal_get_le(file, at + 4, 4) != journal_crc32(body)) return std::nullopt;
    return len;
}

}  // namespace

std::uint32_t journal_crc32(std::span<const std::byte> bytes) noexcept {
    std::uint32_t c = 0xFFFFFFFFU;
    for (const std::byte b : bytes) c = crc32_table[(c ^ std::to_integer<std::uint32_t>(b)) & 0xFFU] ^ (c >> 8);
    return c ^ 0xFFFFFFFFU;
}

std::vector<std::byte> journal_header(std::uint64_t generation) {
    std::vector<std::byte> out(journal_magic.begin(), journal_magic.end());
    out.push_back(std::byte{journal_format_version});
    out.resize(out.size() + 3, std::byte{0});
    journal_put_le(out, generation, 8);
    return out;
}

void journal_frame::add(std::uint8_t channel, journal_kind kind, std::span<const std::byte> bytes) {
    body_.push_back(std::byte{channel});
    body_.push_back(static_cast<std::byte>(kind));
    journal_put_le(body_, bytes.size(), 4);
    body_.insert(body_.end(), bytes.begin(), bytes.end());
}

std::vector<std::byte> journal_frame::seal() {
    std::vector<std::byte> out;
    out.reserve(journal_frame_header_bytes + body_.size());
    journal_put_le(out, body_.size(), 4);
    journal_put_le(out, journal_crc32(body_), 4);
    journal_put_le(out, journal_crc32(out), 4);
    out.insert(out.end(), body_.begin(), body_.end());
    body_.clear();
    return out;
}

result<journal_contents> parse_journal(std::span<const std::byte> file) {
    if (file.size() > max_journal_file_bytes)
        return fail(status::bad_request, "journal larger than " + std::to_string(max_journal_file_bytes) + " bytes");
    if (file.size() < journal_header_bytes || !std::equal(journal_magic.begin(), journal_magic.end(), file.begin()))
        return fail(status::bad_request, "not a converge-active-users journal");
    if (std::to_integer<std::uint8_t>(file[4]) != journal_format_version)
        return fail(status::bad_request, "journal format " + std::to_string(std::to_integer<unsigned>(file[4])) +
                                             " (this build reads " + std::to_string(journal_format_version) + ")");
    journal_contents out;
    out.generation = journal_get_le(file, 8, 8);
    std::size_t at = journal_header_bytes;
    while (at < file.size()) {
        const auto len = intact_frame_at(file, at);
        if (!len) {
            const auto rest = file.subspan(at);
            if (std::all_of(rest.begin(), rest.end(), [](std::byte b) { return b == std::byte{0}; }))
                break;  // the preallocated zeros no frame has reached
            // Only the last frame written can be torn by a crash: no frame comes after it. (The
            // scan checks headers only, so that it stays linear in the file's size.)
            for (std::size_t later = at + 1; later + journal_frame_header_bytes <= file.size(); ++later)
                if (frame_header_at(file, later))
                    return journal_damaged(at, "a damaged frame, with another frame after it at byte " + std::to_string(later));
            out.torn_tail = true;
            break;
        }
        const auto body = file.subspan(at + journal_frame_header_bytes, *len);
        if (auto r = parse_frame_body(body, at + journal_frame_header_bytes, out.records); !r) return r.error();
        at += journal_frame_header_bytes + *len;
    }
    out.valid_bytes = at;
    return out;
}

}  // namespace active_users
