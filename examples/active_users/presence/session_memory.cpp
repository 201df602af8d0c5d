// Measures the server memory a heartbeat session costs: heap growth of the session table per session.
// SPDX-License-Identifier: MIT
#include "presence/session_table.hpp"

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

/// Bytes malloc has handed out: small chunks plus the large ones it maps directly.
std::size_t heap_in_use() {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

}  // namespace

int main(int argc, char** argv) {
    const long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1'000'000;
    if (n <= 0) {
        std::fprintf(stderr, "usage: converge-session-memory [SESSIONS > 0]\n");
        return 2;
    }
    auto* table = new active_users::session_table;  // the empty shards, before counting
    const std::size_t before = heap_in_use();
    for (long i = 0; i < n; ++i)
        table->heartbeat(static_cast<active_users::session_table::page_id>(i % 1000), "session-" + std::to_string(i), 1000);
    const std::size_t after = heap_in_use();
    const double per = static_cast<double>(after - before) / static_cast<double>(n);
    std::printf("%ld heartbeat sessions on 1000 pages: %zu bytes of heap, %.1f bytes per session (target <= 64)\n", n,
                after - before, per);
    const bool ok = table->heartbeat_sessions() == static_cast<std::size_t>(n) && per <= 64.0;
    delete table;
    return ok ? 0 : 1;
}
