// live_socket: the upgrade through Beast, then readiness waits and shared frames on the connection's strand.
// SPDX-License-Identifier: MIT
#include "http/live_socket.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <utility>

namespace active_users {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

std::int64_t steady_ms(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

asio::awaitable<std::optional<tcp::socket>> accept_websocket(beast::tcp_stream stream, http_request req) {
    websocket::stream<beast::tcp_stream> ws(std::move(stream));
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(10);
    timeout.idle_timeout = websocket::stream_base::none();
    timeout.keep_alive_pings = false;
    ws.set_option(timeout);
    boost::system::error_code ec;
    co_await ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::nullopt;
    co_return beast::get_lowest_layer(ws).release_socket();
}

void live_socket::start(tcp::socket socket, fanout& feed, std::string key, std::string first,
                        std::chrono::milliseconds idle_timeout, std::shared_ptr<void> keep) {
    auto self = std::make_shared<live_socket>(private_tag{}, std::move(socket), feed, idle_timeout, std::move(keep));
    boost::system::error_code ec;
    self->socket_.non_blocking(true, ec);
    self->latest = fanout::frame(std::move(first));
    self->dirty = true;
    self->listening_.emplace(feed, std::move(key), self);
    asio::dispatch(self->executor, [self] {
        self->write_next();
        self->wait_readable();
    });
}

live_socket::live_socket(private_tag, tcp::socket socket, fanout& feed, std::chrono::milliseconds idle_timeout,
                         std::shared_ptr<void> keep)
    : subscriber(socket.get_executor()),
      socket_(std::move(socket)),
      feed_(feed),
      keep_(std::move(keep)),
      idle_ms_(idle_timeout.count()),
      heard_ms_(steady_ms(std::chrono::steady_clock::now())) {}

void live_socket::notify() {
    if (ended_) return;
    // The server is stopping: it cannot wait for the client's answer, so the connection ends
    // once the close is written (the socket's subscription holds the socket until it ends).
    if (going_away) queue_close(static_cast<std::uint16_t>(websocket::close_code::going_away), true);
    else write_next();
}

void live_socket::sweep(std::chrono::steady_clock::time_point now) {
    const std::int64_t quiet = steady_ms(now) - heard_ms_.load(std::memory_order_relaxed);
    if (quiet >= idle_ms_) {
        if (!timed_out_.exchange(true)) asio::post(executor, [self = shared_from_this()] { self->end(); });
    } else if (quiet >= idle_ms_ / 2 && !pinged_.exchange(true)) {
        asio::post(executor, [self = shared_from_this()] {
            if (self->control_.empty() && !self->close_sent_) self->queue_control(ws::server_frame(ws::opcode::ping, {}));
        });
    }
}

void live_socket::wait_readable() {
    if (waiting_ || reading_done_ || ended_) return;
    waiting_ = true;
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
        self->waiting_ = false;
        if (ec) {
            self->end();
            return;
        }
        self->readable();
    });
}

void live_socket::readable() {
    if (reading_done_ || ended_) return;
    // On the stack: an idle connection holds no read buffer.
    std::array<std::uint8_t, 2048> buf;
    for (int round = 0; round < 32; ++round) {
        boost::system::error_code ec;
        const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            wait_readable();
            return;
        }
        if (ec) {  // end of stream, reset
            end();
            return;
        }
        heard_ms_.store(steady_ms(std::chrono::steady_clock::now()), std::memory_order_relaxed);
        pinged_.store(false, std::memory_order_relaxed);
        if (!consume(std::span<const std::uint8_t>(buf.data(), n))) return;
    }
    // A client that sends without pause: read the rest after the other connections' turns. The
    // reactor is edge-triggered, so unread bytes would never wake a new wait.
    asio::post(executor, [self = shared_from_this()] { self->readable(); });
}

bool live_socket::consume(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
        const ws::client_reader::step s = reader_.feed(bytes);
        bytes = bytes.subspan(s.used);
        switch (s.event.what) {
        case ws::client_event::kind::none:
        case ws::client_event::kind::pong: break;
        case ws::client_event::kind::ping:
            // A pong answers the latest ping only: a flood of pings queues one pong.
            if (!close_sent_) queue_control(ws::server_frame(ws::opcode::pong, s.event.payload_view()));
            break;
        case ws::client_event::kind::close:
            reading_done_ = true;
            if (close_sent_) end();  // the answer to our close: the handshake is complete
            else queue_close(s.event.close_code, true);
            return false;
        case ws::client_event::kind::error:
            reading_done_ = true;
            if (close_sent_) end();
            else queue_close(ws::close_code_for(s.event.error), true);
            return false;
        }
    }
    return true;
}

void live_socket::queue_control(std::string frame) {
    control_ = std::move(frame);
    control_is_close_ = false;
    write_next();
}

void live_socket::queue_close(std::uint16_t code, bool end_after) {
    if (close_sent_ || ended_) return;
    close_sent_ = true;
    closed = true;
    end_after_close_ = end_after;
    control_ = ws::close_frame(code);
    control_is_close_ = true;
    write_next();
}

void live_socket::write_next() {
    if (writing_ || ended_) return;
    std::chrono::steady_clock::time_point since{};
    bool was_close = false;
    bool push = false;
    if (!control_.empty()) {
        sending_ = std::make_shared<const std::string>(std::exchange(control_, {}));
        was_close = std::exchange(control_is_close_, false);
    } else if (dirty && !close_sent_) {
        dirty = false;
        sending_ = latest;  // held: a push may replace `latest` during the write
        since = std::exchange(pending_since, std::chrono::steady_clock::time_point{});
        push = true;
    } else {
        return;
    }
    // A push is a few dozen bytes and the socket's send buffer almost always has room: one
    // non-blocking send then finishes it, without an asynchronous operation and its completion's
    // trip through the scheduler (a push to 10,000 viewers is 10,000 of them). What does not fit
    // goes the asynchronous way. Control frames always do: while one is written the next
    // replaces the one waiting, so a flood of pings read in one go gets a few pongs, not a send
    // per ping.
    std::size_t sent = 0;
    if (push) {
        boost::system::error_code failed;
        sent = socket_.write_some(asio::buffer(*sending_), failed);
        if (failed == asio::error::would_block || failed == asio::error::try_again) {
            failed = {};
            sent = 0;
        }
        if (failed || sent == sending_->size()) {
            written(failed, since, was_close);
            return;
        }
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(*sending_) + sent,
                      [self = shared_from_this(), since, was_close](const boost::system::error_code& ec, std::size_t) {
                          self->written(ec, since, was_close);
                      });
}

void live_socket::written(const boost::system::error_code& ec, std::chrono::steady_clock::time_point since, bool was_close) {
    writing_ = false;
    sending_.reset();
    if (ec) {
        end();
        return;
    }
    if (since != std::chrono::steady_clock::time_point{}) feed_.delivered(std::chrono::steady_clock::now() - since);
    if (was_close && end_after_close_) {
        end();
        return;
    }
    write_next();
}

void live_socket::end() {
    if (ended_) return;
    ended_ = true;
    closed = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);  // the pending wait and write complete with operation_aborted
    control_.clear();
    listening_.reset();
    keep_.reset();
}

}  // namespace active_users
