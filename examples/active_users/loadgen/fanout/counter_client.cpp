// converge-fanout's writer: PUT requests on one connection, answers read without blocking and parsed within fixed caps.
// SPDX-License-Identifier: MIT
#include "counter_client.hpp"

#include "server_frames.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace fanout {

namespace {

constexpr std::size_t max_header = 16 * 1024;
constexpr std::size_t max_body = 64 * 1024;

[[noreturn]] void failure(const std::string& what) { throw std::runtime_error("PUT: " + what); }

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

/// The value of header `name` in `head` (the lines after the status line), or nullopt.
std::optional<std::string_view> header(std::string_view head, std::string_view name) {
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos && at + 2 < head.size();) {
        const std::size_t start = at + 2;
        const std::size_t end = head.find("\r\n", start);
        const std::string_view line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos && same_ignoring_case(line.substr(0, colon), name)) {
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
            return value;
        }
        at = end;
    }
    return std::nullopt;
}

}  // namespace

counter_client::counter_client(std::uint16_t port, const std::string& page)
    : port_(port),
      request_("PUT /" + page + "/counter HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Content-Length: 23\r\n\r\n{\"action\": \"increment\"}") {
    connect();
}

void counter_client::connect() {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_) failure(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
        failure("connect to 127.0.0.1:" + std::to_string(port_) + ": " + std::strerror(errno));
    // Sends still block (a short request into an empty buffer); a SO_SNDTIMEO bounds them.
    timeval limit{10, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    pending_.clear();
    reconnect_ = false;
    ++connections_;
}

void counter_client::send_increment() {
    if (reconnect_) connect();
    for (std::size_t sent = 0; sent < request_.size();) {
        const ssize_t n = ::send(fd_.get(), request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) failure(std::string("send: ") + std::strerror(errno));
        sent += static_cast<std::size_t>(n);
    }
}

std::optional<std::int64_t> counter_client::answer() {
    auto body = take_answer();
    if (!body) {
        char buf[16 * 1024];
        const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return std::nullopt;
        if (n < 0) failure(std::string("recv: ") + std::strerror(errno));
        if (n == 0) failure("the server closed the connection");
        pending_.append(buf, static_cast<std::size_t>(n));
        body = take_answer();
        if (!body) return std::nullopt;
    }
    const std::int64_t count = count_in(*body);
    if (count < 0) failure("no count in the answer " + body->substr(0, 80));
    return count;
}

std::optional<std::string> counter_client::take_answer() {
    const std::size_t end = pending_.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (pending_.size() > max_header) failure("an answer header longer than 16 KiB");
        return std::nullopt;
    }
    const std::string_view head = std::string_view(pending_).substr(0, end + 2);
    if (head.rfind("HTTP/1.1 200 ", 0) != 0) failure("answered " + std::string(head.substr(0, head.find("\r\n"))));
    if (header(head, "Transfer-Encoding")) failure("a chunked answer (expected Content-Length)");
    const auto length_text = header(head, "Content-Length");
    if (!length_text) failure("an answer without Content-Length");
    std::size_t length = 0;
    const auto [p, ec] = std::from_chars(length_text->data(), length_text->data() + length_text->size(), length);
    if (ec != std::errc{} || p != length_text->data() + length_text->size() || length > max_body)
        failure("a bad Content-Length " + std::string(*length_text));
    const std::size_t start = end + 4;
    if (pending_.size() - start < length) return std::nullopt;
    if (const auto c = header(head, "Connection"); c && same_ignoring_case(*c, "close")) reconnect_ = true;
    std::string body = pending_.substr(start, length);
    pending_.erase(0, start + length);
    return body;
}

}  // namespace fanout
