// The scale simulator's network: per-DC-pair latency, loss, and a count of every byte and message.
// SPDX-License-Identifier: MIT
#pragma once

#include "second_lane.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <vector>

namespace scale_sim {

/// Traffic of one replica, or of all cross-DC links.
struct traffic {
    std::uint64_t bytes_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t messages_out = 0;
    std::uint64_t messages_in = 0;
};

/// What an arrival touches: only its receiver's replicas, or also the wire (it sends).
enum class reach : bool { receiver_only, sends };

/// Messages in flight between replicas placed round-robin in `dcs` data centres. A message is
/// an action to run on arrival; its size is counted when it leaves and when it arrives (a
/// pub/sub fabric's fan-out is counted once out of the publisher and once into each
/// subscriber, since that is what each node's link carries).
///
/// With `two_lanes`, a run of due arrivals that touch only their receivers is split between
/// two threads by receiver, each keeping the order of its receivers' arrivals. Arrivals at
/// different replicas commute, and an arrival that sends runs alone, in order, so the results
/// are those of one thread, only sooner: merging is most of the simulator's work.
class wire {
public:
    wire(std::uint32_t replicas, std::uint32_t dcs, std::uint64_t local_ms, std::uint64_t cross_dc_ms,
         std::uint32_t loss_permille, std::uint64_t seed, bool two_lanes = false)
        : dcs_(dcs), local_ms_(local_ms), cross_dc_ms_(cross_dc_ms), loss_permille_(loss_permille), rng_(seed),
          per_replica_(replicas) {
        if (two_lanes) lane_.emplace();
    }

    [[nodiscard]] std::uint32_t dc_of(std::uint32_t replica) const noexcept { return replica % dcs_; }

    /// Counts `bytes` leaving `from` once, for `fan_out` receivers.
    void sent(std::uint32_t from, std::size_t bytes) {
        per_replica_[from].bytes_out += bytes;
        ++per_replica_[from].messages_out;
    }

    /// Schedules `arrive` at `to`, `bytes` long, unless the message is lost. An arrival that
    /// touches anything beyond replica `to` (sends, counts) must say `reach::sends`.
    void deliver(std::uint32_t from, std::uint32_t to, std::size_t bytes, std::function<void()> arrive,
                 reach r = reach::sends) {
        if (loss_permille_ != 0 && std::uniform_int_distribution<std::uint32_t>(0, 999)(rng_) < loss_permille_) return;
        const bool cross = dc_of(from) != dc_of(to);
        if (cross) {
            cross_dc_.bytes_out += bytes;
            ++cross_dc_.messages_out;
        }
        per_replica_[to].bytes_in += bytes;
        ++per_replica_[to].messages_in;
        queue_.push({now_ + (cross ? cross_dc_ms_ : local_ms_), next_++, to, r, std::move(arrive)});
    }

    /// The clock moves to `now`, and every arrival due by then runs (what it sends leaves now).
    void run_due(std::uint64_t now) {
        now_ = now;
        while (!queue_.empty() && queue_.top().due <= now) {
            // Everything due now, in order; what these send is due later (or after them).
            due_.clear();
            while (!queue_.empty() && queue_.top().due <= now) {
                due_.push_back(std::move(const_cast<flight&>(queue_.top())));
                queue_.pop();
            }
            for (std::size_t i = 0; i < due_.size();) {
                std::size_t j = i + 1;
                if (due_[i].r == reach::receiver_only)
                    while (j < due_.size() && due_[j].r == reach::receiver_only) ++j;
                run_span(i, j);
                i = j;
            }
        }
    }

    [[nodiscard]] bool idle() const noexcept { return queue_.empty(); }
    [[nodiscard]] const std::vector<traffic>& per_replica() const noexcept { return per_replica_; }
    [[nodiscard]] const traffic& cross_dc() const noexcept { return cross_dc_; }
    void reset_counts() {
        for (auto& t : per_replica_) t = {};
        cross_dc_ = {};
    }

    /// Stops losing messages: the network heals.
    void heal() noexcept { loss_permille_ = 0; }

private:
    struct flight {
        std::uint64_t due;
        std::uint64_t order;  // ties arrive in send order
        std::uint32_t to;
        reach r;
        std::function<void()> arrive;
        friend bool operator>(const flight& a, const flight& b) {
            return a.due != b.due ? a.due > b.due : a.order > b.order;
        }
    };

    /// Runs due_[from, to): on two lanes (odd receivers on the second) when they touch only
    /// their receivers and are enough to be worth waking a thread for.
    void run_span(std::size_t from, std::size_t to) {
        constexpr std::size_t worth_a_lane = 64;
        if (!lane_ || due_[from].r == reach::sends || to - from < worth_a_lane) {
            for (std::size_t i = from; i < to; ++i) due_[i].arrive();
            return;
        }
        const auto half = [this, from, to](std::uint32_t parity) {
            for (std::size_t i = from; i < to; ++i)
                if (due_[i].to % 2 == parity) due_[i].arrive();
        };
        lane_->start([&half] { half(1); });
        half(0);
        lane_->wait();
    }

    std::uint32_t dcs_;
    std::uint64_t local_ms_;
    std::uint64_t cross_dc_ms_;
    std::uint32_t loss_permille_;
    std::mt19937_64 rng_;
    std::uint64_t now_ = 0;
    std::uint64_t next_ = 0;
    std::vector<traffic> per_replica_;
    traffic cross_dc_;
    std::priority_queue<flight, std::vector<flight>, std::greater<>> queue_;
    std::vector<flight> due_;
    std::optional<second_lane> lane_;
};

}  // namespace scale_sim
