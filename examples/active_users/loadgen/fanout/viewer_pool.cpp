// converge-fanout's viewers: non-blocking sockets on one level-triggered epoll, one thread.
// SPDX-License-Identifier: MIT
#include "viewer_pool.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace fanout {

namespace {

constexpr std::size_t read_size = 64 * 1024;
constexpr auto reopen_after = std::chrono::seconds(20);
constexpr auto give_up_after = std::chrono::seconds(120);
/// The epoll tag of the watch_also fd: no viewer slot can have it.
constexpr std::uint64_t other_tag = ~std::uint64_t{0};

[[noreturn]] void system_failure(const std::string& what, int err) {
    throw viewer_error(what + ": " + std::strerror(err));
}

}  // namespace

viewer_pool::viewer_pool(std::uint16_t port, std::string page, std::size_t viewers, int rcvbuf)
    : port_(port),
      // A fixed key: the client needs no proof that the server read this request, only the 101.
      request_("GET /" + page + "/live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n"),
      rcvbuf_(rcvbuf),
      size_(viewers),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      buffer_(read_size) {
    if (!epoll_) system_failure("epoll_create1", errno);
    viewers_.reserve(viewers);
}

void viewer_pool::connect(std::size_t slot) {
    viewer& v = viewers_[slot];
    v.fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!v.fd) system_failure("socket (raise the open-file limit?)", errno);
    // Before connect, so that the window the server sees is small from the first segment.
    if (rcvbuf_ > 0 && ::setsockopt(v.fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf_, sizeof rcvbuf_) != 0)
        system_failure("SO_RCVBUF", errno);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // A blocking connect paces the opening by the server's accepts: 10,000 connects at once
    // overflow its accept queue, and a dropped SYN is retried only after 1, 3, 7, 15 s.
    int rc;
    do rc = ::connect(v.fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) system_failure("connect to 127.0.0.1:" + std::to_string(port_), errno);
    if (::fcntl(v.fd.get(), F_SETFL, ::fcntl(v.fd.get(), F_GETFL) | O_NONBLOCK) != 0) system_failure("fcntl", errno);
    v.frames = server_frames{};
    v.last = -1;
    v.outbox = request_;
    v.paused = false;
    v.interest = 0;
    epoll_event ev{};
    ev.data.u64 = slot;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, v.fd.get(), &ev) != 0) system_failure("epoll_ctl", errno);
    flush(v);
    watch(slot);
}

void viewer_pool::watch(std::size_t slot) {
    viewer& v = viewers_[slot];
    std::uint32_t want = v.paused ? 0u : std::uint32_t{EPOLLIN};
    if (!v.outbox.empty()) want |= EPOLLOUT;
    if (want == v.interest) return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u64 = slot;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, v.fd.get(), &ev) != 0) system_failure("epoll_ctl", errno);
    v.interest = want;
}

void viewer_pool::flush(viewer& v) {
    while (!v.outbox.empty()) {
        const ssize_t n = ::send(v.fd.get(), v.outbox.data(), v.outbox.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EINTR) continue;
            system_failure("the server closed a viewer (send)", errno);
        }
        v.outbox.erase(0, static_cast<std::size_t>(n));
    }
}

void viewer_pool::read(std::size_t slot, const on_count* seen) {
    viewer& v = viewers_[slot];
    const ssize_t n = ::recv(v.fd.get(), buffer_.data(), buffer_.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n < 0) system_failure("the server closed a viewer", errno);
    if (n == 0) throw viewer_error("the server closed a viewer");
    frames_read r = v.frames.feed({buffer_.data(), static_cast<std::size_t>(n)});
    text_frames_ += r.text_frames;
    if (!r.replies.empty()) {
        v.outbox += r.replies;
        flush(v);
    }
    if (r.last_count) {
        if (seen != nullptr && *seen) (*seen)(v.last, *r.last_count, clock::now());
        v.last = *r.last_count;
    }
    if (v.waiting_since && v.last >= 0) {
        v.waiting_since.reset();
        --waiting_;
        v.paused = true;
    }
}

void viewer_pool::on_event(std::size_t slot, std::uint32_t events, const on_count* seen) {
    viewer& v = viewers_[slot];
    // Reported even for a paused viewer, whose interest is empty: the connection is gone.
    if ((events & (EPOLLERR | EPOLLHUP)) != 0) throw viewer_error("the server closed a viewer");
    if ((events & EPOLLOUT) != 0) flush(v);
    if ((events & EPOLLIN) != 0 && !v.paused) read(slot, seen);
    watch(slot);
}

std::size_t viewer_pool::poll(int timeout_ms, const on_count* seen) {
    std::array<epoll_event, 1024> events;
    const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return 0;
        system_failure("epoll_wait", errno);
    }
    other_ready_ = false;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        if (events[i].data.u64 == other_tag) other_ready_ = true;
        else on_event(events[i].data.u64, events[i].events, seen);
    }
    return static_cast<std::size_t>(n);
}

void viewer_pool::open_all() {
    for (std::size_t slot = 0; slot < size_; ++slot) {
        viewers_.emplace_back();
        viewers_[slot].waiting_since = clock::now();
        ++waiting_;
        connect(slot);
        poll(0, nullptr);
    }
    const auto deadline = clock::now() + give_up_after;
    while (waiting_ > 0) {
        const auto now = clock::now();
        if (now > deadline)
            throw viewer_error(std::to_string(waiting_) + " of " + std::to_string(size_) +
                               " WebSockets got no first message in 120 s");
        poll(500, nullptr);
        for (std::size_t slot = 0; slot < viewers_.size(); ++slot) {
            viewer& v = viewers_[slot];
            if (!v.waiting_since || now - *v.waiting_since <= reopen_after) continue;
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, v.fd.get(), nullptr);
            v.fd.reset();
            v.waiting_since = now;
            connect(slot);
            ++reopened_;
        }
    }
    for (std::size_t slot = 0; slot < viewers_.size(); ++slot) {
        viewers_[slot].paused = false;
        watch(slot);
    }
}

void viewer_pool::settle(clock::duration quiet, clock::duration limit) {
    const auto end = clock::now() + limit;
    auto last_event = clock::now();
    while (clock::now() < end && clock::now() - last_event < quiet) {
        if (poll(50, nullptr) > 0) last_event = clock::now();
    }
}

void viewer_pool::watch_also(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = other_tag;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) system_failure("epoll_ctl", errno);
}

bool viewer_pool::pump_while(clock::time_point until, const on_count& seen, bool stop_on_other) {
    auto now = clock::now();
    do {
        // Whole milliseconds, rounded up, at most 50: wakes at `until`, not up to 50 ms past it.
        const auto left = std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(until - now).count());
        poll(static_cast<int>(std::min<std::int64_t>(left, 50)), &seen);
        if (stop_on_other && other_ready_) return true;
        now = clock::now();
    } while (now < until);
    return false;
}

void viewer_pool::pump(clock::time_point until, const on_count& seen) { pump_while(until, seen, false); }

bool viewer_pool::pump_until_readable(clock::time_point deadline, const on_count& seen) {
    return pump_while(deadline, seen, true);
}

}  // namespace fanout
