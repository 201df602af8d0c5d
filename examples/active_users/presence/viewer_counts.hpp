// The viewer counts of every page: presence and lasting adjustments, replicated as two channels.
// SPDX-License-Identifier: MIT
#pragma once

#include "count_view.hpp"
#include "presence/presence_channel.hpp"
#include "presence/presence_shards.hpp"
#include "replication/synced_state.hpp"

#include <converge/g_map.hpp>
#include <converge/pn_counter.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace active_users {

/// How long presence keeps a retirement marker, and how long a replica may hear no peer before it
/// must start over under a new id: 4 x --retire-after. A retirement reaches every connected
/// replica within a few replication intervals, far inside this; and a replica cut off from
/// everyone starts over (after the horizon) before its peers, which retired it --retire-after
/// into the silence, collect its marker (after a further horizon).
constexpr std::chrono::milliseconds retirement_horizon(std::chrono::milliseconds retire_after) {
    return 4 * retire_after;
}

/// PUT adjustments per page, one entry per incarnation: lasting, never retired.
using adjustment_state = converge::g_map<std::string, converge::pn_counter<std::uint64_t>>;

/// Thread-safe (one mutex; every operation is short). A page's count is its adjustments plus its
/// live sessions on every replica. Writes to the CRDTs are made under this replica's current
/// incarnation id, a random 64-bit number drawn at start and again whenever the replica learns
/// that its peers retired it, or has heard no peer for longer than the retirement horizon, so an
/// id is never written after retirement.
///
/// Presence may be split into shards by page (shard_plan, on NATS), of which a replica holds only
/// those with local viewers or recent readers: counts of pages in other shards are not known
/// here (`followed_view`).
///
/// Presence holds only what is live: a page's gauge goes when its last local viewer leaves, a
/// retired incarnation leaves one marker, and markers older than the horizon are collected
/// (`collect_retired`; docs/active-users.md, "Inside a replica").
class viewer_counts {
public:
    /// `mode` says how the two channels replicate, `plan` how presence is split into shards.
    explicit viewer_counts(sync_mode mode = {}, shard_plan plan = {});
    viewer_counts(const viewer_counts&) = delete;
    viewer_counts& operator=(const viewer_counts&) = delete;

    [[nodiscard]] std::uint64_t incarnation() const;

    /// The two replicated channels, for the channel table; presence sharded (see shard_plan)
    /// replicates through `presence_shard_set()` and keeps only its incarnation in `presence()`.
    channel_owner& presence() noexcept;
    shard_set* presence_shard_set() noexcept { return shards_.sharded() ? &shards_ : nullptr; }
    channel_owner& adjustments() noexcept { return adjustments_; }

    /// A PUT: +1 or -1 on the page's lasting adjustments. Returns the new view.
    count_view adjust(const std::string& page, bool up);

    /// Folds net session joins per page (from session_table::drain) into presence.
    void fold_sessions(const std::vector<std::pair<std::string, std::int64_t>>& joins);
    /// One session joined (+1) or left (-1) `page` by request: counted at once, so the answer
    /// includes it. Returns the page's view after it.
    count_view join(const std::string& page, std::int64_t delta);

    /// The page's count and when it last changed here; for a page never seen before, 0 and now,
    /// remembered as when this replica first saw it (up to max_viewed_pages such pages).
    [[nodiscard]] count_view view(const std::string& page) const;
    static constexpr std::size_t max_viewed_pages = 1'000'000;
    /// The page's view when its shard is held and fetched, so that the count is exact; else
    /// nothing, and the shard is wanted (replication follows it and fetches its state). Either
    /// way the read keeps the shard's interest alive. Not sharded: always the view.
    [[nodiscard]] std::optional<count_view> followed_view(const std::string& page);

    /// Retires every incarnation that holds presence entries but was not heard from for
    /// `after`. Returns how many it retired.
    std::size_t retire_silent(std::chrono::steady_clock::time_point now, std::chrono::milliseconds after);

    /// Forgets the retirement markers of incarnations retired before `before` (seconds on the
    /// presence clock): the horizon, which spreads to every peer. Returns how many it forgot.
    std::size_t collect_retired(std::uint64_t before);

    /// A replica that has heard no peer for longer than `horizon` may hold gauges whose
    /// retirement markers its peers have already collected: it must not merge them back. So it
    /// starts over, once per such silence: a new incarnation, a presence state holding only its
    /// own sessions (and the retirement of its old id), sent in full to every peer it meets
    /// again. Returns true when it started over.
    bool start_over_if_cut_off(std::chrono::steady_clock::time_point now, std::chrono::milliseconds horizon);

    /// A graceful exit: retires this replica's own incarnation (a delta the next replication tick
    /// carries to every peer, which then stop counting its viewers at once) and stops writing
    /// presence. The replica does not rejoin after this.
    void retire_self();

    /// The change feed: pages whose count changed since the last call, each once, in name order
    /// (a page written a thousand times between two pushes is pushed once).
    std::vector<std::string> take_changed();
    /// Pages whose shard was dropped since the last call (interest lapsed): their counts are no
    /// longer known here, so the page board forgets them.
    std::vector<std::string> take_forgotten();

    /// A retirement or a change of incarnation seen here, for the dashboard's timeline.
    struct membership_event {
        enum class kind : std::uint8_t {
            retired,            ///< this replica retired `incarnation`, silent for --retire-after
            retirement_heard,   ///< a peer's retirement of `incarnation` arrived (a silent one, or a graceful exit)
            rejoined,           ///< this replica found itself retired and continues as `incarnation`
            started_over,       ///< this replica heard no peer past the horizon and continues as `incarnation`
        };
        kind what;
        std::uint64_t incarnation = 0;
    };
    /// The events since the last call, oldest first (at most max_events are kept between calls).
    std::vector<membership_event> take_events();
    static constexpr std::size_t max_events = 256;

    struct stats {
        std::size_t pages = 0;
        std::uint64_t merges = 0;    ///< messages that brought news, on both channels
        std::uint64_t rejected = 0;  ///< messages that failed to decode, on both channels
        std::uint64_t retired = 0;   ///< retirement markers not yet collected
        std::uint64_t rejoins = 0;   ///< times this replica found itself retired, or cut off too long
        std::uint64_t local_viewers = 0;
        std::uint64_t presence_entries = 0;  ///< live (page, incarnation) gauges in the presence state
        std::uint64_t presence_horizon = 0;  ///< markers retired before this were collected
        std::uint64_t shards_held = 0;       ///< presence shards held here (1 when not sharded)
    };
    [[nodiscard]] stats statistics() const;
    /// The presence state's encoded size in bytes: what a peer meeting this replica is sent in
    /// full. Costs one encoding of the state, so it is not part of `statistics()`.
    [[nodiscard]] std::size_t presence_bytes() const;

private:
    void incoming(const presence_state& state, const presence_state& payload);
    void heard(const presence_state& news, std::optional<std::uint64_t> sender);
    void fold(const std::string& page, std::int64_t delta);
    void touch(const std::string& page);
    void touch_all();
    void rejoin();
    void note(membership_event::kind what, std::uint64_t incarnation);
    void forget_others();
    void dropped(std::uint32_t shard);
    [[nodiscard]] std::int64_t count_of(const std::string& page) const;

    mutable std::mutex mutex_;
    std::uint64_t incarnation_;
    presence_shards shards_;
    synced_state<adjustment_state> adjustments_;
    std::unordered_map<std::string, std::int64_t> local_viewers_;  ///< this replica's sessions per page
    /// Every page's count as answered; mutable: a read of a page never seen records when it was
    /// first seen.
    mutable std::unordered_map<std::string, count_view> views_;
    std::unordered_set<std::string> changed_;
    std::vector<std::string> forgotten_;
    std::vector<membership_event> events_;
    std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> last_heard_;
    /// Other incarnations that hold presence entries: what retire_silent checks, kept from the
    /// news as it arrives so that it need not scan every page's entries.
    std::unordered_set<std::uint64_t> holders_;
    /// Pages a message about to be merged changes (a removal names only the gauge's dot, so they
    /// are read off the state before the merge); heard() touches them.
    std::vector<std::string> arriving_;
    std::chrono::steady_clock::time_point last_contact_;  ///< the last presence message from a peer
    bool started_over_ = false;  ///< started over since last_contact_
    std::uint64_t rejoins_ = 0;
    bool leaving_ = false;  ///< retired itself: writes no presence, never rejoins
    std::int64_t local_total_ = 0;
};

}  // namespace active_users
