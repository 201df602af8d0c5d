// LEB128 byte writer and a bounds-checked read cursor: every read is checked against what remains.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/decode_limits.hpp>
#include <converge/error.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace converge::detail {

/// Appends wire fields to a byte vector.
class byte_writer {
public:
    explicit byte_writer(std::vector<std::byte>& out) noexcept : out_(&out) {}

    void byte(std::uint8_t b) { out_->push_back(std::byte{b}); }

    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            byte(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        byte(static_cast<std::uint8_t>(v));
    }

    void bytes(std::span<const std::byte> b) { out_->insert(out_->end(), b.begin(), b.end()); }

private:
    std::vector<std::byte>* out_;
};

/// Thrown inside the decoder only; `converge::decode` turns it into a decode_result.
struct decode_stop {
    decode_error error;
};

/// Reads wire fields from untrusted bytes. Any malformed field stops decoding with an error that
/// names the offset where the field began.
class byte_reader {
public:
    byte_reader(std::span<const std::byte> in, const decode_limits& limits) noexcept
        : in_(in), limits_(&limits) {}

    [[nodiscard]] std::size_t offset() const noexcept { return pos_; }
    [[nodiscard]] std::size_t remaining() const noexcept { return in_.size() - pos_; }
    [[nodiscard]] bool at_end() const noexcept { return pos_ == in_.size(); }
    [[nodiscard]] const decode_limits& limits() const noexcept { return *limits_; }

    [[noreturn]] static void fail(errc code, std::size_t offset) { throw decode_stop{{code, offset}}; }

    std::uint8_t byte() {
        if (at_end()) fail(errc::truncated, pos_);
        return std::to_integer<std::uint8_t>(in_[pos_++]);
    }

    /// A minimal-length LEB128 varint of at most 64 bits.
    std::uint64_t varint() {
        // Most fields (small ids, counts, lengths) take one byte, which needs only the bounds check.
        if (pos_ < in_.size()) {
            const auto b = std::to_integer<std::uint8_t>(in_[pos_]);
            if (b < 0x80) {
                ++pos_;
                return b;
            }
        }
        return long_varint();
    }

    /// A count of items that each take at least `min_item_bytes`, checked against the caller's
    /// entry limit and against what the remaining input could possibly hold, so that a reserve()
    /// sized by it is justified by the input.
    std::size_t count(std::size_t min_item_bytes) {
        const std::size_t start = pos_;
        const std::uint64_t n = varint();
        if (n > limits_->max_entries) fail(errc::limit_exceeded, start);
        if (n > remaining() / min_item_bytes) fail(errc::length_exceeds_input, start);
        return static_cast<std::size_t>(n);
    }

    /// `n` raw bytes; the caller has checked `n` against its own limits.
    std::span<const std::byte> bytes(std::size_t n, std::size_t field_start) {
        if (n > remaining()) fail(errc::length_exceeds_input, field_start);
        const auto out = in_.subspan(pos_, n);
        pos_ += n;
        return out;
    }

private:
    /// varint() past a first byte with its continuation bit set, and every varint error.
    std::uint64_t long_varint() {
        const std::size_t start = pos_;
        std::uint64_t value = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (at_end()) fail(errc::truncated, start);
            const auto b = std::to_integer<std::uint8_t>(in_[pos_++]);
            // The tenth group holds bit 63 only; anything more (or a continuation) overflows.
            if (shift == 63 && b > 1) fail(errc::varint_overflow, start);
            value |= std::uint64_t{b & 0x7fu} << shift;
            if ((b & 0x80u) == 0) {
                if (b == 0 && shift != 0) fail(errc::varint_overlong, start);
                return value;
            }
        }
    }

    std::span<const std::byte> in_;
    const decode_limits* limits_;
    std::size_t pos_ = 0;
};

}  // namespace converge::detail
