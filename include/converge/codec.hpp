// The codec trait: how one id or element is written to and read from the wire.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/detail/byte_io.hpp>

#include <concepts>
#include <cstdint>
#include <limits>
#include <string>

namespace converge {

/// How values of `T` travel on the wire. converge specialises it for the integer types
/// (LEB128 varints, signed ones zigzag-mapped) and `std::string` (length-prefixed bytes).
/// Specialise it for an id type of your own with the same three members; `decode` must reject
/// anything that `encode` could not have produced, since ordering is checked on the results.
///
/// Example:
/// ```
/// struct my_id {
///     std::uint64_t raw = 0;
///     friend auto operator<=>(const my_id&, const my_id&) = default;
/// };
///
/// template <> struct converge::codec<my_id> {
///     static constexpr std::size_t min_size = 1;  // fewest bytes one value takes
///     static void encode(detail::byte_writer& w, const my_id& v) { w.varint(v.raw); }
///     static my_id decode(detail::byte_reader& r) { return my_id{r.varint()}; }
/// };
///
/// int main() {
///     static_assert(converge::replica_id<my_id>);
///     converge::g_counter<my_id> c;
///     c.increment(my_id{7}, 2);
///     assert(converge::decode<converge::g_counter<my_id>>(converge::encode(c)).value() == c);
/// }
/// ```
template <class T>
struct codec;

template <class T>
    requires std::unsigned_integral<T> && (!std::same_as<T, bool>) && (!std::same_as<T, char>)
struct codec<T> {
    static constexpr std::size_t min_size = 1;
    static void encode(detail::byte_writer& w, T v) { w.varint(v); }
    static T decode(detail::byte_reader& r) {
        const std::size_t start = r.offset();
        const std::uint64_t v = r.varint();
        if (v > std::numeric_limits<T>::max()) r.fail(errc::value_out_of_range, start);
        return static_cast<T>(v);
    }
};

// Plain char is left out: whether it is signed differs between platforms, so the same id would
// travel as zigzag on one and as a plain varint on the other. Use a fixed-width type.
template <class T>
    requires std::signed_integral<T> && (!std::same_as<T, char>)
struct codec<T> {
    static constexpr std::size_t min_size = 1;
    // Zigzag keeps small negative ids as short as small positive ones.
    static void encode(detail::byte_writer& w, T v) {
        const auto u = static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
        w.varint((u << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0));
    }
    static T decode(detail::byte_reader& r) {
        const std::size_t start = r.offset();
        const std::uint64_t z = r.varint();
        const auto v = static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
        if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
            r.fail(errc::value_out_of_range, start);
        return static_cast<T>(v);
    }
};

template <>
struct codec<std::string> {
    static constexpr std::size_t min_size = 1;
    static void encode(detail::byte_writer& w, const std::string& s) {
        w.varint(s.size());
        w.bytes(std::as_bytes(std::span(s.data(), s.size())));
    }
    static std::string decode(detail::byte_reader& r) {
        const std::size_t start = r.offset();
        const std::uint64_t n = r.varint();
        if (n > r.limits().max_string_bytes) r.fail(errc::limit_exceeded, start);
        const auto b = r.bytes(static_cast<std::size_t>(n), start);
        return {reinterpret_cast<const char*>(b.data()), b.size()};
    }
};

/// `T` has a codec: it can be written to and read back from converge's wire format. `min_size`
/// must be at least 1: the decoder bounds a declared count by the bytes that remain divided by it.
template <class T>
concept has_codec = requires(detail::byte_writer& w, detail::byte_reader& r, const T& v) {
    { codec<T>::min_size } -> std::convertible_to<std::size_t>;
    requires codec<T>::min_size >= 1;
    codec<T>::encode(w, v);
    { codec<T>::decode(r) } -> std::same_as<T>;
};

}  // namespace converge
