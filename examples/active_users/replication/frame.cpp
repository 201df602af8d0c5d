// Frames: sealing with HMAC-SHA256 and opening with a constant-time check before anything is parsed.
// SPDX-License-Identifier: MIT
#include "replication/frame.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <chrono>

namespace active_users {

namespace {

constexpr std::uint8_t frame_version = 1;
constexpr std::size_t header_size = 1 + 1 + 4 + 8;

std::array<std::byte, mac_size> mac_of(const std::string& secret, std::span<const std::byte> body) {
    std::array<std::byte, mac_size> out{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(),
         reinterpret_cast<unsigned char*>(out.data()), &len);
    return out;
}

void put_be(std::vector<std::byte>& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

std::uint64_t get_be(std::span<const std::byte> in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(in[at + static_cast<std::size_t>(i)]);
    return v;
}

}  // namespace

std::vector<std::byte> seal_frame(const std::string& secret, const frame& f) {
    std::vector<std::byte> out;
    out.reserve(frame_length_size + header_size + f.payload.size() + mac_size);
    put_be(out, header_size + f.payload.size(), frame_length_size);
    out.push_back(std::byte{frame_version});
    out.push_back(std::byte{f.channel});
    put_be(out, f.sender, 4);
    put_be(out, f.sent_ms, 8);
    out.insert(out.end(), f.payload.begin(), f.payload.end());
    const auto mac = mac_of(secret, std::span(out).subspan(frame_length_size));
    out.insert(out.end(), mac.begin(), mac.end());
    return out;
}

std::size_t frame_body_length(std::span<const std::byte, frame_length_size> prefix) {
    return static_cast<std::size_t>(get_be(prefix, 0, frame_length_size));
}

result<frame> open_frame(const std::string& secret, std::span<const std::byte> body, std::span<const std::byte> mac) {
    const auto expected = mac_of(secret, body);
    if (mac.size() != mac_size || CRYPTO_memcmp(expected.data(), mac.data(), mac_size) != 0)
        return fail(status::bad_request, "frame authentication failed (wrong secret, or not a peer)");
    if (body.size() < header_size) return fail(status::bad_request, "frame shorter than its header");
    if (body[0] != std::byte{frame_version})
        return fail(status::bad_request, "unsupported frame version " + std::to_string(std::to_integer<int>(body[0])));
    frame f;
    f.channel = std::to_integer<std::uint8_t>(body[1]);
    f.sender = static_cast<peer_id>(get_be(body, 2, 4));
    f.sent_ms = get_be(body, 6, 8);
    f.payload.assign(body.begin() + header_size, body.end());
    return f;
}

std::uint64_t unix_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

}  // namespace active_users
