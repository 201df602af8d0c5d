// The types the fuzz targets decode, named once for the targets, the corpus generator and the replay test.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/converge.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

/// X(name, type) for every fuzzed type. `decode_<name>` is its decoder's fuzz target (see
/// fuzz/targets.cmake, which lists the same names) and `fuzz/corpus/decode_<name>/` its seeds.
/// Integer and string ids both appear, and narrow integer types, so that zigzag decoding and
/// the value-out-of-range checks are reached too. New types go at the end: the roundtrip corpus
/// names a type by its index in this list.
#define CONVERGE_FUZZ_TYPES(X)                                                   \
    X(g_counter_u64, converge::g_counter<std::uint64_t>)                         \
    X(g_counter_str, converge::g_counter<std::string>)                           \
    X(pn_counter_u32_u16, converge::pn_counter<std::uint32_t, std::uint16_t>)    \
    X(vector_clock_i32, converge::vector_clock<std::int32_t>)                    \
    X(vector_clock_str, converge::vector_clock<std::string>)                     \
    X(g_set_u64, converge::g_set<std::uint64_t>)                                 \
    X(g_set_str, converge::g_set<std::string>)                                   \
    X(g_map_str_pn_u32_u16,                                                      \
      converge::g_map<std::string, converge::pn_counter<std::uint32_t, std::uint16_t>>) \
    X(retirable_str_u32_u16,                                                     \
      converge::retirable_counter_map<std::string, std::uint32_t, std::uint16_t>) \
    X(sync_message_g_map,                                                        \
      converge::sync_message<converge::g_map<std::string, converge::pn_counter<std::uint32_t, std::uint16_t>>>) \
    X(max_register_u64, converge::max_register<std::uint64_t>)                   \
    X(lww_register_str_u32, converge::lww_register<std::string, std::uint32_t>)  \
    X(or_set_str_u32, converge::or_set<std::string, std::uint32_t>)              \
    X(g_map_str_or_set_str_u64,                                                  \
      converge::g_map<std::string, converge::or_set<std::string, std::uint64_t>>) \
    X(presence_map_str_u32_u16, converge::presence_map<std::string, std::uint32_t, std::uint16_t>) \
    X(broadcast_message_presence_str,                                            \
      converge::broadcast_message<converge::presence_map<std::string, std::uint32_t, std::uint16_t>, std::string>) \
    X(repair_request_u32, converge::repair_request<std::uint32_t>)

/// Stops the process with a message when a property fails: libFuzzer reports the abort as a
/// crash and saves the input; the replay test fails the same way.
#define CONVERGE_FUZZ_CHECK(condition) \
    ((condition) ? void() : ::converge_fuzz::check_failed(#condition, __FILE__, __LINE__))

namespace converge_fuzz {

#define CONVERGE_FUZZ_ALIAS(name, ...) using name = __VA_ARGS__;
CONVERGE_FUZZ_TYPES(CONVERGE_FUZZ_ALIAS)
#undef CONVERGE_FUZZ_ALIAS

/// Calls `f.template operator()<T>(index, "name")` for every fuzzed type, in list order.
template <class F>
void for_each_type(F&& f) {
    std::size_t index = 0;
#define CONVERGE_FUZZ_VISIT(name, ...) f.template operator()<name>(index++, std::string_view(#name));
    CONVERGE_FUZZ_TYPES(CONVERGE_FUZZ_VISIT)
#undef CONVERGE_FUZZ_VISIT
}

inline constexpr std::size_t type_count = [] {
    std::size_t n = 0;
#define CONVERGE_FUZZ_COUNT(name, ...) ++n;
    CONVERGE_FUZZ_TYPES(CONVERGE_FUZZ_COUNT)
#undef CONVERGE_FUZZ_COUNT
    return n;
}();

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, condition);
    std::abort();
}

inline std::span<const std::byte> as_bytes(const std::uint8_t* data, std::size_t size) {
    return std::as_bytes(std::span(data, size));
}

/// Ids and elements at the edges of their encodings: zero, one-byte and two-byte varints, the
/// extremes of the type; empty, binary and long (two-byte length) strings.
template <class R>
std::vector<R> sample_ids() {
    if constexpr (std::is_same_v<R, std::string>) {
        return {"", "a", "eu-west-1", std::string("\0\xff", 2), std::string(300, 'x')};
    } else if constexpr (std::is_signed_v<R>) {
        return {std::numeric_limits<R>::min(), R{-1}, R{0}, R{1}, R{100}, std::numeric_limits<R>::max()};
    } else {
        return {R{0}, R{1}, R{127}, R{128}, R{300}, std::numeric_limits<R>::max()};
    }
}

/// Builds sample `which` (0: empty, 1: one entry, 2: several, 3: extremes) of each type; a
/// sync_message holds the g_map sample of the same number, with fields at their edges.
template <class R, class C>
void fill(converge::g_counter<R, C>& x, int which) {
    const auto ids = sample_ids<R>();
    if (which == 1) x.increment(ids[1], 1);
    if (which == 2)
        for (std::size_t i = 0; i < 4; ++i) x.increment(ids[i], static_cast<C>(i * 60 + 1));
    if (which == 3)
        for (const R& id : ids) x.increment(id, std::numeric_limits<C>::max());
}

template <class R, class C>
void fill(converge::pn_counter<R, C>& x, int which) {
    const auto ids = sample_ids<R>();
    if (which == 1) x.decrement(ids[1], 1);
    if (which == 2) {
        for (std::size_t i = 0; i < 4; ++i) {
            if (i != 1) x.increment(ids[i], static_cast<C>(i * 60 + 1));
            if (i != 2) x.decrement(ids[i], static_cast<C>(i * 40 + 2));
        }
    }
    if (which == 3) {
        for (const R& id : ids) {
            x.increment(id, std::numeric_limits<C>::max());
            x.decrement(id, std::numeric_limits<C>::max());
        }
    }
}

template <class R>
void fill(converge::vector_clock<R>& x, int which) {
    const auto ids = sample_ids<R>();
    if (which == 1) x.tick(ids[1]);
    if (which == 2)
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t k = 0; k <= i; ++k) x.tick(ids[i]);
    if (which == 3)
        for (const R& id : ids)
            for (int k = 0; k < 130; ++k) x.tick(id);  // past 127: a two-byte varint
}

template <class E>
void fill(converge::g_set<E>& x, int which) {
    const auto elements = sample_ids<E>();
    if (which == 1) x.insert(elements[1]);
    if (which == 2)
        for (std::size_t i = 0; i < 4; ++i) x.insert(elements[i]);
    if (which == 3)
        for (const E& e : elements) x.insert(e);
}

template <class T>
void fill(converge::max_register<T>& x, int which) {
    const auto values = sample_ids<T>();
    if (which == 1) x.raise(values[1]);
    if (which == 2)
        for (std::size_t i = 4; i-- > 0;) x.raise(values[i]);  // falling: only the first write sticks
    if (which == 3)
        for (const T& v : values) x.raise(v);
}

template <class T, class R>
void fill(converge::lww_register<T, R>& x, int which) {
    const auto values = sample_ids<T>();
    const auto ids = sample_ids<R>();
    if (which == 1) x.assign(values[1], 1, ids[1]);
    if (which == 2) {
        // Later timestamps win; at timestamp 300 the larger writer does.
        x.assign(values[0], 127, ids[3]);
        x.assign(values[2], 300, ids[0]);
        x.assign(values[3], 300, ids[2]);
        x.assign(values[1], 128, ids[4]);
    }
    if (which == 3) x.assign(values.back(), std::numeric_limits<std::uint64_t>::max(), ids.back());
}

/// The `i`-th of a run of distinct values beyond the samples.
template <class T>
T numbered(int i) {
    if constexpr (std::is_same_v<T, std::string>) {
        return "k" + std::to_string(100 + i);
    } else {
        return static_cast<T>(1000 + i);
    }
}

/// One or_set holding `element` with the single dot (replica, counter), and that dot alone in
/// its context: built from its encoding, since no replica adds 2^64 - 1 times in a test.
template <class T, class R>
converge::or_set<T, R> single_dot(const T& element, const R& replica, std::uint64_t counter) {
    std::vector<std::byte> out;
    converge::detail::byte_writer w(out);
    w.byte(converge::wire_magic);
    w.byte(converge::wire_version);
    w.byte(static_cast<std::uint8_t>(converge::wire_tag::or_set));
    w.varint(1);
    converge::codec<R>::encode(w, replica);
    w.varint(counter);
    w.varint(0);
    w.varint(1);
    converge::codec<T>::encode(w, element);
    w.varint(1);
    converge::codec<R>::encode(w, replica);
    w.varint(counter);
    return converge::decode<converge::or_set<T, R>>(out).value();
}

template <class T, class R>
void fill(converge::or_set<T, R>& x, int which) {
    const auto elements = sample_ids<T>();
    const auto ids = sample_ids<R>();
    if (which == 1) x.add(elements[1], ids[1]);
    if (which == 2) {
        // Concurrent adds of one element (two dots), a remove, a re-add, and a gap in the
        // context: x receives the first and third adds of ids[2] but not its second.
        x.add(elements[0], ids[1]);
        x.add(elements[1], ids[1]);
        x.add(elements[2], ids[1]);
        x.remove(elements[2]);
        x.add(elements[1], ids[1]);
        converge::or_set<T, R> other;
        const auto first = other.add(elements[1], ids[2]);
        other.add(elements[3], ids[2]);
        const auto third = other.add(elements[0], ids[2]);
        x.merge(third);
        x.merge(first);
    }
    if (which == 3) {
        // Every element added concurrently by every replica, a remove, more elements than the
        // small-delta merge threshold, and counters at the top of their range.
        for (const R& id : ids) {
            converge::or_set<T, R> one;
            for (const T& e : elements) one.add(e, id);
            x.merge(one);
        }
        x.remove(elements[0]);
        for (int i = 0; i < 20; ++i) x.add(numbered<T>(i), ids[1]);
        x.merge(single_dot(elements.back(), ids.back(), std::numeric_limits<std::uint64_t>::max()));
        x.merge(single_dot(elements[0], ids[0], std::numeric_limits<std::uint64_t>::max() - 1));
    }
}

/// The samples that the roundtrip target merges with (several, extremes) keep horizon 0 and
/// retire at the largest time, so that no merge with a decoded state collects a marker: merge
/// is a lattice with collection only under the horizon contract (docs/design.md), which
/// tests/presence_map.test.cpp checks; here the lattice must hold for any decoded state.
template <class K, class R, class C>
void fill(converge::presence_map<K, R, C>& x, int which) {
    const auto keys = sample_ids<K>();
    const auto ids = sample_ids<R>();
    constexpr auto never = std::numeric_limits<std::uint64_t>::max();
    if (which == 1) {
        x.collect_retired(300);
        x.set(keys[1], ids[1], 1);
    }
    if (which == 2) {
        // Several keys and replicas, a leave, a retirement, and a superseded write still held
        // beside the newer one (its superseding delta has not arrived).
        for (std::size_t i = 0; i < 4; ++i) x.set(keys[i], ids[i], static_cast<C>(i * 60 + 1));
        x.increment(keys[0], ids[1], 2);
        x.set(keys[2], ids[2], 0);
        converge::presence_map<K, R, C> other;
        const auto first = other.set(keys[3], ids[4], 5);
        other.set(keys[3], ids[4], 6);
        const auto third = other.set(keys[3], ids[4], 7);
        x.merge(third);
        x.merge(first);
        x.retire(ids[5], never);
    }
    if (which == 3) {
        for (const K& k : keys)
            for (const R& id : ids) x.set(k, id, std::numeric_limits<C>::max());
        for (int i = 0; i < 20; ++i) x.set(numbered<K>(i), ids[1], static_cast<C>(i + 1));
        x.retire(ids[0], never);
    }
}

/// Fills `v` with sample `which` and returns it as the delta a g_map update expects.
template <class V>
V sample_value(V& v, int which) {
    fill(v, which);
    return v;
}

template <class K, class V>
void fill(converge::g_map<K, V>& x, int which) {
    const auto keys = sample_ids<K>();
    if (which == 1) x.update(keys[1], [](V& v) { return sample_value(v, 1); });
    if (which == 2)
        for (std::size_t i = 0; i < 4; ++i) x.update(keys[i], [&](V& v) { return sample_value(v, static_cast<int>(i % 2) + 1); });
    if (which == 3)
        for (const K& k : keys) x.update(k, [](V& v) { return sample_value(v, 3); });
}

template <class K, class R, class C>
void fill(converge::retirable_counter_map<K, R, C>& x, int which) {
    const auto keys = sample_ids<K>();
    const auto ids = sample_ids<R>();
    if (which == 1) x.increment(keys[1], ids[1], 1);
    if (which == 2) {
        for (std::size_t i = 0; i < 4; ++i) {
            x.increment(keys[i], ids[i], static_cast<C>(i * 60 + 1));
            x.decrement(keys[i], ids[(i + 1) % 4], static_cast<C>(i * 40 + 2));
        }
        x.retire(ids[2]);
        x.retire(ids[5]);
    }
    if (which == 3) {
        for (const K& k : keys) {
            for (const R& id : ids) {
                x.increment(k, id, std::numeric_limits<C>::max());
                x.decrement(k, id, std::numeric_limits<C>::max());
            }
        }
        x.retire(ids[0]);
    }
}

template <class State>
void fill(converge::sync_message<State>& m, int which) {
    fill(m.payload, which);
    if (which == 1) {
        m.epoch = 1;
        m.from = 2;
        m.to = 3;
        m.ack_epoch = 4;
        m.ack = 5;
        // the extension: something relayed and a report with a dropped peer
        m.report_version = 9;
        fill(m.relayed, 1);
        m.has_report = true;
        m.report = {{6, 7}, {std::numeric_limits<std::uint64_t>::max(), 8}};
        m.dropped = {{10, 11}};
        m.awaiting_report = true;
    }
    if (which == 2) {
        m.epoch = 300;
        m.to = 128;
        m.full_state = true;
        m.ack_epoch = 7;
        m.ack = 1;
    }
    if (which == 3) {
        m.epoch = std::numeric_limits<std::uint64_t>::max();
        m.from = std::numeric_limits<std::uint64_t>::max() - 1;
        m.to = std::numeric_limits<std::uint64_t>::max();
        m.ack_epoch = std::numeric_limits<std::uint64_t>::max();
        m.ack = std::numeric_limits<std::uint64_t>::max();
        m.report_version = std::numeric_limits<std::uint64_t>::max();
        m.has_report = true;  // an empty report
    }
}

/// A broadcast_message of each kind: 0 a digest of seq 0, 1 an interval, 2 a repair, 3 a full
/// state with fields at their edges; the payload is the state's sample of the same number.
template <class State, class Sender>
void fill(converge::broadcast_message<State, Sender>& m, int which) {
    const auto ids = sample_ids<Sender>();
    constexpr converge::broadcast_kind kinds[] = {converge::broadcast_kind::digest, converge::broadcast_kind::interval,
                                                  converge::broadcast_kind::repair,
                                                  converge::broadcast_kind::full_state};
    m.kind = kinds[which];
    m.sender = ids[static_cast<std::size_t>(which)];
    if (which != 0) fill(m.payload, which);
    if (which == 1) {
        m.epoch = 1;
        m.from = 2;
        m.to = 3;
    }
    if (which == 2) {
        m.epoch = 300;
        m.from = 128;
        m.to = 128;  // a repair may be empty: the requester was up to date
    }
    if (which == 3) {
        m.epoch = std::numeric_limits<std::uint64_t>::max();
        m.to = std::numeric_limits<std::uint64_t>::max();
    }
}

template <class Sender>
void fill(converge::repair_request<Sender>& q, int which) {
    const auto ids = sample_ids<Sender>();
    if (which == 1) q = {ids[1], ids[2], 1, 2};
    if (which == 2) q = {ids[3], ids[4], 300, 128};
    if (which == 3) q = {ids.back(), ids.front(), std::numeric_limits<std::uint64_t>::max(),
                         std::numeric_limits<std::uint64_t>::max()};
}

inline constexpr std::string_view sample_names[] = {"empty", "one", "several", "extremes"};

template <class T>
T sample(int which) {
    T x;
    fill(x, which);
    return x;
}

}  // namespace converge_fuzz
