// Random operations for each CRDT type, and the plain-arithmetic truth they must add up to.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/converge.hpp>

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace converge_test {

/// Replica ids (and set elements) drawn from a small pool, so that states overlap.
template <class R>
rc::Gen<R> small_key() {
    if constexpr (std::is_same_v<R, std::string>) {
        return rc::gen::elementOf(std::vector<std::string>{"", "a", "b", "eu-1", "eu-2", "us-east", "\xff"});
    } else {
        return rc::gen::inRange<R>(R{0}, R{12});
    }
}

/// The id of actor number `i` in a simulation, distinct for distinct i.
template <class R>
R actor_id(std::size_t i) {
    if constexpr (std::is_same_v<R, std::string>) return "replica-" + std::to_string(i);
    else return static_cast<R>(i);
}

/// crdt_ops<T> says, for one CRDT type, what one random local operation is (`op`), how an
/// actor applies it (`apply`, returning the delta) and how the operation changes the truth
/// kept outside the CRDT (`record`, `matches`).
template <class T>
struct crdt_ops;

template <class R, class C>
struct crdt_ops<converge::g_counter<R, C>> {
    using crdt = converge::g_counter<R, C>;
    using actor = R;
    struct op {
        C n;
    };
    using truth = converge::uint128;  // plain sum of every increment
    static rc::Gen<op> gen_op() {
        return rc::gen::construct<op>(rc::gen::inRange<C>(C{0}, C{20}));
    }
    static crdt apply(crdt& x, const R& self, const op& o) { return x.increment(self, o.n); }
    static void record(truth& t, const R&, const op& o) { t += o.n; }
    static bool matches(const crdt& x, const truth& t) { return x.value() == t; }
};

template <class R, class C>
struct crdt_ops<converge::pn_counter<R, C>> {
    using crdt = converge::pn_counter<R, C>;
    using actor = R;
    struct op {
        C n;
        bool down;
    };
    using truth = converge::int128;
    static rc::Gen<op> gen_op() {
        return rc::gen::construct<op>(rc::gen::inRange<C>(C{0}, C{20}), rc::gen::arbitrary<bool>());
    }
    static crdt apply(crdt& x, const R& self, const op& o) {
        return o.down ? x.decrement(self, o.n) : x.increment(self, o.n);
    }
    static void record(truth& t, const R&, const op& o) { t += o.down ? -converge::int128{o.n} : converge::int128{o.n}; }
    static bool matches(const crdt& x, const truth& t) { return x.value() == t; }
};

template <class R>
struct crdt_ops<converge::vector_clock<R>> {
    using crdt = converge::vector_clock<R>;
    using actor = R;
    struct op {};
    using truth = std::map<R, std::uint64_t>;  // events per replica
    static rc::Gen<op> gen_op() { return rc::gen::just(op{}); }
    static crdt apply(crdt& x, const R& self, const op&) { return x.tick(self); }
    static void record(truth& t, const R& self, const op&) { ++t[self]; }
    static bool matches(const crdt& x, const truth& t) {
        if (x.size() != t.size()) return false;
        for (const auto& [r, n] : t)
            if (x.get(r) != n) return false;
        return true;
    }
};

template <class E>
struct crdt_ops<converge::g_set<E>> {
    using crdt = converge::g_set<E>;
    using actor = E;  // unused: any replica may insert any element
    struct op {
        E element;
    };
    using truth = std::set<E>;
    static rc::Gen<op> gen_op() {
        if constexpr (std::is_same_v<E, std::string>) return rc::gen::construct<op>(small_key<E>());
        // Wider than small_key so that sets grow past the small-merge and compaction thresholds.
        else return rc::gen::construct<op>(rc::gen::inRange<E>(E{0}, E{100}));
    }
    static crdt apply(crdt& x, const E&, const op& o) { return x.insert(o.element); }
    static void record(truth& t, const E&, const op& o) { t.insert(o.element); }
    static bool matches(const crdt& x, const truth& t) {
        return x.size() == t.size() && std::equal(x.begin(), x.end(), t.begin());
    }
};

/// Keys of the map types: a small pool of strings, so that replicas touch the same keys.
inline rc::Gen<std::string> small_map_key() {
    return rc::gen::elementOf(std::vector<std::string>{"", "home", "news", "about", "\xff"});
}

template <class R, class C>
struct crdt_ops<converge::g_map<std::string, converge::pn_counter<R, C>>> {
    using crdt = converge::g_map<std::string, converge::pn_counter<R, C>>;
    using actor = R;
    struct op {
        std::string key;
        C n;
        bool down;
    };
    using truth = std::map<std::string, converge::int128>;  // plain sum per key
    static rc::Gen<op> gen_op() {
        return rc::gen::construct<op>(small_map_key(), rc::gen::inRange<C>(C{0}, C{20}), rc::gen::arbitrary<bool>());
    }
    static crdt apply(crdt& x, const R& self, const op& o) {
        return x.update(o.key, [&](auto& c) { return o.down ? c.decrement(self, o.n) : c.increment(self, o.n); });
    }
    static void record(truth& t, const R&, const op& o) {
        t[o.key] += o.down ? -converge::int128{o.n} : converge::int128{o.n};
    }
    static bool matches(const crdt& x, const truth& t) {
        // Every key holds its sum; a key the map holds was written (an op of 0 stores nothing).
        for (const auto& [k, sum] : t) {
            const auto* c = x.find(k);
            if ((c ? c->value() : converge::int128{0}) != sum) return false;
        }
        for (const auto& [k, c] : x)
            if (!t.contains(k)) return false;
        return true;
    }
};

/// What a retirable_counter_map must add up to: each replica's own sum per key, and the
/// retired replicas, whose sums do not count.
template <class R>
struct retirable_truth {
    std::map<std::string, std::map<R, converge::int128>> sums;
    std::set<R> retired;

    /// `{key: sum, ...} retired {r, ...}`, for failure messages.
    [[nodiscard]] std::string describe() const {
        std::string out = "{";
        for (const auto& [k, by_replica] : sums) {
            converge::int128 live = 0;
            for (const auto& [r, n] : by_replica)
                if (!retired.contains(r)) live += n;
            out += (out.size() > 1 ? ", " : "") + k + ": " + converge::to_string(live);
        }
        out += "} retired {";
        bool first = true;
        for (const R& r : retired) {
            if constexpr (std::is_same_v<R, std::string>) out += (first ? "" : ", ") + r;
            else out += (first ? "" : ", ") + std::to_string(r);
            first = false;
        }
        return out + "}";
    }
};

template <class R, class C>
struct crdt_ops<converge::retirable_counter_map<std::string, R, C>> {
    using crdt = converge::retirable_counter_map<std::string, R, C>;
    using actor = R;
    struct op {
        std::uint8_t kind;  // 0: retire `victim`; odd: decrement; even: increment
        std::string key;
        C n;
        R victim;
    };
    using truth = retirable_truth<R>;
    static rc::Gen<op> gen_op() {
        // Retirement is rare (one op in 24), so that most histories still count something.
        return rc::gen::construct<op>(rc::gen::inRange<std::uint8_t>(0, 24), small_map_key(),
                                      rc::gen::inRange<C>(C{0}, C{20}), small_key<R>());
    }
    /// A replica that knows itself retired writes nothing (a real one would rejoin under a new
    /// id); one that does not know yet writes, and its write is dropped wherever the retirement
    /// arrives, so the truth leaves every write of a replica retired in the end out.
    static crdt apply(crdt& x, const R& self, const op& o) {
        if (o.kind == 0) return x.retire(o.victim);
        if (x.is_retired(self)) return crdt{};
        return o.kind % 2 == 1 ? x.decrement(o.key, self, o.n) : x.increment(o.key, self, o.n);
    }
    static void record(truth& t, const R& self, const op& o) {
        if (o.kind == 0) t.retired.insert(o.victim);
        else t.sums[o.key][self] += o.kind % 2 == 1 ? -converge::int128{o.n} : converge::int128{o.n};
    }
    static bool matches(const crdt& x, const truth& t) {
        if (x.retired().size() != t.retired.size() ||
            !std::equal(x.retired().begin(), x.retired().end(), t.retired.begin()))
            return false;
        for (const auto& [k, by_replica] : t.sums) {
            converge::int128 live = 0;
            for (const auto& [r, n] : by_replica)
                if (!t.retired.contains(r)) live += n;
            if (x.value(k) != live) return false;
        }
        for (const auto& [k, c] : x.counters())
            if (!t.sums.contains(k)) return false;
        return true;
    }
};

/// The replica id type that `apply` is called with (a set's ops ignore it).
template <class T>
using actor_type = typename crdt_ops<T>::actor;

/// One operation by one of several actors.
template <class T>
struct actor_op {
    std::size_t actor;
    typename crdt_ops<T>::op op;
};

template <class T>
rc::Gen<std::vector<actor_op<T>>> gen_history(std::size_t actors) {
    return rc::gen::container<std::vector<actor_op<T>>>(rc::gen::construct<actor_op<T>>(
        rc::gen::inRange<std::size_t>(0, actors), crdt_ops<T>::gen_op()));
}

/// A state reached by a random history of operations by replicas drawn from a small pool.
template <class T>
rc::Gen<T> gen_state() {
    using key = actor_type<T>;
    using step = std::pair<key, typename crdt_ops<T>::op>;
    return rc::gen::map(rc::gen::container<std::vector<step>>(rc::gen::pair(small_key<key>(), crdt_ops<T>::gen_op())),
                        [](const std::vector<step>& history) {
                            T x;
                            for (const auto& [who, o] : history) crdt_ops<T>::apply(x, who, o);
                            return x;
                        });
}

}  // namespace converge_test

namespace rc {
template <class R, class C>
struct Arbitrary<converge::g_counter<R, C>> {
    static Gen<converge::g_counter<R, C>> arbitrary() { return converge_test::gen_state<converge::g_counter<R, C>>(); }
};
template <class R, class C>
struct Arbitrary<converge::pn_counter<R, C>> {
    static Gen<converge::pn_counter<R, C>> arbitrary() { return converge_test::gen_state<converge::pn_counter<R, C>>(); }
};
template <class R>
struct Arbitrary<converge::vector_clock<R>> {
    static Gen<converge::vector_clock<R>> arbitrary() { return converge_test::gen_state<converge::vector_clock<R>>(); }
};
template <class E>
struct Arbitrary<converge::g_set<E>> {
    static Gen<converge::g_set<E>> arbitrary() { return converge_test::gen_state<converge::g_set<E>>(); }
};
template <class K, class V>
struct Arbitrary<converge::g_map<K, V>> {
    static Gen<converge::g_map<K, V>> arbitrary() { return converge_test::gen_state<converge::g_map<K, V>>(); }
};
template <class K, class R, class C>
struct Arbitrary<converge::retirable_counter_map<K, R, C>> {
    static Gen<converge::retirable_counter_map<K, R, C>> arbitrary() {
        return converge_test::gen_state<converge::retirable_counter_map<K, R, C>>();
    }
};
}  // namespace rc
