// One replica's replicated state: viewer presence and lasting adjustments, shipped by anti-entropy.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/anti_entropy.hpp>
#include <converge/decode_limits.hpp>
#include <converge/encoding.hpp>
#include <converge/g_map.hpp>
#include <converge/pn_counter.hpp>
#include <converge/retirable_counter_map.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace active_users {

/// Viewers per page, one entry per replica incarnation: retirable, so a dead replica's
/// viewers stop counting.
using presence_state = converge::retirable_counter_map<std::string, std::uint64_t>;
/// PUT adjustments per page, one entry per incarnation: lasting, never retired.
using adjustment_state = converge::g_map<std::string, converge::pn_counter<std::uint64_t>>;

/// Each replicated state travels as its own channel of the same link: the viewer counts here,
/// the unread notifications (notifications.hpp) on channels 3 to 5.
enum class channel : std::uint8_t { presence = 1, adjustments = 2, subscriptions = 3, modifications = 4, read_marks = 5 };

/// A random non-zero 64-bit id, new for every run: a replica's incarnation, the notifications'
/// writer id. Random, so that a restarted process never reuses an id its last run wrote under.
std::uint64_t fresh_id();

/// Bounds on what one replication message may hold (the same for every channel).
converge::decode_limits wire_limits();

/// The receive path every channel shares: decodes `bytes` as `sync`'s message before taking
/// `mutex` (the costly part touches no shared state), then merges it under the lock and calls
/// `on_merged(sender_epoch, news)`. Bad bytes: false, the reason in `error`, `rejected` counted,
/// nothing merged. A message that brought news counts in `merges`.
template <class Sync, class OnMerged>
bool merge_message(std::mutex& mutex, Sync& sync, std::uint32_t peer, std::span<const std::byte> bytes,
                   std::string& error, std::uint64_t& merges, std::uint64_t& rejected, OnMerged on_merged) {
    auto m = converge::decode<typename Sync::message>(bytes, wire_limits());
    std::lock_guard lock(mutex);
    if (!m) {
        error = m.error().message();
        ++rejected;
        return false;
    }
    const auto news = sync.receive(peer, *m);
    if (!news.empty()) ++merges;
    on_merged(m->epoch, news);
    return true;
}

using clock = std::chrono::system_clock;

/// What GET /:page/counter answers.
struct page_view {
    std::int64_t count = 0;
    clock::time_point updated_at{};
};

/// Thread-safe (one mutex; every operation is short). Writes to the CRDTs are made under this
/// replica's current incarnation id, a random 64-bit number drawn at start and again whenever
/// the replica learns that its peers retired it, so an id is never written after retirement.
class replica {
public:
    replica(std::uint32_t id, adjustment_state restored, std::optional<std::uint64_t> previous_incarnation);

    [[nodiscard]] std::uint32_t id() const noexcept { return id_; }
    [[nodiscard]] std::uint64_t incarnation() const;

    /// A PUT: +1 or -1 on the page's lasting adjustments. Returns the new view and the
    /// adjustment generation to persist before acknowledging.
    std::pair<page_view, std::uint64_t> adjust(const std::string& page, bool up);

    /// Folds net session joins per page (from session_table::drain) into presence.
    void fold_sessions(const std::vector<std::pair<std::string, std::int64_t>>& joins);

    [[nodiscard]] page_view view(const std::string& page) const;

    /// The encoded sync_message for `peer` on `c`.
    [[nodiscard]] std::vector<std::byte> message_for(std::uint32_t peer, channel c);
    /// Decodes and merges a message from `peer`; false (and nothing changed) on bad bytes, with
    /// the reason in `error`.
    bool receive(std::uint32_t peer, channel c, std::span<const std::byte> bytes, std::string& error);
    void connected(std::uint32_t peer);
    void disconnected(std::uint32_t peer);

    /// Retires every incarnation that holds presence entries but was not heard from for
    /// `after`. Returns how many it retired.
    std::size_t retire_silent(std::chrono::steady_clock::time_point now, std::chrono::milliseconds after);

    /// Pages whose count changed since the last call.
    std::vector<std::string> take_changed();

    /// For the snapshot: the adjustments and the generation they include.
    std::pair<adjustment_state, std::uint64_t> adjustments_snapshot() const;

    struct stats {
        std::size_t pages = 0;
        std::uint64_t merges = 0;       ///< messages that brought news
        std::uint64_t rejected = 0;     ///< messages that failed to decode
        std::uint64_t retired = 0;      ///< incarnations in the retired set
        std::uint64_t rejoins = 0;      ///< times this replica found itself retired
        std::uint64_t local_viewers = 0;
    };
    [[nodiscard]] stats statistics() const;

private:
    using presence_sync = converge::anti_entropy<presence_state, std::uint32_t>;
    using adjustment_sync = converge::anti_entropy<adjustment_state, std::uint32_t>;

    void touch(const std::string& page);
    void touch_all_presence(const presence_state& news);
    void rejoin();
    [[nodiscard]] std::int64_t count_of(const std::string& page) const;

    mutable std::mutex mutex_;
    std::uint32_t id_;
    std::uint64_t incarnation_;
    presence_sync presence_;
    adjustment_sync adjustments_;
    std::uint64_t adjustment_generation_ = 0;
    std::unordered_map<std::string, std::int64_t> local_viewers_;  ///< this replica's sessions per page
    std::unordered_map<std::string, page_view> views_;
    std::vector<std::string> changed_;
    std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> last_heard_;
    stats stats_;
};

}  // namespace active_users
