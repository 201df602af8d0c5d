// One viewer's bytes from the server: the upgrade answer, then unmasked WebSocket frames, parsed within fixed caps.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fanout {

/// The server refused the upgrade, closed the WebSocket, or sent what RFC 6455 forbids.
struct viewer_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// What one batch of bytes held.
struct frames_read {
    std::size_t text_frames = 0;
    /// The count in the last text frame (-1 when it had none): counts only grow, so an earlier
    /// frame of the same batch says nothing the last one does not.
    std::optional<std::int64_t> last_count;
    std::string replies;  ///< masked pongs for the pings, to send back in this order
};

/// The `"count":N` in a message, or -1 when there is none.
std::int64_t count_in(std::string_view message);

/// Parses one connection's bytes as they arrive. Every length is checked against a cap before
/// bytes are kept, so a hostile server costs at most about `max_payload` per viewer.
/// Example: `frames_read r = f.feed(bytes_from_recv);` then send `r.replies`.
class server_frames {
public:
    static constexpr std::size_t max_header = 8 * 1024;
    static constexpr std::size_t max_payload = 64 * 1024;

    /// Consumes `bytes` and every frame they complete; viewer_error on a refusal, a close or a bad frame.
    frames_read feed(std::string_view bytes);

    /// True once the server has answered the upgrade with 101.
    bool opened() const { return opened_; }

private:
    /// Consumes the upgrade answer from pending_ when it is complete.
    void take_handshake();

    bool opened_ = false;
    std::string pending_;  ///< an incomplete answer or frame, kept until the rest arrives
};

}  // namespace fanout
