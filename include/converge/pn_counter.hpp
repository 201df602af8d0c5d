// pn_counter: a counter that goes up and down, as two grow-only tallies per replica.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/detail/lattice.hpp>
#include <converge/detail/max_map.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/replica_id.hpp>
#include <converge/wide_int.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace converge {

template <class Key, class Replica, class Count>
class retirable_counter_map;

/// A positive-negative counter: each replica keeps a grow-only tally of its increments and one
/// of its decrements; the value is the difference of their sums. Merge takes the larger of each
/// tally per replica.
///
/// Example:
/// ```
/// converge::pn_counter<std::uint32_t> a, b;
/// a.increment(1, 5);
/// b.merge(a.decrement(1, 2));   // the delta holds replica 1's decrements, not its increments
/// assert(a.value() == 3 && b.value() == -2);
/// b.merge(a);                   // now b has seen everything a has
/// assert(b.value() == 3);
/// b.decrement(2, 7);
/// assert(b.value() == -4);
/// ```
template <class Replica, class Count = std::uint64_t>
class pn_counter {
    static_assert(detail::check_ordered_key<Replica>());
    static_assert(std::unsigned_integral<Count> && !std::same_as<Count, bool>,
                  "converge: Count must be an unsigned integer type");

public:
    using replica_type = Replica;
    using count_type = Count;
    /// One replica's entry: `{increments, decrements}`.
    using tally = detail::pn_pair<Count>;
    /// Signed 128 bits: each sum is below 2^64 times the number of entries, so the difference
    /// is exact for every state that fits in memory.
    using value_type = int128;

    /// Adds `n` to `replica`'s increments; returns the delta holding just that tally. Throws
    /// converge::overflow_error, changing nothing, if the tally would pass the maximum of Count.
    pn_counter increment(const Replica& replica, Count n = 1) { return add(replica, n, &tally::increments); }

    /// Adds `n` to `replica`'s decrements; otherwise as increment().
    pn_counter decrement(const Replica& replica, Count n = 1) { return add(replica, n, &tally::decrements); }

    /// Sum of increments minus sum of decrements over all replicas.
    [[nodiscard]] value_type value() const noexcept {
        value_type sum = 0;
        for (const tally& t : tallies_.values())
            sum += static_cast<value_type>(t.increments) - static_cast<value_type>(t.decrements);
        return sum;
    }

    /// One replica's contribution: its increments minus its decrements.
    [[nodiscard]] value_type value_of(const Replica& replica) const {
        const tally t = tallies_.get(replica);
        return static_cast<value_type>(t.increments) - static_cast<value_type>(t.decrements);
    }

    /// One replica's two tallies.
    [[nodiscard]] tally tally_of(const Replica& replica) const { return tallies_.get(replica); }

    /// Joins `other` into *this: each tally becomes the larger of the two.
    void merge(const pn_counter& other) { tallies_.merge(other.tallies_); }

    /// What `peer` lacks: the entries where either tally of *this is ahead.
    [[nodiscard]] pn_counter delta_for(const pn_counter& peer) const {
        pn_counter out;
        out.tallies_ = tallies_.missing_from(peer.tallies_);
        return out;
    }

    [[nodiscard]] std::size_t size() const noexcept { return tallies_.size(); }
    [[nodiscard]] bool empty() const noexcept { return tallies_.empty(); }

    /// The (replica, tally) pairs in replica order.
    [[nodiscard]] const auto& entries() const noexcept { return tallies_; }

    /// Equal states: {a: +3} != {a: +5 -2}, although both have value 3.
    friend bool operator==(const pn_counter&, const pn_counter&) = default;

private:
    friend struct wire<pn_counter>;
    template <class K, class R, class C>
    friend class retirable_counter_map;

    pn_counter add(const Replica& replica, Count n, Count tally::*half) {
        pn_counter delta;
        if (n == 0) return delta;
        const auto slot = tallies_.locate(replica);
        tally t = tallies_.value_at(slot);
        if (n > std::numeric_limits<Count>::max() - t.*half)
            throw overflow_error("converge: pn_counter tally overflows the count type");
        t.*half = static_cast<Count>(t.*half + n);
        // The delta carries only the half that changed; the other half joins as a no-op.
        tally changed{};
        changed.*half = t.*half;
        delta.tallies_.join_at(replica, changed);  // first: if it throws, *this is untouched
        tallies_.store(slot, replica, t);
        return delta;
    }

    detail::max_map<Replica, tally> tallies_;
};

template <class Replica, class Count>
struct wire<pn_counter<Replica, Count>> {
    static constexpr wire_tag tag = wire_tag::pn_counter;
    using tally = typename pn_counter<Replica, Count>::tally;

    static void write(detail::byte_writer& w, const pn_counter<Replica, Count>& c) {
        detail::write_map<Replica, tally, codec<Replica>>(w, c.tallies_, [](detail::byte_writer& out, const tally& t) {
            codec<Count>::encode(out, t.increments);
            codec<Count>::encode(out, t.decrements);
        });
    }

    static pn_counter<Replica, Count> read(detail::byte_reader& r) {
        pn_counter<Replica, Count> c;
        c.tallies_ = detail::read_map<Replica, tally, codec<Replica>>(r, 2 * codec<Count>::min_size, [](detail::byte_reader& in) {
            tally t;
            t.increments = codec<Count>::decode(in);
            t.decrements = codec<Count>::decode(in);
            return t;
        });
        return c;
    }
};

}  // namespace converge
