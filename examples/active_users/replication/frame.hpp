// Replication frames of the TCP mesh: a length, a header with a counter, a converge payload, a MAC.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "replication/link_crypto.hpp"
#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace active_users {

/// A frame: `u32 length` (big-endian) of the body, the body, then a tag: the first 16 bytes of
/// HMAC-SHA256 of the body under the link key of its connection (link_handshake.hpp), a 128-bit
/// tag as in IPsec's HMAC-SHA-256-128 (RFC 4868). Body: `u8 version (3), u8 channel, u64 send
/// time (ms since the Unix epoch), u64 counter, payload` (a converge-encoded sync message). The
/// counter is 1 for a connection's first frame and grows by one with each: a frame repeated,
/// dropped or reordered on the connection is refused, and since the key is the connection's
/// own, no frame can be moved to another connection. The sender is not sent: it is the replica
/// whose handshake made the key. Header and tag are 38 bytes a frame (58 in version 2, which
/// also sent the sender and the whole MAC): on a mesh most frames are small, so that was about
/// a third of the traffic.
struct frame {
    std::uint8_t channel = 0;
    peer_id sender = 0;  ///< not sent: the opener fills in the link's peer
    std::uint64_t sent_ms = 0;
    std::vector<std::byte> payload;
};

inline constexpr std::size_t max_frame_body = std::size_t{16} << 20;
inline constexpr std::size_t frame_length_size = 4;
inline constexpr std::size_t frame_tag_size = 16;

/// The body length a frame announces in its first four bytes.
[[nodiscard]] std::size_t frame_body_length(std::span<const std::byte, frame_length_size> prefix);

/// Seals the frames of one connection, numbering them.
class frame_sealer {
public:
    explicit frame_sealer(const link_key& key) : key_(key) {}
    /// The whole frame, length prefix and MAC included, ready to write.
    [[nodiscard]] std::vector<std::byte> seal(const frame& f);

private:
    link_key key_;
    std::uint64_t next_ = 1;
};

/// Opens the frames of one connection from one authenticated peer, in order.
class frame_opener {
public:
    frame_opener(const link_key& key, peer_id peer) : key_(key), peer_(peer) {}
    /// Checks the tag, then the header: the version and the counter (the next one: anything
    /// else is status::replayed). The frame's sender is the peer that authenticated.
    [[nodiscard]] result<frame> open(std::span<const std::byte> body, std::span<const std::byte> tag);

private:
    link_key key_;
    peer_id peer_;
    std::uint64_t expected_ = 1;
};

/// Milliseconds since the Unix epoch, as frames carry them.
[[nodiscard]] std::uint64_t unix_ms();

}  // namespace active_users
