// Opt-in fmt formatters for every converge type; include it only where fmt is available.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/causal_order.hpp>
#include <converge/error.hpp>
#include <converge/g_counter.hpp>
#include <converge/g_map.hpp>
#include <converge/g_set.hpp>
#include <converge/lww_register.hpp>
#include <converge/max_register.hpp>
#include <converge/or_set.hpp>
#include <converge/pn_counter.hpp>
#include <converge/presence_map.hpp>
#include <converge/retirable_counter_map.hpp>
#include <converge/sync_message.hpp>
#include <converge/vector_clock.hpp>
#include <converge/wide_int.hpp>

#include <fmt/format.h>

namespace converge::detail {

/// Shared by the formatters: no format spec is accepted, so `{}` is the only form.
struct plain_formatter {
    constexpr auto parse(fmt::format_parse_context& ctx) {
        const auto it = ctx.begin();
        if (it != ctx.end() && *it != '}') throw fmt::format_error("converge types take no format spec");
        return it;
    }
};

/// Writes `{k: v, ...}` for a counter-like map, formatting each value with `value_fn`.
template <class Map, class Out, class ValueFn>
Out format_map(const Map& m, Out out, ValueFn value_fn) {
    out = fmt::format_to(out, "{{");
    bool first = true;
    for (const auto& [k, v] : m) {
        out = fmt::format_to(out, "{}{}: ", first ? "" : ", ", k);
        out = value_fn(out, v);
        first = false;
    }
    return fmt::format_to(out, "}}");
}

}  // namespace converge::detail

/// `{1: 3, 2: 5}` (replica: entry).
///
/// Example:
/// ```
/// converge::g_counter<std::uint32_t> counter;
/// counter.increment(1, 3);
/// counter.increment(2, 5);
/// assert(fmt::format("{}", counter) == "{1: 3, 2: 5}");
/// ```
template <class R, class C>
struct fmt::formatter<converge::g_counter<R, C>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::g_counter<R, C>& c, Ctx& ctx) const {
        return converge::detail::format_map(c.entries(), ctx.out(),
                                            [](auto out, C n) { return fmt::format_to(out, "{}", n); });
    }
};

/// An increment's delta prints as the g_counter it equals: `{1: 3}`, or `{}` when empty.
template <class R, class C>
struct fmt::formatter<converge::g_counter_delta<R, C>> : fmt::formatter<converge::g_counter<R, C>> {
    template <class Ctx>
    auto format(const converge::g_counter_delta<R, C>& d, Ctx& ctx) const {
        if (d.empty()) return fmt::format_to(ctx.out(), "{{}}");
        return fmt::format_to(ctx.out(), "{{{}: {}}}", d.replica(), d.count());
    }
};

/// `{1: +5/-2}` (replica: +increments/-decrements).
template <class R, class C>
struct fmt::formatter<converge::pn_counter<R, C>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::pn_counter<R, C>& c, Ctx& ctx) const {
        return converge::detail::format_map(c.entries(), ctx.out(), [](auto out, const auto& t) {
            return fmt::format_to(out, "+{}/-{}", t.increments, t.decrements);
        });
    }
};

/// `{a: 2, b: 1}` (replica: events seen).
template <class R>
struct fmt::formatter<converge::vector_clock<R>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::vector_clock<R>& c, Ctx& ctx) const {
        return converge::detail::format_map(c.entries(), ctx.out(),
                                            [](auto out, std::uint64_t n) { return fmt::format_to(out, "{}", n); });
    }
};

/// `{1, 2, 3}`.
template <class T>
struct fmt::formatter<converge::g_set<T>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::g_set<T>& s, Ctx& ctx) const {
        auto out = fmt::format_to(ctx.out(), "{{");
        bool first = true;
        for (const T& x : s) {
            out = fmt::format_to(out, "{}{}", first ? "" : ", ", x);
            first = false;
        }
        return fmt::format_to(out, "}}");
    }
};

/// `{home: {1: +5/-2}, news: {2: +1/-0}}` (key: value, each value in its own format).
template <class K, class V>
struct fmt::formatter<converge::g_map<K, V>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::g_map<K, V>& m, Ctx& ctx) const {
        return converge::detail::format_map(m, ctx.out(),
                                            [](auto out, const V& v) { return fmt::format_to(out, "{}", v); });
    }
};

/// `{retired: {3}, counters: {home: {1: +5/-2}}}`.
template <class K, class R, class C>
struct fmt::formatter<converge::retirable_counter_map<K, R, C>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::retirable_counter_map<K, R, C>& m, Ctx& ctx) const {
        return fmt::format_to(ctx.out(), "{{retired: {}, counters: {}}}", m.retired(), m.counters());
    }
};

/// `7`, or `(empty)` when never written.
template <class T>
struct fmt::formatter<converge::max_register<T>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::max_register<T>& m, Ctx& ctx) const {
        if (!m.get()) return fmt::format_to(ctx.out(), "(empty)");
        return fmt::format_to(ctx.out(), "{}", *m.get());
    }
};

/// `Home @ 10 by eu-1` (value @ timestamp by writer), or `(empty)` when never written.
template <class T, class R>
struct fmt::formatter<converge::lww_register<T, R>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::lww_register<T, R>& r, Ctx& ctx) const {
        if (!r.get()) return fmt::format_to(ctx.out(), "(empty)");
        return fmt::format_to(ctx.out(), "{} @ {} by {}", *r.get(), r.timestamp(), *r.writer());
    }
};

/// `{news, sport}`: the elements present, in increasing order; dots and context are not shown.
template <class T, class R>
struct fmt::formatter<converge::or_set<T, R>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::or_set<T, R>& s, Ctx& ctx) const {
        auto out = fmt::format_to(ctx.out(), "{{");
        bool first = true;
        for (const auto& entry : s.entries()) {
            out = fmt::format_to(out, "{}{}", first ? "" : ", ", entry.first);
            first = false;
        }
        return fmt::format_to(out, "}}");
    }
};

/// `{retired: {7 at 300}, horizon: 0, gauges: {home: {1: 2, 2: 3}}}`: each replica's gauge (its
/// newest write) per key; dots and context are not shown.
template <class K, class R, class C>
struct fmt::formatter<converge::presence_map<K, R, C>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::presence_map<K, R, C>& m, Ctx& ctx) const {
        auto out = fmt::format_to(ctx.out(), "{{retired: {{");
        bool first = true;
        for (const auto& r : m.retired()) {
            out = fmt::format_to(out, "{}{} at {}", first ? "" : ", ", r.replica, r.at);
            first = false;
        }
        out = fmt::format_to(out, "}}, horizon: {}, gauges: {{", m.horizon());
        const auto& rows = m.entries();
        for (std::size_t i = 0; i < rows.size();) {
            std::size_t end = i;
            while (end < rows.size() && rows[end].key == rows[i].key) ++end;
            out = fmt::format_to(out, "{}{}: {{", i == 0 ? "" : ", ", rows[i].key);
            bool first_replica = true;
            for (; i < end; ++i) {
                if (i + 1 < end && rows[i + 1].replica == rows[i].replica) continue;  // superseded
                out = fmt::format_to(out, "{}{}: {}", first_replica ? "" : ", ", rows[i].replica, rows[i].gauge);
                first_replica = false;
            }
            out = fmt::format_to(out, "}}");
        }
        return fmt::format_to(out, "}}}}");
    }
};

/// `{epoch: 7, from: 0, to: 3, full_state: false, ack_epoch: 9, ack: 2, payload: {1: 3}}`.
template <class State>
struct fmt::formatter<converge::sync_message<State>> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::sync_message<State>& m, Ctx& ctx) const {
        auto out = fmt::format_to(ctx.out(),
                                  "{{epoch: {}, from: {}, to: {}, full_state: {}, ack_epoch: {}, ack: {}, payload: {}",
                                  m.epoch, m.from, m.to, m.full_state, m.ack_epoch, m.ack, m.payload);
        if (m.report_version != 0) out = fmt::format_to(out, ", report_version: {}", m.report_version);
        // The extension, only when the encoding carries one, so that the common message stays short.
        if (!m.relayed.empty() || m.has_report) out = fmt::format_to(out, ", relayed: {}", m.relayed);
        if (m.has_report) {
            const auto list = [](auto o, const std::vector<converge::heard_peer>& peers) {
                o = fmt::format_to(o, "{{");
                for (std::size_t i = 0; i < peers.size(); ++i)
                    o = fmt::format_to(o, "{}{}: {}", i == 0 ? "" : ", ", peers[i].epoch, peers[i].received);
                return fmt::format_to(o, "}}");
            };
            out = fmt::format_to(out, ", report: ");
            out = list(out, m.report);
            if (!m.dropped.empty()) {
                out = fmt::format_to(out, ", dropped: ");
                out = list(out, m.dropped);
            }
        }
        if (m.awaiting_report) out = fmt::format_to(out, ", awaiting_report");
        return fmt::format_to(out, "}}");
    }
};

/// `before`, `after`, `equal` or `concurrent`.
template <>
struct fmt::formatter<converge::causal_order> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(converge::causal_order o, Ctx& ctx) const {
        return fmt::format_to(ctx.out(), "{}", converge::to_string(o));
    }
};

/// `converge: input truncated at byte 7`.
template <>
struct fmt::formatter<converge::decode_error> : converge::detail::plain_formatter {
    template <class Ctx>
    auto format(const converge::decode_error& e, Ctx& ctx) const {
        return fmt::format_to(ctx.out(), "{}", e.message());
    }
};
