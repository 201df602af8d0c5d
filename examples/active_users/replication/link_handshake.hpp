// The replication link handshake: fresh nonces from both ends, a MAC under the cluster secret, a link key.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "replication/link_crypto.hpp"
#include "result.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string>

namespace active_users {

/// A link is one TCP connection from a dialer D to an acceptor A, on which D sends frames.
///
///   A -> D  hello: "CVRH", u8 version 2, u32 A's id, A's nonce Na          (25 bytes)
///   D -> A  auth:  "CVRA", u8 version 2, u32 D's id, D's nonce Nd,
///                  HMAC(secret, "auth" | Na | Nd | D | A)                    (57 bytes)
///   A -> D  ok:    HMAC(K, "ok")                                           (32 bytes)
///
/// with K = HMAC(secret, "link" | Na | Nd | D | A), the key of every frame on this connection.
/// Na is fresh for each connection, so an auth recorded on another connection does not verify,
/// and K, hence every frame MAC, differs between connections: recorded bytes cannot be replayed
/// on a new connection. `ok` proves to D that A holds the secret too. Before auth verifies, the
/// acceptor holds nothing but these fixed-size messages.
inline constexpr std::size_t hello_size = 4 + 1 + 4 + nonce_size;
inline constexpr std::size_t auth_size = 4 + 1 + 4 + nonce_size + mac_size;
inline constexpr std::size_t ok_size = mac_size;

using hello_bytes = std::array<std::byte, hello_size>;
using auth_bytes = std::array<std::byte, auth_size>;
using ok_bytes = std::array<std::byte, ok_size>;

struct hello {
    peer_id acceptor = 0;
    nonce acceptor_nonce{};
};
struct auth {
    peer_id dialer = 0;
    nonce dialer_nonce{};
};

hello_bytes make_hello(peer_id acceptor, const nonce& acceptor_nonce);
result<hello> read_hello(const hello_bytes& bytes);

auth_bytes make_auth(const std::string& secret, const hello& h, peer_id dialer, const nonce& dialer_nonce);
/// The dialer's claims, once the MAC over this connection's `h` verifies.
result<auth> check_auth(const std::string& secret, const hello& h, const auth_bytes& bytes);

link_key derive_link_key(const std::string& secret, const hello& h, const auth& a);
ok_bytes make_ok(const link_key& key);
bool check_ok(const link_key& key, const ok_bytes& bytes);

}  // namespace active_users
