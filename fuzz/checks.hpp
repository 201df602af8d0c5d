// What the fuzz targets check, as functions: the libFuzzer entry points and the replay test call the same code.
// SPDX-License-Identifier: MIT
#pragma once

#include "targets.hpp"

#include <converge/converge.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace converge_fuzz {

inline bool is_known(converge::errc e) {
    return static_cast<int>(e) >= static_cast<int>(converge::errc::truncated) &&
           static_cast<int>(e) <= static_cast<int>(converge::errc::limit_exceeded);
}

/// decode_<type>: any bytes give a value or an error, never a crash; what decodes is canonical.
template <class T>
void check_decode(const std::uint8_t* data, std::size_t size) {
    const auto bytes = as_bytes(data, size);
    const auto full = converge::decode<T>(bytes);
    if (!full) {
        // An error names a real place in the input and a real reason.
        CONVERGE_FUZZ_CHECK(full.error().offset <= size);
        CONVERGE_FUZZ_CHECK(is_known(full.error().code));
        CONVERGE_FUZZ_CHECK(!full.error().message().empty());
    } else {
        // Only canonical encodings decode, so what decodes re-encodes to the very same bytes.
        CONVERGE_FUZZ_CHECK(std::ranges::equal(converge::encode(*full), bytes));
        CONVERGE_FUZZ_CHECK(*full == *full);
    }

    // Tighter limits may only turn a value into limit_exceeded, never into another value, and
    // never rescue an input that fails without them.
    const converge::decode_limits tight{.max_bytes = size, .max_entries = 3, .max_string_bytes = 3};
    const auto limited = converge::decode<T>(bytes, tight);
    if (!full) {
        CONVERGE_FUZZ_CHECK(!limited);
    } else if (!limited) {
        CONVERGE_FUZZ_CHECK(limited.error().code == converge::errc::limit_exceeded);
    } else {
        CONVERGE_FUZZ_CHECK(*limited == *full);
    }

    // An input longer than max_bytes is refused before it is read.
    if (size > 0) {
        const auto refused = converge::decode<T>(bytes, {.max_bytes = size - 1});
        CONVERGE_FUZZ_CHECK(!refused && refused.error().code == converge::errc::limit_exceeded);
    }
}

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

/// True when or_set `s` holds dot `d` on element `e`.
template <class S>
bool holds(const S& s, const typename S::value_type& e, const typename S::dot& d) {
    const auto& entries = s.entries();
    const auto it = std::ranges::lower_bound(entries, e, {}, [](const auto& entry) -> const auto& { return entry.first; });
    return it != entries.end() && it->first == e && std::ranges::binary_search(it->second, d);
}

/// The or_set join, dot by dot: contexts unite; a dot on an element survives when both sides
/// hold it or one holds it and the other never saw it; no other dot appears.
template <class S>
void check_or_set_join(const S& x, const S& f, const S& xf) {
    CONVERGE_FUZZ_CHECK(x.context().minus(xf.context()).empty() && f.context().minus(xf.context()).empty());
    for (const auto& [e, dots] : xf.entries()) {
        for (const auto& d : dots) {
            CONVERGE_FUZZ_CHECK(xf.context().contains(d));
            const bool in_x = holds(x, e, d);
            const bool in_f = holds(f, e, d);
            CONVERGE_FUZZ_CHECK((in_x && in_f) || (in_x && !f.context().contains(d)) ||
                                (in_f && !x.context().contains(d)));
        }
    }
    for (const auto& [a, b] : {std::pair{&x, &f}, std::pair{&f, &x}}) {
        for (const auto& [e, dots] : a->entries()) {
            for (const auto& d : dots) {
                if (!b->context().contains(d) || holds(*b, e, d)) CONVERGE_FUZZ_CHECK(holds(xf, e, d));
            }
        }
    }
    // No element is left without a dot.
    CONVERGE_FUZZ_CHECK(std::ranges::none_of(xf.entries(), [](const auto& entry) { return entry.second.empty(); }));
}

/// The presence_map join: the larger horizon; no entry or run of a replica with a marker; every
/// entry held by one side whose dot the other side has not seen, or by both; nothing else.
template <class M>
void check_presence_join(const M& x, const M& f, const M& xf) {
    CONVERGE_FUZZ_CHECK(xf.horizon() == std::max(x.horizon(), f.horizon()));
    const auto holds = [](const M& s, const auto& e) { return std::ranges::find(s.entries(), e) != s.entries().end(); };
    for (const auto& e : xf.entries()) {
        CONVERGE_FUZZ_CHECK(!xf.is_retired(e.replica) && xf.context().contains({e.replica, e.counter}));
        CONVERGE_FUZZ_CHECK((holds(x, e) && holds(f, e)) || (holds(x, e) && !f.context().contains({e.replica, e.counter})) ||
                            (holds(f, e) && !x.context().contains({e.replica, e.counter})));
    }
    for (const auto& [a, b] : {std::pair{&x, &f}, std::pair{&f, &x}})
        for (const auto& e : a->entries())
            if (!xf.is_retired(e.replica) && (holds(*b, e) || !b->context().contains({e.replica, e.counter})))
                CONVERGE_FUZZ_CHECK(holds(xf, e));
    for (const auto& r : xf.context().ranges()) CONVERGE_FUZZ_CHECK(!xf.is_retired(r.replica));
}

/// The lattice laws for a decoded state `x`, against two fixed states `f` and `g`.
template <class T>
void check_laws(const T& x, const T& f, const T& g) {
    const T xf = merged(x, f);
    CONVERGE_FUZZ_CHECK(merged(x, x) == x);                           // idempotent
    CONVERGE_FUZZ_CHECK(xf == merged(f, x));                          // commutative
    CONVERGE_FUZZ_CHECK(merged(xf, g) == merged(x, merged(f, g)));    // associative
    CONVERGE_FUZZ_CHECK(merged(xf, x) == xf && merged(xf, f) == xf);  // absorbs both sides
    CONVERGE_FUZZ_CHECK(x.delta_for(xf).empty() && f.delta_for(xf).empty());  // inflationary
    // delta_for ships exactly what the peer lacks.
    CONVERGE_FUZZ_CHECK(merged(x, f.delta_for(x)) == xf);
    CONVERGE_FUZZ_CHECK(merged(f, x.delta_for(f)) == xf);
    // A merged state round-trips like any other.
    const auto r = converge::decode<T>(converge::encode(xf));
    CONVERGE_FUZZ_CHECK(r && *r == xf);
    // Values move only up.
    if constexpr (requires { x.compare(f); }) {
        const auto o = x.compare(xf);
        CONVERGE_FUZZ_CHECK(o == converge::causal_order::before || o == converge::causal_order::equal);
        CONVERGE_FUZZ_CHECK(x.compare(x) == converge::causal_order::equal);
    } else if constexpr (requires { x.contains(*x.begin()); }) {
        CONVERGE_FUZZ_CHECK(xf.size() >= x.size() && xf.size() >= f.size());
        CONVERGE_FUZZ_CHECK(std::ranges::all_of(x, [&](const auto& e) { return xf.contains(e); }));
    } else if constexpr (requires { { x.value() } -> std::same_as<converge::uint128>; }) {
        CONVERGE_FUZZ_CHECK(xf.value() >= x.value() && xf.value() >= f.value());
    } else if constexpr (requires(T& m) { m.raise(*m.get()); }) {
        // max_register: the larger value, and nothing else.
        CONVERGE_FUZZ_CHECK(xf.get() == std::max(x.get(), f.get()));
    } else if constexpr (requires { x.writer(); }) {
        // lww_register: one of the two writes, the one with the larger (timestamp, writer).
        CONVERGE_FUZZ_CHECK(xf == x || xf == f);
        CONVERGE_FUZZ_CHECK(xf.timestamp() >= x.timestamp() && xf.timestamp() >= f.timestamp());
        CONVERGE_FUZZ_CHECK(xf.empty() == (x.empty() && f.empty()));
    } else if constexpr (requires { x.horizon(); }) {
        check_presence_join(x, f, xf);
    } else if constexpr (requires { x.context(); }) {
        check_or_set_join(x, f, xf);
    }
}

/// roundtrip: the first byte picks the type (modulo the number of types), the rest is decoded;
/// whatever decodes re-encodes to the same bytes and merges by the laws with fixed states.
inline void check_roundtrip(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return;
    const std::size_t which = data[0] % type_count;
    const auto bytes = as_bytes(data + 1, size - 1);
    for_each_type([&]<class T>(std::size_t index, std::string_view) {
        if (index != which) return;
        const auto x = converge::decode<T>(bytes);
        if (!x) return;
        CONVERGE_FUZZ_CHECK(std::ranges::equal(converge::encode(*x), bytes));
        if constexpr (converge::delta_crdt<T>) {
            static const T several = sample<T>(2);
            static const T extremes = sample<T>(3);
            check_laws(*x, several, extremes);
            check_laws(*x, extremes, T{});
        } else {
            // A sync_message is no lattice; it must survive a second round trip unchanged.
            const auto again = converge::decode<T>(converge::encode(*x));
            CONVERGE_FUZZ_CHECK(again && *again == *x);
        }
    });
}

/// The check of fuzz target `name` (decode_<type> or roundtrip), or nullptr if there is none.
using check_fn = void (*)(const std::uint8_t*, std::size_t);
inline check_fn find_check(std::string_view name) {
    if (name == "roundtrip") return &check_roundtrip;
    check_fn found = nullptr;
    for_each_type([&]<class T>(std::size_t, std::string_view type) {
        if (name == "decode_" + std::string(type)) found = &check_decode<T>;
    });
    return found;
}

}  // namespace converge_fuzz
