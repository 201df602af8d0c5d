// vector_clock: one event counter per replica, partially ordered, merged by pointwise max.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/causal_order.hpp>
#include <converge/codec.hpp>
#include <converge/detail/max_map.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/replica_id.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace converge {

/// A vector clock: replica r's entry counts the events r has produced that this clock has
/// seen. Clocks compare under a partial order and merge to their least upper bound.
///
/// Example:
/// ```
/// converge::vector_clock<std::string> a, b;
/// a.tick("a");
/// b.merge(a);
/// b.tick("b");
/// assert(a.compare(b) == converge::causal_order::before);
/// ```
template <class Replica>
class vector_clock {
    static_assert(detail::check_ordered_key<Replica>());

public:
    using replica_type = Replica;
    using counter_type = std::uint64_t;

    /// Records one event of `replica`; returns the delta `{replica: new entry}`. Throws
    /// converge::overflow_error, changing nothing, at 2^64 - 1 events.
    vector_clock tick(const Replica& replica) {
        const auto slot = entries_.locate(replica);
        const counter_type current = entries_.value_at(slot);
        if (current == std::numeric_limits<counter_type>::max())
            throw overflow_error("converge: vector_clock entry overflows");
        vector_clock delta;
        delta.entries_.join_at(replica, current + 1);  // first: if it throws, *this is untouched
        entries_.store(slot, replica, current + 1);
        return delta;
    }

    /// `replica`'s entry; 0 when this clock has seen none of its events.
    [[nodiscard]] counter_type get(const Replica& replica) const { return entries_.get(replica); }

    /// The least upper bound of both clocks.
    void merge(const vector_clock& other) { entries_.merge(other.entries_); }

    /// Where *this stands relative to `other`, in one linear pass.
    [[nodiscard]] causal_order compare(const vector_clock& other) const {
        const Replica* ak = entries_.keys().data();
        const counter_type* av = entries_.values().data();
        const Replica* bk = other.entries_.keys().data();
        const counter_type* bv = other.entries_.values().data();
        const std::size_t n = entries_.size();
        const std::size_t m = other.entries_.size();
        bool less = false;     // some entry of *this is below other's
        bool greater = false;  // some entry of *this is above other's
        // While both sides hold the same replicas (all the way, in a stable cluster), the
        // counts alone; a branch on equal ids is predicted there, and ends at the first
        // difference elsewhere.
        std::size_t i = 0;
        const std::size_t common = std::min(n, m);
        while (i < common && ak[i] == bk[i]) {
            less |= av[i] < bv[i];
            greater |= bv[i] < av[i];
            ++i;
        }
        std::size_t j = i;
        // Each step compares the two entries at the heads, an absent one as 0, and advances each
        // side by a comparison result rather than a branch: the interleaving of two clocks'
        // replicas is unpredictable, and a branch on it mispredicts often.
        while (i < n && j < m) {
            const bool take_a = !(bk[j] < ak[i]);
            const bool take_b = !(ak[i] < bk[j]);
            const counter_type x = detail::keep_if(take_a, av[i]);
            const counter_type y = detail::keep_if(take_b, bv[j]);
            less |= x < y;
            greater |= y < x;
            i += take_a;
            j += take_b;
        }
        return order_of(less || j < m, greater || i < n);
    }

    /// True when every event *this has seen, `other` has seen too.
    [[nodiscard]] bool happened_before_or_equal(const vector_clock& other) const {
        const causal_order o = compare(other);
        return o == causal_order::before || o == causal_order::equal;
    }

    /// What `peer` lacks: the entries where *this is ahead.
    [[nodiscard]] vector_clock delta_for(const vector_clock& peer) const {
        vector_clock out;
        out.entries_ = entries_.missing_from(peer.entries_);
        return out;
    }

    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

    /// The (replica, entry) pairs in replica order.
    [[nodiscard]] const auto& entries() const noexcept { return entries_; }

    friend bool operator==(const vector_clock&, const vector_clock&) = default;

private:
    friend struct wire<vector_clock>;

    static causal_order order_of(bool less, bool greater) noexcept {
        if (less && greater) return causal_order::concurrent;
        if (less) return causal_order::before;
        if (greater) return causal_order::after;
        return causal_order::equal;
    }

    detail::max_map<Replica, counter_type> entries_;
};

template <class Replica>
struct wire<vector_clock<Replica>> {
    static constexpr wire_tag tag = wire_tag::vector_clock;

    static void write(detail::byte_writer& w, const vector_clock<Replica>& c) {
        detail::write_map<Replica, std::uint64_t, codec<Replica>>(
            w, c.entries_, [](detail::byte_writer& out, std::uint64_t n) { out.varint(n); });
    }

    static vector_clock<Replica> read(detail::byte_reader& r) {
        vector_clock<Replica> c;
        c.entries_ = detail::read_map<Replica, std::uint64_t, codec<Replica>>(
            r, 1, [](detail::byte_reader& in) { return in.varint(); });
        return c;
    }
};

}  // namespace converge
