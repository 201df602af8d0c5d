// The TCP mesh: accept loop and inbound frame readers, outbound links that write what is queued.
// SPDX-License-Identifier: MIT
#include "replication/tcp_mesh.hpp"

#include "net/tcp_listener.hpp"
#include "spawn.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

namespace active_users {

namespace asio = boost::asio;
using asio::ip::tcp;

tcp_mesh::link::link(asio::io_context& io, peer_address to)
    : peer(std::move(to)), on(asio::make_strand(io)), wake(on, std::chrono::steady_clock::time_point::max()) {}

tcp_mesh::tcp_mesh(asio::io_context& io, const options& o) : io_(io), opts_(o) {
    for (const peer_address& p : opts_.peers) links_.emplace(p.id, std::make_shared<link>(io_, p));
}

result<void> tcp_mesh::start(transport_receiver& to) {
    receiver_ = &to;
    auto acceptor = bind_listener(io_, opts_.listen, "replication port");
    if (!acceptor) return acceptor.error();
    auto serve = [this](tcp::socket s) {
        const auto ex = s.get_executor();
        spawn_logged(ex, inbound(std::move(s)), "replication inbound link");
    };
    spawn_logged(io_, accept_forever(std::move(*acceptor), serve, "replication"), "replication accept loop");
    for (const auto& [id, l] : links_) spawn_logged(l->on, outbound(l), "replication link to " + std::to_string(id));
    return {};
}

void tcp_mesh::send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) {
    const auto it = links_.find(peer);
    if (it == links_.end()) return;
    auto sealed = seal_frame(opts_.secret, frame{channel, opts_.id, unix_ms(), std::move(payload)});
    asio::post(it->second->on, [l = it->second, channel, sealed = std::move(sealed)]() mutable {
        if (!l->up) return;
        l->pending[channel] = std::move(sealed);
        l->wake.cancel();
    });
}

void tcp_mesh::publish(std::uint8_t channel, std::vector<std::byte> payload) {
    for (const auto& [id, l] : links_) send(id, channel, payload);
}

transport_stats tcp_mesh::statistics() const {
    transport_stats s;
    s.bytes_sent = bytes_sent_.load();
    s.frames_received = frames_received_.load();
    s.frames_rejected = frames_rejected_.load();
    std::lock_guard lock(lag_mutex_);
    s.lag_seconds = lag_seconds_;
    return s;
}

result<void> tcp_mesh::accept_frame(const frame& f) {
    if (f.sender == opts_.id) {
        ++frames_rejected_;
        return fail(status::bad_request, "frame claims this replica's own id");
    }
    ++frames_received_;
    {
        std::lock_guard lock(lag_mutex_);
        const std::uint64_t now = unix_ms();
        lag_seconds_[f.sender] = now > f.sent_ms ? static_cast<double>(now - f.sent_ms) / 1000.0 : 0.0;
    }
    return receiver_->deliver(f.sender, f.channel, f.payload);
}

asio::awaitable<void> tcp_mesh::inbound(tcp::socket socket) {
    std::vector<std::byte> body;
    std::array<std::byte, mac_size> mac{};
    for (;;) {
        std::array<std::byte, frame_length_size> prefix{};
        boost::system::error_code ec;
        co_await asio::async_read(socket, asio::buffer(prefix), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;  // the peer went away; its outbound loop reconnects
        const std::size_t len = frame_body_length(prefix);
        if (len > max_frame_body) {
            ++frames_rejected_;
            std::fprintf(stderr, "replication: frame of %zu bytes refused; closing link\n", len);
            co_return;
        }
        body.resize(len);
        co_await asio::async_read(socket, asio::buffer(body), asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_await asio::async_read(socket, asio::buffer(mac), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        const auto opened = open_frame(opts_.secret, body, mac);
        if (!opened) ++frames_rejected_;
        const result<void> accepted = opened ? accept_frame(*opened) : result<void>(opened.error());
        if (!accepted) {
            std::fprintf(stderr, "replication: %s; closing link\n", accepted.error().message.c_str());
            co_return;
        }
    }
}

asio::awaitable<void> tcp_mesh::outbound(std::shared_ptr<link> l) {
    auto backoff = std::chrono::milliseconds(100);
    asio::steady_timer pause(l->on);
    for (;;) {
        tcp::socket socket(l->on);
        boost::system::error_code ec;
        tcp::resolver resolver(l->on);
        const auto endpoints = co_await resolver.async_resolve(
            l->peer.address.host, std::to_string(l->peer.address.port), asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            backoff = std::chrono::milliseconds(100);
            l->up = true;
            receiver_->peer_up(l->peer.id);  // the first message on a new link is the full state
            while (!ec) {
                while (!l->pending.empty() && !ec) {
                    const auto first = l->pending.begin();
                    const std::vector<std::byte> bytes = std::move(first->second);
                    l->pending.erase(first);
                    co_await asio::async_write(socket, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
                    if (!ec) bytes_sent_ += bytes.size();
                }
                if (ec) break;
                l->wake.expires_at(std::chrono::steady_clock::time_point::max());
                boost::system::error_code woken;
                co_await l->wake.async_wait(asio::redirect_error(asio::use_awaitable, woken));
            }
            l->up = false;
            l->pending.clear();
            receiver_->peer_down(l->peer.id);
        }
        pause.expires_after(backoff);
        co_await pause.async_wait(asio::use_awaitable);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
}

}  // namespace active_users
