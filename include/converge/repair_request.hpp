// repair_request: a broadcast_sync receiver asks one sender for the changes it missed.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/encoding.hpp>

#include <cstdint>

namespace converge {

/// `requester` holds the changes of `sender`'s run `epoch` up to seq `have` without a gap and
/// asks for the rest. The sender answers with broadcast_sync::answer, addressed to `requester`.
///
/// Example:
/// ```
/// using counter = converge::g_counter<std::uint32_t>;
/// converge::broadcast_sync<counter, std::uint32_t> a(1, /*epoch*/ 7), b(2, 9);
/// a.update([](auto& c) { return c.increment(1, 4); });
/// (void)a.publish();                                  // lost on the way to b
/// b.receive(a.publish());                             // a digest: b learns it missed seq 1
/// const auto requests = b.repair_requests(/*now*/ 0);
/// assert(requests.size() == 1 && requests[0].sender == 1 && requests[0].have == 0);
/// auto bytes = converge::encode(requests[0]);        // to a, point to point
/// auto request = converge::decode<converge::repair_request<std::uint32_t>>(bytes);
/// b.receive(*a.answer(*request));                     // back to b
/// assert(b.state().value() == 4);
/// ```
template <class Sender = std::uint64_t>
struct repair_request {
    Sender requester{};      ///< who asks, and where the answer goes
    Sender sender{};         ///< whose changes are asked for
    std::uint64_t epoch = 0; ///< the sender's run that `have` counts in
    std::uint64_t have = 0;  ///< the requester holds the sender's seqs (0, have]

    friend bool operator==(const repair_request&, const repair_request&) = default;
};

template <class Sender>
    requires has_codec<Sender>
struct wire<repair_request<Sender>> {
    static constexpr wire_tag tag = wire_tag::repair_request;

    static void write(detail::byte_writer& w, const repair_request<Sender>& q) {
        codec<Sender>::encode(w, q.requester);
        codec<Sender>::encode(w, q.sender);
        w.varint(q.epoch);
        w.varint(q.have);
    }

    static repair_request<Sender> read(detail::byte_reader& r) {
        repair_request<Sender> q;
        q.requester = codec<Sender>::decode(r);
        q.sender = codec<Sender>::decode(r);
        q.epoch = r.varint();
        q.have = r.varint();
        return q;
    }
};

}  // namespace converge
