// Random operations for each CRDT type, and the plain-arithmetic truth they must add up to.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/converge.hpp>

#include <rapidcheck.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
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
}  // namespace rc
