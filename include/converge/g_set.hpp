// g_set: a grow-only set, merged by union.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/detail/lower_bound.hpp>
#include <converge/encoding.hpp>
#include <converge/replica_id.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace converge {

/// A grow-only set: elements are inserted, never removed; merge is set union.
///
/// Storage is two sorted, disjoint vectors: the bulk of the elements, and a small run of recent
/// inserts (at most about 2*sqrt(n)). An insert shifts only the small run and the bulk is
/// rebuilt once that run is full, so n inserts cost O(n^1.5) element moves instead of the
/// O(n^2) of a single sorted vector, while lookups stay binary searches and merges stay linear
/// passes over contiguous memory. `bench/g_set.bench.cpp` measures the choice.
///
/// Example:
/// ```
/// converge::g_set<std::string> a, b;
/// a.insert("alice");
/// b.merge(a.insert("bob"));    // the delta holds just bob
/// assert(b.size() == 1 && b.contains("bob"));
/// b.merge(a);
/// assert(b.size() == 2 && b.contains("alice") && b == a);
/// ```
template <class T>
class g_set {
    static_assert(detail::check_ordered_key<T>());

public:
    using value_type = T;

    /// Visits the elements in increasing order.
    class const_iterator {
    public:
        using iterator_concept = std::forward_iterator_tag;
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;

        const_iterator() = default;
        const_iterator(const T* a, const T* a_end, const T* b, const T* b_end) noexcept
            : a_(a), a_end_(a_end), b_(b), b_end_(b_end) {}

        reference operator*() const { return from_a() ? *a_ : *b_; }
        pointer operator->() const { return &**this; }
        const_iterator& operator++() {
            if (from_a()) ++a_; else ++b_;
            return *this;
        }
        const_iterator operator++(int) { auto t = *this; ++*this; return t; }
        friend bool operator==(const const_iterator& x, const const_iterator& y) noexcept {
            return x.a_ == y.a_ && x.b_ == y.b_;
        }

    private:
        [[nodiscard]] bool from_a() const { return b_ == b_end_ || (a_ != a_end_ && *a_ < *b_); }
        const T* a_ = nullptr;
        const T* a_end_ = nullptr;
        const T* b_ = nullptr;
        const T* b_end_ = nullptr;
    };
    using iterator = const_iterator;

    /// Adds `x`; returns the delta `{x}`, or an empty set when `x` was already there.
    g_set insert(const T& x) {
        g_set delta;
        if (in(bulk_, x)) return delta;
        std::size_t at = detail::lower_bound_index(recent_.data(), recent_.size(), x);
        if (at < recent_.size() && recent_[at] == x) return delta;
        delta.bulk_.push_back(x);
        // Compacting first keeps the strong guarantee: it changes no element, only where they lie.
        if (recent_.size() >= recent_limit()) {
            compact();
            at = 0;
        }
        recent_.insert(recent_.begin() + static_cast<std::ptrdiff_t>(at), x);
        return delta;
    }

    [[nodiscard]] bool contains(const T& x) const { return in(bulk_, x) || in(recent_, x); }

    [[nodiscard]] std::size_t size() const noexcept { return bulk_.size() + recent_.size(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    [[nodiscard]] const_iterator begin() const noexcept {
        return {bulk_.data(), bulk_.data() + bulk_.size(), recent_.data(), recent_.data() + recent_.size()};
    }
    [[nodiscard]] const_iterator end() const noexcept {
        const T* a_end = bulk_.data() + bulk_.size();
        const T* b_end = recent_.data() + recent_.size();
        return {a_end, a_end, b_end, b_end};
    }

    /// Union with `other`. A small delta is inserted element by element; anything larger is
    /// one linear pass over the two bulks, with the two short runs of recent inserts folded
    /// into the new run of recent inserts.
    void merge(const g_set& other) {
        if (&other == this || other.empty()) return;
        if (other.size() <= small_merge_limit) {
            for (const T& x : other) insert(x);
            return;
        }
        // Both runs of recent inserts are disjoint from their own bulk, not from the other
        // side's: the pass that unites the bulks marks the recent elements it meets.
        // Marking costs a compare per output, a search costs log2(outputs) dependent steps per
        // recent element: marking wins when the recent runs are a large share of the sets
        // (about 15% at N = 1000), searching when they are a small one (1% at N = 100,000).
        std::vector<T> recent = sorted_union(recent_, other.recent_);
        const std::size_t outputs = bulk_.size() + other.bulk_.size();
        const auto search_steps = static_cast<std::size_t>(std::bit_width(outputs));
        const bool mark = !recent.empty() && 4 * recent.size() * search_steps >= outputs;
        std::vector<char> in_bulk(mark ? recent.size() + 1 : 0);  // a spare: "past the end"
        std::vector<T> bulk = mark ? sorted_union(bulk_, other.bulk_, recent, in_bulk.data())
                                   : sorted_union(bulk_, other.bulk_);
        if (!mark) std::erase_if(recent, [&](const T& x) { return in(bulk, x); });
        bulk_ = std::move(bulk);
        if (mark) {
            std::size_t kept = 0;
            for (std::size_t r = 0; r < recent.size(); ++r)
                if (!in_bulk[r]) recent[kept++] = std::move(recent[r]);
            recent.erase(recent.begin() + static_cast<std::ptrdiff_t>(kept), recent.end());
        }
        recent_ = std::move(recent);
        if (recent_.size() > recent_limit()) compact();
    }

    /// What `peer` lacks: the elements of *this that are not in `peer`.
    [[nodiscard]] g_set delta_for(const g_set& peer) const {
        g_set out;
        std::set_difference(begin(), end(), peer.begin(), peer.end(), std::back_inserter(out.bulk_));
        return out;
    }

    /// Same elements, however they happen to be laid out.
    friend bool operator==(const g_set& a, const g_set& b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
    }

private:
    friend struct wire<g_set>;
    static constexpr std::size_t small_merge_limit = 8;

    /// The union of two sorted, duplicate-free vectors. Each step writes the smaller head and
    /// advances each side by a comparison result rather than a branch, because the
    /// interleaving of two replicas' elements is random and a branch on it mispredicts often.
    static std::vector<T> sorted_union(const std::vector<T>& a, const std::vector<T>& b) {
        return sorted_union<false>(a, b, a, nullptr);
    }

    /// The same, and for every element of sorted `probe` that the union holds, sets its mark in
    /// `marks` (room for probe.size() + 1). A cursor follows the output through `probe`; with
    /// few probes beside many outputs it rarely moves, so this costs a compare per output, not
    /// a binary search per probe.
    static std::vector<T> sorted_union(const std::vector<T>& a, const std::vector<T>& b, const std::vector<T>& probe,
                                       char* marks) {
        return sorted_union<true>(a, b, probe, marks);
    }

    template <bool Mark>
    static std::vector<T> sorted_union(const std::vector<T>& av, const std::vector<T>& bv, const std::vector<T>& probe,
                                       char* marks) {
        std::vector<T> out(av.size() + bv.size());
        // Local pointers and sizes: through the vectors the compiler must assume that each
        // store to the output may change them, and reloads them every step.
        const T* a = av.data();
        const T* b = bv.data();
        T* o = out.data();
        const std::size_t n = av.size();
        const std::size_t m = bv.size();
        const T* p = probe.data();
        const std::size_t np = probe.size();
        std::size_t q = 0;  // the first probe not below the last output
        const auto mark = [&](const T& y) {
            if constexpr (Mark) {
                while (q < np && p[q] < y) ++q;
                const bool hit = q < np && p[q] == y;
                marks[hit ? q : np] = 1;
            }
        };
        std::size_t i = 0;
        std::size_t j = 0;
        std::size_t k = 0;
        while (i < n && j < m) {
            const bool take_a = !(b[j] < a[i]);
            const bool take_b = !(a[i] < b[j]);
            o[k] = take_a ? a[i] : b[j];
            mark(o[k]);
            ++k;
            i += take_a;
            j += take_b;
        }
        for (; i < n; ++i, ++k) {
            o[k] = a[i];
            mark(o[k]);
        }
        for (; j < m; ++j, ++k) {
            o[k] = b[j];
            mark(o[k]);
        }
        out.resize(k);
        return out;
    }

    [[nodiscard]] static bool in(const std::vector<T>& sorted, const T& x) {
        const std::size_t i = detail::lower_bound_index(sorted.data(), sorted.size(), x);
        return i < sorted.size() && sorted[i] == x;
    }

    [[nodiscard]] std::size_t recent_limit() const {
        return 32 + 2 * static_cast<std::size_t>(std::sqrt(static_cast<double>(bulk_.size())));
    }

    /// Folds the recent run into the bulk with a backward in-place merge: no new buffer, so
    /// the bulk's capacity grows geometrically like any vector's.
    void compact() {
        const std::size_t n = bulk_.size();
        bulk_.resize(n + recent_.size());  // the only step that can throw, and it changes no element
        auto out = bulk_.end();
        auto a = bulk_.begin() + static_cast<std::ptrdiff_t>(n);
        auto b = recent_.end();
        while (b != recent_.begin()) {
            if (a != bulk_.begin() && *(b - 1) < *(a - 1)) *--out = std::move(*--a);
            else *--out = std::move(*--b);
        }
        recent_.clear();
    }

    std::vector<T> bulk_;    // sorted
    std::vector<T> recent_;  // sorted, disjoint from bulk_, small
};

template <class T>
struct wire<g_set<T>> {
    static constexpr wire_tag tag = wire_tag::g_set;

    static void write(detail::byte_writer& w, const g_set<T>& s) {
        w.varint(s.size());
        for (const T& x : s) codec<T>::encode(w, x);
    }

    static g_set<T> read(detail::byte_reader& r) {
        const std::size_t n = r.count(codec<T>::min_size);
        g_set<T> s;
        s.bulk_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t start = r.offset();
            T x = codec<T>::decode(r);
            if (!s.bulk_.empty() && !(s.bulk_.back() < x)) r.fail(errc::not_canonical, start);
            s.bulk_.push_back(std::move(x));
        }
        return s;
    }
};

}  // namespace converge
