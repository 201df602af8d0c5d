// Viewer counts: local writes under the current incarnation, merges, retirement and rejoin.
// SPDX-License-Identifier: MIT
#include "presence/viewer_counts.hpp"

#include "replication/fresh_id.hpp"

#include <converge/encoding.hpp>

#include <algorithm>

namespace active_users {

viewer_counts::viewer_counts(sync_mode mode)
    : incarnation_(fresh_id()),
      presence_(
          mutex_, incarnation_,
          [this](const presence_state& news, std::optional<std::uint64_t> sender) { heard(news, sender); },
          [this](const presence_state& state, const presence_state& payload) { incoming(state, payload); }, mode),
      adjustments_(mutex_, incarnation_, [this](const adjustment_state& news, std::optional<std::uint64_t> sender) {
          if (sender) last_heard_[*sender] = std::chrono::steady_clock::now();
          for (const auto& [page, counter] : news) touch(page);
      }, {}, mode),
      last_contact_(std::chrono::steady_clock::now()) {}

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
    // Pages with no local viewer leave the map, as their gauge leaves the presence state.
    if (const auto it = local_viewers_.try_emplace(page, 0).first; (it->second += delta) == 0) local_viewers_.erase(it);
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
        presence_.update([&](presence_state& s) { return s.retire(inc, presence_clock_now()); });
        note(membership_event::kind::retired, inc);
        last_heard_.erase(inc);
        holders_.erase(inc);
    }
    if (!silent.empty()) touch_all();
    return silent.size();
}

std::size_t viewer_counts::collect_retired(std::uint64_t before) {
    std::lock_guard lock(mutex_);
    // Raising the horizon is a change every peer is sent, so it moves only when a marker is due:
    // moved every call, an idle cluster sent a presence change a second on every link. A marker
    // merged later from an older state is collected at the next call.
    const auto& markers_now = presence_.state().retired();
    if (std::none_of(markers_now.begin(), markers_now.end(), [&](const auto& m) { return m.at < before; })) return 0;
    const std::size_t markers = markers_now.size();
    presence_.update([&](presence_state& s) { return s.collect_retired(before); });
    return markers - presence_.state().retired().size();
}

bool viewer_counts::start_over_if_cut_off(std::chrono::steady_clock::time_point now, std::chrono::milliseconds horizon) {
    std::lock_guard lock(mutex_);
    if (leaving_ || started_over_ || now - last_contact_ <= horizon) return false;
    started_over_ = true;
    // Peers may have collected the markers of incarnations whose gauges this state still holds;
    // merged, they would count again. Keep only this replica's own sessions, under a new id, and
    // the retirement of the old one (a peer that still counts it stops at once).
    const std::uint64_t old = incarnation_;
    incarnation_ = fresh_id();
    ++rejoins_;
    note(membership_event::kind::started_over, incarnation_);
    presence_state fresh;
    (void)fresh.retire(old, presence_clock_now());
    for (const auto& [page, n] : local_viewers_)
        if (n > 0) (void)fresh.increment(page, incarnation_, static_cast<std::uint64_t>(n));
    presence_.restart(incarnation_, std::move(fresh));
    adjustments_.restart(incarnation_);
    forget_others();
    touch_all();
    return true;
}

void viewer_counts::retire_self() {
    std::lock_guard lock(mutex_);
    if (leaving_) return;
    leaving_ = true;
    presence_.update([&](presence_state& s) { return s.retire(incarnation_, presence_clock_now()); });
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

std::vector<viewer_counts::membership_event> viewer_counts::take_events() {
    std::lock_guard lock(mutex_);
    std::vector<membership_event> out;
    out.swap(events_);
    return out;
}

void viewer_counts::note(membership_event::kind what, std::uint64_t incarnation) {
    if (events_.size() < max_events) events_.push_back({what, incarnation});
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
    s.presence_entries = presence_.state().size();
    s.presence_horizon = presence_.state().horizon();
    return s;
}

std::size_t viewer_counts::presence_bytes() const {
    std::lock_guard lock(mutex_);
    return converge::encode(presence_.state()).size();
}

void viewer_counts::incoming(const presence_state& state, const presence_state& payload) {
    if (payload.empty()) return;
    std::vector<std::string> pages = state.keys_changed_by(payload);
    arriving_.insert(arriving_.end(), std::make_move_iterator(pages.begin()), std::make_move_iterator(pages.end()));
}

void viewer_counts::heard(const presence_state& news, std::optional<std::uint64_t> sender) {
    if (sender) {
        const auto now = std::chrono::steady_clock::now();
        last_heard_[*sender] = now;
        last_contact_ = now;
        started_over_ = false;
    }
    std::vector<std::string> pages;
    pages.swap(arriving_);
    if (news.empty()) return;
    // The index retire_silent reads: incarnations that hold entries, other than this one.
    for (const auto& e : news.entries())
        if (e.replica != incarnation_) holders_.insert(e.replica);
    for (const auto& m : news.retired()) {
        holders_.erase(m.replica);
        last_heard_.erase(m.replica);
        // A snapshot restored from disk (no sender) is not news of the cluster's.
        if (sender) note(membership_event::kind::retirement_heard, m.replica);
    }
    // A retirement can change any page; the others are read off the state before the merge.
    if (!news.retired().empty()) touch_all();
    for (const std::string& page : pages) touch(page);
    if (!leaving_ && presence_.state().is_retired(incarnation_)) rejoin();
}

std::int64_t viewer_counts::count_of(const std::string& page) const {
    auto n = static_cast<converge::int128>(presence_.state().value(page));  // a sum of live gauges: far below 2^127
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

void viewer_counts::forget_others() {
    holders_.clear();
    last_heard_.clear();
}

void viewer_counts::touch_all() {
    for (auto& [page, view] : views_) touch(page);
}

void viewer_counts::rejoin() {
    // Peers retired this incarnation (a partition outlasted --retire-after). Its entries are gone
    // everywhere; publish the sessions this process still holds under a new id.
    incarnation_ = fresh_id();
    ++rejoins_;
    note(membership_event::kind::rejoined, incarnation_);
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
