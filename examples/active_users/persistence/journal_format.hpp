// The append-only journal's bytes: a header, then frames of records, each frame length + CRC-32.
// SPDX-License-Identifier: MIT
#pragma once

#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace active_users {

/// `DIR/journal.log` is a 16-byte header ("CVJL", format version 1, three zero bytes, the
/// journal's generation as a little-endian u64), then one frame per group commit: a 12-byte
/// header (the body's length, 1 to max_journal_frame_bytes; the body's CRC-32; the CRC-32 of
/// those 8 bytes; each u32 little-endian) and the body: records of
/// [channel id u8][kind u8][length u32 LE][bytes].
///
/// The file is preallocated with zeros (journal_file), so a tail of zero bytes is its end.
/// A crash can tear only the last frame written (a frame is written once the one before it is
/// synced), so a damaged frame with no frame header (one whose check holds) anywhere after it is
/// a torn tail: what comes before it is the journal, the rest is ignored. Any other damage (a
/// damaged frame with a frame after it, an intact frame whose records do not parse, a wrong header) is
/// corruption, which the service refuses to start on.
enum class journal_kind : std::uint8_t {
    delta = 0,  ///< the channel's changes since the record before, merged on replay
    whole = 1,  ///< the channel's whole snapshot, restored on replay
};

struct journal_record {
    std::uint8_t channel = 0;
    journal_kind kind = journal_kind::delta;
    std::vector<std::byte> bytes;
    friend bool operator==(const journal_record&, const journal_record&) = default;
};

struct journal_contents {
    std::uint64_t generation = 0;
    std::vector<journal_record> records;  ///< in the order they were written
    std::size_t valid_bytes = 0;          ///< header and whole frames; zeros or a torn tail start here
    bool torn_tail = false;               ///< bytes after valid_bytes, not all zero, were ignored
};

inline constexpr std::size_t journal_header_bytes = 16;
inline constexpr std::size_t journal_frame_header_bytes = 12;
inline constexpr std::size_t journal_record_header_bytes = 6;
/// No frame is larger: a group's changes are bounded by what its writes changed.
inline constexpr std::size_t max_journal_frame_bytes = std::size_t{64} << 20;
/// No journal this build writes comes near this (it is rotated at a few MiB).
inline constexpr std::size_t max_journal_file_bytes = std::size_t{1} << 30;

/// CRC-32 (IEEE 802.3, the zlib one) of `bytes`.
[[nodiscard]] std::uint32_t journal_crc32(std::span<const std::byte> bytes) noexcept;

/// The header of an empty journal of `generation`.
[[nodiscard]] std::vector<std::byte> journal_header(std::uint64_t generation);

/// Collects one group's records into a frame.
class journal_frame {
public:
    void add(std::uint8_t channel, journal_kind kind, std::span<const std::byte> bytes);
    [[nodiscard]] bool empty() const noexcept { return body_.empty(); }
    /// The frame's bytes (length, CRC, body); the builder is empty afterwards.
    [[nodiscard]] std::vector<std::byte> seal();

private:
    std::vector<std::byte> body_;
};

/// Parses a whole journal file. Total: any bytes give the records or a failure saying what is
/// wrong and at which offset; nothing is allocated beyond the bytes given.
[[nodiscard]] result<journal_contents> parse_journal(std::span<const std::byte> file);

}  // namespace active_users
