// The WebSocket client-frame reader's fuzz check: any bytes, in any chunking, give the same events and never a crash.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/ws_frame.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace converge_fuzz {

namespace ws_check {

struct seen {
    active_users::ws::client_event::kind what;
    active_users::ws::frame_error error;
    std::uint16_t close_code;
    std::vector<std::uint8_t> payload;
    bool operator==(const seen&) const = default;
};

/// Feeds `in` to a reader `chunk` bytes at a time; every event up to the first error.
inline std::vector<seen> read_all(std::span<const std::uint8_t> in, std::size_t chunk, std::uint64_t max_message) {
    active_users::ws::client_reader r(max_message);
    std::vector<seen> out;
    for (std::size_t at = 0; at < in.size();) {
        auto part = in.subspan(at, std::min(chunk, in.size() - at));
        at += part.size();
        while (!part.empty()) {
            const auto s = r.feed(part);
            if (s.used > part.size()) std::abort();
            const auto& e = s.event;
            if (e.what == active_users::ws::client_event::kind::none) {
                if (s.used == 0) std::abort();  // no event must mean progress
            } else {
                if (e.payload_size > active_users::ws::max_control_payload) std::abort();
                out.push_back({e.what, e.error, e.close_code,
                               std::vector<std::uint8_t>(e.payload.begin(), e.payload.begin() + e.payload_size)});
                if (e.what == active_users::ws::client_event::kind::error) {
                    // Sticky: the reader refuses everything after an error.
                    if (r.feed(in).event.error != e.error) std::abort();
                    return out;
                }
            }
            part = part.subspan(s.used);
        }
    }
    return out;
}

}  // namespace ws_check

/// The first byte picks a chunk size (1-256) and a message limit; the rest is the client's bytes.
inline void check_ws_frame(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return;
    const std::size_t chunk = std::size_t{data[0]} + 1;
    const std::uint64_t max_message = (data[0] & 1) != 0 ? 4096 : (std::uint64_t{1} << 40);
    const std::span<const std::uint8_t> in(data + 1, size - 1);
    const auto h = active_users::ws::decode_client_header(in);
    if (h.complete && (h.header.size > in.size() || h.error != active_users::ws::frame_error::none)) std::abort();
    const auto whole = ws_check::read_all(in, in.size() + 1, max_message);
    if (ws_check::read_all(in, chunk, max_message) != whole) std::abort();
    if (ws_check::read_all(in, 1, max_message) != whole) std::abort();
}

}  // namespace converge_fuzz
