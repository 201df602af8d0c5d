// ws_frame: every length checked against the bytes that remain before it is used.
// SPDX-License-Identifier: MIT
#include "http/ws_frame.hpp"

#include <algorithm>
#include <cstring>

namespace active_users::ws {

std::uint16_t close_code_for(frame_error e) noexcept { return e == frame_error::message_too_big ? 1009 : 1002; }

std::string_view to_string(frame_error e) noexcept {
    switch (e) {
    case frame_error::none: return "no error";
    case frame_error::reserved_bits: return "reserved bits set";
    case frame_error::unknown_opcode: return "unknown opcode";
    case frame_error::unmasked: return "unmasked client frame";
    case frame_error::length_not_minimal: return "length not in its shortest form";
    case frame_error::length_too_large: return "64-bit length with its top bit set";
    case frame_error::control_too_long: return "control frame over 125 bytes";
    case frame_error::control_fragmented: return "fragmented control frame";
    case frame_error::unexpected_continuation: return "continuation without a message";
    case frame_error::expected_continuation: return "new message inside a fragmented one";
    case frame_error::message_too_big: return "message too big";
    case frame_error::bad_close_payload: return "bad close payload";
    }
    return "unknown error";
}

namespace {

bool is_control(opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

bool known_opcode(std::uint8_t op) noexcept { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

/// RFC 6455 7.4: the codes an endpoint may send; 1005, 1006 and 1015 are never on the wire.
bool valid_close_code(std::uint16_t c) noexcept {
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

void append_length(std::string& out, std::size_t n) {
    if (n < 126) {
        out.push_back(static_cast<char>(n));
    } else if (n <= 0xFFFF) {
        out.push_back(static_cast<char>(126));
        out.push_back(static_cast<char>(n >> 8));
        out.push_back(static_cast<char>(n & 0xFF));
    } else {
        out.push_back(static_cast<char>(127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFF));
    }
}

}  // namespace

header_result decode_client_header(std::span<const std::uint8_t> in) noexcept {
    header_result r;
    if (in.empty()) return r;
    const std::uint8_t b0 = in[0];
    if ((b0 & 0x70) != 0) {
        r.error = frame_error::reserved_bits;
        return r;
    }
    if (!known_opcode(b0 & 0x0F)) {
        r.error = frame_error::unknown_opcode;
        return r;
    }
    frame_header& h = r.header;
    h.fin = (b0 & 0x80) != 0;
    h.op = static_cast<opcode>(b0 & 0x0F);
    if (is_control(h.op) && !h.fin) {
        r.error = frame_error::control_fragmented;
        return r;
    }
    if (in.size() < 2) return r;
    const std::uint8_t b1 = in[1];
    if ((b1 & 0x80) == 0) {
        r.error = frame_error::unmasked;
        return r;
    }
    const std::uint8_t len7 = b1 & 0x7F;
    std::size_t at = 2;
    if (len7 < 126) {
        h.length = len7;
    } else {
        const std::size_t width = len7 == 126 ? 2 : 8;
        if (in.size() < at + width) return r;
        std::uint64_t n = 0;
        for (std::size_t i = 0; i < width; ++i) n = (n << 8) | in[at + i];
        at += width;
        if (width == 8 && (n >> 63) != 0) {
            r.error = frame_error::length_too_large;
            return r;
        }
        if ((width == 2 && n < 126) || (width == 8 && n <= 0xFFFF)) {
            r.error = frame_error::length_not_minimal;
            return r;
        }
        h.length = n;
    }
    if (is_control(h.op) && h.length > max_control_payload) {
        r.error = frame_error::control_too_long;
        return r;
    }
    if (in.size() < at + 4) return r;
    std::memcpy(h.mask.data(), in.data() + at, 4);
    h.size = at + 4;
    r.complete = true;
    return r;
}

std::string server_frame(opcode op, std::string_view payload) {
    std::string out;
    out.reserve(payload.size() + 10);
    out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
    append_length(out, payload.size());
    out += payload;
    return out;
}

std::string close_frame(std::uint16_t code) {
    if (code == 0) return server_frame(opcode::close, {});
    const char body[] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return server_frame(opcode::close, std::string_view(body, 2));
}

struct client_reader::item_result {
    bool complete = false;
    frame_error error = frame_error::none;
    frame_header header;
    std::size_t size = 0;  ///< the header, plus the payload for a control frame
};

client_reader::item_result client_reader::decode_item(std::span<const std::uint8_t> in) noexcept {
    item_result r;
    const header_result h = decode_client_header(in);
    r.error = h.error;
    if (!h.complete || h.error != frame_error::none) return r;
    r.header = h.header;
    r.size = h.header.size;
    if (is_control(h.header.op)) {
        // At most 125: checked by the header decoder.
        r.size += static_cast<std::size_t>(h.header.length);
        if (in.size() < r.size) return r;
    }
    r.complete = true;
    return r;
}

void client_reader::take(const frame_header& h, std::span<const std::uint8_t> payload, client_event& out) noexcept {
    if (!is_control(h.op)) {
        if (h.op == opcode::continuation && !in_message_) {
            failed_ = frame_error::unexpected_continuation;
        } else if (h.op != opcode::continuation && in_message_) {
            failed_ = frame_error::expected_continuation;
        } else {
            if (h.op != opcode::continuation) message_size_ = 0;
            if (h.length > max_message_ - std::min(max_message_, message_size_)) {
                failed_ = frame_error::message_too_big;
            } else {
                message_size_ += h.length;
                in_message_ = !h.fin;
                skip_ = h.length;
            }
        }
        if (failed_ != frame_error::none) {
            out.what = client_event::kind::error;
            out.error = failed_;
        }
        return;
    }
    out.payload_size = static_cast<std::uint8_t>(payload.size());
    for (std::size_t i = 0; i < payload.size(); ++i) out.payload[i] = payload[i] ^ h.mask[i % 4];
    switch (h.op) {
    case opcode::ping: out.what = client_event::kind::ping; return;
    case opcode::pong: out.what = client_event::kind::pong; return;
    default: break;
    }
    if (payload.size() == 1) {
        failed_ = frame_error::bad_close_payload;
    } else if (payload.size() >= 2) {
        out.close_code = static_cast<std::uint16_t>((out.payload[0] << 8) | out.payload[1]);
        if (!valid_close_code(out.close_code)) failed_ = frame_error::bad_close_payload;
    }
    if (failed_ != frame_error::none) {
        out.what = client_event::kind::error;
        out.error = failed_;
        return;
    }
    out.what = client_event::kind::close;
}

client_reader::step client_reader::feed(std::span<const std::uint8_t> in) {
    step s;
    if (failed_ != frame_error::none) {
        s.event.what = client_event::kind::error;
        s.event.error = failed_;
        return s;
    }
    while (s.used < in.size()) {
        std::span<const std::uint8_t> rest = in.subspan(s.used);
        if (skip_ > 0) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, rest.size()));
            skip_ -= n;
            s.used += n;
            continue;
        }
        if (partial_) {
            // Top the kept bytes up with as many as fit; those not part of the item go back.
            constexpr std::size_t capacity = max_header_size + max_control_payload;
            const std::size_t had = partial_size_;
            const std::size_t add = std::min(capacity - had, rest.size());
            std::memcpy(partial_.get() + had, rest.data(), add);
            const item_result item = decode_item(std::span<const std::uint8_t>(partial_.get(), had + add));
            if (item.error != frame_error::none) {
                failed_ = item.error;
                s.used += add;
                s.event.what = client_event::kind::error;
                s.event.error = failed_;
                partial_.reset();
                partial_size_ = 0;
                return s;
            }
            if (!item.complete) {
                // Only possible when all of `rest` fit: an item is at most `capacity` bytes.
                partial_size_ = static_cast<std::uint8_t>(had + add);
                s.used += add;
                continue;
            }
            const std::unique_ptr<std::uint8_t[]> bytes = std::move(partial_);
            partial_size_ = 0;
            s.used += item.size - had;
            take(item.header, std::span<const std::uint8_t>(bytes.get() + item.header.size, item.size - item.header.size), s.event);
            if (s.event.what != client_event::kind::none) return s;
            continue;
        }
        const item_result item = decode_item(rest);
        if (item.error != frame_error::none) {
            failed_ = item.error;
            s.event.what = client_event::kind::error;
            s.event.error = failed_;
            return s;
        }
        if (!item.complete) {
            // Less than one item's bytes remain (at most 138): keep them until the rest comes.
            partial_ = std::make_unique<std::uint8_t[]>(max_header_size + max_control_payload);
            std::memcpy(partial_.get(), rest.data(), rest.size());
            partial_size_ = static_cast<std::uint8_t>(rest.size());
            s.used += rest.size();
            return s;
        }
        s.used += item.size;
        take(item.header, rest.subspan(item.header.size, item.size - item.header.size), s.event);
        if (s.event.what != client_event::kind::none) return s;
    }
    return s;
}

}  // namespace active_users::ws
