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
/// epoch), the message carries the full state instead. Logging what was learned from peers
/// relays it, so replicas converge even when some links are down; only news is logged, so
/// relaying ends. Duplicated, reordered or late messages merge as no-ops.
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
    /// delta, which is logged for the peers. Returns the delta.
    template <class Mutate>
    State update(Mutate&& mutate) {
        State delta = mutate(state_);
        if (!delta.empty()) append(std::nullopt, delta);
        return delta;
    }

    /// Merges a delta produced elsewhere (not through a peer message) and logs what was new.
    State apply(const State& delta) { return learn(std::nullopt, delta); }

    /// A peer is (re)connected: the next message to it carries the full state.
    void connect(const Peer& p) { peers_[p].needs_full = true; }

    /// A peer is gone: it no longer holds back the trimming of the log.
    void disconnect(const Peer& p) {
        peers_.erase(p);
        trim();
    }

    /// The message to send `p` now: the deltas it has not acknowledged, or the full state, plus
    /// an ack of what has arrived from it. With nothing new its payload is empty, which still
    /// serves as a heartbeat and an ack.
    [[nodiscard]] message message_for(const Peer& p) {
        peer& st = peers_[p];
        message m;
        m.epoch = epoch_;
        m.to = seq_;
        m.ack_epoch = st.their_epoch;
        m.ack = st.received;
        if (st.needs_full || st.acked < log_floor_) {
            m.full_state = true;
            m.payload = state_;
            st.needs_full = false;
            return m;
        }
        m.from = st.acked;
        for (const entry& e : log_)
            if (e.seq > st.acked && e.origin != p) m.payload.merge(e.delta);
        return m;
    }

    /// Takes a message from `from`: merges what is new in it and records the acks. Returns the
    /// news (empty when the message told nothing new), for the caller to act on.
    State receive(const Peer& from, const message& m) {
        peer& st = peers_[from];
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
            // What came from the old run is no longer held by the peer: send it back like the rest.
            for (entry& e : log_)
                if (e.origin == from) e.origin.reset();
        }
        if (m.ack_epoch == epoch_ && m.ack > st.acked) {
            st.acked = std::min(m.ack, seq_);
            trim();
        }
        State news = learn(from, m.payload);
        if (m.full_state || m.from <= st.received) st.received = std::max(st.received, m.to);
        return news;
    }

private:
    struct peer {
        std::uint64_t their_epoch = 0;
        std::uint64_t received = 0;  ///< their seqs merged here without a gap
        std::uint64_t acked = 0;     ///< our seqs they hold without a gap
        bool needs_full = true;
        std::map<std::uint64_t, std::uint64_t> received_in;  ///< `received` of its other runs
    };
    struct entry {
        std::uint64_t seq;
        std::optional<Peer> origin;
        State delta;
    };

    State learn(const std::optional<Peer>& origin, const State& incoming) {
        State news = incoming.delta_for(state_);
        if (!news.empty()) {
            state_.merge(news);
            append(origin, news);
        }
        return news;
    }

    void append(const std::optional<Peer>& origin, const State& delta) {
        log_.push_back({++seq_, origin, delta});
        trim();
    }

    /// Drops what every peer holds, and the oldest entries beyond max_log.
    void trim() {
        std::uint64_t keep_after = seq_;
        for (const auto& [p, st] : peers_) keep_after = std::min(keep_after, st.acked);
        while (!log_.empty() && (log_.front().seq <= keep_after || log_.size() > max_log_)) {
            log_floor_ = log_.front().seq;
            log_.pop_front();
        }
        if (log_.empty()) log_floor_ = seq_;
    }

    std::uint64_t epoch_;
    State state_;
    std::size_t max_log_;
    std::uint64_t seq_ = 0;
    std::uint64_t log_floor_ = 0;  ///< the log holds every entry after this seq
    std::deque<entry> log_;
    std::map<Peer, peer> peers_;
};

}  // namespace converge
