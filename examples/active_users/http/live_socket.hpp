// A push-only WebSocket: Beast answers the upgrade, then one small object per connection holds the socket and its subscription.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/http_types.hpp"
#include "http/ws_frame.hpp"
#include "push/fanout.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace active_users {

/// Answers the upgrade `req` with Beast (10 s at most); the socket, ready for frames, or nothing
/// when the client went away or the request was refused (Beast answered it). Takes the request
/// so that it is freed once answered.
boost::asio::awaitable<std::optional<boost::asio::ip::tcp::socket>> accept_websocket(boost::beast::tcp_stream stream,
                                                                                     http_request req);

/// One live WebSocket after its handshake. The client sends nothing the server needs; its frames
/// are read only so that pings are answered and a close is seen. While idle it holds its socket,
/// its subscription and a few flags: no buffer, no timer, no coroutine. It waits for readability
/// (`async_wait`), reads what is there into a buffer on the stack, and writes each push as the
/// frame the fanout built once for every subscriber of the key. Liveness comes from the fanout's
/// sweep: a client silent for half of `idle_timeout` is pinged, one silent for all of it is
/// disconnected (a missed heartbeat), as Beast's idle timeout with keep-alive pings did.
///
/// Hand-framed, not Beast's websocket::stream: see http/ws_frame.hpp.
class live_socket final : public subscriber, public std::enable_shared_from_this<live_socket> {
    struct private_tag {};

public:
    /// Listens to `key` in `feed` on `socket`, already upgraded: sends `first`, then the latest
    /// push whenever there is a new one, until either side closes. `keep` (a viewer's session,
    /// say) is released when the connection ends. Call on the socket's executor.
    static void start(boost::asio::ip::tcp::socket socket, fanout& feed, std::string key, std::string first,
                      std::chrono::milliseconds idle_timeout, std::shared_ptr<void> keep = {});

    live_socket(private_tag, boost::asio::ip::tcp::socket socket, fanout& feed, std::chrono::milliseconds idle_timeout,
                std::shared_ptr<void> keep);

    void notify() override;
    void sweep(std::chrono::steady_clock::time_point now) override;

    /// Data messages from clients longer than this close the connection with 1009.
    static constexpr std::uint64_t max_message = 4 * 1024;

private:
    void wait_readable();
    void readable();
    [[nodiscard]] bool consume(std::span<const std::uint8_t> bytes);
    void write_next();
    void written(const boost::system::error_code& ec, std::chrono::steady_clock::time_point since, bool was_close);
    void queue_control(std::string frame);
    void queue_close(std::uint16_t code, bool end_after);
    void end();

    boost::asio::ip::tcp::socket socket_;
    fanout& feed_;
    std::optional<fanout::subscription> listening_;
    std::shared_ptr<void> keep_;
    ws::client_reader reader_{max_message};
    std::shared_ptr<const std::string> sending_;  ///< the frame being written
    std::string control_;                         ///< a pong, ping or close to write next
    std::int64_t idle_ms_;
    std::atomic<std::int64_t> heard_ms_;  ///< when the client last sent a byte (steady clock, ms)
    std::atomic<bool> pinged_{false};     ///< a keep-alive ping went out since then
    std::atomic<bool> timed_out_{false};
    bool writing_ = false;
    bool waiting_ = false;          ///< a wait for readability is pending
    bool reading_done_ = false;     ///< the client closed or broke the protocol: nothing more is read
    bool control_is_close_ = false;
    bool close_sent_ = false;       ///< a close frame is queued or written; no more pushes
    bool end_after_close_ = false;  ///< once the close frame is written, disconnect
    bool ended_ = false;
};

}  // namespace active_users
