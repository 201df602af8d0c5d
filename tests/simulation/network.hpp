// The simulations' faulty network: the scenario a seed draws, and the messages in flight between replicas.
// SPDX-License-Identifier: MIT
#pragma once

#include "random.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

namespace converge_sim {

/// The shape of one seed's run. It is drawn from the seed before anything else, so that
/// `--describe` can print it without running anything.
struct scenario {
    std::size_t replicas = 2;               // 2..16
    std::uint64_t fault_ticks = 0;          // length of the faulty phase
    std::uint64_t op_permille = 0;          // per replica and tick: chance of local operations
    std::uint64_t flush_permille = 0;       // per replica and tick: chance of shipping its buffered deltas
    std::uint64_t drop_permille = 0;        // per message, while faults last
    std::uint64_t duplicate_permille = 0;   // per message, always (duplicates are harmless by design)
    std::uint64_t max_delay = 0;            // a message arrives 1..1+max_delay ticks after it was sent
    std::uint64_t partition_permille = 0;   // per tick: chance that the partition changes
    std::uint64_t gossip_permille = 0;      // per replica and tick: chance of anti-entropy during faults
};

inline scenario draw_scenario(rng& r) {
    scenario s;
    s.replicas = static_cast<std::size_t>(r.between(2, 16));
    s.fault_ticks = r.between(5, 120);
    s.op_permille = r.between(20, 400);
    s.flush_permille = r.between(50, 700);
    // Most seeds lose some messages; one in eight loses (nearly) all of them, so that only
    // anti-entropy can repair the gap; one in eight loses none.
    switch (r.below(8)) {
    case 0: s.drop_permille = 0; break;
    case 1: s.drop_permille = r.between(900, 1000); break;
    default: s.drop_permille = r.between(1, 500); break;
    }
    s.duplicate_permille = r.below(4) == 0 ? 0 : r.between(1, 300);
    s.max_delay = r.below(4) == 0 ? 0 : r.between(1, 20);
    s.partition_permille = r.below(3) == 0 ? 0 : r.between(10, 150);
    s.gossip_permille = r.between(0, 60);
    return s;
}

inline std::string describe(const scenario& s) {
    const auto pct = [](std::uint64_t permille) { return fmt::format("{}.{}%", permille / 10, permille % 10); };
    return fmt::format(
        "{} replicas, {} faulty ticks; per replica and tick: ops {}, flush {}, gossip {}; "
        "repartition {} a tick; per message: drop {}, duplicate {}, delay 1..{} ticks",
        s.replicas, s.fault_ticks, pct(s.op_permille), pct(s.flush_permille), pct(s.gossip_permille),
        pct(s.partition_permille), pct(s.drop_permille), pct(s.duplicate_permille), s.max_delay + 1);
}

/// What a run did, summed over seeds for the summary line. The network counts the messages.
struct stats {
    std::uint64_t ops = 0;
    std::uint64_t sent = 0;
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t delivered = 0;
    std::uint64_t bytes = 0;

    stats& operator+=(const stats& o) {
        ops += o.ops;
        sent += o.sent;
        dropped += o.dropped;
        duplicated += o.duplicated;
        delivered += o.delivered;
        bytes += o.bytes;
        return *this;
    }
};

/// The clock and the messages in flight between the replicas: while faults last it drops messages
/// and partitions the replicas (messages across groups are lost); it always delays, reorders and
/// duplicates them. It draws from the harness's `rng`, so a seed replays exactly.
template <class Payload>
class network {
public:
    struct message {
        std::uint64_t due;    // tick of delivery
        std::uint64_t order;  // random: reorders messages due in the same tick
        std::size_t from;
        std::size_t to;
        Payload payload;

        // Later first, for std::priority_queue; `order` is unique in practice and the tie after
        // it is broken by the endpoints, so the delivery order is the same on every library.
        friend bool operator<(const message& a, const message& b) {
            return std::tie(b.due, b.order, b.from, b.to) < std::tie(a.due, a.order, a.from, a.to);
        }
    };

    network(rng& r, const scenario& s, stats& counts)
        : rng_(r), scenario_(s), counts_(counts), group_(s.replicas, 0) {}

    [[nodiscard]] std::uint64_t now() const noexcept { return now_; }
    void tick() noexcept { ++now_; }

    [[nodiscard]] const std::vector<std::size_t>& groups() const noexcept { return group_; }

    /// Puts `payload`, `bytes` long, in flight from `from` to `to`. Returns the ticks its copies
    /// are due at: none when it was dropped, two when it was duplicated.
    std::vector<std::uint64_t> send(std::size_t from, std::size_t to, Payload payload, std::size_t bytes) {
        ++counts_.sent;
        counts_.bytes += bytes;
        std::vector<std::uint64_t> due;
        if (faults_ && rng_.chance(scenario_.drop_permille)) {
            ++counts_.dropped;
            return due;
        }
        const std::uint64_t copies = rng_.chance(scenario_.duplicate_permille) ? 2 : 1;
        counts_.duplicated += copies - 1;
        for (std::uint64_t c = 0; c < copies; ++c) {
            due.push_back(now_ + 1 + rng_.below(scenario_.max_delay + 1));
            in_flight_.push(message{due.back(), rng_.next(), from, to, payload});
        }
        return due;
    }

    /// Now and then (`scenario::partition_permille` a tick) heals the partition or splits the
    /// replicas into 2 to 4 groups; true if it did.
    bool maybe_repartition() {
        if (!rng_.chance(scenario_.partition_permille)) return false;
        if (rng_.below(2) == 0) {
            std::fill(group_.begin(), group_.end(), 0);
        } else {
            const auto groups = static_cast<std::size_t>(rng_.between(2, std::min<std::uint64_t>(4, group_.size())));
            for (auto& g : group_) g = rng_.index(groups);
        }
        return true;
    }

    /// No more drops or partitions; delays, reordering and duplicates go on, since a CRDT must not care.
    void stop_faults() {
        faults_ = false;
        std::fill(group_.begin(), group_.end(), 0);
    }

    /// Hands every message due by now to `receive(message, lost)`, where `lost` says that a
    /// partition cut it off. What `receive` sends is due next tick at the earliest.
    template <class Receive>
    void deliver_due(Receive&& receive) {
        while (!in_flight_.empty() && in_flight_.top().due <= now_) {
            const message m = in_flight_.top();
            in_flight_.pop();
            const bool lost = group_[m.from] != group_[m.to];
            ++(lost ? counts_.dropped : counts_.delivered);
            receive(m, lost);
        }
    }

    /// Runs the clock until nothing is in flight, replies included.
    template <class Receive>
    void drain(Receive&& receive) {
        while (!in_flight_.empty()) {
            ++now_;
            deliver_due(receive);
        }
    }

private:
    rng& rng_;
    scenario scenario_;
    stats& counts_;
    bool faults_ = true;
    std::uint64_t now_ = 0;
    std::vector<std::size_t> group_;  // partition: replicas talk only within their group
    std::priority_queue<message> in_flight_;
};

}  // namespace converge_sim
