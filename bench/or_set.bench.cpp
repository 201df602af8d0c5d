// or_set merges beside a classic tombstone OR-set (adds and removes kept as sets of unique tags), same history.
// SPDX-License-Identifier: MIT
//
// The history, per operand: replica 1 adds n elements and replica 2 merges them; then each
// removes a different quarter of them and adds n/4 new elements. Measured: merging the two
// replicas' full states, and merging one add delta and one remove delta into a state.
#include "support/data.hpp"
#include "support/run.hpp"

#include <converge/encoding.hpp>
#include <converge/or_set.hpp>

#include <iterator>
#include <map>
#include <set>
#include <utility>

namespace {

using set = converge::or_set<std::uint64_t, std::uint32_t>;

/// The textbook OR-set: every add gets a unique tag; a remove moves the tags it saw to a
/// tombstone set that is never emptied. Merge is the union of both maps of sets.
struct tombstone_set {
    using tag = std::pair<std::uint32_t, std::uint64_t>;
    std::map<std::uint64_t, std::set<tag>> adds;
    std::set<tag> tombstones;
    std::uint64_t next = 0;

    void add(std::uint64_t x, std::uint32_t self) { adds[x].insert({self, ++next}); }
    void remove(std::uint64_t x) {
        const auto it = adds.find(x);
        if (it == adds.end()) return;
        tombstones.insert(it->second.begin(), it->second.end());
        adds.erase(it);
    }
    void merge(const tombstone_set& o) {
        tombstones.insert(o.tombstones.begin(), o.tombstones.end());
        for (const auto& [x, tags] : o.adds) {
            auto& mine = adds[x];
            for (const tag& t : tags)
                if (!tombstones.contains(t)) mine.insert(t);
        }
        for (auto it = adds.begin(); it != adds.end();) {
            std::erase_if(it->second, [&](const tag& t) { return tombstones.contains(t); });
            it = it->second.empty() ? adds.erase(it) : std::next(it);
        }
    }
};

/// Both replicas after the history, for one operand of size n, in either representation.
template <class S>
std::pair<S, S> replicas(std::size_t n, std::uint64_t seed) {
    const auto xs = bench::random_values(n + n / 2, seed);
    S a, b;
    for (std::size_t i = 0; i < n; ++i) a.add(xs[i], 1);
    b.merge(a);
    for (std::size_t i = 0; i < n / 4; ++i) {
        a.remove(xs[i]);
        b.remove(xs[n / 4 + i]);
        a.add(xs[n + i], 1);
        b.add(xs[n + n / 4 + i], 2);
    }
    return {std::move(a), std::move(b)};
}

template <class S>
struct operands {
    std::vector<S> a, b;
};

template <class S>
const operands<S>& full_states(std::size_t n) {
    return bench::memo(std::pair{n, sizeof(S)}, [&] {
        operands<S> out;
        for (std::size_t k = 0; k < bench::rotation_size(n); ++k) {
            auto [a, b] = replicas<S>(n, 1000 + k);
            out.a.push_back(std::move(a));
            out.b.push_back(std::move(b));
        }
        return out;
    });
}

void sizes(benchmark::internal::Benchmark* b) {
    for (const int n : {100, 10'000}) b->Arg(n);
}

template <class S>
void full_merge(benchmark::State& state) {
    const auto& ops = full_states<S>(bench::size_arg(state));
    bench::merge_copies(state, ops.a, ops.b, [](S& into, const S& from) { into.merge(from); });
    bench::rate(state, "ops", ops.a.size());
    if constexpr (std::is_same_v<S, set>) {
        state.counters["state_bytes"] = static_cast<double>(converge::encode(ops.a[0]).size());
    } else {
        // Lower bound for the tombstones alone: one 12-byte tag each, before any node overhead.
        state.counters["tombstone_bytes"] = static_cast<double>(ops.a[0].tombstones.size() * 12);
    }
}

/// A delta as each representation ships it: converge's mutators return one; the tombstone set
/// ships the touched element's tags (an add) or the new tombstones (a remove), built here by
/// running the mutation on an empty state that holds only what the peer needs.
template <class S>
std::pair<S, S> deltas(const S& state, std::uint64_t fresh) {
    S a = state;
    if constexpr (std::is_same_v<S, set>) {
        const std::uint64_t present = a.entries()[a.size() / 2].first;
        return {a.add(fresh, 3), a.remove(present)};
    } else {
        S add, gone;
        add.adds[fresh].insert({3, ~std::uint64_t{0}});
        const auto& present = std::next(a.adds.begin(), static_cast<std::ptrdiff_t>(a.adds.size() / 2))->second;
        gone.tombstones.insert(present.begin(), present.end());
        return {add, gone};
    }
}

template <class S>
void delta_merge(benchmark::State& state) {
    const std::size_t n = bench::size_arg(state);
    const auto& ops = full_states<S>(n);
    const auto& ds = bench::memo(std::tuple{n, sizeof(S), 1}, [&] {
        operands<S> out;
        for (std::size_t k = 0; k < ops.a.size(); ++k) {
            auto [add, gone] = deltas(ops.a[k], ~std::uint64_t{0} - k);
            S both = add;
            both.merge(gone);
            out.a.push_back(std::move(both));
        }
        return out;
    });
    bench::merge_copies(state, ops.a, ds.a, [](S& into, const S& from) { into.merge(from); });
    bench::rate(state, "ops", ops.a.size());
}

/// The tombstone set's best case for deltas: the delta names its element, so applying it is a
/// few tree operations however large the set (converge's remove delta names only dots, so its
/// merge must scan the set for them).
void baseline_keyed_delta(benchmark::State& state) {
    const std::size_t n = bench::size_arg(state);
    const auto& ops = full_states<tombstone_set>(n);
    using tag = tombstone_set::tag;
    struct keyed {
        std::uint64_t added;
        tag added_tag;
        std::uint64_t removed;
        std::set<tag> removed_tags;
    };
    const auto& ds = bench::memo(n, [&] {
        std::vector<keyed> out;
        for (std::size_t k = 0; k < ops.a.size(); ++k) {
            const auto& s = ops.a[k];
            const auto it = std::next(s.adds.begin(), static_cast<std::ptrdiff_t>(s.adds.size() / 2));
            out.push_back({~std::uint64_t{0} - k, {3, ~std::uint64_t{0}}, it->first, it->second});
        }
        return out;
    });
    bench::merge_copies(state, ops.a, ds, [](tombstone_set& into, const keyed& d) {
        if (!into.tombstones.contains(d.added_tag)) into.adds[d.added].insert(d.added_tag);
        into.tombstones.insert(d.removed_tags.begin(), d.removed_tags.end());
        const auto it = into.adds.find(d.removed);
        if (it == into.adds.end()) return;
        for (const tag& t : d.removed_tags) it->second.erase(t);
        if (it->second.empty()) into.adds.erase(it);
    });
    bench::rate(state, "ops", ops.a.size());
}

void register_benchmarks() {
    bench::add("or_set_merge/converge", sizes, full_merge<set>);
    bench::add("or_set_merge/baseline_tombstone_set", sizes, full_merge<tombstone_set>);
    bench::add("or_set_delta/converge", sizes, delta_merge<set>);
    bench::add("or_set_delta/baseline_tombstone_set", sizes, delta_merge<tombstone_set>);
    bench::add("or_set_delta/baseline_keyed_delta", sizes, baseline_keyed_delta);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, register_benchmarks); }
