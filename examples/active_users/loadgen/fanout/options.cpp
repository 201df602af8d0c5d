// Flag parsing for converge-fanout: every value is range-checked, so a typo fails fast instead of skewing a run.
// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

namespace fanout {

const char* const usage =
    "usage: converge-fanout --port P [options]\n"
    "  --port P            the replica's HTTP port on 127.0.0.1 (required)\n"
    "  --page NAME         the page every viewer follows and the PUTs change (default fan)\n"
    "  --viewers N         WebSocket viewers of the page (default 1000)\n"
    "  --duration S        seconds of PUTs after the viewers are open (default 10)\n"
    "  --interval-ms MS    milliseconds between PUTs, the server's push interval (default 100)\n"
    "  --help              this text\n"
    "Prints one JSON line: viewers, opened_in, pushes_per_s, p50_ms, p99_ms, missed, changes, reopened.\n"
    "exit status: 0 measured, 1 the server refused or closed a viewer or failed, 2 bad flags\n";

namespace {

[[noreturn]] void fail(std::string_view flag, std::string_view value, std::string_view why) {
    throw usage_error(std::string(flag) + " " + std::string(value) + ": " + std::string(why));
}

std::uint64_t parse_unsigned(std::string_view flag, std::string_view value, std::uint64_t min, std::uint64_t max) {
    std::uint64_t out = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) fail(flag, value, "not a whole number");
    if (out < min || out > max) fail(flag, value, "out of range " + std::to_string(min) + ".." + std::to_string(max));
    return out;
}

double parse_seconds(std::string_view flag, std::string_view value) {
    double out = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || !std::isfinite(out))
        fail(flag, value, "not a number");
    if (out <= 0 || out > 86'400) fail(flag, value, "out of range (0, 86400]");
    return out;
}

/// The server's own rule for page names (1-128 of [A-Za-z0-9._~-], not "." or ".."), checked
/// here so that a bad name is a usage error rather than 120 s of refused viewers.
std::string parse_page(std::string_view value) {
    if (value.empty() || value.size() > 128 || value == "." || value == "..") fail("--page", value, "1-128 characters");
    for (const char c : value) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '~' || c == '-';
        if (!ok) fail("--page", value, "only [A-Za-z0-9._~-]");
    }
    return std::string(value);
}

}  // namespace

options parse_options(int argc, char** argv) {
    options o;
    bool port_given = false;
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
        if (flag == "--port") {
            o.port = static_cast<std::uint16_t>(parse_unsigned(flag, value, 1, 65535));
            port_given = true;
        } else if (flag == "--page") o.page = parse_page(value);
        else if (flag == "--viewers") o.viewers = parse_unsigned(flag, value, 1, 1'000'000);
        else if (flag == "--duration") o.duration_s = parse_seconds(flag, value);
        else if (flag == "--interval-ms") o.interval_ms = static_cast<unsigned>(parse_unsigned(flag, value, 1, 60'000));
        else throw usage_error("unknown flag " + std::string(flag));
    }
    if (!port_given) throw usage_error("--port P is required");
    return o;
}

}  // namespace fanout
