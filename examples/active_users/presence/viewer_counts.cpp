// Viewer counts: local writes under the current incarnation, merges, retirement and rejoin.
// SPDX-License-Identifier: MIT
#include "presence/viewer_counts.hpp"

#include "replication/fresh_id.hpp"

#include <converge/encoding.hpp>

#include <algorithm>
#include <map>

namespace active_users {

viewer_counts::viewer_counts(sync_mode mode, shard_plan plan)
    : incarnation_(fresh_id()),
      shards_(mutex_, incarnation_, mode, plan,
              {.on_news = [this](const presence_state& news, std::optional<std::uint64_t> sender) { heard(news, sender); },
               .on_incoming = [this](const presence_state& state, const presence_state& payload) { incoming(state, payload); },
               .on_drop = [this](std::uint32_t shard) { dropped(shard); }}),
      adjustments_(mutex_, incarnation_, [this](const adjustment_state& news, std::optional<std::uint64_t> sender) {
          if (sender) {
              // Sharded presence may bring no message from a peer for long (no shard in common):
              // adjustments, the heartbeat channel then, say it is alive.
              last_heard_[*sender] = last_contact_ = std::chrono::steady_clock::now();
              started_over_ = false;
          }
          for (const auto& [page, counter] : news) touch(page);
      }, {}, mode),
      last_contact_(std::chrono::steady_clock::now()) {}

channel_owner& viewer_counts::presence() noexcept {
    if (shards_.sharded()) return shards_;
    return *shards_.find(0);
}

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
    const std::uint32_t shard = shards_.of(page);
    shards_.at(shard).update([&](presence_state& s) {
        return delta > 0 ? s.increment(page, incarnation_, n) : s.decrement(page, incarnation_, n);
    });
    // Pages with no local viewer leave the map, as their gauge leaves the presence state; while
    // a page has local viewers its shard is held.
    const auto [it, added] = local_viewers_.try_emplace(page, 0);
    if (added) shards_.pin(shard, +1);
    if ((it->second += delta) == 0) {
        local_viewers_.erase(it);
        shards_.pin(shard, -1);
    }
    local_total_ += delta;
    touch(page);
}

count_view viewer_counts::view(const std::string& page) const {
    std::lock_guard lock(mutex_);
    return view_or_first_seen(views_, page, max_viewed_pages);
}

std::optional<count_view> viewer_counts::followed_view(const std::string& page) {
    std::lock_guard lock(mutex_);
    const std::uint32_t shard = shards_.of(page);
    shards_.read(shard, std::chrono::steady_clock::now());
    if (!shards_.ready_locked(shard)) return std::nullopt;
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
        shards_.for_each([&](std::uint32_t, presence_channel& p) {
            p.update([&](presence_state& s) { return s.retire(inc, presence_clock_now()); });
        });
        note(membership_event::kind::retired, inc);
        last_heard_.erase(inc);
        holders_.erase(inc);
    }
    if (!silent.empty()) touch_all();
    return silent.size();
}

std::size_t viewer_counts::collect_retired(std::uint64_t before) {
    std::lock_guard lock(mutex_);
    std::size_t collected = 0;
    shards_.for_each([&](std::uint32_t, presence_channel& p) {
        // Raising the horizon is a change every follower is sent: on the mesh, a presence change
        // a second on every idle link; sharded, a thousand shards' worth. So a shard's horizon
        // moves only when it has a marker to collect; a marker merged later from an older state
        // is then collected at the next call.
        const auto& markers_now = p.state().retired();
        const bool due = std::any_of(markers_now.begin(), markers_now.end(), [&](const auto& m) { return m.at < before; });
        if (!due) return;
        const std::size_t markers = p.state().retired().size();
        p.update([&](presence_state& s) { return s.collect_retired(before); });
        collected += markers - p.state().retired().size();
    });
    return collected;
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
    std::map<std::uint32_t, presence_state> fresh;
    shards_.for_each([&](std::uint32_t shard, presence_channel&) { (void)fresh[shard].retire(old, presence_clock_now()); });
    for (const auto& [page, n] : local_viewers_)
        if (n > 0) (void)fresh[shards_.of(page)].increment(page, incarnation_, static_cast<std::uint64_t>(n));
    shards_.for_each([&](std::uint32_t shard, presence_channel& p) { p.restart(incarnation_, std::move(fresh[shard])); });
    adjustments_.restart(incarnation_);
    forget_others();
    touch_all();
    return true;
}

void viewer_counts::retire_self() {
    std::lock_guard lock(mutex_);
    if (leaving_) return;
    leaving_ = true;
    shards_.for_each([&](std::uint32_t, presence_channel& p) {
        p.update([&](presence_state& s) { return s.retire(incarnation_, presence_clock_now()); });
    });
    for (const auto& [page, n] : local_viewers_) shards_.pin(shards_.of(page), -1);
    local_viewers_.clear();
    local_total_ = 0;
    touch_all();
}

std::vector<std::string> viewer_counts::take_changed() {
    std::unordered_set<std::string> changed;
    {
        std::lock_guard lock(mutex_);
        changed.swap(changed_);
    }
    std::vector<std::string> out;
    out.reserve(changed.size());
    while (!changed.empty()) out.push_back(std::move(changed.extract(changed.begin()).value()));
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> viewer_counts::take_forgotten() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.swap(forgotten_);
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
    const channel_stats p = shards_.statistics();
    const channel_stats a = adjustments_.statistics();
    std::lock_guard lock(mutex_);
    stats s;
    s.pages = views_.size();
    s.merges = p.merges + a.merges;
    s.rejected = p.rejected + a.rejected;
    s.rejoins = rejoins_;
    s.local_viewers = static_cast<std::uint64_t>(local_total_);
    s.shards_held = shards_.held();
    // Markers are repeated in every shard; the most any shard holds is how many there are.
    shards_.for_each([&](std::uint32_t, const presence_channel& c) {
        s.retired = std::max<std::uint64_t>(s.retired, c.state().retired().size());
        s.presence_entries += c.state().size();
        s.presence_horizon = std::max(s.presence_horizon, c.state().horizon());
    });
    return s;
}

std::size_t viewer_counts::presence_bytes() const {
    std::lock_guard lock(mutex_);
    std::size_t bytes = 0;
    shards_.for_each([&](std::uint32_t, const presence_channel& p) { bytes += converge::encode(p.state()).size(); });
    return bytes;
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
        const bool tracked = holders_.erase(m.replica) + last_heard_.erase(m.replica) > 0;
        // A snapshot restored from disk (no sender) is not news of the cluster's; sharded, the
        // same retirement arrives in every shard held, and is noted the first time.
        if (sender && (tracked || !shards_.sharded())) note(membership_event::kind::retirement_heard, m.replica);
    }
    // A retirement can change any page; the others are read off the state before the merge.
    // Sharded, the pages a retirement drops are among those (keys_changed_by names them): a
    // retirement reaches every shard, and touching every page once per shard would be quadratic.
    if (!news.retired().empty() && !shards_.sharded()) touch_all();
    for (const std::string& page : pages) touch(page);
    bool retired_here = false;
    for (const auto& m : news.retired()) retired_here = retired_here || m.replica == incarnation_;
    if (!leaving_ && retired_here) rejoin();
}

std::int64_t viewer_counts::count_of(const std::string& page) const {
    const presence_channel* shard = shards_.find(shards_.of(page));
    auto n = static_cast<converge::int128>(shard == nullptr ? 0 : shard->state().value(page));  // a sum of live gauges: far below 2^127
    if (const auto* c = adjustments_.state().find(page)) n += c->value();
    return static_cast<std::int64_t>(n);
}

void viewer_counts::touch(const std::string& page) {
    // A page of a shard not held (a late message for one just dropped) has no count here.
    if (shards_.sharded() && shards_.find(shards_.of(page)) == nullptr) return;
    const std::int64_t n = count_of(page);
    const auto now = clock::now();
    const auto [it, added] = views_.try_emplace(page, count_view{n, now});
    if (!added && it->second.count == n) return;
    it->second = {n, now};
    changed_.insert(page);
}

void viewer_counts::forget_others() {
    holders_.clear();
    last_heard_.clear();
}

void viewer_counts::dropped(std::uint32_t shard) {
    std::erase_if(views_, [&](const auto& v) {
        if (shards_.of(v.first) != shard) return false;
        if (v.second.count != 0) forgotten_.push_back(v.first);
        return true;
    });
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
    shards_.for_each([&](std::uint32_t, presence_channel& p) { p.restart(incarnation_); });
    adjustments_.restart(incarnation_);
    for (const auto& [page, n] : local_viewers_) {
        const std::string& name = page;
        const auto up = static_cast<std::uint64_t>(n);
        if (n > 0) shards_.at(shards_.of(page)).update([&](presence_state& s) { return s.increment(name, incarnation_, up); });
    }
    touch_all();
}

}  // namespace active_users
