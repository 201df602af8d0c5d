// Dots and the compact causal context of an observed-remove set: per replica, the runs of event counters seen.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace converge::detail {

/// One event: the `counter`-th event of `replica`. An add to an or_set is tagged with a fresh
/// dot, which is how concurrent adds of the same element stay distinguishable.
template <class Replica>
struct dot {
    Replica replica;
    std::uint64_t counter = 0;
    friend auto operator<=>(const dot&, const dot&) = default;
};

/// A set of dots stored as runs: for each replica, its sorted, disjoint, non-adjacent ranges of
/// counters. A replica that has seen every event of r up to n holds the one range [1, n], which
/// is the version-vector entry; dots seen out of order are further ranges beyond it, and they
/// fold into the first range once the gap fills. So the context of a set stays about one range
/// per replica however many elements were added and removed: removals leave no tombstones.
/// Run-length form (rather than a vector plus single dots) also lets a delta name "the dots
/// you lack", a gap in the middle of a run, in one range.
template <class Replica>
class dot_context {
public:
    struct range {
        Replica replica;
        std::uint64_t first = 1;
        std::uint64_t last = 1;
        friend bool operator==(const range&, const range&) = default;
    };

    [[nodiscard]] bool contains(const dot<Replica>& d) const {
        const std::size_t i = after(d.replica, d.counter);
        return i > 0 && ranges_[i - 1].replica == d.replica && d.counter <= ranges_[i - 1].last;
    }

    /// The largest counter of `replica` in the context; 0 when it holds none.
    [[nodiscard]] std::uint64_t max_of(const Replica& replica) const {
        const std::size_t i = after(replica, std::numeric_limits<std::uint64_t>::max());
        return i > 0 && ranges_[i - 1].replica == replica ? ranges_[i - 1].last : 0;
    }

    /// Room for one more range, so that a following insert cannot throw.
    void reserve_one() { reserve_more(1); }

    /// Room for `n` more ranges, so that `n` following inserts or insert_ranges cannot throw.
    /// Grows by half at least: an exact reserve per write would reallocate on every new run.
    void reserve_more(std::size_t n) {
        if (ranges_.capacity() - ranges_.size() >= n) return;
        ranges_.reserve(std::max(ranges_.size() + n, ranges_.capacity() + ranges_.capacity() / 2));
    }

    /// Adds one dot, joining the ranges it touches. Strong guarantee; after reserve_one() it
    /// throws only if copying the replica id throws.
    void insert(const dot<Replica>& d) {
        const std::size_t i = after(d.replica, d.counter);
        range* prev = i > 0 && ranges_[i - 1].replica == d.replica ? &ranges_[i - 1] : nullptr;
        if (prev && d.counter <= prev->last) return;
        const bool joins_prev = prev && prev->last + 1 == d.counter;
        const bool joins_next = i < ranges_.size() && ranges_[i].replica == d.replica &&
                                d.counter != std::numeric_limits<std::uint64_t>::max() &&
                                ranges_[i].first == d.counter + 1;
        if (joins_prev && joins_next) {
            prev->last = ranges_[i].last;
            ranges_.erase(ranges_.begin() + static_cast<std::ptrdiff_t>(i));
        } else if (joins_prev) {
            prev->last = d.counter;
        } else if (joins_next) {
            ranges_[i].first = d.counter;
        } else {
            range fresh{d.replica, d.counter, d.counter};  // the copy that may throw, before any change
            ranges_.insert(ranges_.begin() + static_cast<std::ptrdiff_t>(i), std::move(fresh));
        }
    }

    /// Adds the dots of `r`, joining the runs it overlaps or touches. One search and one shift of
    /// the runs after it, where merge() rebuilds them all: the way to add a delta's few runs to a
    /// large context. Strong guarantee; after reserve_more(1) it throws only if moving the
    /// replica id throws.
    void insert_range(range r) {
        // Runs of one replica are disjoint, so they are sorted by `last` too. first >= 1, so
        // `first - 1` cannot wrap; it reads "touches or overlaps".
        const auto from = std::lower_bound(ranges_.begin(), ranges_.end(), r, [](const range& a, const range& key) {
            return a.replica < key.replica || (a.replica == key.replica && a.last < key.first - 1);
        });
        auto to = from;
        std::uint64_t first = r.first;
        std::uint64_t last = r.last;
        for (; to != ranges_.end() && to->replica == r.replica && to->first - 1 <= r.last; ++to) {
            first = std::min(first, to->first);
            last = std::max(last, to->last);
        }
        if (from == to) {
            ranges_.insert(from, std::move(r));
            return;
        }
        from->first = first;
        from->last = last;
        ranges_.erase(from + 1, to);
    }

    /// Union with `other`, in one pass.
    void merge(const dot_context& other) {
        if (other.ranges_.empty() || &other == this) return;
        std::vector<range> all;
        all.reserve(ranges_.size() + other.ranges_.size());
        std::merge(ranges_.begin(), ranges_.end(), other.ranges_.begin(), other.ranges_.end(),
                   std::back_inserter(all), starts_before);
        std::vector<range> out;
        out.reserve(all.size());
        for (const range& r : all) {
            // first >= 1, so first - 1 cannot wrap; it reads "r overlaps or touches the last run".
            if (!out.empty() && out.back().replica == r.replica && r.first - 1 <= out.back().last)
                out.back().last = std::max(out.back().last, r.last);
            else
                out.push_back(r);
        }
        ranges_ = std::move(out);
    }

    /// The dots of *this that `other` lacks.
    [[nodiscard]] dot_context minus(const dot_context& other) const {
        dot_context out;
        std::size_t j = 0;
        const auto& theirs = other.ranges_;
        for (const range& a : ranges_) {
            // Skip their runs that end before this one starts; they cannot touch later runs either.
            // A search, not a walk: a delta's few runs against a whole state's context.
            j = static_cast<std::size_t>(
                std::lower_bound(theirs.begin() + static_cast<std::ptrdiff_t>(j), theirs.end(), a,
                                 [](const range& t, const range& key) {
                                     return t.replica < key.replica || (t.replica == key.replica && t.last < key.first);
                                 }) -
                theirs.begin());
            std::uint64_t from = a.first;
            bool done = false;
            for (std::size_t k = j; !done && k < theirs.size() && theirs[k].replica == a.replica &&
                                    theirs[k].first <= a.last;
                 ++k) {
                if (theirs[k].first > from) out.ranges_.push_back({a.replica, from, theirs[k].first - 1});
                if (theirs[k].last >= a.last) done = true;
                else from = std::max(from, theirs[k].last + 1);
            }
            if (!done) out.ranges_.push_back({a.replica, from, a.last});
        }
        return out;
    }

    /// Forgets every run of the replicas `pred` selects: a retired replica's history, which a
    /// retirement marker stands for instead.
    template <class Pred>
    void erase_replicas_if(Pred pred) {
        std::erase_if(ranges_, [&pred](const range& r) { return pred(r.replica); });
    }

    [[nodiscard]] bool empty() const noexcept { return ranges_.empty(); }
    /// The runs, sorted by (replica, first).
    [[nodiscard]] const std::vector<range>& ranges() const noexcept { return ranges_; }

    /// Builds a context from runs already validated as canonical (sorted, disjoint, non-adjacent).
    static dot_context from_canonical(std::vector<range> ranges) noexcept {
        dot_context c;
        c.ranges_ = std::move(ranges);
        return c;
    }

    /// True when `next` may follow `prev` in a canonical context.
    [[nodiscard]] static bool canonical_after(const range& prev, const range& next) {
        if (prev.replica < next.replica) return true;
        return prev.replica == next.replica && prev.last < next.first && next.first - prev.last > 1;
    }

    friend bool operator==(const dot_context&, const dot_context&) = default;

private:
    static bool starts_before(const range& a, const range& b) {
        return a.replica < b.replica || (a.replica == b.replica && a.first < b.first);
    }

    /// Index of the first run that starts after (replica, counter).
    [[nodiscard]] std::size_t after(const Replica& replica, std::uint64_t counter) const {
        const auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::pair<const Replica&, std::uint64_t>(replica, counter),
                                         [](const auto& key, const range& r) {
                                             return key.first < r.replica || (key.first == r.replica && key.second < r.first);
                                         });
        return static_cast<std::size_t>(it - ranges_.begin());
    }

    std::vector<range> ranges_;
};

}  // namespace converge::detail
