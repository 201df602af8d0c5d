// Errors: decode failures as an enum that plugs into std::error_code, and refused mutations.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>

namespace converge {

/// Why a byte string was rejected by `converge::decode`.
enum class errc {
    truncated = 1,         ///< the input ends inside a field
    bad_magic,             ///< the first byte is not converge's magic byte
    unsupported_version,   ///< a format version this build does not read
    wrong_type,            ///< the type tag names another CRDT
    varint_overlong,       ///< a LEB128 varint with redundant zero groups
    varint_overflow,       ///< a LEB128 varint wider than 64 bits
    value_out_of_range,    ///< a value that does not fit the target type
    length_exceeds_input,  ///< a declared length or count the remaining bytes cannot hold
    not_canonical,         ///< entries unsorted, repeated or out of their canonical place
    zero_entry,            ///< an entry with a zero count (the canonical form omits them)
    trailing_bytes,        ///< bytes left after a complete value
    limit_exceeded,        ///< the caller's decode_limits were exceeded
};

namespace detail {
class error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "converge"; }
    [[nodiscard]] std::string message(int code) const override {
        switch (static_cast<errc>(code)) {
        case errc::truncated: return "input truncated";
        case errc::bad_magic: return "bad magic byte";
        case errc::unsupported_version: return "unsupported format version";
        case errc::wrong_type: return "type tag names another type";
        case errc::varint_overlong: return "overlong varint";
        case errc::varint_overflow: return "varint overflows 64 bits";
        case errc::value_out_of_range: return "value out of range for the target type";
        case errc::length_exceeds_input: return "length exceeds the remaining input";
        case errc::not_canonical: return "not the canonical encoding (entries out of order, repeated or misplaced)";
        case errc::zero_entry: return "zero entry in canonical encoding";
        case errc::trailing_bytes: return "trailing bytes after value";
        case errc::limit_exceeded: return "decode limit exceeded";
        }
        return "unknown converge error";
    }
};
}  // namespace detail

/// The `std::error_category` of `converge::errc`.
inline const std::error_category& error_category() noexcept {
    static const detail::error_category_impl category;
    return category;
}

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// What went wrong and at which byte offset of the input.
///
/// Example:
/// ```
/// const converge::decode_error e{converge::errc::truncated, 7};
/// assert(e.message() == "converge: input truncated at byte 7");
/// ```
struct decode_error {
    errc code{};
    std::size_t offset = 0;

    [[nodiscard]] std::string message() const {
        return "converge: " + error_category().message(static_cast<int>(code)) + " at byte " +
               std::to_string(offset);
    }
    friend bool operator==(const decode_error&, const decode_error&) = default;
};

/// Thrown by `decode_result::value()` when there is no value.
class decode_failure : public std::system_error {
public:
    explicit decode_failure(const decode_error& e)
        : std::system_error(make_error_code(e.code), "at byte " + std::to_string(e.offset)),
          error_(e) {}
    [[nodiscard]] const decode_error& error() const noexcept { return error_; }

private:
    decode_error error_;
};

/// Thrown by a mutator whose result would not fit the count type; the state is unchanged.
class overflow_error : public std::overflow_error {
public:
    using std::overflow_error::overflow_error;
};

/// Thrown by a mutator that would take a gauge below zero; the state is unchanged.
class underflow_error : public std::underflow_error {
public:
    using std::underflow_error::underflow_error;
};

/// Thrown by a mutator called for a replica that has been retired; the state is unchanged. The
/// replica must rejoin under a new id (a new incarnation).
class retired_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

}  // namespace converge

template <>
struct std::is_error_code_enum<converge::errc> : std::true_type {};
