// The scale simulator's network: per-DC-pair latency, loss, and a count of every byte and message.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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

/// Messages in flight between replicas placed round-robin in `dcs` data centres. A message is
/// an action to run on arrival; its size is counted when it leaves and when it arrives (a
/// pub/sub fabric's fan-out is counted once out of the publisher and once into each
/// subscriber, since that is what each node's link carries).
class wire {
public:
    wire(std::uint32_t replicas, std::uint32_t dcs, std::uint64_t local_ms, std::uint64_t cross_dc_ms,
         std::uint32_t loss_permille, std::uint64_t seed)
        : dcs_(dcs), local_ms_(local_ms), cross_dc_ms_(cross_dc_ms), loss_permille_(loss_permille), rng_(seed),
          per_replica_(replicas) {}

    [[nodiscard]] std::uint32_t dc_of(std::uint32_t replica) const noexcept { return replica % dcs_; }

    /// Counts `bytes` leaving `from` once, for `fan_out` receivers.
    void sent(std::uint32_t from, std::size_t bytes) {
        per_replica_[from].bytes_out += bytes;
        ++per_replica_[from].messages_out;
    }

    /// Schedules `arrive` at `to`, `bytes` long, unless the message is lost.
    void deliver(std::uint32_t from, std::uint32_t to, std::size_t bytes,
                 std::function<void()> arrive) {
        if (loss_permille_ != 0 && std::uniform_int_distribution<std::uint32_t>(0, 999)(rng_) < loss_permille_) return;
        const bool cross = dc_of(from) != dc_of(to);
        if (cross) {
            cross_dc_.bytes_out += bytes;
            ++cross_dc_.messages_out;
        }
        per_replica_[to].bytes_in += bytes;
        ++per_replica_[to].messages_in;
        queue_.push({now_ + (cross ? cross_dc_ms_ : local_ms_), next_++, std::move(arrive)});
    }

    /// The clock moves to `now`, and every arrival due by then runs (what it sends leaves now).
    void run_due(std::uint64_t now) {
        now_ = now;
        while (!queue_.empty() && queue_.top().due <= now) {
            auto arrive = std::move(const_cast<flight&>(queue_.top()).arrive);
            queue_.pop();
            arrive();
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
        std::function<void()> arrive;
        friend bool operator>(const flight& a, const flight& b) {
            return a.due != b.due ? a.due > b.due : a.order > b.order;
        }
    };

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
};

}  // namespace scale_sim
