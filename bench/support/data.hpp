// Benchmark operands: random ids and counts from fixed seeds, in rotations of many distinct states.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/g_counter.hpp>
#include <converge/g_set.hpp>
#include <converge/pn_counter.hpp>
#include <converge/vector_clock.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <tuple>
#include <type_traits>
#include <vector>

namespace bench {

/// Entries per side that one rotation of operands holds: a benchmark cycles through this many
/// before any operand repeats, so the branch predictor cannot learn the merge pattern. On this
/// machine 32768 was not enough: a branchy std::set_union ran 4x faster cycling through 33 pairs
/// of 1000 elements than through 131 or 262 pairs (which agree); 131072 entries still fit in L3.
inline constexpr std::size_t rotation_entries = 131072;

/// How many distinct operands of `per_side` entries make up a rotation.
inline std::size_t rotation_size(std::size_t per_side) {
    return std::max<std::size_t>(1, (rotation_entries + per_side - 1) / per_side);
}

/// `make()`, built on the first call with `key` at this call site and kept for the rest of the
/// run: Google Benchmark calls a benchmark function again for every trial and repetition, and
/// rebuilding the operands each time would make a run take minutes longer.
template <class Key, class Make>
const auto& memo(const Key& key, Make make) {
    static std::map<Key, std::invoke_result_t<Make>> cache;
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, make()).first;
    return it->second;
}

/// One replica's entry in any of the counter states: its id and two tallies (g_counter and
/// vector_clock use `inc` only).
struct entry {
    std::uint64_t id;
    std::uint64_t inc;
    std::uint64_t dec;
};
using entries = std::vector<entry>;  // sorted by id, no id twice

struct operand_pair {
    entries a;
    entries b;
};

enum class overlap {
    half_shared,  // each side has r ids, r/2 of them also on the other side
    same_ids,     // both sides hold the same r ids (a stable cluster)
};

enum class id_kind {
    random64,  // random 64-bit ids
    small,     // the ids 0 .. r-1
};

/// Counts for merges: large enough that either side wins a max half the time.
inline constexpr std::uint64_t merge_counts = std::uint64_t{1} << 32;

/// `n` distinct random 64-bit values in random order.
inline std::vector<std::uint64_t> distinct_random(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint64_t> v;
    while (v.size() < n) {
        while (v.size() < n) v.push_back(rng());
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
    }
    std::shuffle(v.begin(), v.end(), rng);
    return v;
}

/// Sorted entries for `ids`, with tallies drawn uniformly from [1, max_count].
inline entries with_counts(std::vector<std::uint64_t> ids, std::uint64_t max_count, std::mt19937_64& rng) {
    std::sort(ids.begin(), ids.end());
    std::uniform_int_distribution<std::uint64_t> count(1, max_count);
    entries out;
    out.reserve(ids.size());
    for (const auto id : ids) out.push_back({id, count(rng), count(rng)});
    return out;
}

/// A rotation of operand pairs of `r` entries per side, with random 64-bit ids.
inline const std::vector<operand_pair>& operand_pairs(std::size_t r, overlap o,
                                                      std::uint64_t max_count = merge_counts) {
    return memo(std::tuple{r, o, max_count}, [&] {
        std::vector<operand_pair> pairs(rotation_size(r));
        std::mt19937_64 rng(r);
        for (auto& p : pairs) {
            const auto ids = distinct_random(r + r / 2, rng());
            const auto at = [&](std::size_t from, std::size_t to) {
                return std::vector<std::uint64_t>(ids.begin() + static_cast<std::ptrdiff_t>(from),
                                                  ids.begin() + static_cast<std::ptrdiff_t>(to));
            };
            auto a = at(0, r);
            auto b = o == overlap::same_ids ? a : at(r / 2, r + r / 2);
            p = {with_counts(std::move(a), max_count, rng), with_counts(std::move(b), max_count, rng)};
        }
        return pairs;
    });
}

/// A rotation of single states of `r` entries each.
inline const std::vector<entries>& states(std::size_t r, id_kind kind, std::uint64_t max_count) {
    return memo(std::tuple{r, kind, max_count}, [&] {
        std::vector<entries> out(rotation_size(r));
        std::mt19937_64 rng(r + 1);
        for (auto& s : out) {
            std::vector<std::uint64_t> ids(r);
            if (kind == id_kind::small) {
                for (std::size_t i = 0; i < r; ++i) ids[i] = i;
            } else {
                ids = distinct_random(r, rng());
            }
            s = with_counts(std::move(ids), max_count, rng);
        }
        return out;
    });
}

/// `n` random 64-bit values (repeats allowed, and vanishingly rare).
inline std::vector<std::uint64_t> random_values(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint64_t> v(n);
    for (auto& x : v) x = rng();
    return v;
}

// --- converge states built from entries, through the public API only ----------------------

using g_counter = converge::g_counter<std::uint64_t>;
using pn_counter = converge::pn_counter<std::uint64_t>;
using vector_clock = converge::vector_clock<std::uint64_t>;
using g_set = converge::g_set<std::uint64_t>;

template <class State>
State make_state(const entries& es);

template <>
inline g_counter make_state<g_counter>(const entries& es) {
    g_counter c;
    for (const auto& e : es) c.increment(e.id, e.inc);  // ids ascending: each one appends
    return c;
}

template <>
inline pn_counter make_state<pn_counter>(const entries& es) {
    pn_counter c;
    for (const auto& e : es) {
        c.increment(e.id, e.inc);
        c.decrement(e.id, e.dec);
    }
    return c;
}

/// Clocks can only tick, so keep their counts small.
template <>
inline vector_clock make_state<vector_clock>(const entries& es) {
    vector_clock c;
    for (const auto& e : es)
        for (std::uint64_t t = 0; t < e.inc; ++t) c.tick(e.id);
    return c;
}

/// A set of the entries' ids, inserted one by one in random order as a replica would: it ends
/// with a run of recent inserts beside its bulk.
template <>
inline g_set make_state<g_set>(const entries& es) {
    std::vector<std::uint64_t> ids;
    for (const auto& e : es) ids.push_back(e.id);
    std::shuffle(ids.begin(), ids.end(), std::mt19937_64(ids.size()));
    g_set s;
    for (const auto id : ids) s.insert(id);
    return s;
}

/// Both sides of a rotation of operand pairs, each converted by `convert`: to converge states
/// (`make_state<g_counter>`) or to a baseline's representation.
template <class T>
struct sides {
    std::vector<T> a;  // merge targets
    std::vector<T> b;  // merge sources
};

template <class Convert>
auto convert_pairs(const std::vector<operand_pair>& pairs, Convert convert) {
    sides<std::invoke_result_t<Convert, const entries&>> out;
    for (const auto& p : pairs) {
        out.a.push_back(convert(p.a));
        out.b.push_back(convert(p.b));
    }
    return out;
}

/// The entries in both sides of every pair: what one pass over the rotation merges.
inline std::size_t input_entries(const std::vector<operand_pair>& pairs) {
    std::size_t n = 0;
    for (const auto& p : pairs) n += p.a.size() + p.b.size();
    return n;
}

}  // namespace bench
