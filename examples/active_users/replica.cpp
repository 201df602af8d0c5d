// The replica: local writes under the current incarnation, merges, retirement and rejoin.
// SPDX-License-Identifier: MIT
#include "replica.hpp"

#include <converge/encoding.hpp>

#include <random>
#include <set>

namespace active_users {

std::uint64_t fresh_id() {
    std::random_device rd;
    std::uint64_t x = 0;
    while (x == 0) x = (std::uint64_t{rd()} << 32) ^ rd();
    return x;
}

converge::decode_limits wire_limits() {
    // Hostile peers with the secret aside, a message is bounded by what a cluster can hold.
    converge::decode_limits l;
    l.max_bytes = std::size_t{16} << 20;
    l.max_string_bytes = 128;
    return l;
}

replica::replica(std::uint32_t id, adjustment_state restored, std::optional<std::uint64_t> previous_incarnation)
    : id_(id),
      incarnation_(fresh_id()),
      presence_(incarnation_),
      adjustments_(incarnation_, std::move(restored)) {
    // The previous run of this process is dead, with its sessions: say so at once rather than
    // wait for the peers to notice.
    if (previous_incarnation) presence_.update([&](presence_state& s) { return s.retire(*previous_incarnation); });
    for (const auto& [page, c] : adjustments_.state()) touch(page);
}

std::uint64_t replica::incarnation() const {
    std::lock_guard lock(mutex_);
    return incarnation_;
}

std::pair<page_view, std::uint64_t> replica::adjust(const std::string& page, bool up) {
    std::lock_guard lock(mutex_);
    adjustments_.update([&](adjustment_state& s) {
        return s.update(page, [&](converge::pn_counter<std::uint64_t>& c) {
            return up ? c.increment(incarnation_) : c.decrement(incarnation_);
        });
    });
    touch(page);
    return {views_[page], ++adjustment_generation_};
}

void replica::fold_sessions(const std::vector<std::pair<std::string, std::int64_t>>& joins) {
    std::lock_guard lock(mutex_);
    for (const auto& join : joins) {
        // Named copies: clang 14 cannot capture structured bindings in the lambda below.
        const std::string& page = join.first;
        const std::int64_t delta = join.second;
        const auto n = static_cast<std::uint64_t>(delta < 0 ? -delta : delta);
        presence_.update([&](presence_state& s) {
            return delta > 0 ? s.increment(page, incarnation_, n) : s.decrement(page, incarnation_, n);
        });
        local_viewers_[page] += delta;
        stats_.local_viewers = static_cast<std::uint64_t>(static_cast<std::int64_t>(stats_.local_viewers) + delta);
        touch(page);
    }
}

page_view replica::view(const std::string& page) const {
    std::lock_guard lock(mutex_);
    const auto it = views_.find(page);
    return it == views_.end() ? page_view{} : it->second;
}

std::vector<std::byte> replica::message_for(std::uint32_t peer, channel c) {
    std::lock_guard lock(mutex_);
    return c == channel::presence ? converge::encode(presence_.message_for(peer))
                                  : converge::encode(adjustments_.message_for(peer));
}

bool replica::receive(std::uint32_t peer, channel c, std::span<const std::byte> bytes, std::string& error) {
    const auto now = std::chrono::steady_clock::now();
    if (c == channel::adjustments) {
        return merge_message(mutex_, adjustments_, peer, bytes, error, stats_.merges, stats_.rejected,
                             [&](std::uint64_t epoch, const adjustment_state& news) {
                                 last_heard_[epoch] = now;
                                 for (const auto& [page, counter] : news) touch(page);
                             });
    }
    if (c == channel::presence) {
        return merge_message(mutex_, presence_, peer, bytes, error, stats_.merges, stats_.rejected,
                             [&](std::uint64_t epoch, const presence_state& news) {
                                 last_heard_[epoch] = now;
                                 if (news.empty()) return;
                                 touch_all_presence(news);
                                 if (presence_.state().is_retired(incarnation_)) rejoin();
                             });
    }
    error = "channel " + std::to_string(static_cast<int>(c)) + " is not the viewer counts'";
    return false;
}

void replica::connected(std::uint32_t peer) {
    std::lock_guard lock(mutex_);
    presence_.connect(peer);
    adjustments_.connect(peer);
}

void replica::disconnected(std::uint32_t peer) {
    std::lock_guard lock(mutex_);
    presence_.disconnect(peer);
    adjustments_.disconnect(peer);
}

std::size_t replica::retire_silent(std::chrono::steady_clock::time_point now, std::chrono::milliseconds after) {
    std::lock_guard lock(mutex_);
    std::set<std::uint64_t> silent;
    for (const auto& [page, counter] : presence_.state().counters()) {
        for (const auto& [inc, tally] : counter.entries()) {
            if (inc == incarnation_) continue;
            const auto [it, first_seen] = last_heard_.try_emplace(inc, now);
            if (!first_seen && now - it->second > after) silent.insert(inc);
        }
    }
    for (const std::uint64_t inc : silent) {
        presence_.update([&](presence_state& s) { return s.retire(inc); });
        last_heard_.erase(inc);
    }
    if (!silent.empty()) {
        for (auto& [page, view] : views_) touch(page);
    }
    return silent.size();
}

std::vector<std::string> replica::take_changed() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.swap(changed_);
    return out;
}

std::pair<adjustment_state, std::uint64_t> replica::adjustments_snapshot() const {
    std::lock_guard lock(mutex_);
    return {adjustments_.state(), adjustment_generation_};
}

replica::stats replica::statistics() const {
    std::lock_guard lock(mutex_);
    stats s = stats_;
    s.pages = views_.size();
    s.retired = presence_.state().retired().size();
    return s;
}

std::int64_t replica::count_of(const std::string& page) const {
    converge::int128 n = presence_.state().value(page);
    if (const auto* c = adjustments_.state().find(page)) n += c->value();
    return static_cast<std::int64_t>(n);
}

void replica::touch(const std::string& page) {
    const std::int64_t n = count_of(page);
    const auto [it, added] = views_.try_emplace(page, page_view{n, clock::now()});
    if (!added && it->second.count == n) return;
    it->second = {n, clock::now()};
    changed_.push_back(page);
}

void replica::touch_all_presence(const presence_state& news) {
    if (!news.retired().empty()) {
        // A retirement can change any page.
        for (auto& [page, view] : views_) touch(page);
    }
    for (const auto& [page, counter] : news.counters()) touch(page);
}

void replica::rejoin() {
    // Peers retired this incarnation (a partition outlasted --retire-after). Its entries are gone
    // everywhere; publish the sessions this process still holds under a new id.
    incarnation_ = fresh_id();
    ++stats_.rejoins;
    presence_ = presence_sync(incarnation_, presence_.state());
    adjustments_ = adjustment_sync(incarnation_, adjustments_.state());
    for (const auto& local : local_viewers_) {
        const std::string& page = local.first;
        const auto n = static_cast<std::uint64_t>(local.second);
        if (local.second > 0) presence_.update([&](presence_state& s) { return s.increment(page, incarnation_, n); });
    }
    for (auto& [page, view] : views_) touch(page);
}

}  // namespace active_users
