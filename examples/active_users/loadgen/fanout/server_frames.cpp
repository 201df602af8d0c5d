// Parsing of the server's upgrade answer and frames for converge-fanout's viewers.
// SPDX-License-Identifier: MIT
#include "server_frames.hpp"

#include <charconv>

namespace fanout {

namespace {

enum opcode : unsigned { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

[[noreturn]] void refuse(const std::string& why) { throw viewer_error(why); }

/// Printable prefix of what the server sent, for messages.
std::string quoted(std::string_view bytes) {
    std::string out;
    for (const char c : bytes.substr(0, 60)) out += (c >= 0x20 && c < 0x7F) ? c : '.';
    return '"' + out + '"';
}

std::uint8_t byte_at(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

}  // namespace

std::int64_t count_in(std::string_view message) {
    constexpr std::string_view key = "\"count\":";
    const auto at = message.find(key);
    if (at == std::string_view::npos) return -1;
    std::size_t i = at + key.size();
    while (i < message.size() && (message[i] == ' ' || message[i] == '\t')) ++i;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(message.data() + i, message.data() + message.size(), n);
    return ec == std::errc{} && end != message.data() + i ? n : -1;
}

void server_frames::take_handshake() {
    const auto end = pending_.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (pending_.size() > max_header) refuse("the upgrade answer is longer than 8 KiB");
        return;
    }
    if (pending_.rfind("HTTP/1.1 101", 0) != 0) refuse("WebSocket refused: " + quoted(pending_));
    pending_.erase(0, end + 4);
    opened_ = true;
}

frames_read server_frames::feed(std::string_view bytes) {
    frames_read out;
    pending_.append(bytes);
    if (!opened_) {
        take_handshake();
        if (!opened_) return out;
    }
    const std::string_view b = pending_;
    std::size_t at = 0;
    std::string_view last_text;
    bool any_text = false;
    while (b.size() - at >= 2) {
        const std::uint8_t b0 = byte_at(b, at), b1 = byte_at(b, at + 1);
        const unsigned op = b0 & 0x0Fu;
        if ((b0 & 0x70u) != 0) refuse("a frame with reserved bits set");
        if ((b1 & 0x80u) != 0) refuse("a masked frame from the server");
        std::uint64_t length = b1 & 0x7Fu;
        std::size_t head = 2;
        if (length == 126 || length == 127) {
            const std::size_t width = length == 126 ? 2 : 8;
            if (b.size() - at < 2 + width) break;
            length = 0;
            for (std::size_t k = 0; k < width; ++k) length = (length << 8) | byte_at(b, at + 2 + k);
            head += width;
        }
        // Checked before the payload is awaited, so a huge length cannot make pending_ grow.
        if (length > max_payload) refuse("a frame of " + std::to_string(length) + " bytes (cap 64 KiB)");
        if (op >= close && length > 125) refuse("a control frame longer than 125 bytes");
        if ((b0 & 0x80u) == 0 || op == continuation) refuse("a fragmented message (the server sends whole ones)");
        const auto n = static_cast<std::size_t>(length);
        if (b.size() - at - head < n) break;
        const std::string_view payload = b.substr(at + head, n);
        at += head + n;
        switch (op) {
            case text:
                ++out.text_frames;
                last_text = payload;
                any_text = true;
                break;
            case ping:
                // A client's frames are masked; mask 0 leaves the payload as it is.
                out.replies += static_cast<char>(0x80 | pong);
                out.replies += static_cast<char>(0x80 | n);
                out.replies.append(4, '\0');
                out.replies.append(payload);
                break;
            case pong:
            case binary:
                break;
            case close: {
                const unsigned code = n >= 2 ? (unsigned{byte_at(payload, 0)} << 8) | byte_at(payload, 1) : 0;
                refuse("the server closed a viewer (close code " + std::to_string(code) + ")");
            }
            default:
                refuse("a frame with unknown opcode " + std::to_string(op));
        }
    }
    if (any_text) out.last_count = count_in(last_text);
    pending_.erase(0, at);
    return out;
}

}  // namespace fanout
