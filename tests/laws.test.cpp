// The CRDT laws, checked as properties for every type: join-semilattice, deltas, encoding, convergence.
// SPDX-License-Identifier: MIT
#include "support/printers.hpp"
#include "support/crdt_ops.hpp"

#include <converge/converge.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace converge;
using namespace converge_test;

// Every type runs under an integer and a string key; aliases keep commas out of the macros.
using gc_u32 = g_counter<std::uint32_t, std::uint16_t>;
using gc_str = g_counter<std::string>;
using pn_u64 = pn_counter<std::uint64_t, std::uint32_t>;
using pn_str = pn_counter<std::string, std::uint16_t>;
using vc_i32 = vector_clock<std::int32_t>;
using vc_str = vector_clock<std::string>;
using gs_u16 = g_set<std::uint16_t>;
using gs_str = g_set<std::string>;
using gm_pn = g_map<std::string, pn_counter<std::uint32_t, std::uint16_t>>;
using rcm_u32 = retirable_counter_map<std::string, std::uint32_t>;
using mr_u64 = max_register<std::uint64_t>;
using mr_str = max_register<std::string>;
using lww_str = lww_register<std::string, std::uint32_t>;
using ors_u16 = or_set<std::uint16_t, std::uint32_t>;
using ors_str = or_set<std::string, std::string>;
using gm_ors = g_map<std::string, or_set<std::string, std::uint64_t>>;
using pm_u32 = presence_map<std::string, std::uint32_t, std::uint16_t>;
using pm_str = presence_map<std::string, std::string>;

template <class T>
T merged(T a, const T& b) {
    a.merge(b);
    return a;
}

std::span<const std::byte> as_span(const std::vector<std::uint8_t>& v) {
    return std::as_bytes(std::span(v.data(), v.size()));
}

/// What any input must give: a value that re-encodes to exactly the input (only canonical
/// encodings decode), or an error whose offset lies within the input.
template <class T>
void check_canonical_or_error(const std::vector<std::uint8_t>& input) {
    const auto r = decode<T>(as_span(input));
    if (r) {
        const auto again = encode(*r);
        RC_ASSERT(std::equal(again.begin(), again.end(), as_span(input).begin(), as_span(input).end()));
    } else {
        RC_ASSERT(r.error().offset <= input.size());
    }
}

}  // namespace

#define CONVERGE_ALL_TYPES \
    gc_u32, gc_str, pn_u64, pn_str, vc_i32, vc_str, gs_u16, gs_str, gm_pn, rcm_u32, mr_u64, mr_str, lww_str, ors_u16, \
        ors_str, gm_ors, pm_u32, pm_str

TEMPLATE_TEST_CASE("merge is commutative", "[laws][merge]", CONVERGE_ALL_TYPES) {
    rc::prop("a merge b == b merge a", [](const TestType& a, const TestType& b) {
        RC_ASSERT(merged(a, b) == merged(b, a));
    });
}

TEMPLATE_TEST_CASE("merge is associative", "[laws][merge]", CONVERGE_ALL_TYPES) {
    rc::prop("(a merge b) merge c == a merge (b merge c)", [](const TestType& a, const TestType& b, const TestType& c) {
        RC_ASSERT(merged(merged(a, b), c) == merged(a, merged(b, c)));
    });
}

TEMPLATE_TEST_CASE("merge is idempotent", "[laws][merge]", CONVERGE_ALL_TYPES) {
    rc::prop("a merge a == a, and merging b twice equals merging it once", [](const TestType& a, const TestType& b) {
        RC_ASSERT(merged(a, a) == a);
        RC_ASSERT(merged(merged(a, b), b) == merged(a, b));
    });
}

TEMPLATE_TEST_CASE("merging the deltas of a run equals merging its final state", "[laws][delta]", CONVERGE_ALL_TYPES) {
    rc::prop("peer + deltas == peer + final state", [](const TestType& start, const TestType& peer) {
        const auto history = *gen_history<TestType>(3);
        TestType state = start;
        TestType from_deltas = merged(peer, start);
        TestType deltas_only;
        for (const auto& a : history) {
            const TestType delta = crdt_ops<TestType>::apply(state, actor_id<actor_type<TestType>>(a.actor), a.op);
            from_deltas.merge(delta);
            deltas_only.merge(delta);
        }
        RC_ASSERT(from_deltas == merged(peer, state));
        RC_ASSERT(merged(start, deltas_only) == state);
    });
}

TEMPLATE_TEST_CASE("an increment's one-entry delta merges, compares and encodes as the state it converts to",
                   "[laws][delta]", gc_u32, gc_str) {
    rc::prop("peer + delta == peer + TestType(delta), from any state", [](const TestType& start, const TestType& peer) {
        using delta_type = typename TestType::increment_delta;
        const auto who = *small_key<typename TestType::replica_type>();
        const auto n = *rc::gen::inRange<typename TestType::count_type>(0, 20);
        TestType state = start;
        const delta_type delta = state.increment(who, n);
        const TestType as_state = delta;
        RC_ASSERT(delta == as_state);
        RC_ASSERT(as_state.size() == delta.size());
        RC_ASSERT(merged(start, as_state) == state);
        TestType direct = peer;
        direct.merge(delta);
        RC_ASSERT(direct == merged(peer, as_state));
        direct.merge(delta);  // idempotent
        RC_ASSERT(direct == merged(peer, as_state));
        RC_ASSERT(encode(delta) == encode(as_state));
        const auto back = decode<delta_type>(encode(delta));
        RC_ASSERT(back.has_value());
        RC_ASSERT(*back == delta);
    });
}

TEMPLATE_TEST_CASE("delta_for ships exactly what the peer lacks", "[laws][delta]", CONVERGE_ALL_TYPES) {
    rc::prop("peer + a.delta_for(peer) == peer + a", [](const TestType& a, const TestType& peer) {
        const TestType delta = a.delta_for(peer);
        RC_ASSERT(merged(peer, delta) == merged(peer, a));
        // Nothing is shipped to a peer that is already ahead, and the delta is part of a.
        RC_ASSERT(a.delta_for(merged(peer, a)).empty());
        RC_ASSERT(merged(a, delta) == a);
    });
}

TEMPLATE_TEST_CASE("decode inverts encode and the encoding is canonical", "[laws][encoding]", CONVERGE_ALL_TYPES) {
    rc::prop("decode(encode(a)) == a; equal states encode to equal bytes", [](const TestType& a, const TestType& b) {
        const auto bytes = encode(a);
        const auto back = decode<TestType>(bytes);
        RC_ASSERT(back.has_value());
        RC_ASSERT(*back == a);
        RC_ASSERT(encode(merged(a, b)) == encode(merged(b, a)));
    });
}

TEMPLATE_TEST_CASE("decode of arbitrary bytes gives a canonical value or an error", "[laws][encoding][hostile]",
                   CONVERGE_ALL_TYPES) {
    rc::prop("random body behind a valid header", [] {
        const auto body = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
        std::vector<std::uint8_t> input{wire_magic, wire_version, static_cast<std::uint8_t>(wire<TestType>::tag)};
        input.insert(input.end(), body.begin(), body.end());
        check_canonical_or_error<TestType>(input);
    });
    rc::prop("a valid encoding with one byte changed, dropped or added", [](const TestType& a) {
        const auto valid = encode(a);
        std::vector<std::uint8_t> input;
        for (const std::byte b : valid) input.push_back(std::to_integer<std::uint8_t>(b));
        const auto pos = *rc::gen::inRange<std::size_t>(0, input.size() + 1);
        const auto value = *rc::gen::arbitrary<std::uint8_t>();
        switch (*rc::gen::inRange(0, 3)) {
        case 0: if (pos < input.size()) input[pos] = value; break;
        case 1: input.resize(pos); break;
        default: input.insert(input.begin() + static_cast<std::ptrdiff_t>(pos), value); break;
        }
        check_canonical_or_error<TestType>(input);
    });
}

TEMPLATE_TEST_CASE("replicas converge under reordered, duplicated and lost deltas", "[laws][convergence]",
                   CONVERGE_ALL_TYPES) {
    rc::prop("after anti-entropy every replica equals the sequential replay and the truth", [] {
        using ops = crdt_ops<TestType>;
        const auto actors = *rc::gen::inRange<std::size_t>(2, 6);
        const auto history = *gen_history<TestType>(actors);
        const auto seed = *rc::gen::arbitrary<std::uint64_t>();

        std::vector<TestType> replicas(actors);
        TestType sequential;  // every operation applied to one object, in order (unless removes observe)
        typename ops::truth truth{};
        struct message {
            std::size_t to;
            TestType delta;
        };
        std::vector<message> network;
        for (const auto& a : history) {
            const auto self = actor_id<actor_type<TestType>>(a.actor);
            const TestType delta = apply_and_record(replicas[a.actor], truth, self, a.op);
            if constexpr (replays_sequentially<TestType>()) ops::apply(sequential, self, a.op);
            for (std::size_t to = 0; to < actors; ++to)
                if (to != a.actor) network.push_back({to, delta});
        }

        // The network reorders everything, drops about one message in five and delivers about
        // one in five twice.
        std::mt19937_64 rng(seed);
        std::shuffle(network.begin(), network.end(), rng);
        for (const auto& m : network) {
            const auto fate = rng() % 5;
            if (fate == 0) continue;
            replicas[m.to].merge(m.delta);
            if (fate == 1) replicas[m.to].merge(m.delta);
        }

        // Anti-entropy: every replica ships each peer what it lacks; two rounds reach everyone.
        for (int round = 0; round < 2; ++round)
            for (std::size_t from = 0; from < actors; ++from)
                for (std::size_t to = 0; to < actors; ++to)
                    if (from != to) replicas[to].merge(replicas[from].delta_for(replicas[to]));

        for (const auto& r : replicas) {
            if constexpr (replays_sequentially<TestType>()) RC_ASSERT(r == sequential);
            RC_ASSERT(ops::matches(r, truth));
        }
    });
}
