// The scale simulator's workload: viewers arrive, pick a page by Zipf popularity and a replica, and leave.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <queue>
#include <random>
#include <vector>

namespace scale_sim {

/// Page popularity: page i (0-based) is viewed with weight 1 / (i + 1), the usual shape of web
/// traffic. Drawn by binary search over the cumulative weights.
class zipf_pages {
public:
    explicit zipf_pages(std::uint32_t pages) : cumulative_(pages) {
        double sum = 0;
        for (std::uint32_t i = 0; i < pages; ++i) cumulative_[i] = sum += 1.0 / (i + 1.0);
    }
    template <class Rng>
    std::uint32_t draw(Rng& rng) const {
        const double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
        return static_cast<std::uint32_t>(std::lower_bound(cumulative_.begin(), cumulative_.end(), x) -
                                          cumulative_.begin());
    }

private:
    std::vector<double> cumulative_;
};

/// One viewer's visit: which page, on which replica, and when it ends (ms).
struct visit {
    std::uint64_t ends_at;
    std::uint32_t page;
    std::uint32_t replica;
    friend bool operator>(const visit& a, const visit& b) { return a.ends_at > b.ends_at; }
};

/// Joins and leaves in time order. The population starts at `viewers` (as if the site had been
/// up for hours: each visit's remaining time is exponential, like its length), then arrivals
/// are Poisson at viewers / mean session per second, so the population stays about level.
class churn {
public:
    churn(std::uint64_t viewers, std::uint32_t pages, std::uint32_t replicas, double mean_session_s,
          std::uint64_t seed)
        : rng_(seed), pages_(pages), replicas_(replicas), mean_session_ms_(mean_session_s * 1000),
          arrivals_per_ms_(static_cast<double>(viewers) / mean_session_ms_), initial_(viewers) {}

    /// The first `initial_` visits, all starting at time 0.
    template <class Join>
    void start(Join&& join) {
        for (std::uint64_t i = 0; i < initial_; ++i) join(arrive(0));
    }

    /// Everything that happens in the millisecond `now`: leaves due, then new arrivals.
    template <class Join, class Leave>
    void step(std::uint64_t now, Join&& join, Leave&& leave) {
        while (!active_.empty() && active_.top().ends_at <= now) {
            leave(active_.top());
            active_.pop();
        }
        for (auto n = std::poisson_distribution<std::uint64_t>(arrivals_per_ms_)(rng_); n > 0; --n) join(arrive(now));
    }

    [[nodiscard]] std::size_t live() const noexcept { return active_.size(); }

private:
    visit arrive(std::uint64_t now) {
        const auto length = std::exponential_distribution<double>(1.0 / mean_session_ms_)(rng_);
        const visit v{now + 1 + static_cast<std::uint64_t>(length), pages_.draw(rng_),
                      static_cast<std::uint32_t>(std::uniform_int_distribution<std::uint32_t>(0, replicas_ - 1)(rng_))};
        active_.push(v);
        return v;
    }

    std::mt19937_64 rng_;
    zipf_pages pages_;
    std::uint32_t replicas_;
    double mean_session_ms_;
    double arrivals_per_ms_;
    std::uint64_t initial_;
    std::priority_queue<visit, std::vector<visit>, std::greater<>> active_;
};

}  // namespace scale_sim
