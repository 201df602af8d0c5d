// Replication over TCP: sealed frames out every interval, frames in verified, decoded and merged.
// SPDX-License-Identifier: MIT
#include "replication.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

namespace active_users {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::array<std::byte, mac_size> mac_of(const std::string& secret, std::span<const std::byte> body) {
    std::array<std::byte, mac_size> out{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(),
         reinterpret_cast<unsigned char*>(out.data()), &len);
    return out;
}

void put_be(std::vector<std::byte>& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

std::uint64_t get_be(std::span<const std::byte> in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(in[at + static_cast<std::size_t>(i)]);
    return v;
}

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch()).count());
}

constexpr std::size_t header_size = 1 + 1 + 4 + 8;

}  // namespace

std::vector<std::byte> seal_frame(const std::string& secret, const frame& f) {
    std::vector<std::byte> out;
    out.reserve(4 + header_size + f.payload.size() + mac_size);
    put_be(out, header_size + f.payload.size(), 4);
    out.push_back(std::byte{1});
    out.push_back(static_cast<std::byte>(f.ch));
    put_be(out, f.sender, 4);
    put_be(out, f.sent_ms, 8);
    out.insert(out.end(), f.payload.begin(), f.payload.end());
    const auto mac = mac_of(secret, std::span(out).subspan(4));
    out.insert(out.end(), mac.begin(), mac.end());
    return out;
}

std::optional<frame> open_frame(const std::string& secret, std::span<const std::byte> body,
                                std::span<const std::byte> mac, std::string& error) {
    const auto expected = mac_of(secret, body);
    if (mac.size() != mac_size || CRYPTO_memcmp(expected.data(), mac.data(), mac_size) != 0) {
        error = "frame authentication failed (wrong secret, or not a peer)";
        return std::nullopt;
    }
    if (body.size() < header_size) {
        error = "frame shorter than its header";
        return std::nullopt;
    }
    if (body[0] != std::byte{1}) {
        error = "unsupported frame version " + std::to_string(std::to_integer<int>(body[0]));
        return std::nullopt;
    }
    const auto ch = std::to_integer<std::uint8_t>(body[1]);
    if (ch < static_cast<std::uint8_t>(channel::presence) || ch > static_cast<std::uint8_t>(channel::read_marks)) {
        error = "unknown channel " + std::to_string(ch);
        return std::nullopt;
    }
    frame f;
    f.ch = static_cast<channel>(ch);
    f.sender = static_cast<std::uint32_t>(get_be(body, 2, 4));
    f.sent_ms = get_be(body, 6, 8);
    f.payload.assign(body.begin() + header_size, body.end());
    return f;
}

bool repeat_filter::should_send(channel ch, const std::vector<std::byte>& payload) {
    std::vector<std::byte>& last = last_sent_.at(static_cast<std::size_t>(ch));
    if (ch != channel::presence && payload == last) return false;
    last = payload;
    return true;
}

replication::replication(asio::io_context& io, const options& o, replica& r, notifications& n)
    : io_(io), opts_(o), replica_(r), notifications_(n) {}

void replication::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    for (const peer_address& p : opts_.peers) asio::co_spawn(io_, outbound(p), asio::detached);
}

asio::awaitable<void> replication::accept_loop() {
    tcp::acceptor acceptor(io_);
    const tcp::endpoint ep(asio::ip::make_address(opts_.listen.host), opts_.listen.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
    for (;;) {
        tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(io_, inbound(std::move(s)), asio::detached);
    }
}

asio::awaitable<void> replication::inbound(tcp::socket socket) {
    std::vector<std::byte> body;
    std::array<std::byte, mac_size> mac{};
    try {
        for (;;) {
            std::array<std::byte, 4> len_bytes{};
            co_await asio::async_read(socket, asio::buffer(len_bytes), asio::use_awaitable);
            const std::size_t len = get_be(len_bytes, 0, 4);
            if (len > max_frame_body) {
                std::fprintf(stderr, "replication: frame of %zu bytes refused; closing link\n", len);
                co_return;
            }
            body.resize(len);
            co_await asio::async_read(socket, asio::buffer(body), asio::use_awaitable);
            co_await asio::async_read(socket, asio::buffer(mac), asio::use_awaitable);
            std::string error;
            const auto f = open_frame(opts_.secret, body, mac, error);
            if (f && f->sender == opts_.id) error = "frame claims this replica's own id";
            if (!f || !error.empty()) {
                ++stats_.frames_rejected;
                std::fprintf(stderr, "replication: %s; closing link\n", error.c_str());
                co_return;
            }
            ++stats_.frames_received;
            {
                std::lock_guard lock(stats_.lag_mutex);
                const std::uint64_t now = now_ms();
                stats_.lag_seconds[f->sender] = now > f->sent_ms ? static_cast<double>(now - f->sent_ms) / 1000.0 : 0.0;
            }
            const bool counts = f->ch == channel::presence || f->ch == channel::adjustments;
            const bool ok = counts ? replica_.receive(f->sender, f->ch, f->payload, error)
                                   : notifications_.receive(f->sender, f->ch, f->payload, error);
            if (!ok) {
                ++stats_.frames_rejected;
                std::fprintf(stderr, "replication: message from replica %u rejected: %s; closing link\n", f->sender,
                             error.c_str());
                co_return;
            }
        }
    } catch (const std::exception&) {
        // The peer went away; its outbound loop reconnects.
    }
}

asio::awaitable<void> replication::outbound(peer_address peer) {
    asio::steady_timer timer(io_);
    auto backoff = std::chrono::milliseconds(100);
    for (;;) {
        tcp::socket socket(io_);
        try {
            tcp::resolver resolver(io_);
            const auto endpoints = co_await resolver.async_resolve(peer.address.host, std::to_string(peer.address.port),
                                                                   asio::use_awaitable);
            co_await asio::async_connect(socket, endpoints, asio::use_awaitable);
            socket.set_option(tcp::no_delay(true));
            backoff = std::chrono::milliseconds(100);
            replica_.connected(peer.id);  // the first message on a new link is the full state
            notifications_.connected(peer.id);
            repeat_filter filter;
            for (;;) {
                for (const channel ch : {channel::presence, channel::adjustments, channel::subscriptions,
                                         channel::modifications, channel::read_marks}) {
                    const bool counts = ch == channel::presence || ch == channel::adjustments;
                    frame f{ch, opts_.id, now_ms(),
                            counts ? replica_.message_for(peer.id, ch) : notifications_.message_for(peer.id, ch)};
                    if (!filter.should_send(ch, f.payload)) continue;
                    const auto bytes = seal_frame(opts_.secret, f);
                    co_await asio::async_write(socket, asio::buffer(bytes), asio::use_awaitable);
                    stats_.bytes_sent += bytes.size();
                }
                timer.expires_after(opts_.interval);
                co_await timer.async_wait(asio::use_awaitable);
            }
        } catch (const std::exception&) {
            replica_.disconnected(peer.id);
            notifications_.disconnected(peer.id);
        }
        timer.expires_after(backoff);
        co_await timer.async_wait(asio::use_awaitable);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
}

}  // namespace active_users
