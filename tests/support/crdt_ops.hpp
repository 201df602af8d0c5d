// Random operations for each CRDT type, and the plain-arithmetic truth they must add up to.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/converge.hpp>

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
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

/// The largest value written, or nothing.
template <class T>
struct max_truth {
    std::optional<T> max;

    [[nodiscard]] std::string describe() const {
        if (!max) return "never written";
        if constexpr (std::is_same_v<T, std::string>) return "'" + *max + "'";
        else return std::to_string(*max);
    }
};

template <class T>
struct crdt_ops<converge::max_register<T>> {
    using crdt = converge::max_register<T>;
    using actor = T;  // unused: any replica may raise
    struct op {
        T v;
    };
    using truth = max_truth<T>;
    static rc::Gen<op> gen_op() {
        if constexpr (std::is_same_v<T, std::string>) return rc::gen::construct<op>(small_key<T>());
        else return rc::gen::construct<op>(rc::gen::inRange<T>(T{0}, T{50}));
    }
    static crdt apply(crdt& x, const T&, const op& o) { return x.raise(o.v); }
    static void record(truth& t, const T&, const op& o) {
        if (!t.max || *t.max < o.v) t.max = o.v;
    }
    static bool matches(const crdt& x, const truth& t) { return x.get() == t.max; }
};

/// The latest write by (timestamp, writer, value), or nothing.
template <class T, class R>
struct lww_truth {
    std::optional<std::tuple<std::uint64_t, R, T>> latest;

    [[nodiscard]] std::string describe() const {
        if (!latest) return "never written";
        const auto show = [](const auto& v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) return "'" + v + "'";
            else return std::to_string(v);
        };
        return show(std::get<2>(*latest)) + " at " + std::to_string(std::get<0>(*latest)) + " by " +
               show(std::get<1>(*latest));
    }
};

template <class T, class R>
struct crdt_ops<converge::lww_register<T, R>> {
    using crdt = converge::lww_register<T, R>;
    using actor = R;
    struct op {
        T value;
        std::uint64_t timestamp;
    };
    using truth = lww_truth<T, R>;
    // Timestamps from a small range, so that equal timestamps (ties broken by writer, then by
    // value when one writer reuses a timestamp) are common.
    static rc::Gen<op> gen_op() {
        if constexpr (std::is_same_v<T, std::string>)
            return rc::gen::construct<op>(small_key<T>(), rc::gen::inRange<std::uint64_t>(0, 6));
        else return rc::gen::construct<op>(rc::gen::inRange<T>(T{0}, T{6}), rc::gen::inRange<std::uint64_t>(0, 6));
    }
    static crdt apply(crdt& x, const R& self, const op& o) { return x.assign(o.value, o.timestamp, self); }
    static void record(truth& t, const R& self, const op& o) {
        auto w = std::make_tuple(o.timestamp, self, o.value);
        if (!t.latest || *t.latest < w) t.latest = std::move(w);
    }
    static bool matches(const crdt& x, const truth& t) {
        if (!t.latest) return x.empty();
        return x.get() && x.writer() && x.timestamp() == std::get<0>(*t.latest) && *x.writer() == std::get<1>(*t.latest) &&
               *x.get() == std::get<2>(*t.latest);
    }
};

/// What an or_set must hold after an honest execution (each replica adds under its own id),
/// kept without the library's context: how many adds each replica made (its dots are
/// (r, 1..n)), and per element the dots of the adds that no later operation took away. An
/// operation takes away exactly the dots its replica held for the element just before it (a
/// remove, or an add, whose fresh dot supersedes them), so `observe` reads the replica's state
/// before the operation: that is what "observed" means.
template <class E, class R>
struct or_set_truth {
    using dot = converge::detail::dot<R>;
    std::map<R, std::uint64_t> adds;
    std::map<E, std::set<dot>> live;

    void observe(const converge::or_set<E, R>* before, const R& self, bool add, const E& x) {
        if (before)
            for (const auto& [e, dots] : before->entries())
                if (e == x)
                    for (const dot& d : dots) live[x].erase(d);
        if (add) live[x].insert(dot{self, ++adds[self]});
        if (live.contains(x) && live[x].empty()) live.erase(x);
    }

    /// The set holds exactly the live dots, and its context is one run (r, 1..n) per replica:
    /// every dot ever created, and nothing else.
    [[nodiscard]] bool matches(const converge::or_set<E, R>* s) const {
        static const converge::or_set<E, R> bottom;
        if (!s) s = &bottom;
        if (s->entries().size() != live.size()) return false;
        auto it = live.begin();
        for (const auto& [e, dots] : s->entries()) {
            if (!(e == it->first) || !std::equal(dots.begin(), dots.end(), it->second.begin(), it->second.end()))
                return false;
            ++it;
        }
        const auto& ranges = s->context().ranges();
        if (ranges.size() != adds.size()) return false;
        auto a = adds.begin();
        for (const auto& r : ranges) {
            if (!(r.replica == a->first) || r.first != 1 || r.last != a->second) return false;
            ++a;
        }
        return true;
    }

    [[nodiscard]] std::string describe() const {
        const auto show = [](const auto& v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) return "'" + v + "'";
            else return std::to_string(v);
        };
        std::string out = "{";
        for (const auto& [e, dots] : live) {
            out += (out.size() > 1 ? ", " : "") + show(e) + ": [";
            bool first = true;
            for (const dot& d : dots) {
                out += (first ? "" : " ") + show(d.replica) + "." + std::to_string(d.counter);
                first = false;
            }
            out += "]";
        }
        out += "} adds {";
        bool first = true;
        for (const auto& [r, n] : adds) {
            out += (first ? "" : ", ") + show(r) + ": " + std::to_string(n);
            first = false;
        }
        return out + "}";
    }
};

/// One or_set operation: add (about three in five) or remove an element from a small pool.
template <class E>
struct or_set_op {
    bool add;
    E element;
};

template <class E>
rc::Gen<or_set_op<E>> gen_or_set_op() {
    auto add = rc::gen::map(rc::gen::inRange(0, 5), [](int k) { return k < 3; });
    if constexpr (std::is_same_v<E, std::string>) return rc::gen::construct<or_set_op<E>>(add, small_key<E>());
    // Wider than small_key so that sets grow well past a delta's size (merge has a path for
    // small deltas into large sets), while adds and removes still meet on the same elements.
    else return rc::gen::construct<or_set_op<E>>(add, rc::gen::inRange<E>(E{0}, E{40}));
}

template <class E, class R>
struct crdt_ops<converge::or_set<E, R>> {
    using crdt = converge::or_set<E, R>;
    using actor = R;
    using op = or_set_op<E>;
    using truth = or_set_truth<E, R>;
    // A remove takes away only the adds its replica has seen, so one object replaying every
    // operation in order (which sees every add) ends elsewhere than concurrent replicas do.
    // The truth records what each operation observed, and matches() checks the whole state.
    static constexpr bool replays_sequentially = false;
    static rc::Gen<op> gen_op() { return gen_or_set_op<E>(); }
    static crdt apply(crdt& x, const R& self, const op& o) { return o.add ? x.add(o.element, self) : x.remove(o.element); }
    static void observe(truth& t, const crdt& before, const R& self, const op& o) {
        t.observe(&before, self, o.add, o.element);
    }
    static bool matches(const crdt& x, const truth& t) { return t.matches(&x); }
};

template <class E, class R>
struct crdt_ops<converge::g_map<std::string, converge::or_set<E, R>>> {
    using crdt = converge::g_map<std::string, converge::or_set<E, R>>;
    using actor = R;
    struct op {
        std::string key;
        or_set_op<E> o;
    };
    using truth = std::map<std::string, or_set_truth<E, R>>;  // per key, as for one or_set
    static constexpr bool replays_sequentially = false;        // as for or_set
    static rc::Gen<op> gen_op() { return rc::gen::construct<op>(small_map_key(), gen_or_set_op<E>()); }
    static crdt apply(crdt& x, const R& self, const op& o) {
        return x.update(o.key, [&](auto& s) { return o.o.add ? s.add(o.o.element, self) : s.remove(o.o.element); });
    }
    static void observe(truth& t, const crdt& before, const R& self, const op& o) {
        // A remove at a key never added to stores nothing: the truth gets no key either.
        if (!o.o.add && !t.contains(o.key)) return;
        t[o.key].observe(before.find(o.key), self, o.o.add, o.o.element);
    }
    static bool matches(const crdt& x, const truth& t) {
        for (const auto& [k, s] : t)
            if (!s.matches(x.find(k))) return false;
        for (const auto& [k, s] : x)
            if (!t.contains(k)) return false;
        return true;
    }
};

/// What a presence_map must hold: each replica's own gauge per key (its last write there, since
/// only it writes there), how many dots each replica minted, and the retired replicas with
/// their latest retirement time. Gauges of retired replicas do not count, and their dots are
/// forgotten.
template <class R, class C>
struct presence_truth {
    std::map<std::pair<std::string, R>, C> gauges;  // no zero gauges
    std::map<R, std::uint64_t> dots;
    std::map<R, std::uint64_t> retired;

    [[nodiscard]] std::string describe() const {
        const auto show = [](const R& r) {
            if constexpr (std::is_same_v<R, std::string>) return r;
            else return std::to_string(r);
        };
        std::string out = "{";
        for (const auto& [at, g] : gauges) {
            if (retired.contains(at.second)) continue;
            out += (out.size() > 1 ? ", " : "") + at.first + "/" + show(at.second) + ": " + std::to_string(g);
        }
        out += "} retired {";
        bool first = true;
        for (const auto& [r, at] : retired) {
            out += (first ? "" : ", ") + show(r) + " at " + std::to_string(at);
            first = false;
        }
        return out + "}";
    }
};

template <class R, class C>
struct crdt_ops<converge::presence_map<std::string, R, C>> {
    using crdt = converge::presence_map<std::string, R, C>;
    using actor = R;
    struct op {
        std::uint8_t kind;  // 0: retire `victim` at `at`; 1-7: increment; 8-15: decrement; 16-23: set
        std::string key;
        C n;
        R victim;
        std::uint64_t at;
    };
    using truth = presence_truth<R, C>;
    static rc::Gen<op> gen_op() {
        // Retirement is rare (one op in 24), so that most histories still hold gauges.
        return rc::gen::construct<op>(rc::gen::inRange<std::uint8_t>(0, 24), small_map_key(),
                                      rc::gen::inRange<C>(C{0}, C{5}), small_key<R>(),
                                      rc::gen::inRange<std::uint64_t>(0, 4));
    }
    /// The gauge after `o`, from the gauge before it: increments stop at the maximum and
    /// decrements at 0, so that an operation never throws.
    static C next(C now, const op& o) {
        if (o.kind < 8) return static_cast<C>(now + std::min<C>(o.n, static_cast<C>(std::numeric_limits<C>::max() - now)));
        if (o.kind < 16) return static_cast<C>(now - std::min(o.n, now));
        return o.n;
    }
    /// As for retirable_counter_map: a replica that knows itself retired writes nothing; one
    /// that does not know yet writes, and its write is dropped wherever the retirement arrives.
    static crdt apply(crdt& x, const R& self, const op& o) {
        if (o.kind == 0) return x.retire(o.victim, o.at);
        if (x.is_retired(self)) return crdt{};
        const C now = x.gauge(o.key, self);
        if (o.kind < 8) return x.increment(o.key, self, static_cast<C>(next(now, o) - now));
        if (o.kind < 16) return x.decrement(o.key, self, static_cast<C>(now - next(now, o)));
        return x.set(o.key, self, o.n);
    }
    static void record(truth& t, const R& self, const op& o) {
        if (o.kind == 0) {
            auto& at = t.retired[o.victim];
            at = std::max(at, o.at);
            return;
        }
        const auto at = std::make_pair(o.key, self);
        const auto found = t.gauges.find(at);
        const C now = found == t.gauges.end() ? C{0} : found->second;
        const C after = next(now, o);
        if (after != now && after != 0) ++t.dots[self];  // a write mints a dot; a removal does not
        if (after == 0) t.gauges.erase(at);
        else t.gauges[at] = after;
    }
    /// The converged state is exactly the truth: the markers, one entry per live gauge, and one
    /// run (r, 1..dots) per replica that is not retired: no tombstone and no gap.
    static bool matches(const crdt& x, const truth& t) {
        if (x.horizon() != 0 || x.retired().size() != t.retired.size()) return false;
        auto m = t.retired.begin();
        for (const auto& r : x.retired()) {
            if (!(r.replica == m->first) || r.at != m->second) return false;
            ++m;
        }
        std::size_t live = 0;
        for (const auto& [at, g] : t.gauges) {
            if (t.retired.contains(at.second)) continue;
            ++live;
            if (x.gauge(at.first, at.second) != g) return false;
        }
        if (x.size() != live) return false;
        std::size_t runs = 0;
        for (const auto& [r, n] : t.dots) {
            if (t.retired.contains(r)) continue;
            ++runs;
            if (x.context().max_of(r) != n) return false;
        }
        return x.context().ranges().size() == runs;
    }
};

/// The replica id type that `apply` is called with (a set's ops ignore it).
template <class T>
using actor_type = typename crdt_ops<T>::actor;

/// Applies `o` as `self` to the replica state `x`, records it in the truth `t`, and returns the
/// delta. A type whose truth depends on what the replica had observed (or_set: a remove takes
/// away the adds it has seen) has `observe(t, before, self, o)`, called before the operation,
/// instead of `record(t, self, o)`.
template <class T>
T apply_and_record(T& x, typename crdt_ops<T>::truth& t, const actor_type<T>& self,
                   const typename crdt_ops<T>::op& o) {
    using ops = crdt_ops<T>;
    if constexpr (requires { ops::observe(t, x, self, o); }) {
        ops::observe(t, std::as_const(x), self, o);
        return ops::apply(x, self, o);
    } else {
        T delta = ops::apply(x, self, o);
        ops::record(t, self, o);
        return delta;
    }
}

/// Whether one object applying every operation in order must equal the replicas that applied
/// them concurrently: true unless crdt_ops<T> says otherwise (or_set, whose removes observe).
template <class T>
constexpr bool replays_sequentially() {
    if constexpr (requires { crdt_ops<T>::replays_sequentially; }) return crdt_ops<T>::replays_sequentially;
    else return true;
}

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
template <class T>
struct Arbitrary<converge::max_register<T>> {
    static Gen<converge::max_register<T>> arbitrary() { return converge_test::gen_state<converge::max_register<T>>(); }
};
template <class T, class R>
struct Arbitrary<converge::lww_register<T, R>> {
    static Gen<converge::lww_register<T, R>> arbitrary() {
        return converge_test::gen_state<converge::lww_register<T, R>>();
    }
};
template <class K, class R, class C>
struct Arbitrary<converge::presence_map<K, R, C>> {
    static Gen<converge::presence_map<K, R, C>> arbitrary() {
        return converge_test::gen_state<converge::presence_map<K, R, C>>();
    }
};
template <class E, class R>
struct Arbitrary<converge::or_set<E, R>> {
    static Gen<converge::or_set<E, R>> arbitrary() { return converge_test::gen_state<converge::or_set<E, R>>(); }
};
}  // namespace rc
