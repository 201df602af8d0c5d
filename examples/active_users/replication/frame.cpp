// Frames: sealing under the link key, and opening with the MAC checked before anything is parsed.
// SPDX-License-Identifier: MIT
#include "replication/frame.hpp"

#include "replication/big_endian.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>

namespace active_users {

namespace {

constexpr std::uint8_t frame_version = 3;
constexpr std::size_t frame_header_size = 1 + 1 + 8 + 8;

/// The frame tag of `body`: the first frame_tag_size bytes of its HMAC under `key`.
std::array<std::byte, frame_tag_size> frame_tag(const link_key& key, std::span<const std::byte> body) {
    const mac m = hmac_sha256(key, {body});
    std::array<std::byte, frame_tag_size> tag{};
    std::copy_n(m.begin(), frame_tag_size, tag.begin());
    return tag;
}

}  // namespace

std::size_t frame_body_length(std::span<const std::byte, frame_length_size> prefix) {
    return static_cast<std::size_t>(get_be(prefix, 0, frame_length_size));
}

std::vector<std::byte> frame_sealer::seal(const frame& f) {
    std::vector<std::byte> out;
    out.reserve(frame_length_size + frame_header_size + f.payload.size() + frame_tag_size);
    put_be(out, frame_header_size + f.payload.size(), frame_length_size);
    out.push_back(std::byte{frame_version});
    out.push_back(std::byte{f.channel});
    put_be(out, f.sent_ms, 8);
    put_be(out, next_++, 8);
    out.insert(out.end(), f.payload.begin(), f.payload.end());
    const auto tag = frame_tag(key_, std::span(out).subspan(frame_length_size));
    out.insert(out.end(), tag.begin(), tag.end());
    return out;
}

result<frame> frame_opener::open(std::span<const std::byte> body, std::span<const std::byte> tag) {
    if (!same_mac(frame_tag(key_, body), tag))
        return fail(status::bad_request, "frame authentication failed (not this link's key, or altered)");
    if (body.size() < frame_header_size) return fail(status::bad_request, "frame shorter than its header");
    if (body[0] != std::byte{frame_version})
        return fail(status::bad_request, "unsupported frame version " + std::to_string(std::to_integer<int>(body[0])));
    frame f;
    f.channel = std::to_integer<std::uint8_t>(body[1]);
    f.sender = peer_;
    f.sent_ms = get_be(body, 2, 8);
    const std::uint64_t counter = get_be(body, 10, 8);
    if (counter != expected_) {
        return fail(status::replayed, "frame " + std::to_string(counter) + " where " + std::to_string(expected_) +
                                          " was due: replayed or reordered");
    }
    ++expected_;
    f.payload.assign(body.begin() + frame_header_size, body.end());
    return f;
}

std::uint64_t unix_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

}  // namespace active_users
