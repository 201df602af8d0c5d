// Unread notifications: local writes under this run's writer id, merges, and unread counts per user.
// SPDX-License-Identifier: MIT
#include "notifications.hpp"

#include "replication/fresh_id.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

namespace active_users {

notifications::notifications(std::uint64_t writer, sync_mode mode)
    : writer_(writer != 0 ? writer : fresh_id()),
      subscriptions_(mutex_, writer_,
                     [this](const subscription_state& news, std::optional<std::uint64_t>) {
                         for (const auto& [user, pages] : news) subscriptions_changed(user);
                     },
                     {}, mode),
      modifications_(mutex_, writer_,
                     [this](const modification_state& news, std::optional<std::uint64_t>) {
                         for (const auto& [page, counter] : news) page_changed(page);
                     },
                     {}, mode),
      read_marks_(
          mutex_, writer_,
          [this](const read_mark_state& news, std::optional<std::uint64_t>) {
              for (const auto& [user, marks] : news) touch(user);
          },
          {}, mode) {}

result<count_view> notifications::subscribe(const std::string& user, const std::string& page) {
    std::lock_guard lock(mutex_);
    if (pages_of_.find(user) == pages_of_.end() && pages_of_.size() >= max_users)
        return fail(status::unavailable, "too many users");
    // The mark first: a new subscriber has read the page as far as this replica knows it.
    if (!subscribed(user, page)) raise_mark(user, page);
    // Added even when already subscribed: a fresh dot wins against a concurrent unsubscribe.
    subscriptions_.update([&](subscription_state& s) {
        return s.update(user, [&](converge::or_set<std::string, std::uint64_t>& pages) { return pages.add(page, writer_); });
    });
    subscriptions_changed(user);
    return done(user, true);
}

result<count_view> notifications::unsubscribe(const std::string& user, const std::string& page) {
    std::lock_guard lock(mutex_);
    if (!subscribed(user, page)) return done(user, false);
    subscriptions_.update([&](subscription_state& s) {
        return s.update(user, [&](converge::or_set<std::string, std::uint64_t>& pages) { return pages.remove(page); });
    });
    subscriptions_changed(user);
    return done(user, true);
}

result<count_view> notifications::read_all(const std::string& user) {
    std::lock_guard lock(mutex_);
    bool wrote = false;
    if (const auto* pages = subscriptions_.state().find(user)) {
        for (const std::string& page : pages->elements()) wrote = raise_mark(user, page) || wrote;
    }
    return done(user, wrote);
}

result<count_view> notifications::read(const std::string& user, const std::string& page) {
    std::lock_guard lock(mutex_);
    if (!subscribed(user, page))
        return fail(status::not_found, user + " does not subscribe to " + page + " on this replica");
    return done(user, raise_mark(user, page));
}

result<std::uint64_t> notifications::modify(const std::string& page) {
    std::lock_guard lock(mutex_);
    const modification_state& mods = modifications_.state();
    if (mods.find(page) == nullptr && mods.size() >= max_pages) return fail(status::unavailable, "too many pages");
    modifications_.update([&](modification_state& s) {
        return s.update(page, [&](converge::g_counter<std::uint64_t>& c) { return c.increment(writer_); });
    });
    page_changed(page);
    ++local_writes_;
    return count_of(page);
}

count_view notifications::unread(const std::string& user) const {
    std::lock_guard lock(mutex_);
    return view_or_first_seen(views_, user, max_users);
}

std::uint64_t notifications::modification_count(const std::string& page) const {
    std::lock_guard lock(mutex_);
    return count_of(page);
}

std::vector<std::string> notifications::take_changed() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.swap(changed_);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

notification_states notifications::states() const {
    std::lock_guard lock(mutex_);
    return {subscriptions_.state(), modifications_.state(), read_marks_.state()};
}

notifications::stats notifications::statistics() const {
    stats s;
    for (const channel_owner* c : {static_cast<const channel_owner*>(&subscriptions_),
                                   static_cast<const channel_owner*>(&modifications_),
                                   static_cast<const channel_owner*>(&read_marks_)}) {
        const channel_stats cs = c->statistics();
        s.merges += cs.merges;
        s.rejected += cs.rejected;
    }
    std::lock_guard lock(mutex_);
    s.local_writes = local_writes_;
    s.users = views_.size();
    s.pages = modifications_.state().size();
    return s;
}

bool notifications::subscribed(const std::string& user, const std::string& page) const {
    const auto* pages = subscriptions_.state().find(user);
    return pages != nullptr && pages->contains(page);
}

std::uint64_t notifications::count_of(const std::string& page) const {
    const auto* c = modifications_.state().find(page);
    if (c == nullptr) return 0;
    // 2^64 modifications cannot happen; clamp rather than wrap all the same.
    const auto v = c->value();
    constexpr auto top = std::numeric_limits<std::uint64_t>::max();
    return v > top ? top : static_cast<std::uint64_t>(v);
}

std::uint64_t notifications::unread_of(const std::string& user) const {
    const auto* pages = subscriptions_.state().find(user);
    if (pages == nullptr) return 0;
    const auto* marks = read_marks_.state().find(user);
    std::uint64_t total = 0;
    for (const std::string& page : pages->elements()) {
        const std::uint64_t n = count_of(page);
        const auto* mark = marks != nullptr ? marks->find(page) : nullptr;
        const std::uint64_t seen = mark != nullptr ? mark->value_or(0) : 0;
        if (n > seen) total += n - seen;
    }
    return total;
}

bool notifications::raise_mark(const std::string& user, const std::string& page) {
    const std::uint64_t n = count_of(page);
    if (n == 0) return false;  // no mark reads as 0 already
    return !read_marks_
                .update([&](read_mark_state& s) {
                    return s.update(user, [&](converge::g_map<std::string, converge::max_register<std::uint64_t>>& marks) {
                        return marks.update(page, [&](converge::max_register<std::uint64_t>& r) { return r.raise(n); });
                    });
                })
                .empty();
}

count_view notifications::done(const std::string& user, bool wrote) {
    if (wrote) {
        ++local_writes_;
        touch(user);
    }
    const auto it = views_.find(user);
    return it == views_.end() ? count_view{} : it->second;
}

void notifications::subscriptions_changed(const std::string& user) {
    std::vector<std::string> now;
    if (const auto* pages = subscriptions_.state().find(user)) {
        now.assign(pages->elements().begin(), pages->elements().end());
    }
    if (now.empty() && pages_of_.find(user) == pages_of_.end()) return;
    std::vector<std::string>& before = pages_of_[user];
    // Both sorted: the or_set iterates in increasing order.
    std::vector<std::string> gone, added;
    std::set_difference(before.begin(), before.end(), now.begin(), now.end(), std::back_inserter(gone));
    std::set_difference(now.begin(), now.end(), before.begin(), before.end(), std::back_inserter(added));
    for (const std::string& page : gone) {
        const auto it = subscribers_of_.find(page);
        if (it == subscribers_of_.end()) continue;
        it->second.erase(user);
        if (it->second.empty()) subscribers_of_.erase(it);
    }
    for (const std::string& page : added) subscribers_of_[page].insert(user);
    before = std::move(now);
    touch(user);
}

void notifications::page_changed(const std::string& page) {
    const auto it = subscribers_of_.find(page);
    if (it == subscribers_of_.end()) return;
    for (const std::string& user : it->second) touch(user);
}

void notifications::touch(const std::string& user) {
    // 2^63 unread notifications cannot happen; clamp rather than wrap all the same.
    const auto n = static_cast<std::int64_t>(std::min<std::uint64_t>(unread_of(user), std::numeric_limits<std::int64_t>::max()));
    const auto [it, added] = views_.try_emplace(user, count_view{n, clock::now()});
    if (!added && it->second.count == n) return;
    it->second = {n, clock::now()};
    changed_.push_back(user);
}

}  // namespace active_users
