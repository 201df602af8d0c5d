// retirable_counter_map: PN-counters by key whose replicas can be retired, so a dead replica stops counting.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/g_map.hpp>
#include <converge/g_set.hpp>
#include <converge/pn_counter.hpp>
#include <converge/replica_id.hpp>
#include <converge/wide_int.hpp>

#include <cstddef>
#include <cstdint>

namespace converge {

/// One PN-counter per key (a page, say), plus a grow-only set of retired replicas. Retiring a
/// replica drops its entries from every key and refuses its later writes, so the count of a
/// replica that died stops counting; since retirement merges like a G-Set, every replica
/// agrees on it. Retirement belongs to the replica, not to a key, which is why one set serves
/// every counter: a late delta for any key from a retired replica is dropped on arrival.
///
/// Replica ids must never be reused after retirement: a process that finds itself retired
/// rejoins under a fresh id (see docs/active-users.md).
///
/// Example:
/// ```
/// converge::retirable_counter_map<std::string, std::uint64_t> a, b;
/// b.merge(a.increment("home", 7, 3));
/// assert(b.value("home") == 3);
/// a.merge(b.retire(7));                 // replica 7 died: its counts stop, everywhere
/// assert(a.value("home") == 0 && b.value("home") == 0);
/// ```
template <class Key, class Replica, class Count = std::uint64_t>
class retirable_counter_map {
public:
    using key_type = Key;
    using replica_type = Replica;
    using counter = pn_counter<Replica, Count>;
    using value_type = typename counter::value_type;

    /// Adds `n` to `replica`'s count at `key`; returns the delta. Throws retired_error if the
    /// replica is retired, converge::overflow_error on overflow; either way nothing changes.
    retirable_counter_map increment(const Key& key, const Replica& replica, Count n = 1) {
        return add(key, replica, [&](counter& c) { return c.increment(replica, n); });
    }

    /// Adds `n` to `replica`'s decrements at `key`; otherwise as increment().
    retirable_counter_map decrement(const Key& key, const Replica& replica, Count n = 1) {
        return add(key, replica, [&](counter& c) { return c.decrement(replica, n); });
    }

    /// Retires `replica`: its entries stop counting everywhere. Returns the delta (the
    /// retirement alone), or an empty map when it was already retired.
    retirable_counter_map retire(const Replica& replica) {
        retirable_counter_map delta;
        if (retired_.contains(replica)) return delta;
        delta.retired_.insert(replica);
        retired_.insert(replica);
        drop_retired(counters_);
        return delta;
    }

    [[nodiscard]] bool is_retired(const Replica& replica) const { return retired_.contains(replica); }

    /// The count at `key` over replicas that are not retired.
    [[nodiscard]] value_type value(const Key& key) const {
        const counter* c = counters_.find(key);
        return c ? c->value() : value_type{0};
    }

    /// The counter at `key` (entries of live replicas only), or nullptr.
    [[nodiscard]] const counter* find(const Key& key) const { return counters_.find(key); }

    void merge(const retirable_counter_map& other) {
        if (&other == this) return;
        const std::size_t retired_before = retired_.size();
        retired_.merge(other.retired_);
        // A newly retired replica may hold entries under any key.
        if (retired_.size() != retired_before) drop_retired(counters_);
        if (other.counters_.empty()) return;
        // Equal retired sets: other is canonical, so it holds no retired entry.
        if (retired_.size() == other.retired_.size()) {
            counters_.merge(other.counters_);
            return;
        }
        // Otherwise filter the incoming side (a delta is small) before joining it.
        g_map<Key, counter> incoming = other.counters_;
        drop_retired(incoming);
        counters_.merge(incoming);
    }

    /// What `peer` lacks: retirements it has not seen and counter entries it is behind on,
    /// leaving out the entries of replicas that `peer` has retired (it would drop them).
    [[nodiscard]] retirable_counter_map delta_for(const retirable_counter_map& peer) const {
        retirable_counter_map out;
        out.retired_ = retired_.delta_for(peer.retired_);
        out.counters_ = counters_.delta_for(peer.counters_);
        if (!peer.retired_.empty()) drop_retired_in(out.counters_, peer.retired_);
        return out;
    }

    /// The retired replicas.
    [[nodiscard]] const g_set<Replica>& retired() const noexcept { return retired_; }
    /// The (key, counter) pairs in key order.
    [[nodiscard]] const g_map<Key, counter>& counters() const noexcept { return counters_; }

    [[nodiscard]] bool empty() const noexcept { return retired_.empty() && counters_.empty(); }

    friend bool operator==(const retirable_counter_map&, const retirable_counter_map&) = default;

private:
    friend struct wire<retirable_counter_map>;

    template <class Mutate>
    retirable_counter_map add(const Key& key, const Replica& replica, Mutate mutate) {
        if (retired_.contains(replica)) throw retired_error("converge: write by a retired replica");
        retirable_counter_map delta;
        delta.counters_ = counters_.update(key, mutate);
        return delta;
    }

    void drop_retired(g_map<Key, counter>& counters) const { drop_retired_in(counters, retired_); }

    static void drop_retired_in(g_map<Key, counter>& counters, const g_set<Replica>& retired) {
        counters.shrink_values([&retired](counter& c) {
            c.tallies_.erase_keys_if([&retired](const Replica& r) { return retired.contains(r); });
        });
    }

    g_set<Replica> retired_;
    g_map<Key, counter> counters_;
};

template <class Key, class Replica, class Count>
struct wire<retirable_counter_map<Key, Replica, Count>> {
    static constexpr wire_tag tag = wire_tag::retirable_counter_map;
    using map = retirable_counter_map<Key, Replica, Count>;

    static void write(detail::byte_writer& w, const map& m) {
        wire<g_set<Replica>>::write(w, m.retired_);
        wire<g_map<Key, typename map::counter>>::write(w, m.counters_);
    }

    /// Canonical only: no counter may hold an entry of a retired replica.
    static map read(detail::byte_reader& r) {
        map m;
        m.retired_ = wire<g_set<Replica>>::read(r);
        const std::size_t counters_start = r.offset();
        m.counters_ = wire<g_map<Key, typename map::counter>>::read(r);
        if (!m.retired_.empty()) {
            for (const auto& [k, c] : m.counters_)
                for (const auto& [replica, t] : c.entries())
                    if (m.retired_.contains(replica)) r.fail(errc::not_canonical, counters_start);
        }
        return m;
    }
};

}  // namespace converge
