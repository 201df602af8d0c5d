// The TCP mesh transport: one outbound link per configured peer, authenticated and replay-proof.
// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"
#include "replication/frame.hpp"
#include "replication/transport.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

namespace active_users {

/// The embedded default for small clusters: every replica listens on `--listen` and keeps one
/// outbound link to each `--peer`. A link starts with the handshake of link_handshake.hpp and
/// then carries numbered frames (frame.hpp) from the dialer to the acceptor. A link is "up" for
/// the replicator while its outbound connection is; it reconnects with backoff.
///
/// A link delivers what was sent on it in order, or goes down: the replicator counts a message
/// as delivered once it is handed over (channel_owner::sent), so frames wait in a queue and are
/// never replaced or dropped while the link is up. A link whose queue grows past
/// `max_queued_bytes` (a peer that reads too slowly) is closed instead, and its reconnection
/// brings the full state.
///
/// Before a connection has authenticated it holds only fixed-size handshake buffers, at most
/// `max_handshaking` connections may be handshaking at once (more are closed at once), and a
/// handshake must finish within `handshake_timeout`. Frames that fail authentication, come out of
/// order or from another replica than the one that authenticated, or that the replicator
/// refuses, end the connection.
class tcp_mesh final : public transport {
public:
    static constexpr std::size_t max_handshaking = 64;
    static constexpr std::chrono::seconds handshake_timeout{5};
    static constexpr std::size_t max_queued_bytes = std::size_t{64} << 20;

    tcp_mesh(boost::asio::io_context& io, const options& o);

    result<void> start(transport_receiver& to) override;
    void send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) override;
    void publish(std::uint8_t channel, std::vector<std::byte> payload) override;
    [[nodiscard]] bool drained() const override;
    transport_stats statistics() const override;

private:
    using strand = boost::asio::strand<boost::asio::io_context::executor_type>;
    /// One outbound link; everything in it is touched only on its strand.
    struct link {
        link(boost::asio::io_context& io, peer_address to);
        peer_address peer;
        strand on;
        boost::asio::steady_timer wake;
        bool up = false;
        bool overflowed = false;     ///< the queue outgrew max_queued_bytes: the connection ends
        std::deque<frame> pending;   ///< frames in the order sent, sealed when written
        std::size_t pending_bytes = 0;
    };

    boost::asio::awaitable<void> inbound(boost::asio::ip::tcp::socket socket);
    /// The acceptor's side of the handshake; the opener of the authenticated peer's frames.
    boost::asio::awaitable<result<frame_opener>> accept_handshake(boost::beast::tcp_stream& stream);
    boost::asio::awaitable<void> read_frames(boost::beast::tcp_stream& stream, frame_opener& opener);
    boost::asio::awaitable<void> outbound(std::shared_ptr<link> l);
    /// The dialer's side of the handshake; the sealer of this connection's frames.
    boost::asio::awaitable<result<frame_sealer>> dial_handshake(boost::beast::tcp_stream& stream, const link& l);
    boost::asio::awaitable<void> write_frames(boost::beast::tcp_stream& stream, link& l, frame_sealer& sealer);
    /// Checks an opened frame's claims and hands it up; a failure ends the connection.
    result<void> accept_frame(const frame& f);
    /// How long an established link may stay silent (or blocked) before it is dropped.
    [[nodiscard]] std::chrono::milliseconds idle_timeout() const;

    boost::asio::io_context& io_;
    const options& opts_;
    transport_receiver* receiver_ = nullptr;
    std::map<peer_id, std::shared_ptr<link>> links_;  ///< fixed after construction
    std::atomic<std::uint64_t> bytes_sent_{0};
    std::atomic<std::uint64_t> frames_received_{0};
    std::atomic<std::uint64_t> frames_rejected_{0};
    std::atomic<std::uint64_t> replays_{0};
    std::atomic<std::uint64_t> handshakes_refused_{0};
    std::atomic<std::size_t> handshaking_{0};
    std::atomic<std::size_t> queued_{0};  ///< frames waiting in links' pending maps
    mutable std::mutex lag_mutex_;
    std::map<peer_id, double> lag_seconds_;
};

}  // namespace active_users
