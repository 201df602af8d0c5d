// Flag parsing for converge-loadgen: every value is range-checked, so a typo fails fast instead of skewing a run.
// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <limits>
#include <random>
#include <string_view>

namespace loadgen {

const char* const usage =
    "usage: converge-loadgen --replica HOST:PORT [--replica HOST:PORT ...] [options]\n"
    "  --replica HOST:PORT       a replica's HTTP address; repeat for each replica (at least one)\n"
    "  --viewers N               concurrent viewers to keep around (default 1000)\n"
    "  --pages P                 pages page-0 .. page-(P-1) (default 10)\n"
    "  --duration S              churn phase in seconds (default 10)\n"
    "  --ws-fraction F           share of viewers on WebSockets, 0..1 (default 0.1)\n"
    "  --heartbeat-interval S    seconds between heartbeats of one session (default 2)\n"
    "  --expiry S                the servers' --expiry in seconds (default 30)\n"
    "  --adjustments K           PUT increments/decrements spread over the churn phase (default 100)\n"
    "  --settle-timeout S        seconds to wait for convergence once polling starts (default 30)\n"
    "  --connections C           HTTP keep-alive connections per replica (default 8)\n"
    "  --api-token-file FILE     send its token with every write (replicas run with --api-token-file)\n"
    "  --seed N                  random seed (default: random, printed)\n"
    "  --read-ratio R            GET reads per write during churn (default 10)\n"
    "  --churn-rate E            join/leave/drop events per second (default viewers/10)\n"
    "  --help                    this text\n"
    "exit status: 0 converged, 1 not converged or failed, 2 bad flags\n";

namespace {

[[noreturn]] void fail(std::string_view flag, std::string_view value, std::string_view why);

/// The token in `path`, without trailing newlines.
std::string read_token(std::string_view flag, std::string_view path) {
    std::ifstream in{std::string(path), std::ios::binary};
    if (!in) fail(flag, path, "cannot read");
    std::ostringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (token.empty()) fail(flag, path, "empty");
    return token;
}

[[noreturn]] void fail(std::string_view flag, std::string_view value, std::string_view why) {
    throw usage_error(std::string(flag) + " " + std::string(value) + ": " + std::string(why));
}

std::uint64_t parse_unsigned(std::string_view flag, std::string_view value, std::uint64_t min,
                             std::uint64_t max) {
    std::uint64_t out = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc{} || end != value.data() + value.size() || value.empty())
        fail(flag, value, "not a whole number");
    if (out < min || out > max)
        fail(flag, value, "out of range " + std::to_string(min) + ".." + std::to_string(max));
    return out;
}

double parse_real(std::string_view flag, std::string_view value, double min, double max,
                  bool min_inclusive) {
    double out = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc{} || end != value.data() + value.size() || value.empty() || !std::isfinite(out))
        fail(flag, value, "not a number");
    if (out < min || (!min_inclusive && out == min) || out > max)
        fail(flag, value, "out of range");
    return out;
}

replica_address parse_replica(std::string_view value) {
    auto colon = value.rfind(':');
    if (colon == std::string_view::npos || colon == 0) fail("--replica", value, "expected HOST:PORT");
    std::string_view host = value.substr(0, colon);
    // "[::1]:8081": the brackets only delimit the address, the resolver wants it bare.
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) fail("--replica", value, "empty host");
    auto port = parse_unsigned("--replica", value.substr(colon + 1), 1, 65535);
    return {std::string(host), std::to_string(port), std::string(value)};
}

}  // namespace

options parse_options(int argc, char** argv) {
    options o;
    bool seed_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            o.help = true;
            return o;
        }
        if (arg.substr(0, 2) != "--") throw usage_error("unexpected argument " + std::string(arg));
        std::string_view flag = arg;
        std::string_view value;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            flag = arg.substr(0, eq);
            value = arg.substr(eq + 1);
        } else {
            if (i + 1 >= argc) throw usage_error(std::string(flag) + " needs a value");
            value = argv[++i];
        }
        constexpr auto huge = std::numeric_limits<double>::max();
        if (flag == "--replica") o.replicas.push_back(parse_replica(value));
        else if (flag == "--viewers") o.viewers = parse_unsigned(flag, value, 0, 1'000'000);
        else if (flag == "--pages") o.pages = parse_unsigned(flag, value, 1, 100'000);
        else if (flag == "--duration") o.duration_s = parse_real(flag, value, 0, 86'400, false);
        else if (flag == "--ws-fraction") o.ws_fraction = parse_real(flag, value, 0, 1, true);
        else if (flag == "--heartbeat-interval") o.heartbeat_interval_s = parse_real(flag, value, 0.01, 3600, true);
        else if (flag == "--expiry") o.expiry_s = parse_real(flag, value, 0, 86'400, false);
        else if (flag == "--adjustments") o.adjustments = parse_unsigned(flag, value, 0, 10'000'000);
        else if (flag == "--settle-timeout") o.settle_timeout_s = parse_real(flag, value, 0, 86'400, false);
        else if (flag == "--connections") o.connections = parse_unsigned(flag, value, 1, 1024);
        else if (flag == "--seed") {
            o.seed = parse_unsigned(flag, value, 0, std::numeric_limits<std::uint64_t>::max());
            seed_given = true;
        } else if (flag == "--read-ratio") o.read_ratio = parse_real(flag, value, 0, 1000, true);
        else if (flag == "--churn-rate") o.churn_rate = parse_real(flag, value, 0, huge, true);
        else if (flag == "--api-token-file") o.api_token = read_token(flag, value);
        else throw usage_error("unknown flag " + std::string(flag));
    }
    if (o.replicas.empty()) throw usage_error("at least one --replica HOST:PORT is required");
    // A session heartbeating slower than the server expires it would flap in and out of the truth.
    if (o.heartbeat_interval_s >= o.expiry_s)
        throw usage_error("--heartbeat-interval must be shorter than --expiry");
    if (o.churn_rate < 0) o.churn_rate = static_cast<double>(o.viewers) / 10.0;
    if (!seed_given) o.seed = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    return o;
}

}  // namespace loadgen
