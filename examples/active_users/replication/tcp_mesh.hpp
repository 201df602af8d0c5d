// The TCP mesh transport: one outbound link per configured peer, HMAC-authenticated frames.
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

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace active_users {

/// The embedded default for small clusters: every replica listens on `--listen` and keeps one
/// outbound link to each `--peer`, writing frames (frame.hpp) on it; frames from peers arrive on
/// the links they opened. A link is "up" for the replicator while its outbound connection is;
/// it reconnects with backoff. Frames that fail authentication, claim this replica's id, or that
/// the replicator refuses end the inbound connection they came on.
class tcp_mesh final : public transport {
public:
    tcp_mesh(boost::asio::io_context& io, const options& o);

    result<void> start(transport_receiver& to) override;
    void send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) override;
    void publish(std::uint8_t channel, std::vector<std::byte> payload) override;
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
        std::map<std::uint8_t, std::vector<std::byte>> pending;  ///< sealed frames by channel
    };

    boost::asio::awaitable<void> inbound(boost::asio::ip::tcp::socket socket);
    boost::asio::awaitable<void> outbound(std::shared_ptr<link> l);
    /// Checks an opened frame's claims and hands it up; a failure ends the connection.
    result<void> accept_frame(const frame& f);

    boost::asio::io_context& io_;
    const options& opts_;
    transport_receiver* receiver_ = nullptr;
    std::map<peer_id, std::shared_ptr<link>> links_;  ///< fixed after construction
    std::atomic<std::uint64_t> bytes_sent_{0};
    std::atomic<std::uint64_t> frames_received_{0};
    std::atomic<std::uint64_t> frames_rejected_{0};
    mutable std::mutex lag_mutex_;
    std::map<peer_id, double> lag_seconds_;
};

}  // namespace active_users
