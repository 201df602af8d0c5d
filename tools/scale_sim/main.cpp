// scale-sim: N replicas of the viewer counter in one process, with a virtual clock, the real CRDT and sync state machines.
// SPDX-License-Identifier: MIT
#include "clusters.hpp"
#include "wire.hpp"
#include "workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using namespace scale_sim;

struct options {
    std::uint32_t replicas = 10;
    std::uint32_t dcs = 1;
    std::uint64_t viewers = 10000;
    std::uint32_t pages = 1000;
    std::uint64_t seconds = 60;
    std::string mode = "broadcast";
    std::uint64_t seed = 1;
    std::uint32_t shards = 16;
    std::uint64_t interval_ms = 250;
    std::uint64_t warmup_s = 10;
    std::uint64_t local_ms = 1;
    std::uint64_t cross_dc_ms = 40;
    std::uint32_t loss_permille = 0;
    std::uint32_t digest_every = 8;
    double session_s = 300;
    std::uint64_t max_quiet_s = 60;
    std::uint32_t threads = 2;
};

constexpr std::string_view usage =
    "Usage: scale-sim [--replicas N] [--dcs D] [--viewers V] [--pages P] [--seconds S]\n"
    "                 [--mode mesh|broadcast] [--seed X] [--shards K] [--interval-ms I]\n"
    "                 [--warmup-s W] [--local-ms L] [--cross-dc-ms C] [--loss-permille Q]\n"
    "                 [--digest-every E] [--session-s T] [--max-quiet-s M] [--threads 1|2]\n"
    "With --threads 2 (the default) arrivals at different replicas merge on two threads; the\n"
    "figures are the same as with 1, apart from the wall time.\n";

std::optional<options> parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (i + 1 >= argc) return std::nullopt;
        const std::string_view value = argv[++i];
        if (flag == "--mode") {
            if (value != "mesh" && value != "broadcast") return std::nullopt;
            o.mode = value;
            continue;
        }
        if (flag == "--session-s") {
            o.session_s = std::stod(std::string(value));
            if (!(o.session_s > 0)) return std::nullopt;
            continue;
        }
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
        const auto small = [&](std::uint32_t& field, std::uint64_t lo, std::uint64_t hi) {
            if (n < lo || n > hi) return false;
            field = static_cast<std::uint32_t>(n);
            return true;
        };
        bool ok = true;
        if (flag == "--replicas") ok = small(o.replicas, 2, 100000);
        else if (flag == "--dcs") ok = small(o.dcs, 1, 64);
        else if (flag == "--pages") ok = small(o.pages, 1, 100000000);
        else if (flag == "--shards") ok = small(o.shards, 1, 1u << 20);
        else if (flag == "--loss-permille") ok = small(o.loss_permille, 0, 999);
        else if (flag == "--digest-every") ok = small(o.digest_every, 1, 1000000);
        else if (flag == "--threads") ok = small(o.threads, 1, 2);
        else if (flag == "--viewers") o.viewers = n;
        else if (flag == "--seconds") o.seconds = n;
        else if (flag == "--seed") o.seed = n;
        else if (flag == "--interval-ms") ok = (o.interval_ms = n) > 0;
        else if (flag == "--warmup-s") o.warmup_s = n;
        else if (flag == "--local-ms") o.local_ms = n;
        else if (flag == "--cross-dc-ms") o.cross_dc_ms = n;
        else if (flag == "--max-quiet-s") o.max_quiet_s = n;
        else return std::nullopt;
        if (!ok) return std::nullopt;
    }
    if (o.warmup_s >= o.seconds) return std::nullopt;
    return o;
}

/// One change whose spread is timed: when it was made, and the dot that marks it everywhere.
struct probe {
    std::uint64_t made_at;
    std::uint32_t shard;
    converge::detail::dot<std::uint32_t> dot;
};

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

template <class Cluster>
int run(const options& o, Cluster& cluster, wire& net) {
    const auto wall_start = std::chrono::steady_clock::now();
    std::unordered_map<std::uint32_t, std::uint64_t> truth;  // page -> live viewers
    std::uint64_t joins = 0, leaves = 0;
    std::vector<probe> probes;
    std::vector<double> spread_s;
    std::uint64_t now = 0;
    bool measuring = false;

    const auto change = [&](const visit& v, bool join) {
        const presence delta = cluster.change(v.replica, v.page, join);
        join ? ++truth[v.page] : --truth[v.page];
        ++(join ? joins : leaves);
        // One probe every 100 ms of the measured window: the change's dot, to see it arrive.
        if (measuring && join && (probes.empty() || now >= probes.back().made_at + 100) && !delta.entries().empty()) {
            const auto& e = delta.entries().front();
            probes.push_back({now, shard_of(v.page, o.shards), {e.replica, e.counter}});
        }
    };
    const auto settle_probes = [&] {
        std::erase_if(probes, [&](const probe& p) {
            for (std::uint32_t r = 0; r < o.replicas; ++r)
                if (!cluster.state(r, p.shard).context().contains(p.dot)) return false;
            spread_s.push_back(static_cast<double>(now - p.made_at) / 1000.0);
            return true;
        });
    };

    churn viewers(o.viewers, o.pages, o.replicas, o.session_s, o.seed);
    viewers.start([&](const visit& v) { change(v, true); });
    const std::uint64_t end_ms = o.seconds * 1000;
    const std::uint64_t warmup_ms = o.warmup_s * 1000;
    std::uint64_t ops_in_window = 0;
    for (; now < end_ms; ++now) {
        if (now == warmup_ms) {
            measuring = true;
            net.reset_counts();
            ops_in_window = joins + leaves;
        }
        viewers.step(now, [&](const visit& v) { change(v, true); }, [&](const visit& v) { change(v, false); });
        net.run_due(now);
        if (now % o.interval_ms == 0) {
            cluster.interval();
            settle_probes();
        }
    }
    ops_in_window = joins + leaves - ops_in_window;
    const auto window = net.per_replica();
    const traffic cross = net.cross_dc();
    measuring = false;

    // Quiet: no more churn, no more loss; sync until every replica equals the truth.
    net.heal();
    const std::uint64_t quiet_start = now;
    const auto counts_match = [&] {
        for (std::uint32_t r = 0; r < o.replicas; ++r) {
            std::unordered_map<std::uint32_t, std::uint64_t> seen;
            for (std::uint32_t s = 0; s < o.shards; ++s)
                for (const auto& e : cluster.state(r, s).entries()) seen[e.key] += e.gauge;
            for (const auto& [page, n] : truth) {
                const auto i = seen.find(page);
                if ((i == seen.end() ? 0 : i->second) != n) return false;
                if (i != seen.end()) seen.erase(i);
            }
            if (!seen.empty()) return false;
        }
        return true;
    };
    bool is_exact = false;
    for (; now < quiet_start + o.max_quiet_s * 1000; ++now) {
        net.run_due(now);
        if (now % o.interval_ms == 0) {
            cluster.interval();
            settle_probes();
            if (now % 1000 == 0 && counts_match()) {
                is_exact = true;
                break;
            }
        }
    }
    if (!is_exact) is_exact = counts_match();
    const double quiet_to_exact_s = static_cast<double>(now - quiet_start) / 1000.0;

    // Figures over the measured window.
    const double window_s = static_cast<double>(end_ms - warmup_ms) / 1000.0;
    double bytes = 0, msgs = 0, max_bytes = 0;
    for (const traffic& t : window) {
        bytes += static_cast<double>(t.bytes_out + t.bytes_in);
        msgs += static_cast<double>(t.messages_out + t.messages_in);
        max_bytes = std::max(max_bytes, static_cast<double>(t.bytes_out + t.bytes_in));
    }
    const double n = o.replicas;
    double entries = 0, encoded = 0;
    for (std::uint32_t r = 0; r < o.replicas; ++r)
        for (std::uint32_t s = 0; s < o.shards; ++s) {
            entries += static_cast<double>(cluster.state(r, s).size());
            encoded += static_cast<double>(converge::encode(cluster.state(r, s)).size());
        }
    std::uint64_t live = 0;
    for (const auto& [page, c] : truth) live += c;
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

    fmt::print("scale-sim: {} replicas in {} DCs, mode {}, {} shards, {} viewers on {} pages, {} s ({} s measured), seed {}\n",
               o.replicas, o.dcs, o.mode, o.shards, o.viewers, o.pages, o.seconds, window_s, o.seed);
    fmt::print("  {:<40} {:>14.0f}\n", "joins+leaves per second (cluster)", static_cast<double>(ops_in_window) / window_s);
    fmt::print("  {:<40} {:>14.0f}\n", "bytes/s per replica (in+out)", bytes / n / window_s);
    fmt::print("  {:<40} {:>14.0f}\n", "bytes/s, busiest replica (in+out)", max_bytes / window_s);
    fmt::print("  {:<40} {:>14.1f}\n", "messages/s per replica (in+out)", msgs / n / window_s);
    fmt::print("  {:<40} {:>14.0f}\n", "cross-DC bytes/s (all links)", static_cast<double>(cross.bytes_out) / window_s);
    fmt::print("  {:<40} {:>14.0f}\n", "entries per replica (at the end)", entries / n);
    fmt::print("  {:<40} {:>14.0f}\n", "encoded state bytes per replica", encoded / n);
    fmt::print("  {:<40} {:>14.3f}\n", "change seen everywhere, p50 (s)", percentile(spread_s, 0.5));
    fmt::print("  {:<40} {:>14.3f}\n", "change seen everywhere, p99 (s)", percentile(spread_s, 0.99));
    fmt::print("  {:<40} {:>14.3f}\n", "quiet to exact (s)", quiet_to_exact_s);
    fmt::print("  {:<40} {:>14}\n", "repair requests", cluster.repairs());
    fmt::print("  {:<40} {:>14}\n", "live viewers at the end", live);
    fmt::print("  {:<40} {:>14.1f}\n", "wall time (s)", wall_s);
    fmt::print(
        "{{\"replicas\": {}, \"dcs\": {}, \"viewers\": {}, \"pages\": {}, \"mode\": \"{}\", \"shards\": {}, "
        "\"seconds\": {}, \"bytes_per_replica_per_s\": {:.0f}, \"msgs_per_replica_per_s\": {:.1f}, "
        "\"cross_dc_bytes_per_s\": {:.0f}, \"entries_per_replica\": {:.0f}, \"encoded_bytes_per_replica\": {:.0f}, "
        "\"convergence_p50_s\": {:.3f}, \"convergence_p99_s\": {:.3f}, \"quiet_to_exact_s\": {:.3f}, "
        "\"changes_per_s\": {:.0f}, \"exact\": {}, \"wall_s\": {:.1f}}}\n",
        o.replicas, o.dcs, o.viewers, o.pages, o.mode, o.shards, o.seconds, bytes / n / window_s, msgs / n / window_s,
        static_cast<double>(cross.bytes_out) / window_s, entries / n, encoded / n, percentile(spread_s, 0.5),
        percentile(spread_s, 0.99), quiet_to_exact_s, static_cast<double>(ops_in_window) / window_s,
        is_exact ? "true" : "false", wall_s);
    return is_exact ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const auto o = parse(argc, argv);
    if (!o) {
        std::fputs(usage.data(), stderr);
        return 2;
    }
    wire net(o->replicas, o->dcs, o->local_ms, o->cross_dc_ms, o->loss_permille, o->seed, o->threads == 2);
    const cluster_shape shape{o->replicas, o->shards};
    if (o->mode == "mesh") {
        mesh_cluster cluster(shape, net, o->seed);
        return run(*o, cluster, net);
    }
    broadcast_cluster cluster(shape, net, o->seed, o->digest_every);
    return run(*o, cluster, net);
}
