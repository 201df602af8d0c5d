// Request counters by kind, GET latency samples and distinct error messages, for the final report.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

enum class request_kind : std::uint8_t {
    read,        ///< GET /:page/counter during churn (the latency the report quotes)
    heartbeat,   ///< POST /:page/heartbeat
    leave,       ///< POST /:page/leave
    adjust,      ///< PUT /:page/counter
    poll,        ///< GET /:page/counter for the baseline and convergence checks
    ws_open,     ///< WebSocket connect + handshake
    ws_close,    ///< WebSocket close handshake we started
};
inline constexpr std::size_t request_kind_count = 7;
std::string_view name(request_kind k);

/// How one request ended; `skipped` ones were never sent (loadgen backlog or session busy).
enum class outcome : std::uint8_t { ok, connection_error, http_error, bad_body };

struct kind_counters {
    std::uint64_t sent = 0;
    std::uint64_t ok = 0;
    std::uint64_t connection_errors = 0;
    std::uint64_t http_errors = 0;  ///< answered, but not 200
    std::uint64_t bad_bodies = 0;   ///< 200 whose JSON was not {"count": int, "updated_at": string}
    std::uint64_t skipped = 0;
    std::uint64_t errors() const { return connection_errors + http_errors + bad_bodies; }
};

class stats {
public:
    void sent(request_kind k) { ++kinds_[index(k)].sent; }
    void skipped(request_kind k) { ++kinds_[index(k)].skipped; }
    /// Counts a finished request; `detail` (non-empty on errors) is kept among the distinct messages.
    void finished(request_kind k, outcome o, std::chrono::microseconds latency, std::string_view detail);
    void ws_frame(bool good) { ++(good ? ws_frames_ : ws_bad_frames_); }
    void ws_lost(std::string_view detail);
    void note_error(std::string_view detail);

    /// Freezes the churn-phase counters so rates divide churn work by churn time only.
    void end_churn(double seconds);
    void print(std::ostream& out) const;
    std::uint64_t total_errors() const;
    /// Requests answered or failed so far, all kinds: the progress lines' rate.
    std::uint64_t completed() const;

private:
    static std::size_t index(request_kind k) { return static_cast<std::size_t>(k); }

    std::array<kind_counters, request_kind_count> kinds_{};
    std::array<kind_counters, request_kind_count> churn_kinds_{};
    double churn_seconds_ = 0;
    std::array<std::vector<std::uint32_t>, request_kind_count> latency_us_;  ///< answered requests
    std::uint64_t ws_frames_ = 0;
    std::uint64_t ws_bad_frames_ = 0;
    std::uint64_t ws_lost_ = 0;
    std::map<std::string, std::uint64_t, std::less<>> error_messages_;
    std::uint64_t other_error_messages_ = 0;
};

}  // namespace loadgen
