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

template <class Replica, class Count>
class g_counter_delta;

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

    using increment_delta = g_counter_delta<Replica, Count>;

    /// Adds `n` to `replica`'s entry and returns the delta `{replica: new entry}` (empty when
    /// `n == 0`) as an increment_delta: one entry held inline, so that an increment allocates
    /// nothing unless it adds a replica. It converts to a g_counter, merges into one and encodes
    /// like one. Throws converge::overflow_error, changing nothing, if the entry would pass the
    /// maximum of `Count`.
    increment_delta increment(const Replica& replica, Count n = 1) {
        if (n == 0) return {};
        const auto slot = tallies_.locate(replica);
        const Count current = tallies_.value_at(slot);
        if (n > std::numeric_limits<Count>::max() - current) throw_overflow();
        const Count next = static_cast<Count>(current + n);
        increment_delta d(replica, next);  // first: if copying the id throws, *this is untouched
        tallies_.store(slot, replica, next);
        return d;
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

    /// Joins an increment's delta into *this: a lookup and a store, as for a one-entry state.
    void merge(const increment_delta& d) { tallies_.join_at(d.replica(), d.count()); }

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

    // Out of line, so that the increment's fast path carries no exception set-up.
    [[noreturn]] static void throw_overflow() {
        throw overflow_error("converge: g_counter increment overflows the count type");
    }

    detail::max_map<Replica, Count> tallies_;
};

/// What g_counter::increment returns: at most one (replica, entry) pair, held inline. It is a
/// g_counter state in every way a delta is used: it converts to one (`g_counter d =
/// c.increment(r)`), `merge` takes it directly, `==` compares it with states, and `encode`
/// writes the bytes of the equal g_counter.
///
/// Example:
/// ```
/// converge::g_counter<std::uint32_t> a, b;
/// auto d = a.increment(1, 3);                // no allocation for the delta
/// assert(d.replica() == 1 && d.count() == 3);
/// b.merge(d);                                // a lookup and a store
/// converge::g_counter<std::uint32_t> as_state = d;
/// assert(b == a && as_state == d && converge::encode(d) == converge::encode(as_state));
/// ```
template <class Replica, class Count>
class g_counter_delta {
    using state = g_counter<Replica, Count>;

public:
    /// The empty delta (what an increment by 0 returns).
    g_counter_delta() = default;

    /// `{replica: count}`; empty when `count` is 0, as a state stores no zero entry.
    g_counter_delta(const Replica& replica, Count count) : replica_(replica), count_(count) {}

    /// The replica whose entry changed (unspecified when empty()).
    [[nodiscard]] const Replica& replica() const noexcept { return replica_; }
    /// Its new entry: the whole tally, not the increment; 0 when empty().
    [[nodiscard]] Count count() const noexcept { return count_; }

    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return empty() ? 0 : 1; }
    [[nodiscard]] uint128 value() const noexcept { return count_; }
    [[nodiscard]] Count value_of(const Replica& replica) const { return !empty() && replica == replica_ ? count_ : 0; }

    /// The equal g_counter state (two allocations, unless empty).
    operator state() const {  // NOLINT(google-explicit-constructor): a delta is a state
        state c;
        c.merge(*this);
        return c;
    }

    /// Equal states: the replica matters only when there is an entry.
    friend bool operator==(const g_counter_delta& a, const g_counter_delta& b) {
        return a.count_ == b.count_ && (a.empty() || a.replica_ == b.replica_);
    }
    friend bool operator==(const g_counter_delta& a, const state& b) {
        if (a.empty()) return b.empty();
        return b.size() == 1 && b.entries().keys().front() == a.replica_ && b.entries().values().front() == a.count_;
    }

private:
    Replica replica_{};
    Count count_ = 0;
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

/// An increment's delta travels as the g_counter it equals: same tag, same bytes. Decoding one
/// accepts a g_counter encoding of at most one entry and refuses a larger one as
/// errc::limit_exceeded, since a one-entry delta cannot hold it.
template <class Replica, class Count>
struct wire<g_counter_delta<Replica, Count>> {
    static constexpr wire_tag tag = wire_tag::g_counter;

    static void write(detail::byte_writer& w, const g_counter_delta<Replica, Count>& d) {
        w.varint(d.size());
        if (d.empty()) return;
        codec<Replica>::encode(w, d.replica());
        codec<Count>::encode(w, d.count());
    }

    static g_counter_delta<Replica, Count> read(detail::byte_reader& r) {
        const std::size_t start = r.offset();
        const g_counter<Replica, Count> c = wire<g_counter<Replica, Count>>::read(r);
        if (c.size() > 1) r.fail(errc::limit_exceeded, start);
        if (c.empty()) return {};
        return {c.entries().keys().front(), c.entries().values().front()};
    }
};

}  // namespace converge
