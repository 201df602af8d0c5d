// Unread notifications: subscriptions, page modifications and read marks, replicated as three CRDTs.
// SPDX-License-Identifier: MIT
#pragma once

#include "count_view.hpp"
#include "replication/synced_state.hpp"
#include "result.hpp"

#include <converge/g_counter.hpp>
#include <converge/g_map.hpp>
#include <converge/max_register.hpp>
#include <converge/or_set.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace active_users {

/// Pages each user subscribes to: an add-wins observed-remove set per user, its dots written
/// under this process's writer id.
using subscription_state = converge::g_map<std::string, converge::or_set<std::string, std::uint64_t>>;
/// How many times each page was modified: a grow-only counter per page, one entry per writer id.
using modification_state = converge::g_map<std::string, converge::g_counter<std::uint64_t>>;
/// Up to which modification count each user has read each page: join = max.
using read_mark_state =
    converge::g_map<std::string, converge::g_map<std::string, converge::max_register<std::uint64_t>>>;

/// The three states together: what a test compares.
struct notification_states {
    subscription_state subscriptions;
    modification_state modifications;
    read_mark_state read_marks;
    friend bool operator==(const notification_states&, const notification_states&) = default;
};

/// Thread-safe (one mutex for the three channels). A user's unread count is, over the pages the
/// user subscribes to, the sum of max(0, modifications(page) - read mark(user, page)).
/// Subscribing raises the mark to the page's count as this replica knows it, so a new subscriber
/// starts at 0 for that page; reading raises it the same way. Counts only grow and marks are
/// maxima, so a modification concurrent with a read stays unread and none is counted twice.
/// Local writes go under a random 64-bit writer id drawn when the object is made (each process
/// run), so or_set dots and counter entries never collide between runs.
class notifications {
public:
    static constexpr std::size_t max_users = 1'000'000;
    static constexpr std::size_t max_pages = 1'000'000;

    /// `writer` 0 draws a random one; `mode` says how the three channels replicate.
    explicit notifications(std::uint64_t writer = 0, sync_mode mode = {});
    notifications(const notifications&) = delete;
    notifications& operator=(const notifications&) = delete;

    [[nodiscard]] std::uint64_t writer() const noexcept { return writer_; }

    /// The three replicated channels, for the channel table.
    channel_owner& subscriptions() noexcept { return subscriptions_; }
    channel_owner& modifications() noexcept { return modifications_; }
    channel_owner& read_marks() noexcept { return read_marks_; }

    // Local writes: each returns the user's unread count after it (or the page's modification
    // count), or a failure that changed nothing.

    /// Subscribes `user` to `page` (again: add-wins against a concurrent unsubscribe). A user not
    /// yet subscribed here starts with the page read up to its current count. Unavailable when
    /// the user is new and max_users are known.
    result<count_view> subscribe(const std::string& user, const std::string& page);
    /// Unsubscribes (a no-op when not subscribed). The read mark stays; a later subscribe raises it.
    result<count_view> unsubscribe(const std::string& user, const std::string& page);
    /// Marks every page `user` subscribes to as read up to its current count.
    result<count_view> read_all(const std::string& user);
    /// Marks one page as read; not_found (nothing changed) when the user does not subscribe to it
    /// on this replica.
    result<count_view> read(const std::string& user, const std::string& page);
    /// A page was modified: +1 on its counter. Returns its new count; unavailable when the page is
    /// new and max_pages are known.
    result<std::uint64_t> modify(const std::string& page);

    /// The user's unread count and when it last changed here; for a user never seen before, 0
    /// and now, remembered as when this replica first saw the user (up to max_users).
    [[nodiscard]] count_view unread(const std::string& user) const;
    [[nodiscard]] std::uint64_t modification_count(const std::string& page) const;

    /// The change feed: users whose unread count changed since the last call, each once.
    std::vector<std::string> take_changed();

    /// The three states, copied (for tests and checks).
    [[nodiscard]] notification_states states() const;

    struct stats {
        std::size_t users = 0;           ///< users with subscriptions or marks known here
        std::size_t pages = 0;           ///< pages with modifications
        std::uint64_t merges = 0;        ///< messages that brought news
        std::uint64_t rejected = 0;      ///< messages that failed to decode
        std::uint64_t local_writes = 0;  ///< subscribes, unsubscribes, reads and modifications here
    };
    [[nodiscard]] stats statistics() const;

private:
    using subscription_sync = synced_state<subscription_state>;
    using modification_sync = synced_state<modification_state>;
    using read_mark_sync = synced_state<read_mark_state>;

    [[nodiscard]] bool subscribed(const std::string& user, const std::string& page) const;
    [[nodiscard]] std::uint64_t count_of(const std::string& page) const;
    [[nodiscard]] std::uint64_t unread_of(const std::string& user) const;
    bool raise_mark(const std::string& user, const std::string& page);
    count_view done(const std::string& user, bool wrote);
    void subscriptions_changed(const std::string& user);
    void page_changed(const std::string& page);
    void touch(const std::string& user);

    mutable std::mutex mutex_;
    std::uint64_t writer_;
    subscription_sync subscriptions_;
    modification_sync modifications_;
    read_mark_sync read_marks_;
    /// Who subscribes to each page (from the subscription state), so a modification learned from
    /// a peer touches exactly the users whose count it can change.
    std::unordered_map<std::string, std::unordered_set<std::string>> subscribers_of_;
    std::unordered_map<std::string, std::vector<std::string>> pages_of_;
    /// Every user's unread count as answered; mutable: a read of a user never seen records when
    /// it was first seen.
    mutable std::unordered_map<std::string, count_view> views_;
    std::vector<std::string> changed_;
    std::uint64_t local_writes_ = 0;
};

}  // namespace active_users
