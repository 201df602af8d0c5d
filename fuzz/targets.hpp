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
/// the value-out-of-range checks are reached too.
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
      converge::sync_message<converge::g_map<std::string, converge::pn_counter<std::uint32_t, std::uint16_t>>>)

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
    }
}

inline constexpr std::string_view sample_names[] = {"empty", "one", "several", "extremes"};

template <class T>
T sample(int which) {
    T x;
    fill(x, which);
    return x;
}

}  // namespace converge_fuzz
