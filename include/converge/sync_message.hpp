// sync_message: what one anti_entropy replica sends another: a delta interval or a full state, plus acks and a report.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/encoding.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace converge {

/// One entry of a sync_message's report: the sender hears (or, in the dropped list, stopped
/// hearing) the run `epoch` of one of its peers and has merged that run's seqs up to `received`
/// without a gap.
struct heard_peer {
    std::uint64_t epoch = 0;
    std::uint64_t received = 0;

    friend bool operator==(const heard_peer&, const heard_peer&) = default;
};

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
    std::uint64_t from = 0;       ///< the payloads cover the sender's seqs (from, to]
    std::uint64_t to = 0;
    bool full_state = false;      ///< `payload` is the sender's whole state as of `to`
    std::uint64_t ack_epoch = 0;  ///< the recipient's epoch that `ack` refers to
    std::uint64_t ack = 0;        ///< the recipient's seqs the sender holds, without a gap
    /// The version of the sender's report to the recipient (0: none yet); it grows each time
    /// the set of peers the sender hears changes.
    std::uint64_t report_version = 0;
    State payload{};              ///< the sender's own changes in (from, to], or its whole state
    State relayed{};              ///< what the sender learned from others in (from, to]; empty with a full state
    /// The report of that version is in this message: `report` lists every peer the sender
    /// hears, and `dropped` the other runs of peers it knows of and no longer hears (stopped,
    /// restarted or disconnected), each with how far it got; both sorted by epoch.
    bool has_report = false;
    std::vector<heard_peer> report{};
    std::vector<heard_peer> dropped{};
    /// The sender lacks the recipient's current report (a version came without it): the
    /// recipient's next message should carry it.
    bool awaiting_report = false;

    friend bool operator==(const sync_message&, const sync_message&) = default;
};

namespace detail {

/// Reads a report list: each entry takes at least two bytes, so the count is checked before
/// anything is reserved; epochs must rise strictly.
inline std::vector<heard_peer> read_heard_peers(byte_reader& r) {
    const std::size_t n = r.count(2);
    std::vector<heard_peer> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t entry_start = r.offset();
        heard_peer h;
        h.epoch = r.varint();
        h.received = r.varint();
        if (!out.empty() && h.epoch <= out.back().epoch) r.fail(errc::not_canonical, entry_start);
        out.push_back(h);
    }
    return out;
}

inline void write_heard_peers(byte_writer& w, const std::vector<heard_peer>& list) {
    w.varint(list.size());
    for (const heard_peer& h : list) {
        w.varint(h.epoch);
        w.varint(h.received);
    }
}

}  // namespace detail

template <class State>
struct wire<sync_message<State>> {
    static constexpr wire_tag tag = wire_tag::sync_message;

    // flags: bit 0 full state; bit 1 the message goes on with `relayed` and the report (left
    // out when `relayed` is empty and there is no report, so that each message has one
    // encoding); bit 2 the sender awaits a report; bit 3 a report version follows the ack
    // (left out when it is 0).
    static constexpr std::uint8_t full_flag = 1;
    static constexpr std::uint8_t extended_flag = 2;
    static constexpr std::uint8_t awaiting_flag = 4;
    static constexpr std::uint8_t version_flag = 8;

    static bool extended(const sync_message<State>& m) { return !m.relayed.empty() || m.has_report; }

    static void write(detail::byte_writer& w, const sync_message<State>& m) {
        w.byte(static_cast<std::uint8_t>(wire<State>::tag));
        w.varint(m.epoch);
        w.varint(m.from);
        w.varint(m.to);
        const bool ext = extended(m);
        w.byte(static_cast<std::uint8_t>((m.full_state ? full_flag : 0) | (ext ? extended_flag : 0) |
                                         (m.awaiting_report ? awaiting_flag : 0) |
                                         (m.report_version != 0 ? version_flag : 0)));
        w.varint(m.ack_epoch);
        w.varint(m.ack);
        if (m.report_version != 0) w.varint(m.report_version);
        wire<State>::write(w, m.payload);
        if (!ext) return;
        wire<State>::write(w, m.relayed);
        w.byte(m.has_report ? 1 : 0);
        if (!m.has_report) return;
        detail::write_heard_peers(w, m.report);
        detail::write_heard_peers(w, m.dropped);
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
        if ((flags & ~(full_flag | extended_flag | awaiting_flag | version_flag)) != 0)
            r.fail(errc::value_out_of_range, flags_start);
        m.full_state = (flags & full_flag) != 0;
        m.awaiting_report = (flags & awaiting_flag) != 0;
        // A full state covers everything up to `to`: its interval always starts at 0.
        if (m.full_state && m.from != 0) r.fail(errc::value_out_of_range, flags_start);
        m.ack_epoch = r.varint();
        m.ack = r.varint();
        if ((flags & version_flag) != 0) {
            const std::size_t version_start = r.offset();
            m.report_version = r.varint();
            if (m.report_version == 0) r.fail(errc::not_canonical, version_start);
        }
        m.payload = wire<State>::read(r);
        if ((flags & extended_flag) == 0) return m;
        const std::size_t relayed_start = r.offset();
        m.relayed = wire<State>::read(r);
        // A full state holds everything: nothing is relayed beside it.
        if (m.full_state && !m.relayed.empty()) r.fail(errc::value_out_of_range, relayed_start);
        const std::size_t report_start = r.offset();
        const std::uint8_t has_report = r.byte();
        if (has_report > 1) r.fail(errc::value_out_of_range, report_start);
        m.has_report = has_report == 1;
        if (!m.has_report) {
            if (m.relayed.empty()) r.fail(errc::not_canonical, flags_start);
            return m;
        }
        // A report has a version: the recipient keeps the newest it saw.
        if (m.report_version == 0) r.fail(errc::value_out_of_range, report_start);
        m.report = detail::read_heard_peers(r);
        const std::size_t dropped_start = r.offset();
        m.dropped = detail::read_heard_peers(r);
        // A peer is either heard or dropped.
        for (const heard_peer& d : m.dropped)
            if (std::binary_search(m.report.begin(), m.report.end(), d,
                                   [](const heard_peer& a, const heard_peer& b) { return a.epoch < b.epoch; }))
                r.fail(errc::not_canonical, dropped_start);
        return m;
    }
};

}  // namespace converge
