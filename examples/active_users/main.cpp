// converge-active-users: one replica of the replicated "N people are viewing this page" counter.
// SPDX-License-Identifier: MIT
#include "options.hpp"
#include "server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

/// An io_context whose suspended coroutines can be destroyed before the server they refer to:
/// their frames hold RAII guards (a viewer's -1, a subscription) that touch the server's parts.
struct service_context : boost::asio::io_context {
    using io_context::io_context;
    void destroy_pending() { shutdown(); }
};

}  // namespace

int main(int argc, char** argv) {
    using namespace active_users;
    const auto parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc), std::getenv("CONVERGE_SECRET"));
    if (!parsed) {
        std::fprintf(stderr, "converge-active-users: %s\n%s", parsed.error().message.c_str(), usage);
        return 2;
    }
    options o = *parsed;
    if (o.help) {
        std::fputs(usage, stdout);
        return 0;
    }
    // The server schedules connections by how many threads run the context (one: no strands).
    if (o.threads == 0) o.threads = std::max(1U, std::thread::hardware_concurrency());
    const unsigned threads = o.threads;
    service_context io(static_cast<int>(threads));
    server s(io, o);
    if (const auto started = s.start(); !started) {
        std::fprintf(stderr, "converge-active-users: %s\n", started.error().message.c_str());
        io.destroy_pending();
        return 1;
    }
    // The first SIGTERM or SIGINT stops gracefully (server::shutdown); a second one at once.
    boost::asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        stop.async_wait([&](auto, int) { io.stop(); });
        boost::asio::co_spawn(io, s.shutdown(), [&](const std::exception_ptr&) { io.stop(); });
    });
    if (o.nats.servers.empty()) {
        std::fprintf(stderr, "replica %u: http %s:%u, replication %s:%u, %zu peer(s), %u thread(s)\n", o.id,
                     o.http.host.c_str(), o.http.port, o.listen.host.c_str(), o.listen.port, o.peers.size(), threads);
    } else {
        std::fprintf(stderr, "replica %u: http %s:%u, replication through NATS (%zu server(s), subjects %s.*), %u thread(s)\n",
                     o.id, o.http.host.c_str(), o.http.port, o.nats.servers.size(), o.nats.subject_prefix.c_str(), threads);
    }
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
    io.destroy_pending();
    return 0;
}
