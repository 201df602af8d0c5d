// Replication links: authenticated frames of converge sync messages over TCP, to and from peers.
// SPDX-License-Identifier: MIT
#pragma once

#include "notifications.hpp"
#include "options.hpp"
#include "replica.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace active_users {

/// A frame: `u32 length` (big-endian) of the body, the body, then HMAC-SHA256 of the body under
/// the cluster's shared secret. Body: `u8 version (1), u8 channel, u32 sender id, u64 send time
/// (ms since the Unix epoch), payload` (a converge-encoded sync_message). A frame whose MAC does
/// not verify is dropped with the connection before anything is decoded; duplicated or replayed
/// frames are harmless, since merges are idempotent.
struct frame {
    channel ch{};
    std::uint32_t sender = 0;
    std::uint64_t sent_ms = 0;
    std::vector<std::byte> payload;
};

inline constexpr std::size_t max_frame_body = std::size_t{16} << 20;
inline constexpr std::size_t mac_size = 32;

std::vector<std::byte> seal_frame(const std::string& secret, const frame& f);
/// Checks the MAC and the header of a body read off the wire; nullopt and a reason otherwise.
std::optional<frame> open_frame(const std::string& secret, std::span<const std::byte> body,
                                std::span<const std::byte> mac, std::string& error);

/// Decides, for one outbound connection, which channels' messages are worth sending. A sync
/// message equal to the last one sent on the same connection and channel is a no-op at the
/// receiver (it merges nothing new, moves no ack), and TCP already delivered the first, so it is
/// skipped: an idle link carries one frame per interval instead of five. Presence always goes
/// out, as the heartbeat that keeps this replica's viewers from being retired and the peer's
/// lag metric fresh. Make a new filter for each connection: after a reconnect nothing is known
/// to have arrived.
class repeat_filter {
public:
    /// True when `payload` should be sent on `ch`; remembers it as the last one sent.
    bool should_send(channel ch, const std::vector<std::byte>& payload);

private:
    std::array<std::vector<std::byte>, 6> last_sent_;  ///< by channel number (1 to 5)
};

struct replication_stats {
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::uint64_t> frames_received{0};
    std::atomic<std::uint64_t> frames_rejected{0};
    std::mutex lag_mutex;
    std::map<std::uint32_t, double> lag_seconds;  ///< per peer, at its last frame
};

/// Listens for peers' frames and keeps one outbound link per configured peer, pushing each
/// channel (viewer counts and notifications) every interval unless repeat_filter says it would
/// tell the peer nothing, and reconnecting with backoff.
class replication {
public:
    replication(boost::asio::io_context& io, const options& o, replica& r, notifications& n);
    void start();
    replication_stats& stats() noexcept { return stats_; }

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> inbound(boost::asio::ip::tcp::socket socket);
    boost::asio::awaitable<void> outbound(peer_address peer);

    boost::asio::io_context& io_;
    const options& opts_;
    replica& replica_;
    notifications& notifications_;
    replication_stats stats_;
};

}  // namespace active_users
