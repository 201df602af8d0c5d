// Counting and printing of request outcomes: rates over the churn phase, GET latency percentiles, errors.
// SPDX-License-Identifier: MIT
#include "stats.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
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
    if (o == outcome::ok)
        latency_us_[index(k)].push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(latency.count(), UINT32_MAX)));
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

namespace {

/// The q-quantile in milliseconds, sorting `samples` in place; nan when there are none.
double quantile_ms(std::vector<std::uint32_t>& samples, double q) {
    if (samples.empty()) return std::numeric_limits<double>::quiet_NaN();
    auto i = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
    std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(i), samples.end());
    return static_cast<double>(samples[i]) / 1000.0;
}

}  // namespace

void stats::print(std::ostream& out) const {
    char line[256];
    out << "requests: rate of answered ones during the churn phase (" << churn_seconds_
        << " s), counts over the whole run, latency of answered ones (ms):\n";
    std::snprintf(line, sizeof line, "  %-15s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "kind", "churn/s", "sent", "ok",
                  "conn-err", "http-err", "bad-body", "skipped", "p50", "p99");
    out << line;
    for (std::size_t i = 0; i < request_kind_count; ++i) {
        const auto& c = kinds_[i];
        if (c.sent == 0 && c.skipped == 0) continue;
        double rate = churn_seconds_ > 0 ? static_cast<double>(churn_kinds_[i].ok) / churn_seconds_ : 0.0;
        auto samples = latency_us_[i];
        double p50 = quantile_ms(samples, 0.50);
        double p99 = quantile_ms(samples, 0.99);
        std::snprintf(line, sizeof line, "  %-15s %8.1f %8llu %8llu %8llu %8llu %8llu %8llu %8.2f %8.2f\n",
                      std::string(name(static_cast<request_kind>(i))).c_str(), rate,
                      static_cast<unsigned long long>(c.sent), static_cast<unsigned long long>(c.ok),
                      static_cast<unsigned long long>(c.connection_errors),
                      static_cast<unsigned long long>(c.http_errors),
                      static_cast<unsigned long long>(c.bad_bodies), static_cast<unsigned long long>(c.skipped), p50,
                      p99);
        out << line;
    }
    if (kinds_[index(request_kind::read)].skipped > 0)
        out << "  (skipped reads: the replicas' queues were full, so the cluster answered fewer reads than\n"
               "   --read-ratio asked for; heartbeats, leaves and PUTs are never skipped)\n";
    out << "  WebSocket frames received: " << ws_frames_ << " (bad " << ws_bad_frames_
        << "), connections lost unasked: " << ws_lost_ << "\n";

    auto reads = latency_us_[index(request_kind::read)];
    if (reads.empty()) {
        out << "GET /:page/counter latency: no answered reads\n";
    } else {
        double p50 = quantile_ms(reads, 0.50);
        double p99 = quantile_ms(reads, 0.99);
        double max = quantile_ms(reads, 1.0);
        std::snprintf(line, sizeof line, "GET /:page/counter latency (ms, %zu samples): p50 %.3f  p99 %.3f  max %.3f\n",
                      reads.size(), p50, p99, max);
        out << line;
    }

    out << "errors: " << total_errors() << "\n";
    for (const auto& [message, count] : error_messages_) out << "  " << count << " x " << message << "\n";
    if (other_error_messages_ > 0) out << "  " << other_error_messages_ << " x (other messages)\n";
}

}  // namespace loadgen
