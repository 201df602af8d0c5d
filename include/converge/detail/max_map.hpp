// A sorted flat map whose merge is a pointwise join: the state of every counter and clock.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/detail/byte_io.hpp>
#include <converge/detail/lattice.hpp>
#include <converge/detail/locate.hpp>
#include <converge/detail/lower_bound.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

namespace converge::detail {

/// Keys and values live in two parallel sorted arrays (not a node-based map): lookups are binary
/// searches, a full merge is one linear pass, and the same-membership merge of a stable cluster
/// is a key comparison plus a dense pointwise join. Bottom values are never stored, so equal
/// states have equal arrays and `==` compares states exactly.
template <class K, lattice_value V>
class max_map {
public:
    /// Forward iterator yielding `std::pair<const K&, const V&>`, for structured bindings.
    class iterator {
    public:
        using iterator_concept = std::forward_iterator_tag;
        using iterator_category = std::input_iterator_tag;
        using value_type = std::pair<const K&, const V&>;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        iterator(const max_map* m, std::size_t i) noexcept : map_(m), i_(i) {}
        value_type operator*() const { return {map_->keys_[i_], map_->values_[i_]}; }
        iterator& operator++() noexcept { ++i_; return *this; }
        iterator operator++(int) noexcept { auto t = *this; ++i_; return t; }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.i_ == b.i_; }

    private:
        const max_map* map_ = nullptr;
        std::size_t i_ = 0;
    };

    [[nodiscard]] iterator begin() const noexcept { return {this, 0}; }
    [[nodiscard]] iterator end() const noexcept { return {this, keys_.size()}; }
    [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
    [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }
    [[nodiscard]] const std::vector<K>& keys() const noexcept { return keys_; }
    [[nodiscard]] const std::vector<V>& values() const noexcept { return values_; }

    /// The value stored for `k`, or bottom.
    [[nodiscard]] V get(const K& k) const { return value_at(locate(k)); }

    /// Where `k` is, or would be inserted: what a mutator looks up once and then stores to.
    /// A service looks up ids in many states (one per page), mostly out of cache. A plain
    /// branch-free search serialises those cache misses and ran 2-3x slower than
    /// std::lower_bound, whose speculation overlaps them; a branch-free search that prefetches
    /// both next probes overlaps them too, without std::lower_bound's mispredictions
    /// (bench/delta_merge.bench.cpp). Scalar keys only: other keys keep std::lower_bound.
    [[nodiscard]] slot locate(const K& k) const {
        if constexpr (std::is_scalar_v<K>) {
            const std::size_t i = lower_bound_index_prefetch(keys_.data(), keys_.size(), k);
            return {i, i < keys_.size() && keys_[i] == k};
        } else {
            return detail::locate(keys_, k);
        }
    }

    /// The value at a located slot, or bottom when the key is absent.
    [[nodiscard]] V value_at(slot s) const { return s.found ? values_[s.index] : V{}; }

    /// Sets the value at a slot located since the last change. Strong guarantee: on an
    /// exception nothing changed.
    void store(slot s, const K& k, const V& v) {
        if (s.found) values_[s.index] = v;
        else insert_at(s.index, k, v);
    }

    /// Stores `join(get(k), v)`. Strong guarantee: on an exception nothing changed.
    void join_at(const K& k, const V& v) {
        if (is_bottom(v)) return;
        const slot s = locate(k);
        store(s, k, s.found ? join(values_[s.index], v) : v);
    }

    void merge(const max_map& other) {
        if (other.size() == 1) return join_at(other.keys_.front(), other.values_.front());  // an increment's delta
        if (other.empty() || &other == this) return;
        if (keys_ == other.keys_) {
            for (std::size_t i = 0; i < values_.size(); ++i)
                values_[i] = join(values_[i], other.values_[i]);
        } else if (other.size() <= small_merge_limit && lookups_cheaper(other.size())) {
            // A delta: a lookup and a store per entry, not a rebuild.
            for (std::size_t i = 0; i < other.size(); ++i) join_at(other.keys_[i], other.values_[i]);
        } else if (!(lookups_cheaper(other.size()) && join_existing(other))) {
            if constexpr (merges_in_place) merge_in_place(other);
            else merge_linear(other);
        }
    }

    /// The entries of *this that `peer` lacks or holds at a lower value: what to ship so that
    /// `peer.merge(result)` brings peer up to date. One linear pass.
    [[nodiscard]] max_map missing_from(const max_map& peer) const {
        max_map out;
        std::size_t j = 0;
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            while (j < peer.keys_.size() && peer.keys_[j] < keys_[i]) ++j;
            const bool shared = j < peer.keys_.size() && peer.keys_[j] == keys_[i];
            if (!shared || join(peer.values_[j], values_[i]) != peer.values_[j]) {
                out.keys_.push_back(keys_[i]);
                out.values_.push_back(values_[i]);
            }
        }
        return out;
    }

    /// Removes the entries whose key satisfies `pred`: for states that drop retired replicas.
    template <class Pred>
    void erase_keys_if(Pred pred) {
        std::size_t out = 0;
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            if (pred(keys_[i])) continue;
            if (out != i) {
                keys_[out] = std::move(keys_[i]);
                values_[out] = values_[i];
            }
            ++out;
        }
        keys_.resize(out);
        values_.resize(out);
    }

    /// Builds a map from entries already validated as sorted, unique and non-bottom.
    static max_map from_sorted(std::vector<K> keys, std::vector<V> values) noexcept {
        max_map m;
        m.keys_ = std::move(keys);
        m.values_ = std::move(values);
        return m;
    }

    friend bool operator==(const max_map&, const max_map&) = default;

private:
    static constexpr std::size_t small_merge_limit = 8;

    /// Keys and values whose copies and moves cannot throw (integer ids, counts) are merged into
    /// the state's own capacity: once a state has grown, merging into it allocates nothing.
    /// Other keys (strings) are merged into new arrays, which keeps the strong guarantee.
    static constexpr bool merges_in_place =
        std::is_nothrow_copy_assignable_v<K> && std::is_nothrow_move_constructible_v<K> &&
        std::is_nothrow_copy_assignable_v<V> && std::is_nothrow_move_constructible_v<V> &&
        std::is_nothrow_default_constructible_v<K> && std::is_nothrow_default_constructible_v<V>;

    /// Room for `n` more entries in both arrays, growing geometrically like push_back (an exact
    /// reserve would reallocate on every insert). Strong guarantee: on an exception nothing changed.
    void reserve_more(std::size_t n) {
        const auto grown = [&](std::size_t capacity) { return std::max(keys_.size() + n, 2 * capacity); };
        if (keys_.capacity() < keys_.size() + n) keys_.reserve(grown(keys_.capacity()));
        if (values_.capacity() < values_.size() + n) values_.reserve(grown(values_.capacity()));
    }

    /// A new key at index `i`. Strong guarantee: on an exception nothing changed.
    void insert_at(std::size_t i, const K& k, const V& v) {
        // Reserve both first so that neither insert below can reallocate and throw halfway.
        reserve_more(1);
        keys_.insert(keys_.begin() + static_cast<std::ptrdiff_t>(i), k);
        values_.insert(values_.begin() + static_cast<std::ptrdiff_t>(i), v);
    }

    /// m binary searches cost about m * log2(n) steps, a linear merge n + m.
    [[nodiscard]] bool lookups_cheaper(std::size_t m) const noexcept {
        std::size_t log2n = 1;
        while ((std::size_t{1} << log2n) < keys_.size()) ++log2n;
        return m * log2n < keys_.size();
    }

    /// Joins every entry of `other` whose key *this already holds, by lookup; true when that was
    /// all of them. Otherwise the caller merges linearly, and re-joining the entries joined here
    /// changes nothing, since join is idempotent.
    bool join_existing(const max_map& other) {
        bool all_found = true;
        for (std::size_t i = 0; i < other.size(); ++i) {
            const slot s = locate(other.keys_[i]);
            if (s.found) values_[s.index] = join(values_[s.index], other.values_[i]);
            else all_found = false;
        }
        return all_found;
    }

    /// The general merge: one pass that writes every step's output whether or not the keys
    /// matched, advancing each side by a comparison result rather than a branch, because the
    /// interleaving of two replicas' ids is random and a branch on it mispredicts often.
    void merge_linear(const max_map& other) {
        const std::size_t n = keys_.size();
        const std::size_t m = other.keys_.size();
        std::vector<K> keys(n + m);
        std::vector<V> values(n + m);
        // Local pointers: through the members the compiler must assume the output aliases them.
        const K* ka = keys_.data();
        const V* va = values_.data();
        const K* kb = other.keys_.data();
        const V* vb = other.values_.data();
        K* ko = keys.data();
        V* vo = values.data();
        std::size_t i = 0;
        std::size_t j = 0;
        std::size_t out = 0;
        while (i < n && j < m) {
            const bool take_a = !(kb[j] < ka[i]);
            const bool take_b = !(ka[i] < kb[j]);
            ko[out] = take_a ? ka[i] : kb[j];
            vo[out] = join(keep_if(take_a, va[i]), keep_if(take_b, vb[j]));
            i += take_a;
            j += take_b;
            ++out;
        }
        const auto copy_tail = [&](const max_map& from, std::size_t k) {
            for (; k < from.keys_.size(); ++k, ++out) {
                keys[out] = from.keys_[k];
                values[out] = from.values_[k];
            }
        };
        copy_tail(*this, i);
        copy_tail(other, j);
        keys.resize(out);
        values.resize(out);
        keys_ = std::move(keys);
        values_ = std::move(values);
    }

    /// merge_linear's pass run backwards inside *this, for keys and values that copy without
    /// throwing: both arrays grow to n + m, the pass writes from the top down (the write index
    /// never falls below the read index of *this, so no unread entry is overwritten), and the
    /// result is moved down over the gap that shared keys left.
    void merge_in_place(const max_map& other) {
        const std::size_t n = keys_.size();
        const std::size_t m = other.keys_.size();
        reserve_more(m);  // the only step that can throw; it changes no entry
        keys_.resize(n + m);
        values_.resize(n + m);
        K* ka = keys_.data();
        V* va = values_.data();
        const K* kb = other.keys_.data();
        const V* vb = other.values_.data();
        std::size_t i = n;
        std::size_t j = m;
        std::size_t out = n + m;
        while (i > 0 && j > 0) {
            const K& x = ka[i - 1];
            const K& y = kb[j - 1];
            const bool take_a = !(x < y);
            const bool take_b = !(y < x);
            const K key = take_a ? x : y;
            const V value = join(keep_if(take_a, va[i - 1]), keep_if(take_b, vb[j - 1]));
            --out;
            ka[out] = key;
            va[out] = value;
            i -= take_a;
            j -= take_b;
        }
        for (; j > 0; --j, --out) {
            ka[out - 1] = kb[j - 1];
            va[out - 1] = vb[j - 1];
        }
        // The rest of *this, [0, i), is below its place by the number of shared keys; moving
        // it up would be as costly as moving the merged run down, which also closes the gap.
        if (out != i) {
            std::move(ka + out, ka + n + m, ka + i);
            std::move(va + out, va + n + m, va + i);
        }
        const std::size_t size = i + (n + m - out);
        keys_.resize(size);
        values_.resize(size);
    }

    std::vector<K> keys_;
    std::vector<V> values_;
};

/// Writes `count, (key, value)*`; `write_value` writes one value.
template <class K, class V, class KeyCodec, class WriteValue>
void write_map(byte_writer& w, const max_map<K, V>& m, WriteValue write_value) {
    w.varint(m.size());
    for (const auto& [k, v] : m) {
        KeyCodec::encode(w, k);
        write_value(w, v);
    }
}

/// Reads what write_map wrote, rejecting unsorted or repeated keys and bottom values, so that
/// only canonical encodings decode. `min_value_size` is the fewest bytes one value takes.
template <class K, class V, class KeyCodec, class ReadValue>
max_map<K, V> read_map(byte_reader& r, std::size_t min_value_size, ReadValue read_value) {
    const std::size_t n = r.count(KeyCodec::min_size + min_value_size);
    std::vector<K> keys;
    std::vector<V> values;
    keys.reserve(n);
    values.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t key_start = r.offset();
        K k = KeyCodec::decode(r);
        if (!keys.empty() && !(keys.back() < k)) r.fail(errc::not_canonical, key_start);
        const std::size_t value_start = r.offset();
        V v = read_value(r);
        if (is_bottom(v)) r.fail(errc::zero_entry, value_start);
        keys.push_back(std::move(k));
        values.push_back(v);
    }
    return max_map<K, V>::from_sorted(std::move(keys), std::move(values));
}

}  // namespace converge::detail
