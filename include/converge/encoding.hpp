// encode() and decode(): converge's compact, canonical, versioned binary format.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/decode_limits.hpp>
#include <converge/decode_result.hpp>
#include <converge/detail/byte_io.hpp>
#include <converge/error.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace converge {

/// First byte of every encoding.
inline constexpr std::uint8_t wire_magic = 0xC7;
/// Second byte: the format version this build writes and the only one it reads.
inline constexpr std::uint8_t wire_version = 1;

/// Third byte: which CRDT (or protocol message) follows.
enum class wire_tag : std::uint8_t {
    vector_clock = 1,
    g_counter = 2,
    pn_counter = 3,
    g_set = 4,
    g_map = 5,
    retirable_counter_map = 6,
    sync_message = 7,
    max_register = 8,
    lww_register = 9,
    or_set = 10,
    presence_map = 11,
    broadcast_message = 12,
    repair_request = 13,
};

/// How one CRDT type writes its body and reads it back; each type's header specialises it with
/// `tag`, `write(byte_writer&, const T&)` and `read(byte_reader&) -> T`.
template <class T>
struct wire;

/// `T` can be passed to encode() and decode().
template <class T>
concept wire_encodable = requires(detail::byte_writer& w, detail::byte_reader& r, const T& x) {
    { wire<T>::tag } -> std::convertible_to<wire_tag>;
    wire<T>::write(w, x);
    { wire<T>::read(r) } -> std::same_as<T>;
};

/// Appends the encoding of `x` to `out`.
template <wire_encodable T>
void encode_to(const T& x, std::vector<std::byte>& out) {
    detail::byte_writer w(out);
    w.byte(wire_magic);
    w.byte(wire_version);
    w.byte(static_cast<std::uint8_t>(wire<T>::tag));
    wire<T>::write(w, x);
}

/// The canonical encoding of `x`: equal states give equal bytes.
///
/// Example:
/// ```
/// converge::g_counter<std::uint32_t> c;
/// c.increment(1, 5);
/// auto bytes = converge::encode(c);
/// using b = std::byte;   // magic, version, type g_counter, 1 entry: replica 1 at 5
/// assert((bytes == std::vector{b{0xc7}, b{0x01}, b{0x02}, b{0x01}, b{0x01}, b{0x05}}));
/// ```
template <wire_encodable T>
[[nodiscard]] std::vector<std::byte> encode(const T& x) {
    std::vector<std::byte> out;
    encode_to(x, out);
    return out;
}

/// Decodes untrusted bytes into a `T`, or says what is wrong and at which byte. Accepts only
/// canonical encodings; allocates no more than the input's length justifies.
///
/// Example:
/// ```
/// converge::g_counter<std::uint32_t> counter, peer;
/// peer.increment(2, 3);
/// auto bytes = converge::encode(peer);
/// auto r = converge::decode<converge::g_counter<std::uint32_t>>(bytes);
/// assert(r);                 // otherwise r.error() says what is wrong, and at which byte
/// counter.merge(*r);
/// assert(counter.value() == 3);
/// ```
template <wire_encodable T>
[[nodiscard]] decode_result<T> decode(std::span<const std::byte> bytes, const decode_limits& limits = {}) {
    if (bytes.size() > limits.max_bytes) return decode_error{errc::limit_exceeded, limits.max_bytes};
    detail::byte_reader r(bytes, limits);
    try {
        if (r.byte() != wire_magic) return decode_error{errc::bad_magic, 0};
        if (r.byte() != wire_version) return decode_error{errc::unsupported_version, 1};
        if (r.byte() != static_cast<std::uint8_t>(wire<T>::tag)) return decode_error{errc::wrong_type, 2};
        T value = wire<T>::read(r);
        if (!r.at_end()) return decode_error{errc::trailing_bytes, r.offset()};
        return value;
    } catch (const detail::decode_stop& stop) {
        return stop.error;
    }
}

}  // namespace converge
