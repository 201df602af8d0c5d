// Counting and printing of request outcomes: rates over the churn phase, GET latency percentiles, errors.
// SPDX-License-Identifier: MIT
#include "stats.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace loadgen {

std::string_view name(request_kind k) {
    switch (k) {
        case request_kind::read: return "GET counter";
        case request_kind::heartbeat: return "POST heartbeat";
        case request_kind::leave: return "POST leave";
        case request_kind::adjust: return "PUT counter";
        case request_kind::poll: return "GET (settle)";
        case request_kind::ws_open: return "WS open";
        case request_kind::ws_close: return "WS close";
    }
    return "?";
}

void stats::finished(request_kind k, outcome o, std::chrono::microseconds latency, std::string_view detail) {
    auto& c = kinds_[index(k)];
    switch (o) {
        case outcome::ok: ++c.ok; break;
        case outcome::connection_error: ++c.connection_errors; break;
        case outcome::http_error: ++c.http_errors; break;
        case outcome::bad_body: ++c.bad_bodies; break;
    }
    if (k == request_kind::read && o == outcome::ok)
        read_latency_us_.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(latency.count(), UINT32_MAX)));
    if (o != outcome::ok) note_error(std::string(name(k)) + ": " + std::string(detail));
}

void stats::ws_lost(std::string_view detail) {
    ++ws_lost_;
    note_error("WS lost: " + std::string(detail));
}

void stats::note_error(std::string_view detail) {
    // A handful of distinct messages says what went wrong; thousands of copies would bury the report.
    if (auto it = error_messages_.find(detail); it != error_messages_.end()) ++it->second;
    else if (error_messages_.size() < 20) error_messages_.emplace(std::string(detail), 1);
    else ++other_error_messages_;
}

void stats::end_churn(double seconds) {
    churn_kinds_ = kinds_;
    churn_seconds_ = seconds;
}

std::uint64_t stats::total_errors() const {
    std::uint64_t n = ws_bad_frames_ + ws_lost_;
    for (const auto& c : kinds_) n += c.errors();
    return n;
}

std::uint64_t stats::completed() const {
    std::uint64_t n = 0;
    for (const auto& c : kinds_) n += c.ok + c.errors();
    return n;
}

void stats::print(std::ostream& out) const {
    char line[256];
    out << "requests during the churn phase (" << churn_seconds_ << " s), and over the whole run:\n";
    std::snprintf(line, sizeof line, "  %-15s %9s %9s %9s %8s %8s %8s %8s\n", "kind", "churn/s", "sent", "ok",
                  "conn-err", "http-err", "bad-body", "skipped");
    out << line;
    for (std::size_t i = 0; i < request_kind_count; ++i) {
        const auto& c = kinds_[i];
        if (c.sent == 0 && c.skipped == 0) continue;
        double rate = churn_seconds_ > 0 ? static_cast<double>(churn_kinds_[i].ok) / churn_seconds_ : 0.0;
        std::snprintf(line, sizeof line, "  %-15s %9.1f %9llu %9llu %8llu %8llu %8llu %8llu\n",
                      std::string(name(static_cast<request_kind>(i))).c_str(), rate,
                      static_cast<unsigned long long>(c.sent), static_cast<unsigned long long>(c.ok),
                      static_cast<unsigned long long>(c.connection_errors),
                      static_cast<unsigned long long>(c.http_errors),
                      static_cast<unsigned long long>(c.bad_bodies), static_cast<unsigned long long>(c.skipped));
        out << line;
    }
    out << "  WebSocket frames received: " << ws_frames_ << " (bad " << ws_bad_frames_
        << "), connections lost unasked: " << ws_lost_ << "\n";

    if (read_latency_us_.empty()) {
        out << "GET /:page/counter latency: no successful reads\n";
    } else {
        auto sorted = read_latency_us_;
        std::sort(sorted.begin(), sorted.end());
        auto at = [&](double q) {
            auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
            return static_cast<double>(sorted[i]) / 1000.0;
        };
        std::snprintf(line, sizeof line, "GET /:page/counter latency (ms, %zu samples): p50 %.3f  p99 %.3f  max %.3f\n",
                      sorted.size(), at(0.50), at(0.99), at(1.0));
        out << line;
    }

    out << "errors: " << total_errors() << "\n";
    for (const auto& [message, count] : error_messages_) out << "  " << count << " x " << message << "\n";
    if (other_error_messages_ > 0) out << "  " << other_error_messages_ << " x (other messages)\n";
}

}  // namespace loadgen
