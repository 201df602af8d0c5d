// HTTP/1.1 keep-alive client pool: workers take queued requests, time them and check the JSON reply.
// SPDX-License-Identifier: MIT
#include "http_client.hpp"

#include "json.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

struct replica_client::connection {
    explicit connection(asio::any_io_executor ex) : stream(std::move(ex)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bool open = false;

    void close() {
        boost::system::error_code ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        stream.close();
        buffer.clear();
        open = false;
    }
};

replica_client::replica_client(asio::any_io_executor ex, std::string name,
                               std::vector<asio::ip::tcp::endpoint> endpoints, std::size_t connections, std::string token)
    : ex_(ex),
      name_(std::move(name)),
      authorization_(token.empty() ? std::string() : "Bearer " + token),
      endpoints_(std::move(endpoints)),
      idle_(ex) {
    idle_.expires_at(asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < connections; ++i) connections_.push_back(std::make_unique<connection>(ex));
}

replica_client::~replica_client() = default;

void replica_client::start() {
    for (auto& c : connections_)
        asio::co_spawn(ex_, work(*c), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
}

void replica_client::submit(http_job job) {
    urgent_.push_back(std::move(job));
    wake_one();
}

bool replica_client::try_submit_read(http_job job) {
    if (backlog() >= 2 * connections_.size()) return false;
    reads_.push_back(std::move(job));
    wake_one();
    return true;
}

void replica_client::wake_one() { idle_.cancel_one(); }

void replica_client::stop() {
    stopping_ = true;
    urgent_.clear();
    reads_.clear();
    idle_.cancel();
    for (auto& c : connections_) c->close();
}

asio::awaitable<void> replica_client::work(connection& c) {
    while (!stopping_) {
        if (urgent_.empty() && reads_.empty()) {
            boost::system::error_code ec;
            co_await idle_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        auto& queue = urgent_.empty() ? reads_ : urgent_;
        http_job job = std::move(queue.front());
        queue.pop_front();
        http_result r = co_await exchange(c, job);
        if (stopping_) break;
        if (job.done) job.done(r);
    }
}

asio::awaitable<http_result> replica_client::exchange(connection& c, const http_job& job) {
    http_result r;
    // A PUT gets a fresh connection: should the server have closed an idle keep-alive connection,
    // reusing it would fail in a way that leaves the PUT's outcome unknown.
    if (job.method == http::verb::put && c.open) c.close();
    for (int attempt = 0;; ++attempt) {
        boost::system::error_code ec;
        bool reused = c.open;
        if (!c.open) {
            c.stream.expires_after(5s);
            co_await c.stream.async_connect(endpoints_, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                c.close();
                r.detail = "connect " + name_ + ": " + ec.message();
                r.maybe_delivered = false;
                co_return r;
            }
            c.stream.socket().set_option(asio::ip::tcp::no_delay(true), ec);
            c.open = true;
        }

        http::request<http::string_body> req{job.method, job.target, 11};
        req.set(http::field::host, name_);
        req.set(http::field::accept, "application/json");
        req.set(http::field::user_agent, "converge-loadgen");
        if (!authorization_.empty() && job.method != http::verb::get) req.set(http::field::authorization, authorization_);
        if (!job.body.empty()) {
            req.set(http::field::content_type, "application/json");
            req.body() = job.body;
        }
        req.keep_alive(true);
        req.prepare_payload();

        auto start = std::chrono::steady_clock::now();
        c.stream.expires_after(10s);
        co_await http::async_write(c.stream, req, asio::redirect_error(asio::use_awaitable, ec));
        http::response<http::string_body> res;
        if (!ec) co_await http::async_read(c.stream, c.buffer, res, asio::redirect_error(asio::use_awaitable, ec));
        r.latency = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
        if (ec) {
            c.close();
            // The server closed a kept-alive connection before reading this request: nothing was done,
            // so it is safe to send again (a PUT never gets here reused, see above).
            bool stale = ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                         ec == asio::error::broken_pipe || ec == asio::error::eof;
            if (reused && stale && attempt == 0) continue;
            r.detail = ec.message();
            co_return r;
        }
        if (!res.keep_alive()) c.close();

        r.status = res.result_int();
        if (r.status != 200) {
            r.result = outcome::http_error;
            r.detail = "HTTP " + std::to_string(r.status) + " " + res.body().substr(0, 120);
            co_return r;
        }
        auto reply = parse_counter(res.body());
        if (!reply) {
            r.result = outcome::bad_body;
            r.detail = "unexpected body " + res.body().substr(0, 120);
            co_return r;
        }
        r.result = outcome::ok;
        r.count = reply->count;
        co_return r;
    }
}

}  // namespace loadgen
