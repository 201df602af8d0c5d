// Two replicas of a page's viewer counter exchange encoded deltas over a network that drops,
// reorders and duplicates them, then run anti-entropy and agree on the exact count.
// SPDX-License-Identifier: MIT
#include <converge/converge.hpp>
#include <converge/fmt.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using counter = converge::pn_counter<std::string>;
using bytes = std::vector<std::byte>;

struct replica {
    std::string id;
    counter state;
};

// Decodes untrusted bytes and merges them; a bad message is reported and changes nothing.
void receive(replica& r, const bytes& message) {
    auto decoded = converge::decode<counter>(message);
    if (!decoded) {
        fmt::print("  {} rejected a message: {}\n", r.id, decoded.error());
        return;
    }
    r.state.merge(*decoded);
}

}  // namespace

int main() {
    replica eu{"eu-west", {}};
    replica us{"us-east", {}};
    std::mt19937_64 rng(2026);  // fixed seed: the run, and its output, are reproducible

    // Viewers join and leave on both replicas; every change ships as an encoded delta.
    std::vector<std::pair<replica*, bytes>> in_flight;
    std::int64_t truth = 0;
    for (int step = 0; step < 1000; ++step) {
        replica& local = rng() % 2 == 0 ? eu : us;
        replica& peer = &local == &eu ? us : eu;
        const bool join = rng() % 3 != 0 || local.state.value_of(local.id) <= 0;
        const counter delta = join ? local.state.increment(local.id) : local.state.decrement(local.id);
        truth += join ? 1 : -1;
        in_flight.emplace_back(&peer, converge::encode(delta));
    }

    // The network shuffles every message, loses one in four and delivers one in four twice.
    std::shuffle(in_flight.begin(), in_flight.end(), rng);
    std::size_t lost = 0;
    for (const auto& [to, message] : in_flight) {
        const auto fate = rng() % 4;
        if (fate == 0) {
            ++lost;
            continue;
        }
        receive(*to, message);
        if (fate == 1) receive(*to, message);
    }
    // A corrupted message is rejected by the decoder, not merged.
    bytes garbage = converge::encode(eu.state);
    garbage.resize(garbage.size() - 1);
    receive(us, garbage);

    fmt::print("after delivery ({} of {} deltas lost):\n", lost, in_flight.size());
    fmt::print("  {}: {}   {}: {}   true count: {}\n", eu.id, eu.state.value(), us.id, us.state.value(), truth);

    // Anti-entropy: each side sends exactly what the other lacks.
    const bytes to_us = converge::encode(eu.state.delta_for(us.state));
    const bytes to_eu = converge::encode(us.state.delta_for(eu.state));
    receive(us, to_us);
    receive(eu, to_eu);

    fmt::print("after anti-entropy ({} + {} bytes):\n", to_us.size(), to_eu.size());
    fmt::print("  {}: {}   {}: {}   true count: {}\n", eu.id, eu.state.value(), us.id, us.state.value(), truth);
    fmt::print("  state: {}\n", eu.state);
    const bool converged = eu.state == us.state && eu.state.value() == truth;
    fmt::print("{}\n", converged ? "converged: both replicas report the true count" : "NOT CONVERGED");
    return converged ? 0 : 1;
}
