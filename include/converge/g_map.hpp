// g_map: a grow-only map from keys to nested CRDTs, merged key by key.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/detail/locate.hpp>
#include <converge/delta_crdt.hpp>
#include <converge/encoding.hpp>
#include <converge/replica_id.hpp>

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace converge {

template <class Key, class Replica, class Count>
class retirable_counter_map;

/// A map whose values are CRDTs: keys are never removed, and merge joins the values of equal
/// keys. Entries live in one sorted vector of (key, value) pairs, so lookups are binary searches
/// and a full merge is one linear pass. A key whose value is bottom (empty) is not stored, so
/// equal states have equal vectors.
///
/// Example:
/// ```
/// converge::g_map<std::string, converge::g_counter<std::uint32_t>> edits, peer;
/// auto delta = edits.update("home", [](auto& c) { return c.increment(1); });
/// peer.merge(delta);
/// assert(peer.find("home") != nullptr && peer.find("home")->value() == 1);
/// ```
template <class Key, delta_crdt Value>
class g_map {
    static_assert(detail::check_ordered_key<Key>());

public:
    using key_type = Key;
    using mapped_type = Value;
    using entry = std::pair<Key, Value>;
    using const_iterator = typename std::vector<entry>::const_iterator;

    /// Applies `mutate` to the value at `key` (bottom when absent) and returns the delta
    /// `{key: what mutate returned}`. `mutate(Value&)` must return the value's delta, as every
    /// converge mutator does. If it throws, the map is unchanged (given the value's own strong
    /// guarantee).
    template <class Mutate>
    g_map update(const Key& key, Mutate&& mutate) {
        g_map delta;
        const auto [i, found] = locate(key);
        if (found) {
            Value d = mutate(entries_[i].second);
            if (entries_[i].second.empty()) entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
            if (!d.empty()) delta.entries_.emplace_back(key, std::move(d));
            return delta;
        }
        Value v;
        Value d = mutate(v);
        if (!d.empty()) delta.entries_.emplace_back(key, std::move(d));
        if (!v.empty()) entries_.emplace(entries_.begin() + static_cast<std::ptrdiff_t>(i), key, std::move(v));
        return delta;
    }

    /// The value at `key`, or nullptr when the key holds bottom.
    [[nodiscard]] const Value* find(const Key& key) const {
        const auto [i, found] = locate(key);
        return found ? &entries_[i].second : nullptr;
    }

    /// Joins `other` key by key. A small map (a delta) is merged by lookups; a large one by one
    /// linear pass.
    void merge(const g_map& other) {
        if (&other == this || other.empty()) return;
        if (other.size() * 8 < entries_.size() || other.size() <= 4) {
            for (const auto& [k, v] : other) merge_at(k, v);
            return;
        }
        std::vector<entry> out;
        out.reserve(entries_.size() + other.size());
        auto a = entries_.begin();
        auto b = other.entries_.begin();
        while (a != entries_.end() && b != other.entries_.end()) {
            if (a->first < b->first) {
                out.push_back(std::move(*a++));
            } else if (b->first < a->first) {
                out.push_back(*b++);
            } else {
                a->second.merge(b->second);
                out.push_back(std::move(*a++));
                ++b;
            }
        }
        std::move(a, entries_.end(), std::back_inserter(out));
        std::copy(b, other.entries_.end(), std::back_inserter(out));
        entries_ = std::move(out);
    }

    /// What `peer` lacks: for each key, the value's delta_for the peer's value at that key.
    [[nodiscard]] g_map delta_for(const g_map& peer) const {
        g_map out;
        for (const auto& [k, v] : entries_) {
            const Value* theirs = peer.find(k);
            Value d = theirs ? v.delta_for(*theirs) : v;
            if (!d.empty()) out.entries_.emplace_back(k, std::move(d));
        }
        return out;
    }

    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    /// The (key, value) pairs in key order.
    [[nodiscard]] const_iterator begin() const noexcept { return entries_.begin(); }
    [[nodiscard]] const_iterator end() const noexcept { return entries_.end(); }

    friend bool operator==(const g_map&, const g_map&) = default;

private:
    friend struct wire<g_map>;
    template <class K, class R, class C>
    friend class retirable_counter_map;

    [[nodiscard]] detail::slot locate(const Key& key) const { return detail::locate(entries_, key); }

    void merge_at(const Key& key, const Value& v) {
        const auto [i, found] = locate(key);
        if (found) entries_[i].second.merge(v);
        else entries_.emplace(entries_.begin() + static_cast<std::ptrdiff_t>(i), key, v);
    }

    /// Applies `f` to every value, then drops the values it left empty: for compositions that
    /// shrink values outside the lattice order (retirement drops a retired replica's entries).
    template <class F>
    void shrink_values(F f) {
        for (auto& [k, v] : entries_) f(v);
        std::erase_if(entries_, [](const entry& e) { return e.second.empty(); });
    }

    std::vector<entry> entries_;
};

template <class Key, class Value>
struct wire<g_map<Key, Value>> {
    static constexpr wire_tag tag = wire_tag::g_map;

    static void write(detail::byte_writer& w, const g_map<Key, Value>& m) {
        w.varint(m.size());
        for (const auto& [k, v] : m) {
            codec<Key>::encode(w, k);
            wire<Value>::write(w, v);
        }
    }

    /// Keys strictly increasing, no bottom values: only the canonical encoding decodes.
    static g_map<Key, Value> read(detail::byte_reader& r) {
        // A nested value takes at least its entry count's one byte.
        const std::size_t n = r.count(codec<Key>::min_size + 1);
        g_map<Key, Value> m;
        m.entries_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t key_start = r.offset();
            Key k = codec<Key>::decode(r);
            if (!m.entries_.empty() && !(m.entries_.back().first < k)) r.fail(errc::not_canonical, key_start);
            const std::size_t value_start = r.offset();
            Value v = wire<Value>::read(r);
            if (v.empty()) r.fail(errc::zero_entry, value_start);
            m.entries_.emplace_back(std::move(k), std::move(v));
        }
        return m;
    }
};

}  // namespace converge
