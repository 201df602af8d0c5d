// The limits converge is measured against: plain loops over flat arrays, and a std::map counter.
// SPDX-License-Identifier: MIT
#pragma once

#include "data.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace bench {

/// The next of 31 offsets, 128 bytes apart, shared by buffers of every element type.
inline std::size_t next_spacing() {
    static std::size_t slot = 0;
    slot = slot % 31 + 1;
    return slot * 128;
}

/// Puts each buffer of 2 KiB or more at a different multiple of 128 bytes past a page boundary.
/// glibc's memcpy copies 2 KiB or more with `rep movsb`, which runs about 12x slower on this
/// machine when the two addresses differ by 16 mod 4096, as two adjacent equal-sized vectors
/// often do; where a baseline's buffers happen to land must not make it slow. Smaller buffers
/// are allocated as usual: a page each would scatter them over the TLB.
template <class T>
struct spaced_allocator {
    using value_type = T;
    static constexpr std::size_t page = 4096;
    static constexpr std::size_t spaced_from = 2048;

    spaced_allocator() = default;
    template <class U>
    spaced_allocator(const spaced_allocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n * sizeof(T) < spaced_from) return static_cast<T*>(::operator new(n * sizeof(T)));
        const std::size_t offset = next_spacing();
        auto* base = static_cast<std::byte*>(::operator new(n * sizeof(T) + page, std::align_val_t{page}));
        std::memcpy(base + offset - sizeof offset, &offset, sizeof offset);  // for deallocate
        return reinterpret_cast<T*>(base + offset);
    }

    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) < spaced_from) return ::operator delete(p);
        auto* at = reinterpret_cast<std::byte*>(p);
        std::size_t offset = 0;
        std::memcpy(&offset, at - sizeof offset, sizeof offset);
        ::operator delete(at - offset, std::align_val_t{page});
    }

    friend bool operator==(const spaced_allocator&, const spaced_allocator&) noexcept { return true; }
};

template <class T>
using spaced_vector = std::vector<T, spaced_allocator<T>>;

inline std::uint64_t max_u64(std::uint64_t a, std::uint64_t b) { return a < b ? b : a; }

/// All-ones when `b`, else zero: selects by masking instead of branching.
inline std::uint64_t mask(bool b) { return std::uint64_t{0} - static_cast<std::uint64_t>(b); }

// --- sparse: sorted (id, count) entries ------------------------------------------------------

using pair_entry = std::pair<std::uint64_t, std::uint64_t>;  // (id, count): g_counter

struct triple_entry {  // (id, increments, decrements): pn_counter
    std::uint64_t id;
    std::uint64_t inc;
    std::uint64_t dec;
};

/// The join of two entries each masked to zero when not taken. Entries with id 0 and counts 0
/// are below every entry, so the maximum of the ids is the id of whichever was taken.
inline pair_entry masked_join(const pair_entry& x, std::uint64_t mx, const pair_entry& y, std::uint64_t my) {
    return {max_u64(x.first & mx, y.first & my), max_u64(x.second & mx, y.second & my)};
}

inline triple_entry masked_join(const triple_entry& x, std::uint64_t mx, const triple_entry& y, std::uint64_t my) {
    return {max_u64(x.id & mx, y.id & my), max_u64(x.inc & mx, y.inc & my), max_u64(x.dec & mx, y.dec & my)};
}

inline std::uint64_t id_of(const pair_entry& e) { return e.first; }
inline std::uint64_t id_of(const triple_entry& e) { return e.id; }

/// Merges two id-sorted runs into `out` (room for n + m), joining entries with equal ids; each
/// step advances by comparison results, never a branch on the data. Returns the entries written.
/// The best a sparse merge can do: one pass, no allocation.
template <class Entry>
std::size_t merge_sorted(const Entry* a, std::size_t n, const Entry* b, std::size_t m, Entry* out) {
    std::size_t i = 0;
    std::size_t j = 0;
    std::size_t o = 0;
    while (i < n && j < m) {
        const Entry x = a[i];
        const Entry y = b[j];
        const bool take_a = !(id_of(y) < id_of(x));
        const bool take_b = !(id_of(x) < id_of(y));
        out[o++] = masked_join(x, mask(take_a), y, mask(take_b));
        i += take_a;
        j += take_b;
    }
    for (; i < n; ++i) out[o++] = a[i];
    for (; j < m; ++j) out[o++] = b[j];
    return o;
}

/// Where, in id-sorted `a` and `b`, some entry of a is below b's (`less`) and some above.
struct order_flags {
    bool less = false;
    bool greater = false;
};

/// The vector-clock comparison of two id-sorted runs in one pass without data-dependent branches.
inline order_flags compare_sorted(const pair_entry* a, std::size_t n, const pair_entry* b, std::size_t m) {
    std::size_t i = 0;
    std::size_t j = 0;
    bool less = false;
    bool greater = false;
    while (i < n && j < m) {
        const pair_entry x = a[i];
        const pair_entry y = b[j];
        const bool take_a = !(y.first < x.first);
        const bool take_b = !(x.first < y.first);
        const std::uint64_t va = x.second & mask(take_a);
        const std::uint64_t vb = y.second & mask(take_b);
        less |= va < vb;
        greater |= vb < va;
        i += take_a;
        j += take_b;
    }
    return {less || j < m, greater || i < n};
}

// --- dense: counts only, when both sides hold the same ids -------------------------------------

/// out[i] = max(a[i], b[i]): the limit for a merge of states with the same membership.
inline void max_dense(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = max_u64(a[i], b[i]);
}

/// The vector-clock comparison when both sides hold the same ids: the counts alone.
inline order_flags compare_dense(const std::uint64_t* a, const std::uint64_t* b, std::size_t n) {
    bool less = false;
    bool greater = false;
    for (std::size_t i = 0; i < n; ++i) {
        less |= a[i] < b[i];
        greater |= b[i] < a[i];
    }
    return {less, greater};
}

// --- sets ----------------------------------------------------------------------------------------

/// Union of two sorted runs of distinct values into `out` (room for n + m), without
/// data-dependent branches. Returns the values written: the limit for a g_set merge.
inline std::size_t union_sorted(const std::uint64_t* a, std::size_t n, const std::uint64_t* b, std::size_t m,
                                std::uint64_t* out) {
    std::size_t i = 0;
    std::size_t j = 0;
    std::size_t o = 0;
    while (i < n && j < m) {
        const std::uint64_t x = a[i];
        const std::uint64_t y = b[j];
        out[o++] = y < x ? y : x;
        i += !(y < x);
        j += !(x < y);
    }
    for (; i < n; ++i) out[o++] = a[i];
    for (; j < m; ++j) out[o++] = b[j];
    return o;
}

/// Index of the first of sorted `data[0, n)` not below `x`; the halving step is a select.
inline std::size_t binary_search(const std::uint64_t* data, std::size_t n, std::uint64_t x) {
    if (n == 0) return 0;
    const std::uint64_t* base = data;
    while (n > 1) {
        const std::size_t half = n / 2;
        base = base[half] < x ? base + half : base;
        n -= half;
    }
    return static_cast<std::size_t>(base - data) + (*base < x ? 1 : 0);
}

// --- varints -----------------------------------------------------------------------------------

/// Writes `v` as a LEB128 varint at `out`, which has room; returns the bytes written.
inline std::size_t put_varint(std::byte* out, std::uint64_t v) {
    std::size_t n = 0;
    for (; v >= 0x80; v >>= 7) out[n++] = std::byte{static_cast<std::uint8_t>(v | 0x80)};
    out[n++] = std::byte{static_cast<std::uint8_t>(v)};
    return n;
}

/// Reads the LEB128 varint at `p` and advances past it, checking nothing: the limit for a
/// decoder, which must also check bounds, minimal length, order and range.
inline std::uint64_t get_varint(const std::byte*& p) {
    std::uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        const auto b = std::to_integer<std::uint64_t>(*p++);
        v |= (b & 0x7f) << shift;
        if (b < 0x80) return v;
    }
}

// --- node-based --------------------------------------------------------------------------------

/// A G-Counter as a node-based implementation would keep it.
using map_counter = std::map<std::uint64_t, std::uint64_t>;

inline void merge_map(map_counter& into, const map_counter& from) {
    for (const auto& [id, count] : from) {
        std::uint64_t& mine = into[id];
        mine = max_u64(mine, count);
    }
}

// --- the same operands in the baselines' representations --------------------------------------

/// The entries as sorted (id, count) pairs or (id, inc, dec) triples.
template <class Entry>
spaced_vector<Entry> to_sorted(const entries& es) {
    spaced_vector<Entry> out;
    out.reserve(es.size());  // one allocation each, so buffers made in a row get distinct offsets
    for (const auto& e : es) {
        if constexpr (std::is_same_v<Entry, pair_entry>) out.emplace_back(e.id, e.inc);
        else out.push_back({e.id, e.inc, e.dec});
    }
    return out;
}

inline spaced_vector<std::uint64_t> to_ids(const entries& es) {
    spaced_vector<std::uint64_t> out;
    out.reserve(es.size());
    for (const auto& e : es) out.push_back(e.id);
    return out;
}

/// The counts alone (`with_dec`: increments and decrements interleaved, as a pn_counter's).
inline spaced_vector<std::uint64_t> to_counts(const entries& es, bool with_dec) {
    spaced_vector<std::uint64_t> out;
    out.reserve(es.size() * (with_dec ? 2 : 1));
    for (const auto& e : es) {
        out.push_back(e.inc);
        if (with_dec) out.push_back(e.dec);
    }
    return out;
}

inline map_counter to_map(const entries& es) {
    map_counter out;
    for (const auto& e : es) out.emplace(e.id, e.inc);
    return out;
}

}  // namespace bench
