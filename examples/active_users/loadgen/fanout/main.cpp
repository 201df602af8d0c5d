// converge-fanout's entry point: open N viewers of one page, change the page every interval, print one JSON line.
// SPDX-License-Identifier: MIT
#include "counter_client.hpp"
#include "delivery_log.hpp"
#include "options.hpp"
#include "viewer_pool.hpp"

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

namespace {

/// Each viewer is a descriptor: the soft limit is raised to the hard one, and a hard limit
/// too low for the run is an error before anything connects.
void raise_open_files(std::size_t viewers) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < viewers + 64)
        throw std::runtime_error("the open-file limit (" + std::to_string(lim.rlim_max) + ") is too low for " +
                                 std::to_string(viewers) + " viewers");
}

std::string json_number(const std::optional<double>& x) {
    if (!x) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", *x);
    return buf;
}

int run(const fanout::options& o) {
    using namespace fanout;
    raise_open_files(o.viewers);
    // The same receive buffer bench/service's Python viewers had: small, so that the server
    // holds back and coalesces the pushes of the opening instead of queueing them all here.
    viewer_pool viewers(o.port, o.page, o.viewers, 8192);
    const auto opening = clock::now();
    viewers.open_all();
    viewers.settle(std::chrono::milliseconds(500), std::chrono::seconds(60));
    const double opened_in = std::chrono::duration<double>(clock::now() - opening).count();

    counter_client writer(o.port, o.page);
    delivery_log log(o.viewers);
    const on_count seen = [&log](std::int64_t before, std::int64_t now, clock::time_point at) {
        log.seen(before, now, at);
    };
    const std::size_t frames_before = viewers.text_frames();
    const auto start = clock::now();
    const auto end = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.duration_s));
    const auto interval = std::chrono::milliseconds(o.interval_ms);
    // Paced from the start, not from each answer, so a slow answer does not stretch the run.
    auto next = start;
    std::size_t watched = 0;  // the writer's connection the viewer pool waits on
    while (clock::now() < end) {
        writer.send_increment();
        if (writer.connections() != watched) {
            viewers.watch_also(writer.fd());
            watched = writer.connections();
        }
        // The viewers are read while the answer is due, as at every other moment of the run.
        const auto answer_due = clock::now() + std::chrono::seconds(10);
        std::optional<std::int64_t> count;
        while (!(count = writer.answer()))
            if (!viewers.pump_until_readable(answer_due, seen)) throw std::runtime_error("PUT: no answer in 10 s");
        log.changed(*count, clock::now());
        next += interval;
        viewers.pump(next, seen);
    }
    viewers.pump(clock::now() + std::chrono::seconds(1), seen);  // the last pushes drain
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    const double pushes_per_s = static_cast<double>(viewers.text_frames() - frames_before) / elapsed;

    const delivery_summary s = log.summary();
    std::printf("{\"viewers\":%zu,\"opened_in\":%.3f,\"pushes_per_s\":%.1f,\"p50_ms\":%s,\"p99_ms\":%s,"
                "\"missed\":%zu,\"changes\":%zu,\"reopened\":%zu}\n",
                o.viewers, opened_in, pushes_per_s, json_number(s.p50_ms).c_str(), json_number(s.p99_ms).c_str(),
                s.missed, s.changes, viewers.reopened());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    fanout::options opts;
    try {
        opts = fanout::parse_options(argc, argv);
    } catch (const fanout::usage_error& e) {
        std::cerr << "converge-fanout: " << e.what() << " (see --help)\n";
        return 2;
    }
    if (opts.help) {
        std::cout << fanout::usage;
        return 0;
    }
    // Sends use MSG_NOSIGNAL; this also covers anything that does not.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return run(opts);
    } catch (const std::exception& e) {
        std::cerr << "converge-fanout: " << e.what() << "\n";
        return 1;
    }
}
