// converge-simulation: runs the deterministic network simulation over many seeds, or replays one.
// SPDX-License-Identifier: MIT
#include "anti_entropy_simulation.hpp"
#include "broadcast_simulation.hpp"
#include "regression_seeds.hpp"
#include "simulation.hpp"
#include "summing_counter.hpp"

#include <converge/converge.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace converge_sim;

struct sim_type {
    std::string_view name;
    outcome (*run)(std::uint64_t seed, bool trace);
    // --seeds N runs N / seed_divisor seeds of this type: the map types cost about twice as
    // much per seed, the anti_entropy runs and the or_sets more, and all share the dev preset's
    // minute.
    std::uint64_t seed_divisor = 1;
};

// Every type the simulation covers: adding a type is one line here (plus its crdt_ops in
// tests/support/crdt_ops.hpp, which the law properties need anyway).
constexpr sim_type sim_types[] = {
    {"g_counter_u64", &run_seed<converge::g_counter<std::uint64_t>>},
    {"g_counter_str", &run_seed<converge::g_counter<std::string>>},
    {"pn_counter_u64", &run_seed<converge::pn_counter<std::uint64_t, std::uint32_t>>},
    {"pn_counter_str", &run_seed<converge::pn_counter<std::string>>},
    {"vector_clock_i32", &run_seed<converge::vector_clock<std::int32_t>>},
    {"vector_clock_str", &run_seed<converge::vector_clock<std::string>>},
    {"g_set_u64", &run_seed<converge::g_set<std::uint64_t>>},
    {"g_set_str", &run_seed<converge::g_set<std::string>>},
    {"g_map_str_pn_u32", &run_seed<converge::g_map<std::string, converge::pn_counter<std::uint32_t>>>, 2},
    {"retirable_u64", &run_seed<converge::retirable_counter_map<std::string, std::uint64_t>>, 2},
    // A register seed costs a third of a counter seed, so they run half the seeds; an or_set
    // seed costs about ten g_set seeds (every remove ships a delta, and the checks call
    // delta_for on each merge), so the sets run a twentieth to a fiftieth. Their truth records
    // what each operation observed and checks every element's dots and the whole context
    // (tests/support/crdt_ops.hpp), in place of the sequential replay the other types get.
    {"max_register_u64", &run_seed<converge::max_register<std::uint64_t>>, 2},
    {"lww_register_str_u32", &run_seed<converge::lww_register<std::string, std::uint32_t>>, 2},
    {"or_set_u16_u32", &run_seed<converge::or_set<std::uint16_t, std::uint32_t>>, 20},
    {"or_set_str_str", &run_seed<converge::or_set<std::string, std::string>>, 50},
    {"g_map_str_or_set_str", &run_seed<converge::g_map<std::string, converge::or_set<std::string, std::uint64_t>>>,
     40},
    // Gauges per key and replica with retirements: the truth checks every live gauge, the
    // markers, and one run per live replica (no tombstone, no gap). A seed costs about 90 ms
    // with integer ids and 310 ms with string ids (-O1), so they run a twentieth and a hundredth.
    {"presence_map_str_u64", &run_seed<converge::presence_map<std::string, std::uint64_t>>, 20},
    {"presence_map_str_str", &run_seed<converge::presence_map<std::string, std::string, std::uint16_t>>, 100},
    // The same types synced by converge::anti_entropy instead of hand-shipped deltas. Their
    // seeds draw up to 64 replicas and full meshes, so one costs about as much as 25 counter
    // seeds: they run a twenty-fifth of the seeds, the presence map a fiftieth.
    {"anti_entropy_g_counter_u64", &run_anti_entropy_seed<converge::g_counter<std::uint64_t>>, 25},
    {"anti_entropy_g_set_str", &run_anti_entropy_seed<converge::g_set<std::string>>, 25},
    {"anti_entropy_g_map_str_pn_u32",
     &run_anti_entropy_seed<converge::g_map<std::string, converge::pn_counter<std::uint32_t>>>, 25},
    {"anti_entropy_retirable_u64",
     &run_anti_entropy_seed<converge::retirable_counter_map<std::string, std::uint64_t>>, 25},
    {"anti_entropy_presence_map_str_u64",
     &run_anti_entropy_seed<converge::presence_map<std::string, std::uint64_t>>, 50},
    // The same protocol over links that deliver in order or break, as the service's TCP mesh
    // runs it: a message counts as delivered once sent (anti_entropy::sent_reliably).
    {"anti_entropy_in_order_g_counter_u64", &run_anti_entropy_in_order_seed<converge::g_counter<std::uint64_t>>, 50},
    {"anti_entropy_in_order_presence_map_str_u64",
     &run_anti_entropy_in_order_seed<converge::presence_map<std::string, std::uint64_t>>, 100},
    // The service's shape (subscriptions per user); 100 ms a seed, so a two-hundred-fiftieth.
    {"anti_entropy_g_map_str_or_set_str",
     &run_anti_entropy_seed<converge::g_map<std::string, converge::or_set<std::string, std::uint64_t>>>, 250},
    // Synced by converge::broadcast_sync: every publish heard by every other replica (2 to 64 of
    // them), repairs point to point, one-way link failures on top of the network's faults. A seed
    // costs about 2.5 ms (g_counter) and 18 ms (presence_map) at -O1: a twentieth and a hundredth
    // of the seeds add about 3 s of CPU to the dev preset's run (about 125 s before).
    {"broadcast_g_counter_u64", &run_broadcast_seed<converge::g_counter<std::uint64_t>>, 20},
    {"broadcast_presence_map_str_u64", &run_broadcast_seed<converge::presence_map<std::string, std::uint64_t>>, 100},
};

// Not in the list above: it is broken on purpose, for --self-test.
constexpr sim_type broken_type{"summing_counter", &run_seed<summing_counter>};

const sim_type* find_type(std::string_view name) {
    for (const auto& t : sim_types)
        if (t.name == name) return &t;
    return name == broken_type.name ? &broken_type : nullptr;
}

struct options {
    std::uint64_t seeds = 10000;
    std::uint64_t first = 0;
    std::optional<std::uint64_t> seed;
    const sim_type* type = nullptr;
    bool trace = false;
    bool describe = false;
    bool self_test = false;
    std::string program = "converge-simulation";
};

void usage(std::FILE* out) {
    fmt::print(out,
               "Usage: converge-simulation [--seeds N] [--first S] [--type T]\n"
               "       converge-simulation --seed S [--type T] [--trace | --describe]\n"
               "       converge-simulation --self-test | --list-types\n"
               "\n"
               "  --seeds N     run seeds S..S+N-1 for every type, or for --type (default 10000;\n"
               "                the map types and registers run N/2 of them, the or_set and\n"
               "                presence_map types N/20 to N/100, the anti_entropy types N/25\n"
               "                to N/250, the broadcast types N/20 and N/100);\n"
               "                the regression seeds in regression_seeds.hpp always run too\n"
               "  --first S     start at seed S (default 0)\n"
               "  --type T      only type T (see --list-types)\n"
               "  --seed S      replay one seed\n"
               "  --trace       print every event of the replayed seed\n"
               "  --describe    print the scenario the seed draws, without running it\n"
               "  --self-test   run a deliberately broken counter; succeed only if the harness catches it\n");
}

std::optional<std::uint64_t> parse_number(std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<options> parse(std::span<char*> args) {
    options o;
    if (!args.empty()) o.program = args[0];
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string_view a = args[i];
        const auto value = [&]() -> std::optional<std::string_view> {
            if (i + 1 >= args.size()) return std::nullopt;
            return std::string_view(args[++i]);
        };
        const auto number = [&]() -> std::optional<std::uint64_t> {
            const auto v = value();
            return v ? parse_number(*v) : std::nullopt;
        };
        if (a == "--seeds" || a == "--first" || a == "--seed") {
            const auto n = number();
            if (!n) {
                fmt::print(stderr, "converge-simulation: {} needs a non-negative integer\n", a);
                return std::nullopt;
            }
            if (a == "--seeds") o.seeds = *n;
            else if (a == "--first") o.first = *n;
            else o.seed = *n;
        } else if (a == "--type") {
            const auto v = value();
            o.type = v ? find_type(*v) : nullptr;
            if (!o.type) {
                fmt::print(stderr, "converge-simulation: unknown type '{}'; see --list-types\n", v.value_or(""));
                return std::nullopt;
            }
        } else if (a == "--trace") {
            o.trace = true;
        } else if (a == "--describe") {
            o.describe = true;
        } else if (a == "--self-test") {
            o.self_test = true;
        } else if (a == "--list-types") {
            for (const auto& t : sim_types) fmt::print("{}\n", t.name);
            std::exit(0);
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            std::exit(0);
        } else {
            fmt::print(stderr, "converge-simulation: unknown argument '{}'\n", a);
            usage(stderr);
            return std::nullopt;
        }
    }
    if ((o.trace || o.describe) && !o.seed) {
        fmt::print(stderr, "converge-simulation: --trace and --describe need --seed\n");
        return std::nullopt;
    }
    return o;
}

/// Tallies runs of one type and prints each failure with the command that replays it.
class tally {
public:
    tally(const options& o, const sim_type& t) : options_(o), type_(t) {}

    void run(std::uint64_t seed, std::string_view note = {}) {
        const outcome r = type_.run(seed, options_.trace);
        counts_ += r.counts;
        if (r.failure.empty()) {
            ++passed_;
            return;
        }
        ++failed_;
        if (failed_ <= max_printed) {
            fmt::print("FAILED {} seed {}{}: {}\n", type_.name, seed,
                       note.empty() ? std::string() : fmt::format(" ({})", note), r.failure);
            fmt::print("  replay: {} --type {} --seed {}\n", options_.program, type_.name, seed);
            std::fflush(stdout);
        }
    }

    void summary(double seconds) const {
        if (failed_ > max_printed) fmt::print("  ... and {} more failures of {}\n", failed_ - max_printed, type_.name);
        const auto pct = [](std::uint64_t part, std::uint64_t whole) {
            return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
        };
        fmt::print("{:<33} {:>6} passed {:>3} failed  {:>9} ops {:>10} messages ({:4.1f}% lost, {:4.1f}% duplicated) "
                   "{:6.1f} s\n",
                   type_.name, passed_, failed_, counts_.ops, counts_.sent, pct(counts_.dropped, counts_.sent),
                   pct(counts_.duplicated, counts_.sent), seconds);
        std::fflush(stdout);
    }

    [[nodiscard]] std::uint64_t passed() const { return passed_; }
    [[nodiscard]] std::uint64_t failed() const { return failed_; }

private:
    static constexpr std::uint64_t max_printed = 10;
    const options& options_;
    const sim_type& type_;
    std::uint64_t passed_ = 0;
    std::uint64_t failed_ = 0;
    stats counts_;
};

/// --type's type, or every type in sim_types.
std::vector<const sim_type*> selected_types(const options& o) {
    if (o.type) return {o.type};
    std::vector<const sim_type*> all;
    for (const auto& t : sim_types) all.push_back(&t);
    return all;
}

int replay(const options& o) {
    if (o.describe) {
        rng r(*o.seed);
        fmt::print("seed {}: {}\n", *o.seed, describe(draw_scenario(r)));
        return 0;
    }
    bool ok = true;
    for (const sim_type* t : selected_types(o)) {
        const outcome r = t->run(*o.seed, o.trace);
        fmt::print("{} seed {}: {}\n", t->name, *o.seed, r.failure.empty() ? "passed" : "FAILED: " + r.failure);
        ok = ok && r.failure.empty();
    }
    return ok ? 0 : 1;
}

/// The harness must report the broken counter on most seeds; fewer means it has gone blind.
int self_test(const options& o) {
    const std::uint64_t seeds = std::min<std::uint64_t>(o.seeds, 200);
    std::uint64_t caught = 0;
    std::string example;
    for (std::uint64_t s = o.first; s < o.first + seeds; ++s) {
        const outcome r = broken_type.run(s, false);
        if (r.failure.empty()) continue;
        ++caught;
        if (example.empty()) example = fmt::format("seed {}: {}", s, r.failure);
    }
    fmt::print("self-test: the harness caught the summing counter on {} of {} seeds\n", caught, seeds);
    if (!example.empty()) fmt::print("  for example {}\n", example);
    const bool ok = caught * 2 > seeds;
    fmt::print("{}\n", ok ? "self-test: passed" : "self-test: FAILED, the harness no longer sees a non-idempotent merge");
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const auto parsed = parse(std::span(argv, static_cast<std::size_t>(argc)));
    if (!parsed) return 2;
    const options& o = *parsed;
    if (o.self_test) return self_test(o);
    if (o.seed) return replay(o);

    // Regression seeds name their type; a name that no longer exists is an error, not a skip.
    for (const auto& r : regression_seeds) {
        if (!r.type.empty() && !find_type(r.type)) {
            fmt::print(stderr, "converge-simulation: regression seed {} names unknown type '{}'\n", r.seed, r.type);
            return 2;
        }
    }

    std::uint64_t passed = 0;
    std::uint64_t failed = 0;
    if (o.seeds > 0) fmt::print("regression seeds, then seeds {}..{}, for each type\n", o.first, o.first + o.seeds - 1);
    std::fflush(stdout);
    for (const sim_type* type : selected_types(o)) {
        const auto start = std::chrono::steady_clock::now();
        tally t(o, *type);
        for (const auto& r : regression_seeds)
            if (r.type.empty() || r.type == type->name) t.run(r.seed, r.note);
        for (std::uint64_t s = o.first; s < o.first + o.seeds / type->seed_divisor; ++s) t.run(s);
        t.summary(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        passed += t.passed();
        failed += t.failed();
    }
    fmt::print("simulation: {} passed, {} failed\n", passed, failed);
    if (passed + failed == 0) {
        fmt::print(stderr, "converge-simulation: nothing ran\n");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}
