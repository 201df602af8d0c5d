// Viewer counts: local writes under the current incarnation, merges, retirement and rejoin.
// SPDX-License-Identifier: MIT
#include "presence/viewer_counts.hpp"

#include "replication/fresh_id.hpp"


namespace active_users {

viewer_counts::viewer_counts()
    : incarnation_(fresh_id()),
      presence_(mutex_, incarnation_, [this](const presence_state& news, std::optional<std::uint64_t> sender) {
          heard(news, sender);
      }),
      adjustments_(mutex_, incarnation_, [this](const adjustment_state& news, std::optional<std::uint64_t> sender) {
          if (sender) last_heard_[*sender] = std::chrono::steady_clock::now();
          for (const auto& [page, counter] : news) touch(page);
      }) {}

std::uint64_t viewer_counts::incarnation() const {
    std::lock_guard lock(mutex_);
    return incarnation_;
}

count_view viewer_counts::adjust(const std::string& page, bool up) {
    std::lock_guard lock(mutex_);
    adjustments_.update([&](adjustment_state& s) {
        return s.update(page, [&](converge::pn_counter<std::uint64_t>& c) {
            return up ? c.increment(incarnation_) : c.decrement(incarnation_);
        });
    });
    touch(page);
    return views_[page];
}

void viewer_counts::fold_sessions(const std::vector<std::pair<std::string, std::int64_t>>& joins) {
    std::lock_guard lock(mutex_);
    for (const auto& [page, delta] : joins) fold(page, delta);
}

count_view viewer_counts::join(const std::string& page, std::int64_t delta) {
    std::lock_guard lock(mutex_);
    fold(page, delta);
    return views_[page];
}

void viewer_counts::fold(const std::string& page, std::int64_t delta) {
    if (leaving_) return;  // retired: whatever it wrote now would be dropped everywhere
    const auto n = static_cast<std::uint64_t>(delta < 0 ? -delta : delta);
    presence_.update([&](presence_state& s) {
        return delta > 0 ? s.increment(page, incarnation_, n) : s.decrement(page, incarnation_, n);
    });
    local_viewers_[page] += delta;
    local_total_ += delta;
    touch(page);
}

count_view viewer_counts::view(const std::string& page) const {
    std::lock_guard lock(mutex_);
    return view_or_first_seen(views_, page, max_viewed_pages);
}

std::size_t viewer_counts::retire_silent(std::chrono::steady_clock::time_point now, std::chrono::milliseconds after) {
    std::lock_guard lock(mutex_);
    std::vector<std::uint64_t> silent;
    for (const std::uint64_t inc : holders_) {
        const auto [it, first_seen] = last_heard_.try_emplace(inc, now);  // first sight starts the clock
        if (!first_seen && now - it->second > after) silent.push_back(inc);
    }
    for (const std::uint64_t inc : silent) {
        presence_.update([&](presence_state& s) { return s.retire(inc); });
        last_heard_.erase(inc);
        holders_.erase(inc);
    }
    if (!silent.empty()) touch_all();
    return silent.size();
}

void viewer_counts::retire_self() {
    std::lock_guard lock(mutex_);
    if (leaving_) return;
    leaving_ = true;
    presence_.update([&](presence_state& s) { return s.retire(incarnation_); });
    local_viewers_.clear();
    local_total_ = 0;
    touch_all();
}

std::vector<std::string> viewer_counts::take_changed() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.swap(changed_);
    return out;
}

viewer_counts::stats viewer_counts::statistics() const {
    // The channels' counters first: they take the same mutex.
    const channel_stats p = presence_.statistics();
    const channel_stats a = adjustments_.statistics();
    std::lock_guard lock(mutex_);
    stats s;
    s.pages = views_.size();
    s.merges = p.merges + a.merges;
    s.rejected = p.rejected + a.rejected;
    s.retired = presence_.state().retired().size();
    s.rejoins = rejoins_;
    s.local_viewers = static_cast<std::uint64_t>(local_total_);
    return s;
}

void viewer_counts::heard(const presence_state& news, std::optional<std::uint64_t> sender) {
    if (sender) last_heard_[*sender] = std::chrono::steady_clock::now();
    if (news.empty()) return;
    // The index retire_silent reads: incarnations that hold entries, other than this one.
    for (const auto& [page, counter] : news.counters()) {
        for (const auto& [inc, tally] : counter.entries())
            if (inc != incarnation_) holders_.insert(inc);
    }
    for (const std::uint64_t inc : news.retired()) {
        holders_.erase(inc);
        last_heard_.erase(inc);
    }
    // A retirement can change any page.
    if (!news.retired().empty()) touch_all();
    for (const auto& [page, counter] : news.counters()) touch(page);
    if (!leaving_ && presence_.state().is_retired(incarnation_)) rejoin();
}

std::int64_t viewer_counts::count_of(const std::string& page) const {
    converge::int128 n = presence_.state().value(page);
    if (const auto* c = adjustments_.state().find(page)) n += c->value();
    return static_cast<std::int64_t>(n);
}

void viewer_counts::touch(const std::string& page) {
    const std::int64_t n = count_of(page);
    const auto [it, added] = views_.try_emplace(page, count_view{n, clock::now()});
    if (!added && it->second.count == n) return;
    it->second = {n, clock::now()};
    changed_.push_back(page);
}

void viewer_counts::touch_all() {
    for (auto& [page, view] : views_) touch(page);
}

void viewer_counts::rejoin() {
    // Peers retired this incarnation (a partition outlasted --retire-after). Its entries are gone
    // everywhere; publish the sessions this process still holds under a new id.
    incarnation_ = fresh_id();
    ++rejoins_;
    presence_.restart(incarnation_);
    adjustments_.restart(incarnation_);
    for (const auto& [page, n] : local_viewers_) {
        const std::string& name = page;
        const auto up = static_cast<std::uint64_t>(n);
        if (n > 0) presence_.update([&](presence_state& s) { return s.increment(name, incarnation_, up); });
    }
    touch_all();
}

}  // namespace active_users
