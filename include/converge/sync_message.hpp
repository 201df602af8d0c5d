// sync_message: what one anti_entropy replica sends another: a delta interval or a full state, plus an ack.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/encoding.hpp>

#include <cstdint>

namespace converge {

/// One message of the anti-entropy protocol (see anti_entropy). Sequence numbers count the
/// sender's log within one `epoch` (one run of the sender; a restart starts a new epoch).
///
/// Example:
/// ```
/// using counter = converge::g_counter<std::uint32_t>;
/// converge::anti_entropy<counter, int> a(/*epoch*/ 1), b(2);
/// a.connect(2); b.connect(1);
/// a.update([](auto& c) { return c.increment(1, 4); });
/// auto bytes = converge::encode(a.message_for(2));                   // to the wire
/// auto m = converge::decode<converge::sync_message<counter>>(bytes); // from the wire
/// if (m) b.receive(1, *m);
/// assert(b.state().value() == 4);
/// ```
template <class State>
struct sync_message {
    std::uint64_t epoch = 0;      ///< the sender's epoch
    std::uint64_t from = 0;       ///< the payload covers the sender's seqs (from, to]
    std::uint64_t to = 0;
    bool full_state = false;      ///< the payload is the sender's whole state as of `to`
    std::uint64_t ack_epoch = 0;  ///< the recipient's epoch that `ack` refers to
    std::uint64_t ack = 0;        ///< the recipient's seqs the sender holds, without a gap
    State payload{};

    friend bool operator==(const sync_message&, const sync_message&) = default;
};

template <class State>
struct wire<sync_message<State>> {
    static constexpr wire_tag tag = wire_tag::sync_message;

    static void write(detail::byte_writer& w, const sync_message<State>& m) {
        w.byte(static_cast<std::uint8_t>(wire<State>::tag));
        w.varint(m.epoch);
        w.varint(m.from);
        w.varint(m.to);
        w.byte(m.full_state ? 1 : 0);
        w.varint(m.ack_epoch);
        w.varint(m.ack);
        wire<State>::write(w, m.payload);
    }

    static sync_message<State> read(detail::byte_reader& r) {
        sync_message<State> m;
        if (r.byte() != static_cast<std::uint8_t>(wire<State>::tag)) r.fail(errc::wrong_type, r.offset() - 1);
        m.epoch = r.varint();
        m.from = r.varint();
        const std::size_t to_start = r.offset();
        m.to = r.varint();
        if (m.to < m.from) r.fail(errc::value_out_of_range, to_start);
        const std::size_t flags_start = r.offset();
        const std::uint8_t flags = r.byte();
        if (flags > 1) r.fail(errc::value_out_of_range, flags_start);
        m.full_state = flags == 1;
        // A full state covers everything up to `to`: its interval always starts at 0.
        if (m.full_state && m.from != 0) r.fail(errc::value_out_of_range, flags_start);
        m.ack_epoch = r.varint();
        m.ack = r.varint();
        m.payload = wire<State>::read(r);
        return m;
    }
};

}  // namespace converge
