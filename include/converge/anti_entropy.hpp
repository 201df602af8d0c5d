// anti_entropy: delta buffering, sequence numbers, acks and full-state fall-back, with no threads or sockets.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/delta_crdt.hpp>
#include <converge/sync_message.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace converge {

/// The delta-state anti-entropy protocol of one replica, as a state machine: the caller applies
/// local changes, asks what to send each peer, and hands over what arrived; moving the bytes
/// (and deciding when) is the caller's job.
///
/// Every change, local or newly learned from a peer, is logged under the next sequence number.
/// A message to a peer carries the join of the logged deltas after the last sequence number
/// that peer acknowledged (leaving out what came from that peer), so a lost message is covered
/// by the next one and nothing needs a timer. When a peer's ack falls behind the log (the log
/// is trimmed to `max_log` entries), on (re)connection, or when the peer restarts (a new
/// epoch), the message carries the full state instead. Duplicated, reordered or late messages
/// merge as no-ops.
///
/// Relaying is what keeps replicas converging when some links are down, and what made a full
/// mesh cost N² link crossings per change. So a message also carries a version of its sender's
/// report of whom it hears (the epochs of the peers it got a message from lately, and how far
/// it has merged each); the report itself goes only when it changes, or when the recipient,
/// seeing a version it lacks, asks for it. A change that peer `q` made itself is not relayed
/// to a peer that reports hearing `q`: `q` sends its own changes to everyone it is linked to
/// until they are acknowledged. The skipped change is held for `hold_for` messages; if the peer
/// reports that it stopped hearing `q` in that time, the change is logged again for that peer
/// alone. Past that, a report that shows the peer stopped hearing `q` short of the change
/// earns the peer the full state; a peer not heard for `hear_window` messages is asked for its
/// report when it is heard again, and until then nothing is skipped for it. So each
/// change crosses each link of a full mesh once, and the only per-message overhead is the
/// report's version: the cost of a change does not grow with the number of links.
///
/// Example:
/// ```
/// converge::anti_entropy<converge::g_counter<std::uint32_t>, int> a(/*epoch*/ 1), b(2);
/// a.connect(2); b.connect(1);
/// a.update([](auto& c) { return c.increment(1); });
/// b.receive(1, a.message_for(2));
/// assert(b.state().value() == 1);
/// a.receive(2, b.message_for(1));  // carries b's ack: a can drop its log
/// assert(a.log_size() == 0);
/// ```
template <delta_crdt State, class Peer = std::uint64_t>
class anti_entropy {
public:
    using message = sync_message<State>;

    /// A peer counts as heard while fewer than this many messages went to it since its last one.
    static constexpr std::uint32_t hear_window = 8;
    /// A change skipped for a peer that hears its maker stays in the log for this many
    /// messages to that peer: long enough for the peer to notice, and report, that the maker
    /// went silent (`hear_window` messages) while the change is still at hand to send again.
    static constexpr std::uint32_t hold_for = 2 * hear_window;

    /// `epoch` must differ between runs of the same replica (a random 64-bit number will do).
    explicit anti_entropy(std::uint64_t epoch, State initial = {}, std::size_t max_log = 1024)
        : epoch_(epoch), state_(std::move(initial)), max_log_(std::max<std::size_t>(max_log, 1)) {
        // The initial state is change 1, already trimmed: a peer that has not acknowledged it
        // gets full states until it does, even when the first one is lost.
        if (!state_.empty()) seq_ = log_floor_ = 1;
    }

    [[nodiscard]] const State& state() const noexcept { return state_; }
    [[nodiscard]] std::uint64_t epoch() const noexcept { return epoch_; }
    /// The last sequence number logged.
    [[nodiscard]] std::uint64_t seq() const noexcept { return seq_; }
    [[nodiscard]] std::size_t log_size() const noexcept { return log_.size(); }

    /// Applies a local change: `mutate(State&)` runs a mutator on the state and returns its
    /// delta, which is logged for the peers. Returns the delta. Changes made between two
    /// messages share one log entry (one sequence number), so a replica taking thousands of
    /// writes between two messages logs one delta.
    template <class Mutate>
    State update(Mutate&& mutate) {
        State delta = mutate(state_);
        if (!delta.empty()) log_local(delta);
        return delta;
    }

    /// Merges a delta produced elsewhere (not through a peer message) and logs what was new as
    /// a local change.
    State apply(const State& delta) { return learn(origin_info{}, delta); }

    /// A peer is (re)connected: the next message to it carries the full state.
    void connect(const Peer& p) { peers_[p].needs_full = true; }

    /// `p` is alive and its messages reach here, as the caller knows from elsewhere (a frame of
    /// another channel on the same link, a transport heartbeat): it counts as heard, as if a
    /// message had come. A caller that leaves out repeated messages must say so, or an idle
    /// link would look cut after `hear_window` messages.
    ///
    /// Example:
    /// ```
    /// converge::anti_entropy<converge::g_counter<std::uint32_t>, int> a(1), b(2);
    /// a.connect(2); a.connect(3); b.connect(1);
    /// a.receive(2, b.message_for(1));  // a hears b's run, epoch 2
    /// for (std::uint32_t i = 0; i < a.hear_window; ++i) {
    ///     (void)a.message_for(2);      // b's answers repeat, and the caller leaves them out...
    ///     a.heard(2);                  // ...but b's link is known to be alive
    /// }
    /// assert(a.message_for(3).report.size() == 1);  // a still tells 3 that it hears b
    /// ```
    void heard(const Peer& p) {
        const auto i = peers_.find(p);
        if (i != peers_.end()) i->second.sends_since_heard = 0;
    }

    /// The message made for `p` up to sequence number `to` (its `to` field) went out on a link
    /// that delivers in order or breaks, such as a TCP connection: count it as acknowledged,
    /// so that the next message to `p` starts after it instead of repeating it until `p`'s ack
    /// comes back. Then each change crosses such a link once. Only for a caller that, when the
    /// link breaks, calls `disconnect(p)` and, once it is back, `connect(p)`: the full state
    /// sent then covers whatever was lost in flight. A peer not connected is left alone.
    ///
    /// Example:
    /// ```
    /// converge::anti_entropy<converge::g_counter<std::uint32_t>, int> a(1), b(2);
    /// a.connect(2);
    /// a.update([](auto& c) { return c.increment(1); });
    /// const auto first = a.message_for(2);  // the full state: a new link
    /// a.sent_reliably(2, first.to);
    /// a.update([](auto& c) { return c.increment(7); });
    /// const auto second = a.message_for(2);  // only the second increment, not both
    /// assert(!second.full_state && second.payload.value() == 1);
    /// b.receive(1, first);
    /// b.receive(1, second);
    /// assert(b.state().value() == 2);
    /// ```
    void sent_reliably(const Peer& p, std::uint64_t to) {
        const auto i = peers_.find(p);
        if (i == peers_.end() || to <= i->second.acked) return;
        i->second.acked = std::min(to, seq_);
        trim();
    }

    /// A peer is gone: it no longer holds back the trimming of the log.
    void disconnect(const Peer& p) {
        const auto i = peers_.find(p);
        if (i == peers_.end()) return;
        // Reports to the others say how far this replica got with that peer's run.
        if (i->second.their_epoch != 0) {
            if (departed_.size() >= max_departed) departed_.erase(departed_.begin());
            departed_[i->second.their_epoch] = i->second.received;
        }
        peers_.erase(i);
        trim();
    }

    /// The message to send `p` now: the deltas it has not acknowledged, or the full state, plus
    /// an ack of what has arrived from it and the report of whom this replica hears. With
    /// nothing new its payloads are empty, which still serves as a heartbeat and an ack.
    [[nodiscard]] message message_for(const Peer& p) {
        peer& st = peers_[p];
        if (st.sends_since_heard < hear_window) ++st.sends_since_heard;
        // A peer not heard lately may have reported a change of whom it hears that never came:
        // what was skipped for it goes after all.
        const bool report_current = st.sends_since_heard < hear_window;
        if (!report_current) forget_report(p, st);
        message m;
        m.epoch = epoch_;
        m.to = covered_ = seq_;
        m.ack_epoch = st.their_epoch;
        m.ack = st.received;
        write_report(p, st, m);
        m.awaiting_report = std::exchange(st.wants_report, false);
        ++st.sent;
        if (st.needs_full || st.acked < log_floor_) {
            m.full_state = true;
            m.payload = state_;
            st.needs_full = false;
            return m;
        }
        m.from = st.acked;
        for (const entry& e : log_) {
            if (e.seq <= st.acked || e.origin == p || (e.target && *e.target != p)) continue;
            if (e.kind == entry_kind::peers_own && report_current && st.hears.contains(e.origin_epoch)) {
                // The peer hears this change's maker, who sends it there itself.
                if (!confirmed(st, e.origin_epoch, e.origin_seq))
                    st.held.try_emplace(e.seq, held_change{e.origin_epoch, e.origin_seq, st.sent});
                continue;
            }
            (e.kind == entry_kind::local ? m.payload : m.relayed).merge(e.delta);
        }
        release_held(st);
        return m;
    }

    /// Takes a message from `from`: merges what is new in it and records the acks and the
    /// report. Returns the news (empty when the message told nothing new), for the caller to act on.
    State receive(const Peer& from, const message& m) {
        peer& st = peers_[from];
        st.sends_since_heard = 0;
        if (m.epoch != st.their_epoch) {
            // A new run of that peer: what it had received or acknowledged is gone with the old one.
            // A late message from an earlier run can come between two of the current run, so
            // what has arrived from each run is kept: if it were reset to 0 on coming back, the
            // peer, holding our ack of more, would start its deltas past it and wait forever
            // for an ack that never moves.
            if (st.received > 0) st.received_in[st.their_epoch] = st.received;
            st.their_epoch = m.epoch;
            const auto earlier = st.received_in.find(m.epoch);
            st.received = earlier == st.received_in.end() ? 0 : earlier->second;
            st.acked = 0;
            st.needs_full = true;
            // The full state it is owed covers whatever was held back from it.
            st.hears.clear();
            st.held.clear();
            st.released.clear();
            st.report_applied = 0;
            st.wants_report = false;
            st.reported.clear();  // the new run is told whom we hear afresh
            st.reported_once = false;
            // What came from the old run is no longer held by the peer: send it back like the rest.
            for (entry& e : log_)
                if (e.origin == from) e.origin.reset();
        }
        if (m.ack_epoch == epoch_ && m.ack > st.acked) st.acked = std::min(m.ack, seq_);
        if (m.awaiting_report) st.report_requested = true;
        if (m.has_report) {
            // A late message's report is older than the one applied: it is left out.
            if (m.report_version >= st.report_applied) {
                read_report(from, st, m);
                st.report_applied = m.report_version;
            }
        } else if (m.report_version > st.report_applied) {
            st.wants_report = true;  // the report of that version was lost: ask for it again
        }
        trim();
        const entry_kind payload_kind = m.full_state ? entry_kind::relayed : entry_kind::peers_own;
        State news = learn(came_from(from, payload_kind, m.epoch, m.to), m.payload);
        news.merge(learn(came_from(from, entry_kind::relayed), m.relayed));
        if (m.full_state || m.from <= st.received) st.received = std::max(st.received, m.to);
        return news;
    }

private:
    enum class entry_kind : std::uint8_t {
        local,      ///< made here: sent to every peer as the sender's own changes
        peers_own,  ///< a peer's own change: not relayed to peers that hear that peer
        relayed,    ///< anything else learned, or logged again for one peer: relayed to all
    };
    struct origin_info {
        std::optional<Peer> origin;  ///< the peer it came from, which needs it not back
        entry_kind kind = entry_kind::local;
        std::uint64_t origin_epoch = 0;  ///< peers_own: the maker's run and its seq that covers it
        std::uint64_t origin_seq = 0;
        std::optional<Peer> target;  ///< logged again for this peer alone
    };
    static origin_info came_from(const Peer& p, entry_kind k, std::uint64_t epoch = 0, std::uint64_t seq = 0) {
        origin_info info;
        info.origin = p;
        info.kind = k;
        info.origin_epoch = epoch;
        info.origin_seq = seq;
        return info;
    }
    static origin_info again_for(const Peer& p) {
        origin_info info;
        info.kind = entry_kind::relayed;
        info.target = p;
        return info;
    }
    struct entry : origin_info {
        std::uint64_t seq;
        State delta;
    };
    struct held_change {
        std::uint64_t origin_epoch;
        std::uint64_t origin_seq;
        std::uint64_t skipped_at;  ///< the peer's `sent` when it was first skipped
    };
    struct peer {
        std::uint64_t their_epoch = 0;
        std::uint64_t received = 0;  ///< their seqs merged here without a gap
        std::uint64_t acked = 0;     ///< our seqs they hold without a gap (or skipped below)
        bool needs_full = true;
        std::uint32_t sends_since_heard = hear_window;
        std::uint64_t sent = 0;                               ///< messages made for it
        std::map<std::uint64_t, std::uint64_t> received_in;  ///< `received` of its other runs
        // What it reported: whom it hears (epoch -> received), the version of that report,
        // and whether we must ask for the current one.
        std::map<std::uint64_t, std::uint64_t> hears;
        std::uint64_t report_applied = 0;
        bool wants_report = false;
        // What we report to it: the set as last sent, its version, whether it asked for it.
        std::vector<heard_peer> reported;
        std::uint64_t report_version = 0;
        bool reported_once = false;
        bool report_requested = false;
        std::map<std::uint64_t, held_change> held;      ///< our seqs skipped for it, still in the log
        std::map<std::uint64_t, std::uint64_t> released;  ///< maker's epoch -> highest skipped seq let go unconfirmed
    };

    /// How many peers that left this replica's links are remembered, for reports.
    static constexpr std::size_t max_departed = 64;

    static bool confirmed(const peer& st, std::uint64_t epoch, std::uint64_t seq) {
        const auto h = st.hears.find(epoch);
        return h != st.hears.end() && h->second >= seq;
    }

    /// Whom this replica hears, for `p`. Every message carries the version of that set; the
    /// set itself goes when it changed since the last report to `p` or when `p` asked for it,
    /// with every other run of a peer this replica knows of and how far it got with each (the
    /// runs it stopped hearing: a recipient that missed earlier reports learns them here).
    void write_report(const Peer& p, peer& st, message& m) {
        std::map<std::uint64_t, std::uint64_t> heard;  // by epoch: sorted, one entry per run
        for (const auto& [q, qs] : peers_)
            if (!(q == p) && qs.their_epoch != 0 && qs.sends_since_heard < hear_window) heard[qs.their_epoch] = qs.received;
        std::vector<heard_peer> now;
        for (const auto& [epoch, received] : heard) now.push_back({epoch, received});
        const auto same_epoch = [](const heard_peer& a, const heard_peer& b) { return a.epoch == b.epoch; };
        const bool changed = !st.reported_once ||
                             !std::equal(now.begin(), now.end(), st.reported.begin(), st.reported.end(), same_epoch);
        if (changed) ++st.report_version;
        m.report_version = st.report_version;
        if (!changed && !st.report_requested) return;
        m.has_report = true;
        m.dropped = runs_not_heard(p, heard);
        m.report = now;
        st.reported = std::move(now);
        st.reported_once = true;
        st.report_requested = false;
    }

    /// Every run of a peer other than `p` that this replica knows of and is not in `heard`,
    /// with how far it got: the dropped list of a report, built only when a report goes out.
    std::vector<heard_peer> runs_not_heard(const Peer& p, const std::map<std::uint64_t, std::uint64_t>& heard) const {
        std::map<std::uint64_t, std::uint64_t> known;
        const auto note = [&known](std::uint64_t epoch, std::uint64_t received) {
            known[epoch] = std::max(known[epoch], received);
        };
        for (const auto& [q, qs] : peers_) {
            if (q == p) continue;
            if (qs.their_epoch != 0) note(qs.their_epoch, qs.received);
            for (const auto& [epoch, received] : qs.received_in) note(epoch, received);
        }
        for (const auto& [epoch, received] : departed_) note(epoch, received);
        std::vector<heard_peer> out;
        for (const auto& [epoch, received] : known)
            if (!heard.contains(epoch)) out.push_back({epoch, received});
        return out;
    }

    /// Records `from`'s report: drops the skipped changes it confirms; logs again, for it
    /// alone, those whose maker it stopped hearing short of them; and owes it the full state
    /// when such a change was already let go.
    void read_report(const Peer& from, peer& st, const message& m) {
        st.hears.clear();
        for (const heard_peer& h : m.report) st.hears[h.epoch] = h.received;
        const auto got = [&](std::uint64_t epoch) -> std::optional<std::uint64_t> {
            if (const auto h = st.hears.find(epoch); h != st.hears.end()) return h->second;
            for (const heard_peer& d : m.dropped)
                if (d.epoch == epoch) return d.received;
            return std::nullopt;
        };
        State again;
        for (auto it = st.held.begin(); it != st.held.end();) {
            const auto& [seq, change] = *it;
            const auto received = got(change.origin_epoch);
            if (received && *received >= change.origin_seq) {
                it = st.held.erase(it);
            } else if (!st.hears.contains(change.origin_epoch)) {
                again.merge(log_[seq - log_.front().seq].delta);
                it = st.held.erase(it);
            } else {
                ++it;
            }
        }
        for (auto it = st.released.begin(); it != st.released.end();) {
            const auto received = got(it->first);
            if (received && *received >= it->second) {
                it = st.released.erase(it);
            } else if (!st.hears.contains(it->first)) {
                st.needs_full = true;
                it = st.released.erase(it);
            } else {
                ++it;
            }
        }
        if (!again.empty()) push(again_for(from), std::move(again));
    }

    /// Lets go of the changes skipped for a peer `hold_for` messages ago, remembering how far.
    void release_held(peer& st) {
        bool any = false;
        for (auto it = st.held.begin(); it != st.held.end() && st.sent - it->second.skipped_at >= hold_for;) {
            std::uint64_t& highest = st.released[it->second.origin_epoch];
            highest = std::max(highest, it->second.origin_seq);
            it = st.held.erase(it);
            any = true;
        }
        if (any) trim();
    }

    /// `p` has not been heard lately: whatever its report said is out of date. What was held
    /// for it is logged again for it, nothing is skipped for it until it reports again, and
    /// its next message makes us ask for that report: the report settles what was let go
    /// (the full state, if `p` turns out to have stopped hearing a maker short of it). A busy
    /// peer is often silent for a while; a full state on silence would cost more than waiting.
    void forget_report(const Peer& p, peer& st) {
        State again;
        for (const auto& [seq, change] : st.held) again.merge(log_[seq - log_.front().seq].delta);
        st.held.clear();
        st.hears.clear();
        st.report_applied = 0;
        if (!again.empty()) push(again_for(p), std::move(again));
    }

    State learn(const origin_info& info, const State& incoming) {
        State news = incoming.delta_for(state_);
        if (!news.empty()) {
            state_.merge(news);
            append(info, news);
        }
        return news;
    }

    /// Logs a local change. Two shortcuts, each ending where logging it and trimming would:
    /// with no peer and an empty log, nothing keeps it (trim would drop it at once); and a
    /// change made before any message covered the last local entry joins that entry, which every
    /// peer will get whole, under the sequence number no message has named yet.
    void log_local(const State& delta) {
        if (peers_.empty() && log_.empty()) {
            log_floor_ = ++seq_;
            return;
        }
        if (!log_.empty() && seq_ > covered_) {
            entry& last = log_.back();
            if (last.seq == seq_ && last.kind == entry_kind::local && !last.origin && !last.target) {
                last.delta.merge(delta);
                return;
            }
        }
        append(origin_info{}, delta);
    }

    void append(const origin_info& info, const State& delta) {
        push(info, delta);
        trim();
    }

    void push(const origin_info& info, State delta) { log_.push_back({info, ++seq_, std::move(delta)}); }

    /// Drops what every peer holds, and the oldest entries beyond max_log. A change held back
    /// from a peer that has to go is logged again for that peer.
    void trim() {
        std::uint64_t keep_after = seq_;
        for (const auto& [p, st] : peers_) {
            keep_after = std::min(keep_after, st.acked);
            if (!st.held.empty()) keep_after = std::min(keep_after, st.held.begin()->first - 1);
        }
        std::map<Peer, State> again;
        while (!log_.empty() && (log_.front().seq <= keep_after || log_.size() > max_log_)) {
            for (auto& [p, st] : peers_) {
                const auto h = st.held.find(log_.front().seq);
                if (h == st.held.end()) continue;
                again[p].merge(log_.front().delta);
                st.held.erase(h);
            }
            log_floor_ = log_.front().seq;
            log_.pop_front();
        }
        if (log_.empty()) log_floor_ = seq_;
        for (auto& [p, delta] : again) push(again_for(p), std::move(delta));
    }

    std::uint64_t epoch_;
    State state_;
    std::size_t max_log_;
    std::uint64_t seq_ = 0;
    std::uint64_t covered_ = 0;    ///< the last seq a message named (its `to`)
    std::uint64_t log_floor_ = 0;  ///< the log holds every entry after this seq
    std::deque<entry> log_;
    std::map<Peer, peer> peers_;
    std::map<std::uint64_t, std::uint64_t> departed_;  ///< epoch -> received of peers disconnected
};

}  // namespace converge
