// presence_map: a gauge per key and replica whose state is what is live: no tombstones, retirement with bounded, collectable markers.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/detail/dot_context.hpp>
#include <converge/detail/read_dot_context.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/replica_id.hpp>
#include <converge/wide_int.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace converge {

/// How many are present at each key (viewers of a page, say), as one non-negative gauge per key
/// and replica; each replica writes only its own gauges. Every write of a gauge is tagged with a
/// fresh dot (replica, counter) and supersedes the replica's earlier write there; a gauge set
/// to 0 is removed and leaves no tombstone, only its dot in the causal context, which is run-length
/// compressed (detail/dot_context.hpp, as for or_set). So however many joins and leaves a
/// key has seen, the state holds the gauges that are not 0 plus about one run per replica.
///
/// `retire(r, at)` drops replica `r` (a dead process) everywhere and keeps its late deltas out.
/// It costs one marker, `r` and the time `at`, and `r`'s history in the context is forgotten.
/// Markers are collected once older than a horizon that the caller raises with
/// `collect_retired(before)`; the horizon is part of the state and merges as a maximum, so a
/// collection spreads like any other change and a stale marker cannot come back. A replica cut
/// off for longer than the horizon must not merge its old state: it starts again from an empty
/// state under a new id (see docs/design.md, "Presence").
///
/// `empty()` means bottom: no gauges, no history, no markers and horizon 0.
///
/// Example:
/// ```
/// converge::presence_map<std::string, std::uint32_t> a, b;
/// b.merge(a.increment("home", 1));          // a viewer joins through replica 1
/// auto two = b.increment("home", 2, 2);     // two more through replica 2
/// assert(b.value("home") == 3);
/// b.merge(a.decrement("home", 1));          // the first leaves
/// assert(b.value("home") == 2);
/// a.merge(two);
/// a.merge(b.retire(2, /*at*/ 1700000000));  // replica 2 died: its viewers stop counting
/// assert(a.value("home") == 0);
/// ```
template <class Key, class Replica, class Count = std::uint64_t>
class presence_map {
    static_assert(detail::check_ordered_key<Key>());
    static_assert(detail::check_ordered_key<Replica>());
    static_assert(std::unsigned_integral<Count> && !std::same_as<Count, bool>,
                  "converge: Count must be an unsigned integer type");

public:
    using key_type = Key;
    using replica_type = Replica;
    using count_type = Count;
    /// A sum of gauges: each is below 2^64, so 128 bits are exact for every state.
    using value_type = uint128;
    using dot = detail::dot<Replica>;

    /// One write: `replica`'s gauge at `key` is `gauge`, as of its event `counter`. A state holds
    /// one entry per (key, replica) whose gauge is not 0; two only while an older write is
    /// still waiting for the delta that supersedes it, in which case the newer counts.
    struct entry {
        Key key;
        Replica replica;
        std::uint64_t counter = 0;
        Count gauge = 0;
        friend bool operator==(const entry&, const entry&) = default;
    };

    /// A retired replica and the time of its retirement (the latest, if retired more than once).
    struct retirement {
        Replica replica;
        std::uint64_t at = 0;
        friend bool operator==(const retirement&, const retirement&) = default;
    };

    /// Sets `replica`'s gauge at `key` to `n`; returns the delta: the new entry with the dots it
    /// supersedes as context, or for `n` = 0 only those dots. Setting the gauge it already has
    /// changes nothing and returns an empty delta. Throws retired_error for a retired replica;
    /// nothing changes then.
    presence_map set(const Key& key, const Replica& replica, Count n) {
        refuse_retired(replica);
        return write(key, replica, [n](Count) { return n; });
    }

    /// Adds `n` to `replica`'s gauge at `key`; returns the delta. Throws converge::overflow_error
    /// if the gauge would pass the maximum of Count, retired_error for a retired replica; either
    /// way nothing changes.
    presence_map increment(const Key& key, const Replica& replica, Count n = 1) {
        refuse_retired(replica);
        return write(key, replica, [n](Count now) {
            if (n > std::numeric_limits<Count>::max() - now)
                throw overflow_error("converge: presence_map gauge overflows the count type");
            return static_cast<Count>(now + n);
        });
    }

    /// Takes `n` from `replica`'s gauge at `key`; at 0 the entry is gone. Throws
    /// converge::underflow_error if the gauge is below `n`, retired_error for a retired replica;
    /// either way nothing changes.
    presence_map decrement(const Key& key, const Replica& replica, Count n = 1) {
        refuse_retired(replica);
        return write(key, replica, [n](Count now) {
            if (n > now) throw underflow_error("converge: presence_map gauge would go below zero");
            return static_cast<Count>(now - n);
        });
    }

    /// Takes `replica`'s events 1 to `counter` as seen, so that its next write here gets a later
    /// counter; returns the delta (that range of the context alone), or an empty map when they
    /// were all seen already. For a replica that dropped its state of some keys while it held
    /// no gauge in them and later starts a fresh one: a fresh state would count its dots from 1
    /// again, and peers whose context already holds those dots would drop its new writes as
    /// old. Any of `replica`'s entries with a counter up to `counter` is superseded wherever the
    /// delta goes, so only the replica itself may call it, and only with no live gauge among
    /// them. Throws retired_error for a retired replica; nothing changes then.
    presence_map resume_after(const Replica& replica, std::uint64_t counter) {
        refuse_retired(replica);
        if (counter == 0 || context_.max_of(replica) >= counter) return {};
        presence_map delta;
        delta.context_.insert_range({replica, 1, counter});
        merge(delta);
        return delta;
    }

    /// The highest counter of `replica`'s events this state has seen, 0 for none: what a replica
    /// dropping its state passes to resume_after when it starts a fresh one.
    [[nodiscard]] std::uint64_t latest_counter(const Replica& replica) const { return context_.max_of(replica); }

    /// Retires `replica` as of time `at` (any clock the callers share; seconds since the epoch
    /// will do): its gauges are dropped everywhere, its late deltas are dropped on arrival, and
    /// its history leaves the context. A time below the horizon counts as the horizon, so the
    /// marker lives until the horizon next moves. Returns the delta (the marker alone), or an
    /// empty map when `replica` was already retired at that time or later.
    presence_map retire(const Replica& replica, std::uint64_t at) {
        const retirement m{replica, std::max(at, horizon_)};
        const auto i = find_marker(retired_, replica);
        if (i < retired_.size() && retired_[i].replica == replica && retired_[i].at >= m.at) return {};
        presence_map delta;
        delta.retired_.push_back(m);
        auto markers = retired_;  // copies first: the strong guarantee
        if (i < markers.size() && markers[i].replica == replica) markers[i].at = m.at;
        else markers.insert(markers.begin() + static_cast<std::ptrdiff_t>(i), m);
        retired_ = std::move(markers);
        std::erase_if(entries_, [&replica](const entry& e) { return e.replica == replica; });
        std::erase_if(by_dot_, [&replica](const dot_bucket& b) { return b.replica == replica; });
        context_.erase_replicas_if([&replica](const Replica& r) { return r == replica; });
        resize_index();
        return delta;
    }

    /// Raises the horizon to `before` and forgets the markers of replicas retired before it.
    /// Returns the delta (the new horizon alone), or an empty map when the horizon was already
    /// there. Safe once every replica that might still hold gauges of those replicas has
    /// received their retirement: choose `before` at least as far back as the longest time a
    /// retirement takes to reach every replica that is not cut off (docs/design.md).
    presence_map collect_retired(std::uint64_t before) {
        if (before <= horizon_) return {};
        presence_map delta;
        delta.horizon_ = before;
        horizon_ = before;
        std::erase_if(retired_, [before](const retirement& m) { return m.at < before; });
        return delta;
    }

    /// True while `replica` has a retirement marker here; a replica that finds itself retired
    /// must rejoin under a new id.
    [[nodiscard]] bool is_retired(const Replica& replica) const {
        const auto i = find_marker(retired_, replica);
        return i < retired_.size() && retired_[i].replica == replica;
    }

    /// `replica`'s gauge at `key` (its newest write there), 0 when absent.
    [[nodiscard]] Count gauge(const Key& key, const Replica& replica) const {
        const auto [first, last] = rows_of(key, replica);
        return first == last ? Count{0} : entries_[last - 1].gauge;
    }

    /// The sum of the gauges at `key`.
    [[nodiscard]] value_type value(const Key& key) const {
        value_type sum = 0;
        auto i = first_row(key, nullptr);
        while (i < entries_.size() && entries_[i].key == key) {
            // The newest write of each replica counts; rows of one replica are sorted by counter.
            if (i + 1 == entries_.size() || !(entries_[i + 1].key == key) || !(entries_[i + 1].replica == entries_[i].replica))
                sum += entries_[i].gauge;
            ++i;
        }
        return sum;
    }

    /// Number of entries (non-zero gauges, and any superseded write still waiting for its delta).
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    /// The entries, sorted by (key, replica, counter).
    [[nodiscard]] const std::vector<entry>& entries() const noexcept { return entries_; }
    /// The causal context: every dot seen, as runs per replica; none of a retired replica.
    [[nodiscard]] const detail::dot_context<Replica>& context() const noexcept { return context_; }
    /// The retirement markers, sorted by replica.
    [[nodiscard]] const std::vector<retirement>& retired() const noexcept { return retired_; }
    /// Markers retired before this are collected.
    [[nodiscard]] std::uint64_t horizon() const noexcept { return horizon_; }

    /// Joins `other`: an entry survives if both sides hold it, or one side holds it and the other
    /// has never seen its dot; contexts unite; markers unite (the later time wins); the larger
    /// horizon wins and collects the markers before it. A replica with a marker on either side,
    /// collected in this merge or not, keeps no entry and no run.
    void merge(const presence_map& other) {
        if (&other == this || other.empty()) return;
        if (other.entries_.size() * 8 < entries_.size() && other.context_.ranges().size() * 8 < entries_.size() &&
            other.horizon_ <= horizon_ && markers_known(other.retired_)) {
            merge_delta(other);
            return;
        }
        const std::uint64_t joined_horizon = std::max(horizon_, other.horizon_);
        std::vector<retirement> markers = join_markers(retired_, other.retired_);
        const auto gone = [&markers](const Replica& r) {
            const auto i = find_marker(markers, r);
            return i < markers.size() && markers[i].replica == r;
        };

        std::vector<entry> out;
        out.reserve(std::max(entries_.size(), other.entries_.size()));
        auto a = entries_.begin();
        auto b = other.entries_.begin();
        while (a != entries_.end() || b != other.entries_.end()) {
            if (b == other.entries_.end() || (a != entries_.end() && row_less(*a, *b))) {
                if (!gone(a->replica) && !other.context_.contains(dot_of(*a))) out.push_back(*a);
                ++a;
            } else if (a == entries_.end() || row_less(*b, *a)) {
                if (!gone(b->replica) && !context_.contains(dot_of(*b))) out.push_back(*b);
                ++b;
            } else {
                // One dot on both sides: kept only if both hold the very same write.
                if (!gone(a->replica) && a->gauge == b->gauge) out.push_back(*a);
                ++a;
                ++b;
            }
        }
        auto context = context_;
        context.merge(other.context_);
        if (!markers.empty()) context.erase_replicas_if(gone);
        std::erase_if(markers, [joined_horizon](const retirement& m) { return m.at < joined_horizon; });

        entries_ = std::move(out);
        context_ = std::move(context);
        retired_ = std::move(markers);
        horizon_ = joined_horizon;
        by_dot_.clear();
        resize_index();
    }

    /// The keys at which merging `other` into *this would add or drop an entry, sorted and
    /// without repeats: every key whose value the merge changes, and perhaps a few whose value it
    /// leaves as it was (a superseding write of the same gauge). A delta that removes a gauge
    /// names only its dot, so a caller that keeps something per key (a cache of values, a change
    /// feed) calls this before the merge to learn which keys a remote delta touched. One pass
    /// over the entries of both; the pass over this state's entries is skipped when `other`
    /// names no dot and retires no replica.
    ///
    /// Example:
    /// ```
    /// converge::presence_map<std::string, std::uint32_t> a, b;
    /// b.merge(a.increment("home", 1));
    /// b.merge(a.increment("news", 1));
    /// const auto leave = a.decrement("home", 1);  // context only: the dot of home's gauge
    /// assert(b.keys_changed_by(leave) == std::vector<std::string>{"home"});
    /// b.merge(leave);
    /// assert(b.keys_changed_by(leave).empty());  // merged already: nothing would change
    /// ```
    [[nodiscard]] std::vector<Key> keys_changed_by(const presence_map& other) const {
        std::vector<Key> out;
        if (&other == this) return out;
        if (!other.retired_.empty()) {
            for (const entry& e : entries_) {
                const bool dropped = other.is_retired(e.replica) || (other.context_.contains(dot_of(e)) && !other.holds(e));
                if (dropped && (out.empty() || !(out.back() == e.key))) out.push_back(e.key);
            }
        } else if (!other.context_.empty()) {
            // Without markers only the dots `other` names can drop an entry: find them by dot.
            for_each_named(other.context_, [&](std::size_t i) {
                if (!other.holds(entries_[i])) out.push_back(entries_[i].key);
            });
            std::sort(out.begin(), out.end());
            out.erase(std::unique(out.begin(), out.end()), out.end());
        }
        const std::size_t mine = out.size();
        for (const entry& e : other.entries_) {
            const bool added = !is_retired(e.replica) && !other.is_retired(e.replica) && !context_.contains(dot_of(e));
            if (added && (out.size() == mine || !(out.back() == e.key))) out.push_back(e.key);
        }
        // Two sorted runs, each without repeats: merge them in place and drop the keys in both.
        std::inplace_merge(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(mine), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }

    /// What `peer` lacks: a later horizon, markers it has not seen (unless its horizon has
    /// passed them), the dots it has not seen with the entries that carry them, and the removals
    /// it has not applied (dots it holds that *this has seen and dropped). Nothing of a replica
    /// `peer` has retired.
    [[nodiscard]] presence_map delta_for(const presence_map& peer) const {
        presence_map out;
        // Bottom has seen nothing, so it tells nothing; without this a digest's empty payload
        // would scan the peer's whole state for removals.
        if (empty()) return out;
        if (horizon_ > peer.horizon_) out.horizon_ = horizon_;
        for (const retirement& m : retired_) {
            const auto i = find_marker(peer.retired_, m.replica);
            const bool known = i < peer.retired_.size() && peer.retired_[i].replica == m.replica && peer.retired_[i].at >= m.at;
            if (!known && m.at >= peer.horizon_) out.retired_.push_back(m);
        }
        out.context_ = context_.minus(peer.context_);
        if (!peer.retired_.empty()) out.context_.erase_replicas_if([&peer](const Replica& r) { return peer.is_retired(r); });
        // The peer's entries that *this has seen and dropped: found by dot, so a small delta
        // costs a search per run of its context, not a pass over the peer's state.
        peer.for_each_named(context_, [&](std::size_t i) {
            const entry& e = peer.entries_[i];
            if (!is_retired(e.replica) && !holds(e)) out.context_.insert(dot_of(e));  // a marker removes it
        });
        // Every entry of *this whose dot the delta's context names must travel with it, or
        // merging the delta would read it as removed.
        std::vector<std::size_t> carried;
        for_each_named(out.context_, [&carried](std::size_t i) { carried.push_back(i); });
        std::sort(carried.begin(), carried.end());
        out.entries_.reserve(carried.size());
        for (const std::size_t i : carried) out.entries_.push_back(entries_[i]);
        out.resize_index();
        return out;
    }

    /// True at bottom: no entries, no history, no markers, horizon 0.
    [[nodiscard]] bool empty() const noexcept {
        return entries_.empty() && context_.empty() && retired_.empty() && horizon_ == 0;
    }

    /// The value: entries, context, markers and horizon (the dot index is derived from the entries).
    friend bool operator==(const presence_map& a, const presence_map& b) {
        return a.horizon_ == b.horizon_ && a.entries_ == b.entries_ && a.context_ == b.context_ && a.retired_ == b.retired_;
    }

private:
    friend struct wire<presence_map>;

    /// The dot index's rows of one replica: (counter, key) of each of its entries here, sorted
    /// by counter. A write's fresh dot is its replica's largest, so a row usually joins at the
    /// end of its bucket, and a row leaves by a shift of its own replica's rows only.
    struct dot_bucket {
        Replica replica;
        std::vector<std::pair<std::uint64_t, Key>> rows;
    };

    /// A state this large keeps a dot index; one that shrinks below half of it drops it. Below
    /// that a pass over the entries is as quick as a search and costs no allocation per delta.
    static constexpr std::size_t index_min = 32;

    /// Room for `n` more elements of `v`, growing by half at least (an exact reserve for every
    /// merged delta would reallocate every time).
    template <class T>
    static void reserve_more(std::vector<T>& v, std::size_t n) {
        if (v.capacity() - v.size() >= n) return;
        v.reserve(std::max(v.size() + n, v.capacity() + v.capacity() / 2));
    }

    /// Removes the elements at the sorted, distinct positions `gone`, moving each run between
    /// them once (a memmove for plain types).
    template <class T>
    static void erase_positions(std::vector<T>& v, const std::vector<std::size_t>& gone) {
        if (gone.empty()) return;
        const auto at = [&v](std::size_t i) { return v.begin() + static_cast<std::ptrdiff_t>(i); };
        std::size_t out = gone.front();
        for (std::size_t t = 0; t < gone.size(); ++t) {
            const std::size_t end = t + 1 < gone.size() ? gone[t + 1] : v.size();
            out = static_cast<std::size_t>(std::move(at(gone[t] + 1), at(end), at(out)) - v.begin());
        }
        v.erase(at(out), v.end());
    }

    /// Inserts the sorted `add` into the sorted `v`, which has room for them: from the back, each
    /// finds its place by a search and what follows it moves once; what precedes the first
    /// stays put. One shift of the tail for a batch, where an insert each would shift it each time.
    template <class T, class Less>
    static void insert_sorted(std::vector<T>& v, std::vector<T>& add, Less less) {
        if (add.empty()) return;
        const auto at = [&v](std::size_t i) { return v.begin() + static_cast<std::ptrdiff_t>(i); };
        std::size_t old = v.size();
        v.resize(old + add.size());
        std::size_t to = v.size();
        for (std::size_t a = add.size(); a > 0; --a) {
            const auto place = std::upper_bound(v.begin(), at(old), add[a - 1], less);
            const auto from = static_cast<std::size_t>(place - v.begin());
            std::move_backward(place, at(old), at(to));
            to -= old - from;
            old = from;
            v[--to] = std::move(add[a - 1]);
        }
    }

    /// Builds the dot index when the entries have grown past index_min, drops it when they have
    /// shrunk below half of that. The index is a cache: if building it fails (out of memory),
    /// the map stays without one and finds entries by a pass, so nothing is thrown.
    void resize_index() noexcept {
        if (!by_dot_.empty()) {
            if (entries_.size() < index_min / 2) by_dot_ = {};
            return;
        }
        if (entries_.size() < index_min) return;
        try {
            std::vector<std::pair<dot, std::size_t>> dots;  // each dot and its entry
            dots.reserve(entries_.size());
            for (std::size_t i = 0; i < entries_.size(); ++i) dots.emplace_back(dot_of(entries_[i]), i);
            std::sort(dots.begin(), dots.end());
            std::vector<dot_bucket> buckets;
            for (const auto& [d, i] : dots) {
                if (buckets.empty() || !(buckets.back().replica == d.replica)) buckets.push_back({d.replica, {}});
                buckets.back().rows.emplace_back(d.counter, entries_[i].key);
            }
            by_dot_ = std::move(buckets);
        } catch (...) {
            by_dot_.clear();
        }
    }

    /// The bucket of `replica` in sorted `buckets`, or the place where it would go.
    template <class Buckets>
    static auto bucket_of(Buckets& buckets, const Replica& replica) {
        return std::lower_bound(buckets.begin(), buckets.end(), replica,
                                [](const dot_bucket& b, const Replica& r) { return b.replica < r; });
    }
    /// The first row of `rows` whose counter is not below `counter`.
    template <class Rows>
    static auto row_of(Rows& rows, std::uint64_t counter) {
        return std::lower_bound(rows.begin(), rows.end(), counter,
                                [](const auto& row, std::uint64_t c) { return row.first < c; });
    }

    /// Index of the entry carrying the dot (replica, counter), whose key is `key`.
    [[nodiscard]] std::size_t position_of(const Key& key, const Replica& replica, std::uint64_t counter) const {
        const auto it = std::partition_point(entries_.begin(), entries_.end(), [&](const entry& e) {
            return std::tie(e.key, e.replica, e.counter) < std::tie(key, replica, counter);
        });
        return static_cast<std::size_t>(it - entries_.begin());
    }

    /// Calls f(i) for every entry i here whose dot `ctx` names, in no particular order: with the
    /// dot index, a search per run of `ctx` and a step per entry found; without, one pass.
    template <class F>
    void for_each_named(const detail::dot_context<Replica>& ctx, F&& f) const {
        if (by_dot_.empty()) {
            for (std::size_t i = 0; i < entries_.size(); ++i)
                if (ctx.contains(dot_of(entries_[i]))) f(i);
            return;
        }
        for (const auto& r : ctx.ranges()) {
            const auto b = bucket_of(by_dot_, r.replica);
            if (b == by_dot_.end() || !(b->replica == r.replica)) continue;
            for (auto it = row_of(b->rows, r.first); it != b->rows.end() && it->first <= r.last; ++it)
                f(position_of(it->second, r.replica, it->first));
        }
    }

    /// Makes sure `replica` has a bucket with room for `n` more rows, so that as many
    /// index_insert calls for it cannot throw. An empty bucket is a valid part of the index.
    void index_reserve(const Replica& replica, std::size_t n) {
        auto b = bucket_of(by_dot_, replica);
        if (b == by_dot_.end() || !(b->replica == replica)) b = by_dot_.insert(b, dot_bucket{replica, {}});
        reserve_more(b->rows, n);
    }
    /// Index rows in and out; index_reserve made room for the row coming in.
    void index_insert(const Replica& replica, std::uint64_t counter, Key&& key) {
        auto& rows = bucket_of(by_dot_, replica)->rows;
        const auto at = std::upper_bound(rows.begin(), rows.end(), counter,
                                         [](std::uint64_t c, const auto& row) { return c < row.first; });
        rows.emplace(at, counter, std::move(key));
    }
    void index_erase(const Replica& replica, std::uint64_t counter) {
        auto& rows = bucket_of(by_dot_, replica)->rows;
        rows.erase(row_of(rows, counter));
    }

    static dot dot_of(const entry& e) { return dot{e.replica, e.counter}; }

    static bool row_less(const entry& a, const entry& b) {
        return std::tie(a.key, a.replica, a.counter) < std::tie(b.key, b.replica, b.counter);
    }
    /// row_less as a type, so that the searches inline it (a function pointer they call each time).
    struct row_order {
        bool operator()(const entry& a, const entry& b) const { return row_less(a, b); }
    };

    /// Index of the first marker not before `replica` in sorted `markers`.
    static std::size_t find_marker(const std::vector<retirement>& markers, const Replica& replica) {
        const auto it = std::lower_bound(markers.begin(), markers.end(), replica,
                                         [](const retirement& m, const Replica& r) { return m.replica < r; });
        return static_cast<std::size_t>(it - markers.begin());
    }

    /// Both sorted by replica; the later time wins.
    static std::vector<retirement> join_markers(const std::vector<retirement>& a, const std::vector<retirement>& b) {
        std::vector<retirement> out;
        out.reserve(a.size() + b.size());
        auto i = a.begin();
        auto j = b.begin();
        while (i != a.end() || j != b.end()) {
            if (j == b.end() || (i != a.end() && i->replica < j->replica)) out.push_back(*i++);
            else if (i == a.end() || j->replica < i->replica) out.push_back(*j++);
            else {
                out.push_back({i->replica, std::max(i->at, j->at)});
                ++i;
                ++j;
            }
        }
        return out;
    }

    /// True when every marker of `markers` is here already, as late or later.
    [[nodiscard]] bool markers_known(const std::vector<retirement>& markers) const {
        return std::all_of(markers.begin(), markers.end(), [this](const retirement& m) {
            const auto i = find_marker(retired_, m.replica);
            return i < retired_.size() && retired_[i].replica == m.replica && retired_[i].at >= m.at;
        });
    }

    void refuse_retired(const Replica& replica) const {
        if (is_retired(replica)) throw retired_error("converge: write by a retired replica");
    }

    /// Index of the first entry at (key, *replica), or at key when `replica` is null.
    [[nodiscard]] std::size_t first_row(const Key& key, const Replica* replica) const {
        const auto it = std::partition_point(entries_.begin(), entries_.end(), [&](const entry& e) {
            return e.key < key || (replica && e.key == key && e.replica < *replica);
        });
        return static_cast<std::size_t>(it - entries_.begin());
    }

    /// [first, last) of the entries at (key, replica).
    [[nodiscard]] std::pair<std::size_t, std::size_t> rows_of(const Key& key, const Replica& replica) const {
        const std::size_t first = first_row(key, &replica);
        std::size_t last = first;
        while (last < entries_.size() && entries_[last].key == key && entries_[last].replica == replica) ++last;
        return {first, last};
    }

    /// True when *this holds exactly the write `e`.
    [[nodiscard]] bool holds(const entry& e) const {
        const auto it = std::lower_bound(entries_.begin(), entries_.end(), e, row_order{});
        return it != entries_.end() && *it == e;
    }

    /// The write behind the mutators: the gauge `next(gauge now)` (none for 0) under a fresh
    /// dot, superseding the dots (key, replica) had here. `next` may throw to refuse.
    template <class Next>
    presence_map write(const Key& key, const Replica& replica, Next next) {
        const auto [first, last] = rows_of(key, replica);
        const Count now = first == last ? Count{0} : entries_[last - 1].gauge;
        const Count n = next(now);
        if (n == now && last - first <= 1) return {};

        presence_map delta;
        for (std::size_t i = first; i < last; ++i) delta.context_.insert(dot_of(entries_[i]));
        if (n == 0) {
            if (!by_dot_.empty())
                for (std::size_t i = first; i < last; ++i) index_erase(entries_[i].replica, entries_[i].counter);
            entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(first),
                           entries_.begin() + static_cast<std::ptrdiff_t>(last));
            resize_index();
            return delta;
        }
        const std::uint64_t latest = context_.max_of(replica);
        if (latest == std::numeric_limits<std::uint64_t>::max())
            throw overflow_error("converge: presence_map dot counter overflows");
        entry fresh{key, replica, latest + 1, n};
        delta.entries_.push_back(fresh);
        delta.context_.insert(dot_of(fresh));

        // Everything that can throw happens before the entries change: room for the entry, its
        // index row and the run, then the context takes the dot; moving entries does not throw.
        if (first == last) reserve_more(entries_, 1);
        std::optional<Key> row;  // the key of the index row
        if (!by_dot_.empty()) {
            row.emplace(key);
            index_reserve(replica, 1);
        }
        context_.reserve_one();
        context_.insert(dot_of(fresh));
        if (row) {
            for (std::size_t i = first; i < last; ++i) index_erase(entries_[i].replica, entries_[i].counter);
            index_insert(replica, fresh.counter, std::move(*row));
        }
        if (first == last) {
            entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(first), std::move(fresh));
        } else {
            entries_[first] = std::move(fresh);
            entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(first + 1),
                           entries_.begin() + static_cast<std::ptrdiff_t>(last));
        }
        resize_index();
        return delta;
    }

    /// Merges a delta much smaller than this state in place, when it brings no marker and no
    /// horizon: its entries are joined by lookup, the entries whose dots its context removes are
    /// found by dot (a removal names dots, not keys), its runs join the context one at a time,
    /// and the entries move at most twice from the first that changes, not at all when each new
    /// write takes the place of the one it supersedes. So a delta costs a few searches and a
    /// shift, not a copy of the context and a pass over every entry. Everything that allocates
    /// runs before the first change to *this.
    void merge_delta(const presence_map& other) {
        std::vector<entry> arriving;
        for (const entry& e : other.entries_)
            if (!is_retired(e.replica) && !context_.contains(dot_of(e))) arriving.push_back(e);
        std::vector<std::size_t> leaving;
        for_each_named(other.context_, [&](std::size_t i) {
            if (!other.holds(entries_[i])) leaving.push_back(i);
        });
        std::sort(leaving.begin(), leaving.end());
        std::vector<typename detail::dot_context<Replica>::range> runs;
        for (const auto& r : other.context_.ranges())
            if (!is_retired(r.replica)) runs.push_back(r);
        std::vector<Key> keys;  // of the index rows, copied before anything changes
        if (!by_dot_.empty()) {
            keys.reserve(arriving.size());
            for (const entry& e : arriving) {
                keys.push_back(e.key);
                index_reserve(e.replica, 1);  // one at a time: a bucket grows by half when full
            }
        }
        reserve_more(entries_, arriving.size());
        context_.reserve_more(runs.size());

        // From here on nothing allocates.
        for (auto& r : runs) context_.insert_range(std::move(r));
        if (!by_dot_.empty()) {
            for (const std::size_t i : leaving) index_erase(entries_[i].replica, entries_[i].counter);
            for (std::size_t a = 0; a < arriving.size(); ++a)
                index_insert(arriving[a].replica, arriving[a].counter, std::move(keys[a]));
        }
        splice(leaving, arriving);
        resize_index();
    }

    /// True when putting arriving[t] in the place of the entry at leaving[t], for every t,
    /// leaves the entries sorted: each is checked against its neighbours after the change.
    [[nodiscard]] bool replaces_in_place(const std::vector<std::size_t>& leaving, const std::vector<entry>& arriving) const {
        if (leaving.size() != arriving.size()) return false;
        for (std::size_t t = 0; t < leaving.size(); ++t) {
            const std::size_t at = leaving[t];
            if (at > 0) {
                const entry& prev = t > 0 && leaving[t - 1] + 1 == at ? arriving[t - 1] : entries_[at - 1];
                if (!row_less(prev, arriving[t])) return false;
            }
            if (at + 1 < entries_.size()) {
                const entry& next = t + 1 < leaving.size() && leaving[t + 1] == at + 1 ? arriving[t + 1] : entries_[at + 1];
                if (!row_less(arriving[t], next)) return false;
            }
        }
        return true;
    }

    /// Removes the entries at the sorted positions `leaving` and inserts the sorted `arriving`
    /// (none of them here), moving only the entries after the first that changes. The caller
    /// reserved room for the arrivals.
    void splice(const std::vector<std::size_t>& leaving, std::vector<entry>& arriving) {
        // The usual delta: a write that supersedes one write here takes its place.
        if (replaces_in_place(leaving, arriving)) {
            for (std::size_t t = 0; t < leaving.size(); ++t) entries_[leaving[t]] = std::move(arriving[t]);
            return;
        }
        erase_positions(entries_, leaving);
        insert_sorted(entries_, arriving, row_order{});
    }

    std::vector<entry> entries_;           // sorted by (key, replica, counter); gauges are not 0
    detail::dot_context<Replica> context_;  // every dot seen; no run of a retired replica
    std::vector<retirement> retired_;      // sorted by replica; none before the horizon
    std::uint64_t horizon_ = 0;
    // Derived from entries_, never encoded or compared: empty, or a row per entry in buckets by
    // replica (see resize_index). It finds the entries a removal names without a pass over them.
    std::vector<dot_bucket> by_dot_;
};

template <class Key, class Replica, class Count>
struct wire<presence_map<Key, Replica, Count>> {
    using map = presence_map<Key, Replica, Count>;
    using entry = typename map::entry;
    using dot = typename map::dot;
    using range = typename detail::dot_context<Replica>::range;

    static constexpr wire_tag tag = wire_tag::presence_map;

    /// The horizon; the markers as `count, (replica, at)*`; the context as
    /// `count, (replica, first, last - first)*`; then the entries grouped by key as
    /// `count, (key, count, (replica, counter, gauge)*)*`.
    static void write(detail::byte_writer& w, const map& m) {
        w.varint(m.horizon_);
        w.varint(m.retired_.size());
        for (const auto& r : m.retired_) {
            codec<Replica>::encode(w, r.replica);
            w.varint(r.at);
        }
        w.varint(m.context_.ranges().size());
        for (const range& r : m.context_.ranges()) {
            codec<Replica>::encode(w, r.replica);
            w.varint(r.first);
            w.varint(r.last - r.first);
        }
        const auto& rows = m.entries_;
        std::size_t keys = 0;
        for (std::size_t i = 0; i < rows.size(); ++i)
            if (i == 0 || !(rows[i - 1].key == rows[i].key)) ++keys;
        w.varint(keys);
        for (std::size_t i = 0; i < rows.size();) {
            std::size_t end = i;
            while (end < rows.size() && rows[end].key == rows[i].key) ++end;
            codec<Key>::encode(w, rows[i].key);
            w.varint(end - i);
            for (; i < end; ++i) {
                codec<Replica>::encode(w, rows[i].replica);
                w.varint(rows[i].counter);
                codec<Count>::encode(w, rows[i].gauge);
            }
        }
    }

    /// Only the canonical form decodes: markers sorted and not before the horizon; runs sorted,
    /// disjoint, not touching and of no retired replica; keys sorted, each with at least one
    /// entry; entries of a key sorted by (replica, counter), of no retired replica, each dot
    /// inside the context and on one entry only, and no gauge 0.
    static map read(detail::byte_reader& r) {
        map m;
        m.horizon_ = r.varint();
        read_markers(r, m);
        read_context(r, m);
        const std::size_t row_min = codec<Replica>::min_size + 1 + codec<Count>::min_size;
        const std::size_t n = r.count(codec<Key>::min_size + 1 + row_min);
        std::vector<dot> all;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t key_start = r.offset();
            Key key = codec<Key>::decode(r);
            if (!m.entries_.empty() && !(m.entries_.back().key < key)) r.fail(errc::not_canonical, key_start);
            const std::size_t count_start = r.offset();
            const std::size_t k = r.count(row_min);
            if (k == 0) r.fail(errc::zero_entry, count_start);
            for (std::size_t j = 0; j < k; ++j) {
                const std::size_t row_start = r.offset();
                Replica who = codec<Replica>::decode(r);
                const std::uint64_t counter = r.varint();
                const bool ordered = j == 0 || std::tie(m.entries_.back().replica, m.entries_.back().counter) <
                                                   std::tie(who, counter);
                dot d{std::move(who), counter};
                if (!ordered || m.is_retired(d.replica) || !m.context_.contains(d)) r.fail(errc::not_canonical, row_start);
                const std::size_t gauge_start = r.offset();
                const Count gauge = codec<Count>::decode(r);
                if (gauge == 0) r.fail(errc::zero_entry, gauge_start);
                m.entries_.push_back({key, d.replica, counter, gauge});
                all.push_back(std::move(d));
            }
        }
        std::sort(all.begin(), all.end());
        if (std::adjacent_find(all.begin(), all.end()) != all.end()) r.fail(errc::not_canonical, r.offset());
        m.resize_index();
        return m;
    }

private:
    static void read_markers(detail::byte_reader& r, map& m) {
        const std::size_t n = r.count(codec<Replica>::min_size + 1);
        m.retired_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t start = r.offset();
            Replica who = codec<Replica>::decode(r);
            const std::uint64_t at = r.varint();
            if ((!m.retired_.empty() && !(m.retired_.back().replica < who)) || at < m.horizon_)
                r.fail(errc::not_canonical, start);
            m.retired_.push_back({std::move(who), at});
        }
    }

    static void read_context(detail::byte_reader& r, map& m) {
        // A retired replica keeps no run: a context naming one is not canonical.
        m.context_ = detail::read_dot_context<Replica>(r, [&](const Replica& who) { return m.is_retired(who); });
    }
};

}  // namespace converge
