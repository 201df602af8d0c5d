// Frames on NATS subjects: signed with a key derived from the shared secret, bound to their subject.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"
#include "replication/link_crypto.hpp"
#include "replication/replay_window.hpp"
#include "result.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace active_users {

/// What a NATS frame carries besides its payload.
struct nats_frame {
    std::uint8_t channel = 0;
    peer_id sender = 0;
    std::uint64_t run = 0;      ///< the sender's process run, random
    std::uint64_t counter = 0;  ///< 1 for the run's first frame, +1 for each
    std::uint64_t sent_ms = 0;  ///< ms since the Unix epoch
    std::span<const std::byte> payload;  ///< into the bytes opened
};

/// Body: `u8 version (1), u8 channel, u32 sender, u64 run, u64 counter, u64 send time, payload`,
/// then HMAC-SHA256 under the NATS key of (u16 subject length, subject, body). The subject is
/// signed so that a frame cannot be moved to another subject (a repair answer for one replica
/// replayed as another's broadcast, say).
inline constexpr std::size_t nats_frame_header_size = 1 + 1 + 4 + 8 + 8 + 8;
/// A frame larger than this is refused before anything is copied out of the client's buffer.
inline constexpr std::size_t max_nats_frame = nats_frame_header_size + (std::size_t{16} << 20) + mac_size;

/// The key every replica signs NATS frames with: HMAC-SHA256 of a fixed label under the secret,
/// so the secret itself signs nothing that travels.
[[nodiscard]] link_key nats_key(std::string_view secret);

/// Seals this run's frames, numbering them. Thread-safe.
class nats_frame_sealer {
public:
    nats_frame_sealer(const link_key& key, peer_id self, std::uint64_t run) : key_(key), self_(self), run_(run) {}
    [[nodiscard]] std::vector<std::byte> seal(std::string_view subject, std::uint8_t channel,
                                              std::span<const std::byte> payload, std::uint64_t now_ms);

private:
    link_key key_;
    peer_id self_;
    std::uint64_t run_;
    std::atomic<std::uint64_t> next_{1};
};

/// Opens frames from any sender: the size, then the MAC, then the header, then the replay window
/// (status::replayed). Frames of `self` (echoes) are refused as well. Thread-safe.
class nats_frame_opener {
public:
    nats_frame_opener(const link_key& key, peer_id self) : key_(key), self_(self) {}
    [[nodiscard]] result<nats_frame> open(std::string_view subject, std::span<const std::byte> bytes,
                                          std::uint64_t now_ms);

private:
    link_key key_;
    peer_id self_;
    replay_window seen_;
};

}  // namespace active_users
