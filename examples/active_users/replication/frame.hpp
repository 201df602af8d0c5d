// Replication frames of the TCP mesh: a length, a header, a converge payload and an HMAC.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace active_users {

/// A frame: `u32 length` (big-endian) of the body, the body, then HMAC-SHA256 of the body under
/// the cluster's shared secret. Body: `u8 version (1), u8 channel, u32 sender id, u64 send time
/// (ms since the Unix epoch), payload` (a converge-encoded sync_message). A frame whose MAC does
/// not verify is dropped with the connection before anything is decoded; duplicated or replayed
/// frames merge as no-ops.
struct frame {
    std::uint8_t channel = 0;
    peer_id sender = 0;
    std::uint64_t sent_ms = 0;
    std::vector<std::byte> payload;
};

inline constexpr std::size_t max_frame_body = std::size_t{16} << 20;
inline constexpr std::size_t mac_size = 32;
inline constexpr std::size_t frame_length_size = 4;

/// The whole frame, length prefix and MAC included, ready to write.
[[nodiscard]] std::vector<std::byte> seal_frame(const std::string& secret, const frame& f);
/// The body length a frame announces in its first four bytes.
[[nodiscard]] std::size_t frame_body_length(std::span<const std::byte, frame_length_size> prefix);
/// Checks the MAC, then the header, of a body read off the wire.
[[nodiscard]] result<frame> open_frame(const std::string& secret, std::span<const std::byte> body,
                                       std::span<const std::byte> mac);

/// Milliseconds since the Unix epoch, as frames carry them.
[[nodiscard]] std::uint64_t unix_ms();

}  // namespace active_users
