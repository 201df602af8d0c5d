// Unread notifications: local writes under this run's writer id, merges, and unread counts per user.
// SPDX-License-Identifier: MIT
#include "notifications.hpp"

#include <converge/encoding.hpp>

#include <algorithm>
#include <iterator>
#include <limits>

namespace active_users {

notifications::notifications(notification_states restored, std::uint64_t writer)
    : writer_(writer != 0 ? writer : fresh_id()),
      subscriptions_(writer_, std::move(restored.subscriptions)),
      modifications_(writer_, std::move(restored.modifications)),
      read_marks_(writer_, std::move(restored.read_marks)) {
    for (const auto& [user, pages] : subscriptions_.state()) subscriptions_changed(user);
    for (const auto& [user, marks] : read_marks_.state()) touch(user);
    changed_.clear();  // nobody is listening yet
}

notifications::outcome notifications::subscribe(const std::string& user, const std::string& page) {
    std::lock_guard lock(mutex_);
    if (pages_of_.find(user) == pages_of_.end() && pages_of_.size() >= max_users) return {status::full, {}, 0};
    // The mark first: a new subscriber has read the page as far as this replica knows it.
    if (!subscribed(user, page)) raise_mark(user, page);
    // Added even when already subscribed: a fresh dot wins against a concurrent unsubscribe.
    subscriptions_.update([&](subscription_state& s) {
        return s.update(user, [&](converge::or_set<std::string, std::uint64_t>& pages) { return pages.add(page, writer_); });
    });
    subscriptions_changed(user);
    return done(user, true);
}

notifications::outcome notifications::unsubscribe(const std::string& user, const std::string& page) {
    std::lock_guard lock(mutex_);
    if (!subscribed(user, page)) return done(user, false);
    subscriptions_.update([&](subscription_state& s) {
        return s.update(user, [&](converge::or_set<std::string, std::uint64_t>& pages) { return pages.remove(page); });
    });
    subscriptions_changed(user);
    return done(user, true);
}

notifications::outcome notifications::read_all(const std::string& user) {
    std::lock_guard lock(mutex_);
    bool wrote = false;
    if (const auto* pages = subscriptions_.state().find(user)) {
        for (const std::string& page : pages->elements()) wrote = raise_mark(user, page) || wrote;
    }
    return done(user, wrote);
}

notifications::outcome notifications::read(const std::string& user, const std::string& page) {
    std::lock_guard lock(mutex_);
    if (!subscribed(user, page)) return {status::not_subscribed, {}, 0};
    return done(user, raise_mark(user, page));
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> notifications::modify(const std::string& page) {
    std::lock_guard lock(mutex_);
    const modification_state& mods = modifications_.state();
    if (mods.find(page) == nullptr && mods.size() >= max_pages) return std::nullopt;
    modifications_.update([&](modification_state& s) {
        return s.update(page, [&](converge::g_counter<std::uint64_t>& c) { return c.increment(writer_); });
    });
    page_changed(page);
    ++stats_.local_writes;
    return std::pair{count_of(page), ++generation_};
}

unread_view notifications::unread(const std::string& user) const {
    std::lock_guard lock(mutex_);
    const auto it = views_.find(user);
    return it == views_.end() ? unread_view{} : it->second;
}

std::uint64_t notifications::modifications(const std::string& page) const {
    std::lock_guard lock(mutex_);
    return count_of(page);
}

std::vector<std::byte> notifications::message_for(std::uint32_t peer, channel c) {
    std::lock_guard lock(mutex_);
    switch (c) {
        case channel::subscriptions: return converge::encode(subscriptions_.message_for(peer));
        case channel::modifications: return converge::encode(modifications_.message_for(peer));
        case channel::read_marks: return converge::encode(read_marks_.message_for(peer));
        default: return {};
    }
}

bool notifications::receive(std::uint32_t peer, channel c, std::span<const std::byte> bytes, std::string& error) {
    switch (c) {
        case channel::subscriptions:
            return merge_message(mutex_, subscriptions_, peer, bytes, error, stats_.merges, stats_.rejected,
                                 [&](std::uint64_t, const subscription_state& news) {
                                     for (const auto& [user, pages] : news) subscriptions_changed(user);
                                 });
        case channel::modifications:
            return merge_message(mutex_, modifications_, peer, bytes, error, stats_.merges, stats_.rejected,
                                 [&](std::uint64_t, const modification_state& news) {
                                     for (const auto& [page, counter] : news) page_changed(page);
                                 });
        case channel::read_marks:
            return merge_message(mutex_, read_marks_, peer, bytes, error, stats_.merges, stats_.rejected,
                                 [&](std::uint64_t, const read_mark_state& news) {
                                     for (const auto& [user, marks] : news) touch(user);
                                 });
        default:
            error = "channel " + std::to_string(static_cast<int>(c)) + " is not the notifications'";
            return false;
    }
}

void notifications::connected(std::uint32_t peer) {
    std::lock_guard lock(mutex_);
    subscriptions_.connect(peer);
    modifications_.connect(peer);
    read_marks_.connect(peer);
}

void notifications::disconnected(std::uint32_t peer) {
    std::lock_guard lock(mutex_);
    subscriptions_.disconnect(peer);
    modifications_.disconnect(peer);
    read_marks_.disconnect(peer);
}

std::vector<std::string> notifications::take_changed() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.swap(changed_);
    return out;
}

std::pair<notification_states, std::uint64_t> notifications::snapshot() const {
    std::lock_guard lock(mutex_);
    return {{subscriptions_.state(), modifications_.state(), read_marks_.state()}, generation_};
}

notifications::stats notifications::statistics() const {
    std::lock_guard lock(mutex_);
    stats s = stats_;
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

notifications::outcome notifications::done(const std::string& user, bool wrote) {
    if (wrote) {
        ++stats_.local_writes;
        ++generation_;
        touch(user);
    }
    const auto it = views_.find(user);
    // A no-op still waits for what is already written: the state it answers from may not be on
    // disk yet.
    return {status::ok, it == views_.end() ? unread_view{} : it->second, generation_};
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
    const std::uint64_t n = unread_of(user);
    const auto [it, added] = views_.try_emplace(user, unread_view{n, clock::now()});
    if (!added && it->second.count == n) return;
    it->second = {n, clock::now()};
    changed_.push_back(user);
}

}  // namespace active_users
