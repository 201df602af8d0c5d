// link_handshake: building and checking the three handshake messages.
// SPDX-License-Identifier: MIT
#include "replication/link_handshake.hpp"

#include <algorithm>
#include <cstring>

namespace active_users {

namespace {

constexpr std::byte version{2};

std::span<const std::byte> text(const char* s) { return std::as_bytes(std::span(s, std::strlen(s))); }

std::array<std::byte, 4> id_bytes(peer_id id) {
    return {std::byte(id >> 24), std::byte(id >> 16), std::byte(id >> 8), std::byte(id)};
}

peer_id id_at(std::span<const std::byte> in, std::size_t at) {
    peer_id id = 0;
    for (std::size_t i = 0; i < 4; ++i) id = (id << 8) | std::to_integer<peer_id>(in[at + i]);
    return id;
}

/// Magic, version, id, nonce: the common head of hello and auth.
template <std::size_t N>
void put_head(std::array<std::byte, N>& out, const char* magic, peer_id id, const nonce& n) {
    std::memcpy(out.data(), magic, 4);
    out[4] = version;
    const auto id_b = id_bytes(id);
    std::copy(id_b.begin(), id_b.end(), out.begin() + 5);
    std::copy(n.begin(), n.end(), out.begin() + 9);
}

template <std::size_t N>
result<std::pair<peer_id, nonce>> get_head(const std::array<std::byte, N>& in, const char* magic, const char* what) {
    if (std::memcmp(in.data(), magic, 4) != 0) return fail(status::bad_request, std::string(what) + ": not a converge replication link");
    if (in[4] != version)
        return fail(status::bad_request, std::string(what) + ": link version " + std::to_string(std::to_integer<int>(in[4])) +
                                             " (this build speaks 2)");
    nonce n{};
    std::copy(in.begin() + 9, in.begin() + 9 + nonce_size, n.begin());
    return std::pair{id_at(in, 5), n};
}

mac auth_mac(const std::string& secret, const hello& h, peer_id dialer, const nonce& dialer_nonce) {
    return hmac_sha256(std::as_bytes(std::span(secret)),
                       {text("converge auth"), h.acceptor_nonce, dialer_nonce, id_bytes(dialer), id_bytes(h.acceptor)});
}

}  // namespace

hello_bytes make_hello(peer_id acceptor, const nonce& acceptor_nonce) {
    hello_bytes out{};
    put_head(out, "CVRH", acceptor, acceptor_nonce);
    return out;
}

result<hello> read_hello(const hello_bytes& bytes) {
    auto head = get_head(bytes, "CVRH", "hello");
    if (!head) return head.error();
    return hello{head->first, head->second};
}

auth_bytes make_auth(const std::string& secret, const hello& h, peer_id dialer, const nonce& dialer_nonce) {
    auth_bytes out{};
    put_head(out, "CVRA", dialer, dialer_nonce);
    const mac m = auth_mac(secret, h, dialer, dialer_nonce);
    std::copy(m.begin(), m.end(), out.begin() + 9 + nonce_size);
    return out;
}

result<auth> check_auth(const std::string& secret, const hello& h, const auth_bytes& bytes) {
    auto head = get_head(bytes, "CVRA", "auth");
    if (!head) return head.error();
    const mac expected = auth_mac(secret, h, head->first, head->second);
    if (!same_mac(expected, std::span(bytes).last(mac_size)))
        return fail(status::bad_request, "link authentication failed (wrong secret, not a peer, or replayed)");
    return auth{head->first, head->second};
}

link_key derive_link_key(const std::string& secret, const hello& h, const auth& a) {
    return hmac_sha256(std::as_bytes(std::span(secret)), {text("converge link"), h.acceptor_nonce, a.dialer_nonce,
                                                          id_bytes(a.dialer), id_bytes(h.acceptor)});
}

ok_bytes make_ok(const link_key& key) { return hmac_sha256(key, {text("converge ok")}); }

bool check_ok(const link_key& key, const ok_bytes& bytes) { return same_mac(make_ok(key), bytes); }

}  // namespace active_users
