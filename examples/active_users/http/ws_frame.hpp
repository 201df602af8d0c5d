// WebSocket frames (RFC 6455) after the handshake: server frames built once, client bytes decoded as hostile.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace active_users::ws {

// Why hand-framed: Beast's websocket::stream keeps a 1,536-byte read buffer inline, a timer and
// its saved handlers per connection, and needs a coroutine or operation reading at all times; an
// idle viewer then costs about 14 KiB (docs/benchmarks.md, issue 16). The service only pushes
// text and answers control frames, so the data phase is this codec and one small object per
// viewer (http/live_socket.hpp); Beast still answers the HTTP upgrade.

enum class opcode : std::uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

/// Why a client's bytes end the connection.
enum class frame_error : std::uint8_t {
    none,
    reserved_bits,            ///< RSV1-3 set: no extension was negotiated
    unknown_opcode,
    unmasked,                 ///< a client frame must be masked
    length_not_minimal,       ///< a 16- or 64-bit length that fits in fewer bytes
    length_too_large,         ///< a 64-bit length with its top bit set
    control_too_long,         ///< a control frame's payload is over 125 bytes
    control_fragmented,       ///< a control frame without FIN
    unexpected_continuation,  ///< a continuation with no message started
    expected_continuation,    ///< a new text or binary frame inside a fragmented message
    message_too_big,          ///< a data message over the reader's limit
    bad_close_payload,        ///< a close frame of one byte, or with an invalid status code
};

/// The close status a server sends for `e`: 1009 for a message too big, 1002 for the rest.
[[nodiscard]] std::uint16_t close_code_for(frame_error e) noexcept;
[[nodiscard]] std::string_view to_string(frame_error e) noexcept;

/// Longest frame header: 2 bytes, 8 of length, 4 of mask.
inline constexpr std::size_t max_header_size = 14;
inline constexpr std::size_t max_control_payload = 125;

struct frame_header {
    bool fin = false;
    opcode op = opcode::continuation;
    std::uint64_t length = 0;
    std::array<std::uint8_t, 4> mask{};
    std::size_t size = 0;  ///< bytes of the header itself
};

/// One client frame header from the start of `in`: `complete` false when `in` is too short to
/// tell (no error found yet in the bytes there are); `error` when the bytes can never be valid.
struct header_result {
    bool complete = false;
    frame_error error = frame_error::none;
    frame_header header;
};
[[nodiscard]] header_result decode_client_header(std::span<const std::uint8_t> in) noexcept;

/// An unmasked, unfragmented server frame. Example: `server_frame(opcode::text, "hi")` is
/// `"\x81\x02hi"`; the same bytes can go to every client.
[[nodiscard]] std::string server_frame(opcode op, std::string_view payload);
/// A close frame carrying `code` (none when 0).
[[nodiscard]] std::string close_frame(std::uint16_t code);

/// What the reader found in the bytes it consumed.
struct client_event {
    enum class kind : std::uint8_t { none, ping, pong, close, error };
    kind what = kind::none;
    frame_error error = frame_error::none;       ///< for kind::error
    std::uint16_t close_code = 0;                ///< for kind::close: the client's status (0: none given)
    std::uint8_t payload_size = 0;               ///< for ping, pong and close: the unmasked payload
    std::array<std::uint8_t, max_control_payload> payload{};
    [[nodiscard]] std::string_view payload_view() const noexcept {
        return {reinterpret_cast<const char*>(payload.data()), payload_size};
    }
};

/// Reads a client's byte stream in chunks of any size. Data payloads are counted and skipped,
/// never held; control frames are returned one at a time. Holds no buffer while idle: a frame
/// header or control frame split across chunks is kept in 139 bytes allocated only until it is
/// whole. After an error every call returns it again.
class client_reader {
public:
    explicit client_reader(std::uint64_t max_message) noexcept : max_message_(max_message) {}

    struct step {
        std::size_t used = 0;  ///< bytes of the chunk consumed; the rest needs another call
        client_event event;
    };
    /// Consumes bytes of `in` up to and including the next control frame or error.
    [[nodiscard]] step feed(std::span<const std::uint8_t> in);

    [[nodiscard]] bool holds_buffer() const noexcept { return partial_ != nullptr; }

private:
    struct item_result;
    [[nodiscard]] item_result decode_item(std::span<const std::uint8_t> in) noexcept;
    void take(const frame_header& h, std::span<const std::uint8_t> payload, client_event& out) noexcept;

    std::uint64_t max_message_;
    std::uint64_t skip_ = 0;             ///< data payload bytes still to skip
    std::uint64_t message_size_ = 0;     ///< of the fragmented message in progress
    std::unique_ptr<std::uint8_t[]> partial_;
    std::uint8_t partial_size_ = 0;
    bool in_message_ = false;
    frame_error failed_ = frame_error::none;
};

}  // namespace active_users::ws
