// NATS frames: sealing with the subject bound in, opening with the MAC checked before anything is parsed.
// SPDX-License-Identifier: MIT
#include "replication/nats_frame.hpp"

#include "replication/big_endian.hpp"

#include <string>

namespace active_users {

namespace {

constexpr std::uint8_t nats_frame_version = 1;

mac sign_frame(const link_key& key, std::string_view subject, std::span<const std::byte> body) {
    const std::array<std::byte, 2> length{static_cast<std::byte>(subject.size() >> 8), static_cast<std::byte>(subject.size())};
    return hmac_sha256(key, {length, std::as_bytes(std::span(subject.data(), subject.size())), body});
}

}  // namespace

link_key nats_key(std::string_view secret) {
    constexpr std::string_view label = "converge-active-users nats frames v1";
    return hmac_sha256(std::as_bytes(std::span(secret.data(), secret.size())),
                       {std::as_bytes(std::span(label.data(), label.size()))});
}

std::vector<std::byte> nats_frame_sealer::seal(std::string_view subject, std::uint8_t channel,
                                               std::span<const std::byte> payload, std::uint64_t now_ms) {
    std::vector<std::byte> out;
    out.reserve(nats_frame_header_size + payload.size() + mac_size);
    out.push_back(std::byte{nats_frame_version});
    out.push_back(std::byte{channel});
    put_be(out, self_, 4);
    put_be(out, run_, 8);
    put_be(out, next_++, 8);
    put_be(out, now_ms, 8);
    out.insert(out.end(), payload.begin(), payload.end());
    const mac m = sign_frame(key_, subject, out);
    out.insert(out.end(), m.begin(), m.end());
    return out;
}

result<nats_frame> nats_frame_opener::open(std::string_view subject, std::span<const std::byte> bytes,
                                           std::uint64_t now_ms) {
    if (bytes.size() > max_nats_frame) return fail(status::bad_request, "frame of " + std::to_string(bytes.size()) + " bytes: too large");
    if (bytes.size() < nats_frame_header_size + mac_size) return fail(status::bad_request, "frame shorter than its header and MAC");
    if (subject.size() > 0xFFFF) return fail(status::bad_request, "subject too long");
    const auto body = bytes.first(bytes.size() - mac_size);
    if (!same_mac(sign_frame(key_, subject, body), bytes.last(mac_size)))
        return fail(status::bad_request, "frame authentication failed (another secret, another subject, or altered)");
    if (body[0] != std::byte{nats_frame_version})
        return fail(status::bad_request, "unsupported frame version " + std::to_string(std::to_integer<int>(body[0])));
    nats_frame f;
    f.channel = std::to_integer<std::uint8_t>(body[1]);
    f.sender = static_cast<peer_id>(get_be(body, 2, 4));
    f.run = get_be(body, 6, 8);
    f.counter = get_be(body, 14, 8);
    f.sent_ms = get_be(body, 22, 8);
    f.payload = body.subspan(nats_frame_header_size);
    if (f.sender == self_) return fail(status::bad_request, "frame claims to come from this replica");
    if (auto fresh = seen_.admit(f.sender, f.run, f.counter, f.sent_ms, now_ms); !fresh) return fresh.error();
    return f;
}

}  // namespace active_users
