// WebSocket viewer sessions over Boost.Beast: the read loop keeps running so the server's pings get pongs.
// SPDX-License-Identifier: MIT
#include "ws_session.hpp"

#include "json.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

namespace {

class beast_ws_session final : public ws_session, public std::enable_shared_from_this<beast_ws_session> {
public:
    beast_ws_session(asio::any_io_executor ex, std::vector<asio::ip::tcp::endpoint> endpoints, std::string host,
                     std::string page, handler on_event)
        : ws_(ex),
          endpoints_(std::move(endpoints)),
          host_(std::move(host)),
          page_(std::move(page)),
          on_event_(std::move(on_event)) {}

    void start() {
        asio::co_spawn(ws_.get_executor(), run(shared_from_this()), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    }

    void close() override {
        if (ending_ != ending::none) return;
        ending_ = ending::closing;
        if (!opened_) return;  // the run loop sees ending_ once connected and closes then
        // The close's own completion says how it went: the pending read only sees operation_aborted.
        ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](boost::system::error_code ec) {
            if (ec) self->on_event_(ws_event::close_failed, ec.message());
            else self->on_event_(ws_event::closed, {});
            beast::get_lowest_layer(self->ws_).close();
        });
    }

    void drop() override {
        if (ending_ != ending::none) return;
        ending_ = ending::dropping;
        beast::get_lowest_layer(ws_).close();
    }

private:
    enum class ending { none, closing, dropping };

    static asio::awaitable<void> run(std::shared_ptr<beast_ws_session> self) { co_await self->run_loop(); }

    asio::awaitable<void> run_loop() {
        boost::system::error_code ec;
        auto& tcp = beast::get_lowest_layer(ws_);
        tcp.expires_after(5s);
        co_await tcp.async_connect(endpoints_, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && ending_ == ending::dropping) ec = asio::error::operation_aborted;
        if (!ec) {
            tcp.socket().set_option(asio::ip::tcp::no_delay(true), ec);
            tcp.expires_never();  // from here the websocket's own timeouts apply
            auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
            timeouts.handshake_timeout = 10s;
            ws_.set_option(timeouts);
            ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
                req.set(beast::http::field::user_agent, "converge-loadgen");
            }));
            co_await ws_.async_handshake(host_, "/" + page_ + "/live", asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            tcp.close();
            on_event_(ws_event::open_failed, ec.message());
            co_return;
        }
        opened_ = true;
        on_event_(ws_event::opened, {});
        if (ending_ == ending::closing) {
            ending_ = ending::none;
            close();
        } else if (ending_ == ending::dropping) {
            tcp.close();
        }

        beast::flat_buffer buffer;
        for (;;) {
            co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            bool good = ws_.got_text() && parse_counter(beast::buffers_to_string(buffer.data()), page_).has_value();
            buffer.consume(buffer.size());
            on_event_(good ? ws_event::frame : ws_event::bad_frame, {});
        }
        // Closing and dropping were asked for and report elsewhere; anything else is a loss.
        if (ending_ == ending::none) {
            on_event_(ws_event::lost, ec.message());
            tcp.close();
        }
    }

    websocket::stream<beast::tcp_stream> ws_;
    std::vector<asio::ip::tcp::endpoint> endpoints_;
    std::string host_;
    std::string page_;
    handler on_event_;
    ending ending_ = ending::none;
    bool opened_ = false;
};

}  // namespace

std::shared_ptr<ws_session> open_ws_session(asio::any_io_executor ex, const std::vector<asio::ip::tcp::endpoint>& endpoints,
                                            std::string host, std::string page, ws_session::handler on_event) {
    auto s = std::make_shared<beast_ws_session>(std::move(ex), endpoints, std::move(host), std::move(page),
                                                std::move(on_event));
    s->start();
    return s;
}

}  // namespace loadgen
