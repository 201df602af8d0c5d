// g_counter: a grow-only counter, one monotone tally per replica, merged by pointwise max.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
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

/// A grow-only counter. Each replica increments only its own entry; merge takes the larger
/// entry per replica, so merges commute, associate and are idempotent.
///
/// Example:
/// ```
/// converge::g_counter<std::string> a, b;
/// auto delta = a.increment("eu-1", 3);   // just what changed: {eu-1: 3}
/// assert(delta.value_of("eu-1") == 3 && delta.size() == 1);
/// b.increment("us-1");
/// b.merge(delta);
/// assert(b.value() == 4);
/// ```
template <class Replica, class Count = std::uint64_t>
class g_counter {
    static_assert(detail::check_ordered_key<Replica>());
    static_assert(std::unsigned_integral<Count> && !std::same_as<Count, bool>,
                  "converge: Count must be an unsigned integer type");

public:
    using replica_type = Replica;
    using count_type = Count;
    /// Exact for every state: 128 bits hold the sum of any number of 64-bit entries that fits
    /// in memory.
    using value_type = uint128;

    /// Adds `n` to `replica`'s entry and returns the delta `{replica: new entry}` (empty when
    /// `n == 0`). Throws converge::overflow_error, changing nothing, if the entry would pass
    /// the maximum of `Count`.
    g_counter increment(const Replica& replica, Count n = 1) {
        g_counter delta;
        if (n == 0) return delta;
        const auto slot = tallies_.locate(replica);
        const Count current = tallies_.value_at(slot);
        if (n > std::numeric_limits<Count>::max() - current)
            throw overflow_error("converge: g_counter increment overflows the count type");
        const Count next = static_cast<Count>(current + n);
        delta.tallies_.join_at(replica, next);  // first: if it throws, *this is untouched
        tallies_.store(slot, replica, next);
        return delta;
    }

    /// The counter's value: the sum of every replica's entry.
    [[nodiscard]] value_type value() const noexcept {
        value_type sum = 0;
        for (const Count c : tallies_.values()) sum += c;
        return sum;
    }

    /// One replica's entry (0 when it never incremented).
    [[nodiscard]] Count value_of(const Replica& replica) const { return tallies_.get(replica); }

    /// Joins `other` into *this: afterwards every entry is the larger of the two.
    void merge(const g_counter& other) { tallies_.merge(other.tallies_); }

    /// What `peer` lacks: the entries where *this is ahead. A counter's own entries are its
    /// version vector, so the peer's state is the summary. `peer.merge(a.delta_for(peer))`
    /// leaves peer at least as far as a.
    [[nodiscard]] g_counter delta_for(const g_counter& peer) const {
        g_counter out;
        out.tallies_ = tallies_.missing_from(peer.tallies_);
        return out;
    }

    /// Number of replicas with a non-zero entry.
    [[nodiscard]] std::size_t size() const noexcept { return tallies_.size(); }
    [[nodiscard]] bool empty() const noexcept { return tallies_.empty(); }

    /// The (replica, entry) pairs in replica order: `for (auto [r, n] : c.entries())`.
    [[nodiscard]] const auto& entries() const noexcept { return tallies_; }

    /// Equal states, not merely equal values: {a:1, b:2} != {a:3}.
    friend bool operator==(const g_counter&, const g_counter&) = default;

private:
    friend struct wire<g_counter>;
    detail::max_map<Replica, Count> tallies_;
};

template <class Replica, class Count>
struct wire<g_counter<Replica, Count>> {
    static constexpr wire_tag tag = wire_tag::g_counter;

    static void write(detail::byte_writer& w, const g_counter<Replica, Count>& c) {
        detail::write_map<Replica, Count, codec<Replica>>(
            w, c.tallies_, [](detail::byte_writer& out, Count n) { codec<Count>::encode(out, n); });
    }

    static g_counter<Replica, Count> read(detail::byte_reader& r) {
        g_counter<Replica, Count> c;
        c.tallies_ = detail::read_map<Replica, Count, codec<Replica>>(
            r, codec<Count>::min_size, [](detail::byte_reader& in) { return codec<Count>::decode(in); });
        return c;
    }
};

}  // namespace converge
