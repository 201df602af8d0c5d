// or_set: an add-wins observed-remove set built on dots and a compact causal context.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/detail/dot_context.hpp>
#include <converge/detail/locate.hpp>
#include <converge/detail/read_dot_context.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/replica_id.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

namespace converge {

/// A set whose elements can be removed and added again. Every add is tagged with a fresh dot
/// (replica, counter); a remove deletes the dots it has observed, and the causal context
/// remembers every dot seen, so a merge can tell "removed" from "not yet arrived". An add
/// concurrent with a remove of the same element survives it (add wins); a remove takes away
/// exactly the adds it saw. The context is run-length compressed (detail/dot_context.hpp), so a
/// removed element leaves no tombstone behind.
///
/// Costs: lookups are binary searches; merge is one pass over both sets (a remove must find the
/// element holding each removed dot), so the type suits sets of modest size per instance, such
/// as one user's subscriptions in a g_map keyed by user.
///
/// `empty()` means bottom, as for every converge type: no elements and no history. A set whose
/// elements were all removed still remembers the removals; its `size()` is 0.
///
/// Example:
/// ```
/// converge::or_set<std::string, std::string> a, b;
/// b.merge(a.add("news", "eu-1"));
/// auto gone = b.remove("news");       // b saw a's add, so it can remove it
/// assert(!b.contains("news"));
/// auto again = a.add("news", "eu-1"); // concurrent with the remove
/// a.merge(gone);
/// b.merge(again);
/// assert(a.contains("news") && b.contains("news"));   // the unseen add wins
/// ```
template <class T, class Replica>
class or_set {
    static_assert(detail::check_ordered_key<T>());
    static_assert(detail::check_ordered_key<Replica>());

public:
    using value_type = T;
    using replica_type = Replica;
    using dot = detail::dot<Replica>;
    using entry = std::pair<T, std::vector<dot>>;

    /// Adds `x` as `self`, with a fresh dot that supersedes the dots `x` had here. Returns the
    /// delta: the new dot, and the old ones in its context so peers drop them too. Throws
    /// converge::overflow_error, changing nothing, after 2^64 - 1 adds by one replica.
    or_set add(const T& x, const Replica& self) {
        const std::uint64_t last = context_.max_of(self);
        if (last == std::numeric_limits<std::uint64_t>::max())
            throw overflow_error("converge: or_set dot counter overflows");
        const dot d{self, last + 1};
        const auto [i, found] = detail::locate(entries_, x);

        or_set delta;
        delta.entries_.emplace_back(x, std::vector<dot>{d});
        if (found)
            for (const dot& old : entries_[i].second) delta.context_.insert(old);
        delta.context_.insert(d);

        // Everything that can throw happens before the entries change: the new entry is built
        // and room made for it, then the context takes the dot (strong guarantee on its own),
        // and only then do the entries move, which cannot throw.
        std::vector<dot> dots{d};
        std::optional<entry> fresh;
        if (!found) {
            fresh.emplace(x, std::move(dots));
            entries_.reserve(entries_.size() + 1);
        }
        context_.reserve_one();
        context_.insert(d);
        if (found) entries_[i].second = std::move(dots);
        else entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(i), std::move(*fresh));
        return delta;
    }

    /// Removes `x`, as far as this replica has observed it. Returns the delta (the removed
    /// dots, as context), or an empty set when `x` is absent.
    or_set remove(const T& x) {
        const auto [i, found] = detail::locate(entries_, x);
        if (!found) return {};
        or_set delta;
        for (const dot& d : entries_[i].second) delta.context_.insert(d);
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
        return delta;
    }

    [[nodiscard]] bool contains(const T& x) const { return detail::locate(entries_, x).found; }

    /// Number of elements present.
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

    /// The elements of an or_set in increasing order, as a range over its entries' keys.
    /// (Hand-written rather than std::views::keys, which clang 14 cannot instantiate with
    /// libstdc++ 12.)
    class element_range {
    public:
        class iterator {
        public:
            using iterator_concept = std::forward_iterator_tag;
            using iterator_category = std::forward_iterator_tag;
            using value_type = T;
            using difference_type = std::ptrdiff_t;
            using pointer = const T*;
            using reference = const T&;

            iterator() = default;
            explicit iterator(typename std::vector<entry>::const_iterator at) : at_(at) {}
            reference operator*() const { return at_->first; }
            pointer operator->() const { return &at_->first; }
            iterator& operator++() { ++at_; return *this; }
            iterator operator++(int) { auto t = *this; ++at_; return t; }
            friend bool operator==(const iterator&, const iterator&) = default;

        private:
            typename std::vector<entry>::const_iterator at_{};
        };

        explicit element_range(const std::vector<entry>& entries) noexcept : entries_(&entries) {}
        [[nodiscard]] iterator begin() const { return iterator(entries_->begin()); }
        [[nodiscard]] iterator end() const { return iterator(entries_->end()); }
        [[nodiscard]] std::size_t size() const noexcept { return entries_->size(); }
        [[nodiscard]] bool empty() const noexcept { return entries_->empty(); }

    private:
        const std::vector<entry>* entries_;
    };

    /// The elements in increasing order: `for (const auto& page : subscriptions.elements())`.
    [[nodiscard]] element_range elements() const noexcept { return element_range(entries_); }

    /// The (element, dots) pairs in element order, for inspection and formatting.
    [[nodiscard]] const std::vector<entry>& entries() const noexcept { return entries_; }
    /// The causal context: every dot this state has seen, as runs per replica.
    [[nodiscard]] const detail::dot_context<Replica>& context() const noexcept { return context_; }

    /// Joins `other`: a dot survives if both sides hold it, or if one side holds it and the
    /// other has never seen it. Contexts unite.
    void merge(const or_set& other) {
        if (&other == this || other.empty()) return;
        if (other.entries_.size() <= small_merge_limit && other.entries_.size() * 8 < entries_.size()) {
            merge_small(other);
            return;
        }
        std::vector<entry> out;
        out.reserve(std::max(entries_.size(), other.entries_.size()));
        auto a = entries_.begin();
        auto b = other.entries_.begin();
        const auto keep = [&out](const T& x, std::vector<dot> dots) {
            if (!dots.empty()) out.emplace_back(x, std::move(dots));
        };
        while (a != entries_.end() || b != other.entries_.end()) {
            if (b == other.entries_.end() || (a != entries_.end() && a->first < b->first)) {
                keep(a->first, unseen_by(a->second, other.context_));
                ++a;
            } else if (a == entries_.end() || b->first < a->first) {
                keep(b->first, unseen_by(b->second, context_));
                ++b;
            } else {
                keep(a->first, join_dots(a->second, other.context_, b->second, context_));
                ++a;
                ++b;
            }
        }
        auto context = context_;
        context.merge(other.context_);
        entries_ = std::move(out);
        context_ = std::move(context);
    }

    /// What `peer` lacks: the dots it has not seen, with the elements that carry them, plus the
    /// removals it has not applied (dots it still holds that *this has seen and dropped).
    [[nodiscard]] or_set delta_for(const or_set& peer) const {
        or_set out;
        out.context_ = context_.minus(peer.context_);
        auto mine = entries_.begin();
        for (const auto& [x, dots] : peer.entries_) {
            while (mine != entries_.end() && mine->first < x) ++mine;
            const bool shared = mine != entries_.end() && mine->first == x;
            for (const dot& d : dots) {
                const bool kept = shared && std::binary_search(mine->second.begin(), mine->second.end(), d);
                if (!kept && context_.contains(d)) out.context_.insert(d);
            }
        }
        // Every dot of *this that the delta's context names must travel with its element, or
        // merging the delta would read it as removed.
        for (const auto& [x, dots] : entries_) {
            std::vector<dot> named;
            for (const dot& d : dots)
                if (out.context_.contains(d)) named.push_back(d);
            if (!named.empty()) out.entries_.emplace_back(x, std::move(named));
        }
        return out;
    }

    /// True at bottom: no elements and no history.
    [[nodiscard]] bool empty() const noexcept { return entries_.empty() && context_.empty(); }

    friend bool operator==(const or_set&, const or_set&) = default;

private:
    friend struct wire<or_set>;
    static constexpr std::size_t small_merge_limit = 8;

    /// Merges a delta of a few elements in place: their dots are joined by lookup, and the rest
    /// of the set is scanned once, without allocating, for dots the delta's context removes.
    /// (A remove delta names dots, not elements, so the scan cannot be avoided without an index
    /// from dot to element.) Everything that allocates runs before the first change to *this.
    void merge_small(const or_set& other) {
        auto context = context_;
        context.merge(other.context_);
        struct joined {
            std::size_t at;
            bool found;
            entry value;
        };
        std::vector<joined> plan;
        plan.reserve(other.entries_.size());
        for (const auto& [x, dots] : other.entries_) {
            const auto [i, found] = detail::locate(entries_, x);
            plan.push_back({i, found,
                            entry(x, found ? join_dots(entries_[i].second, other.context_, dots, context_)
                                           : unseen_by(dots, context_))});
        }
        entries_.reserve(entries_.size() + plan.size());

        // From here on nothing allocates: erasing and moving dots and entries does not throw.
        auto next = plan.begin();
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            while (next != plan.end() && next->at < i) ++next;
            if (next != plan.end() && next->found && next->at == i) continue;
            std::erase_if(entries_[i].second, [&](const dot& d) { return other.context_.contains(d); });
        }
        for (joined& j : plan)
            if (j.found) entries_[j.at].second = std::move(j.value.second);
        // Back to front, so that each insert leaves the positions still to come where they were.
        for (auto j = plan.rbegin(); j != plan.rend(); ++j)
            if (!j->found && !j->value.second.empty())
                entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(j->at), std::move(j->value));
        std::erase_if(entries_, [](const entry& e) { return e.second.empty(); });
        context_ = std::move(context);
    }

    static std::vector<dot> unseen_by(const std::vector<dot>& dots, const detail::dot_context<Replica>& context) {
        std::vector<dot> out;
        for (const dot& d : dots)
            if (!context.contains(d)) out.push_back(d);
        return out;
    }

    /// The dots of one element held on both sides: those both hold, and those only one side
    /// holds that the other side never saw. Both inputs are sorted, and so is the result.
    static std::vector<dot> join_dots(const std::vector<dot>& a, const detail::dot_context<Replica>& a_unseen_in,
                                      const std::vector<dot>& b, const detail::dot_context<Replica>& b_unseen_in) {
        std::vector<dot> out;
        std::size_t i = 0;
        std::size_t j = 0;
        while (i < a.size() || j < b.size()) {
            if (j == b.size() || (i < a.size() && a[i] < b[j])) {
                if (!a_unseen_in.contains(a[i])) out.push_back(a[i]);
                ++i;
            } else if (i == a.size() || b[j] < a[i]) {
                if (!b_unseen_in.contains(b[j])) out.push_back(b[j]);
                ++j;
            } else {
                out.push_back(a[i]);
                ++i;
                ++j;
            }
        }
        return out;
    }

    std::vector<entry> entries_;  // sorted by element; each holds a sorted, non-empty run of dots
    detail::dot_context<Replica> context_;
};

template <class T, class Replica>
struct wire<or_set<T, Replica>> {
    using set = or_set<T, Replica>;
    using dot = typename set::dot;
    using range = typename detail::dot_context<Replica>::range;

    static constexpr wire_tag tag = wire_tag::or_set;

    /// The context as `count, (replica, first, last - first)*`, then the elements as
    /// `count, (element, dot count, (replica, counter)*)*`.
    static void write(detail::byte_writer& w, const set& s) {
        w.varint(s.context_.ranges().size());
        for (const range& r : s.context_.ranges()) {
            codec<Replica>::encode(w, r.replica);
            w.varint(r.first);
            w.varint(r.last - r.first);
        }
        w.varint(s.entries_.size());
        for (const auto& [x, dots] : s.entries_) {
            codec<T>::encode(w, x);
            w.varint(dots.size());
            for (const dot& d : dots) {
                codec<Replica>::encode(w, d.replica);
                w.varint(d.counter);
            }
        }
    }

    /// Only the canonical form decodes: runs sorted, disjoint and not touching; elements sorted
    /// and each with sorted dots; every dot inside the context and on one element only.
    static set read(detail::byte_reader& r) {
        set s;
        s.context_ = read_context(r);
        const std::size_t n = r.count(codec<T>::min_size + 1 + codec<Replica>::min_size + 1);
        s.entries_.reserve(n);
        std::vector<dot> all;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t start = r.offset();
            T x = codec<T>::decode(r);
            if (!s.entries_.empty() && !(s.entries_.back().first < x)) r.fail(errc::not_canonical, start);
            const std::size_t count_start = r.offset();
            const std::size_t k = r.count(codec<Replica>::min_size + 1);
            if (k == 0) r.fail(errc::zero_entry, count_start);
            std::vector<dot> dots;
            dots.reserve(k);
            for (std::size_t j = 0; j < k; ++j) {
                const std::size_t dot_start = r.offset();
                Replica who = codec<Replica>::decode(r);
                dot d{std::move(who), r.varint()};
                if ((!dots.empty() && !(dots.back() < d)) || !s.context_.contains(d))
                    r.fail(errc::not_canonical, dot_start);
                dots.push_back(d);
                all.push_back(std::move(d));
            }
            s.entries_.emplace_back(std::move(x), std::move(dots));
        }
        std::sort(all.begin(), all.end());
        if (std::adjacent_find(all.begin(), all.end()) != all.end()) r.fail(errc::not_canonical, r.offset());
        return s;
    }

private:
    static detail::dot_context<Replica> read_context(detail::byte_reader& r) {
        return detail::read_dot_context<Replica>(r, [](const Replica&) { return false; });
    }
};

}  // namespace converge
