// The TCP mesh: inbound links (handshake, then frames in), outbound links (handshake, then queued frames out).
// SPDX-License-Identifier: MIT
#include "replication/tcp_mesh.hpp"

#include "net/tcp_listener.hpp"
#include "replication/link_handshake.hpp"
#include "spawn.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstdio>

namespace active_users {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

namespace {

/// Counts a connection as handshaking for as long as this lives.
class handshaking_slot {
public:
    explicit handshaking_slot(std::atomic<std::size_t>& n) : n_(n) { ++n_; }
    ~handshaking_slot() { --n_; }
    handshaking_slot(const handshaking_slot&) = delete;
    handshaking_slot& operator=(const handshaking_slot&) = delete;

private:
    std::atomic<std::size_t>& n_;
};

}  // namespace

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
        if (handshaking_.load() >= max_handshaking) {
            ++handshakes_refused_;  // closed unread: a flood of unauthenticated connections costs nothing
            return;
        }
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
    ++queued_;  // counted now, so that drained() is false until the frame is written or dropped
    asio::post(it->second->on, [this, l = it->second, f = frame{channel, opts_.id, unix_ms(), std::move(payload)}]() mutable {
        if (!l->up || l->overflowed) {
            --queued_;  // dropped with its link, whose next connection starts with the full state
            return;
        }
        if (l->pending_bytes + f.payload.size() > max_queued_bytes) {
            std::fprintf(stderr, "replication: link to replica %u is %zu bytes behind; closing it\n", l->peer.id,
                         l->pending_bytes);
            l->overflowed = true;
            --queued_;
        } else {
            l->pending_bytes += f.payload.size();
            l->pending.push_back(std::move(f));
        }
        l->wake.cancel();
    });
}

void tcp_mesh::publish(std::uint8_t channel, std::vector<std::byte> payload) {
    for (const auto& [id, l] : links_) send(id, channel, payload);
}

bool tcp_mesh::drained() const { return queued_.load() == 0; }

transport_stats tcp_mesh::statistics() const {
    std::lock_guard lock(lag_mutex_);
    return {.bytes_sent = bytes_sent_.load(),
            .frames_received = frames_received_.load(),
            .frames_rejected = frames_rejected_.load(),
            .replays = replays_.load(),
            .handshakes_refused = handshakes_refused_.load(),
            .handshaking = handshaking_.load(),
            .dropped = 0,
            .lag_seconds = lag_seconds_,
            .subjects = {}};
}

std::chrono::milliseconds tcp_mesh::idle_timeout() const {
    return std::max<std::chrono::milliseconds>(std::chrono::seconds(5), 20 * opts_.interval);
}

asio::awaitable<void> tcp_mesh::inbound(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    std::optional<frame_opener> opener;
    {
        const handshaking_slot slot(handshaking_);
        auto shaken = co_await accept_handshake(stream);
        if (!shaken) {
            ++handshakes_refused_;
            std::fprintf(stderr, "replication: %s; closing link\n", shaken.error().message.c_str());
            co_return;
        }
        opener.emplace(std::move(*shaken));
    }
    co_await read_frames(stream, *opener);
}

asio::awaitable<result<frame_opener>> tcp_mesh::accept_handshake(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    stream.expires_after(handshake_timeout);
    const hello h{opts_.id, random_nonce()};
    co_await asio::async_write(stream, asio::buffer(make_hello(h.acceptor, h.acceptor_nonce)), redirect_error(use_awaitable, ec));
    auth_bytes in{};
    if (!ec) co_await asio::async_read(stream, asio::buffer(in), redirect_error(use_awaitable, ec));
    if (ec) co_return fail(status::bad_request, "handshake not completed: " + ec.message());
    auto a = check_auth(opts_.secret, h, in);
    if (!a) co_return a.error();
    if (links_.count(a->dialer) == 0)
        co_return fail(status::bad_request, "replica " + std::to_string(a->dialer) + " is not a configured peer");
    const link_key key = derive_link_key(opts_.secret, h, *a);
    co_await asio::async_write(stream, asio::buffer(make_ok(key)), redirect_error(use_awaitable, ec));
    if (ec) co_return fail(status::bad_request, "handshake not completed: " + ec.message());
    co_return frame_opener(key, a->dialer);
}

asio::awaitable<void> tcp_mesh::read_frames(beast::tcp_stream& stream, frame_opener& opener) {
    std::vector<std::byte> body;
    std::array<std::byte, mac_size> tag{};
    for (;;) {
        std::array<std::byte, frame_length_size> prefix{};
        boost::system::error_code ec;
        stream.expires_after(idle_timeout());
        co_await asio::async_read(stream, asio::buffer(prefix), redirect_error(use_awaitable, ec));
        if (ec) co_return;  // the peer went away or fell silent; its outbound loop reconnects
        const std::size_t len = frame_body_length(prefix);
        if (len > max_frame_body) {
            ++frames_rejected_;
            std::fprintf(stderr, "replication: frame of %zu bytes refused; closing link\n", len);
            co_return;
        }
        // Grown as bytes arrive, not to the announced length: memory follows what was sent.
        body.clear();
        while (!ec && body.size() < len) {
            const std::size_t at = body.size();
            body.resize(at + std::min<std::size_t>(len - at, 64 * 1024));
            co_await asio::async_read(stream, asio::buffer(body.data() + at, body.size() - at), redirect_error(use_awaitable, ec));
        }
        if (!ec) co_await asio::async_read(stream, asio::buffer(tag), redirect_error(use_awaitable, ec));
        if (ec) co_return;
        const auto opened = opener.open(body, tag);
        if (!opened) (opened.error().code == status::replayed ? replays_ : frames_rejected_)++;
        const result<void> accepted = opened ? accept_frame(*opened) : result<void>(opened.error());
        if (!accepted) {
            std::fprintf(stderr, "replication: %s; closing link\n", accepted.error().message.c_str());
            co_return;
        }
    }
}

result<void> tcp_mesh::accept_frame(const frame& f) {
    ++frames_received_;
    {
        std::lock_guard lock(lag_mutex_);
        const std::uint64_t now = unix_ms();
        lag_seconds_[f.sender] = now > f.sent_ms ? static_cast<double>(now - f.sent_ms) / 1000.0 : 0.0;
    }
    return receiver_->deliver(f.sender, f.channel, f.payload);
}

asio::awaitable<result<frame_sealer>> tcp_mesh::dial_handshake(beast::tcp_stream& stream, const link& l) {
    boost::system::error_code ec;
    stream.expires_after(handshake_timeout);
    hello_bytes in{};
    co_await asio::async_read(stream, asio::buffer(in), redirect_error(use_awaitable, ec));
    if (ec) co_return fail(status::bad_request, "no hello: " + ec.message());
    auto h = read_hello(in);
    if (!h) co_return h.error();
    if (h->acceptor != l.peer.id)
        co_return fail(status::bad_request, "the peer there is replica " + std::to_string(h->acceptor));
    const auth a{opts_.id, random_nonce()};
    co_await asio::async_write(stream, asio::buffer(make_auth(opts_.secret, *h, a.dialer, a.dialer_nonce)),
                               redirect_error(use_awaitable, ec));
    ok_bytes ok{};
    if (!ec) co_await asio::async_read(stream, asio::buffer(ok), redirect_error(use_awaitable, ec));
    if (ec) co_return fail(status::bad_request, "handshake not completed: " + ec.message());
    const link_key key = derive_link_key(opts_.secret, *h, a);
    if (!check_ok(key, ok)) co_return fail(status::bad_request, "the peer does not hold the cluster secret");
    co_return frame_sealer(key);
}

asio::awaitable<void> tcp_mesh::write_frames(beast::tcp_stream& stream, link& l, frame_sealer& sealer) {
    boost::system::error_code ec;
    while (!ec) {
        while (!l.pending.empty() && !ec && !l.overflowed) {
            const std::vector<std::byte> bytes = sealer.seal(l.pending.front());
            l.pending_bytes -= l.pending.front().payload.size();
            l.pending.pop_front();
            --queued_;
            stream.expires_after(idle_timeout());  // a peer that stops reading is dropped, not waited on forever
            co_await asio::async_write(stream, asio::buffer(bytes), redirect_error(use_awaitable, ec));
            if (!ec) bytes_sent_ += bytes.size();
        }
        if (ec || l.overflowed) break;
        stream.expires_never();
        l.wake.expires_at(std::chrono::steady_clock::time_point::max());
        boost::system::error_code woken;
        co_await l.wake.async_wait(redirect_error(use_awaitable, woken));
    }
}

asio::awaitable<void> tcp_mesh::outbound(std::shared_ptr<link> l) {
    auto backoff = std::chrono::milliseconds(100);
    asio::steady_timer pause(l->on);
    for (;;) {
        beast::tcp_stream stream(l->on);
        boost::system::error_code ec;
        tcp::resolver resolver(l->on);
        const auto endpoints = co_await resolver.async_resolve(l->peer.address.host, std::to_string(l->peer.address.port),
                                                               redirect_error(use_awaitable, ec));
        stream.expires_after(handshake_timeout);
        if (!ec) co_await stream.async_connect(endpoints, redirect_error(use_awaitable, ec));
        if (!ec) {
            stream.socket().set_option(tcp::no_delay(true), ec);
            auto sealer = co_await dial_handshake(stream, *l);
            if (!sealer) {
                std::fprintf(stderr, "replication: link to replica %u: %s\n", l->peer.id, sealer.error().message.c_str());
            } else {
                backoff = std::chrono::milliseconds(100);
                l->up = true;
                receiver_->peer_up(l->peer.id);  // the first message on a new link is the full state
                co_await write_frames(stream, *l, *sealer);
                l->up = false;
                l->overflowed = false;
                queued_ -= l->pending.size();
                l->pending.clear();
                l->pending_bytes = 0;
                receiver_->peer_down(l->peer.id);
            }
        }
        pause.expires_after(backoff);
        co_await pause.async_wait(use_awaitable);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
}

}  // namespace active_users
