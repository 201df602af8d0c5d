// One WebSocket viewing session: connect to /:page/live, read the pushed counts until closed or dropped.
// SPDX-License-Identifier: MIT
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

enum class ws_event {
    opened,        ///< handshake done: the server now counts this session
    open_failed,   ///< connect or handshake failed: no session
    frame,         ///< a well-formed {"page","count","updated_at"} frame
    bad_frame,     ///< a frame that was not
    closed,        ///< the close handshake we asked for finished
    close_failed,  ///< we asked to close, the connection ended some other way
    lost,          ///< the connection ended although we asked nothing
};

class ws_session {
public:
    using handler = std::function<void(ws_event, std::string_view detail)>;
    virtual ~ws_session() = default;
    /// Ends the session politely: a close frame, then the server's answer.
    virtual void close() = 0;
    /// Ends the session like a crashed client: the TCP socket closes, no close frame is sent.
    virtual void drop() = 0;
};

/// Starts connecting at once; `on_event` is called on the executor for every event above.
/// The session keeps itself alive until its connection ends, whether or not the caller keeps the pointer.
std::shared_ptr<ws_session> open_ws_session(boost::asio::any_io_executor ex,
                                            const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
                                            std::string host, std::string page, ws_session::handler on_event);

}  // namespace loadgen
