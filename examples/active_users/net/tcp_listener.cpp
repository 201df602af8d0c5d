// tcp_listener: the acceptor set-up and the accept loop both ports share.
// SPDX-License-Identifier: MIT
#include "net/tcp_listener.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace active_users {

namespace asio = boost::asio;
using asio::ip::tcp;

result<tcp::acceptor> bind_listener(asio::io_context& io, const endpoint& at, std::string_view what) {
    const std::string where = std::string(what) + " " + at.host + ":" + std::to_string(at.port);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(at.host, ec);
    if (ec) return fail(status::bad_request, where + ": " + ec.message());
    const tcp::endpoint ep(address, at.port);
    tcp::acceptor acceptor(io);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(status::io_error, where + ": " + ec.message());
    return acceptor;
}

asio::awaitable<void> accept_forever(tcp::acceptor acceptor, std::function<void(tcp::socket)> serve, std::string what,
                                    connection_threads threads) {
    auto& io = static_cast<asio::io_context&>(acceptor.get_executor().context());
    asio::steady_timer pause(io);
    for (;;) {
        boost::system::error_code ec;
        const asio::any_io_executor ex = threads == connection_threads::one ? asio::any_io_executor(io.get_executor())
                                                                             : asio::any_io_executor(asio::make_strand(io));
        tcp::socket s = co_await acceptor.async_accept(ex, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Accept fails with an errno (EMFILE, ENFILE, ENOMEM...). Its text comes from strerror
            // rather than ec.message(), a virtual call that UBSan checks with a probe needing a
            // descriptor, of which there are none left.
            std::fprintf(stderr, "%s: accept failed: %s; pausing 100 ms\n", what.c_str(), std::strerror(ec.value()));
            pause.expires_after(std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::use_awaitable);
            continue;
        }
        serve(std::move(s));
    }
}

}  // namespace active_users
