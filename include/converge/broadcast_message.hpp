// broadcast_message: what a broadcast_sync replica says about its own changes: an interval, a digest, a repair or a full state.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>

#include <cstdint>

namespace converge {

/// What a broadcast_message carries. The numbers are the wire values.
enum class broadcast_kind : std::uint8_t {
    interval = 0,    ///< published: the sender's changes (from, to], from > to never, to > from always
    digest = 1,      ///< published when idle: the sender's last seq is `to` (= `from`), no payload
    repair = 2,      ///< an answer to one repair_request: the logged changes (from, to]
    full_state = 3,  ///< an answer when the log no longer reaches back: the whole state, (0, to]
};

/// One message of the broadcast_sync protocol, about the changes of `sender` in its run
/// `epoch` (a restart is a new epoch): the payload joins the changes numbered (from, to]. A
/// digest has no payload and `from == to`; a full state has `from == 0` and holds the sender's
/// whole state (it covers more than the sender's own changes). Fields a kind does not use are
/// not sent, so they decode as 0 or empty.
///
/// Example:
/// ```
/// using counter = converge::g_counter<std::uint32_t>;
/// converge::broadcast_sync<counter, std::uint32_t> a(/*sender*/ 1, /*epoch*/ 7), b(2, 9);
/// a.update([](auto& c) { return c.increment(1, 4); });
/// auto bytes = converge::encode(a.publish());    // published once, heard by every subscriber
/// auto m = converge::decode<converge::broadcast_message<counter, std::uint32_t>>(bytes);
/// assert(m && m->kind == converge::broadcast_kind::interval && m->from == 0 && m->to == 1);
/// b.receive(*m);
/// assert(b.state().value() == 4);
/// ```
template <class State, class Sender = std::uint64_t>
struct broadcast_message {
    broadcast_kind kind = broadcast_kind::interval;
    Sender sender{};
    std::uint64_t epoch = 0;  ///< the sender's run
    std::uint64_t from = 0;   ///< the payload covers the sender's seqs (from, to]
    std::uint64_t to = 0;
    State payload{};

    friend bool operator==(const broadcast_message&, const broadcast_message&) = default;
};

template <class State, class Sender>
    requires has_codec<Sender>
struct wire<broadcast_message<State, Sender>> {
    static constexpr wire_tag tag = wire_tag::broadcast_message;

    static void write(detail::byte_writer& w, const broadcast_message<State, Sender>& m) {
        w.byte(static_cast<std::uint8_t>(m.kind));
        w.byte(static_cast<std::uint8_t>(wire<State>::tag));
        codec<Sender>::encode(w, m.sender);
        w.varint(m.epoch);
        switch (m.kind) {
        case broadcast_kind::digest: w.varint(m.to); return;
        case broadcast_kind::full_state: break;
        case broadcast_kind::interval:
        case broadcast_kind::repair: w.varint(m.from); break;
        }
        w.varint(m.to);
        wire<State>::write(w, m.payload);
    }

    static broadcast_message<State, Sender> read(detail::byte_reader& r) {
        broadcast_message<State, Sender> m;
        const std::size_t kind_start = r.offset();
        const std::uint8_t kind = r.byte();
        if (kind > static_cast<std::uint8_t>(broadcast_kind::full_state)) r.fail(errc::value_out_of_range, kind_start);
        m.kind = static_cast<broadcast_kind>(kind);
        if (r.byte() != static_cast<std::uint8_t>(wire<State>::tag)) r.fail(errc::wrong_type, r.offset() - 1);
        m.sender = codec<Sender>::decode(r);
        m.epoch = r.varint();
        if (m.kind == broadcast_kind::digest) {
            m.from = m.to = r.varint();
            return m;
        }
        if (m.kind != broadcast_kind::full_state) m.from = r.varint();
        const std::size_t to_start = r.offset();
        m.to = r.varint();
        if (m.to < m.from) r.fail(errc::value_out_of_range, to_start);
        // An empty interval is a digest: only one encoding says "nothing after seq n".
        if (m.kind == broadcast_kind::interval && m.to == m.from) r.fail(errc::value_out_of_range, to_start);
        m.payload = wire<State>::read(r);
        return m;
    }
};

}  // namespace converge
