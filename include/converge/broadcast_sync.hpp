// broadcast_sync: one-to-many (publish/subscribe) delta shipping with gap detection and repair on request, with no threads or sockets.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/broadcast_message.hpp>
#include <converge/delta_crdt.hpp>
#include <converge/repair_request.hpp>
#include <converge/replica_id.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace converge {

/// The sync protocol of one replica on a publish/subscribe fabric where every subscriber hears
/// every publisher directly, at most once, with no acks (NATS core, say), as a state machine:
/// the caller applies local changes, publishes what `publish()` returns every interval, hands
/// over what arrives, sends the `repair_requests()` to their senders and the `answer`s back.
///
/// Each local change is logged under the next sequence number of this run (`epoch`, random
/// and new on every restart). Only own changes are published: every subscriber hears the
/// origin itself. `publish()` returns the join of the changes since the last publish as one
/// interval (from, to], or when nothing changed a digest naming the last seq, so a receiver
/// sees a lost last interval one publish later. A receiver tracks, per sender, the epoch and
/// `have`, the seqs it holds without a gap. It merges whatever arrives (joins commute, so an
/// interval past a gap is safe to merge) but advances `have` only over contiguous intervals;
/// a gap, a digest past `have`, or a new sender or epoch whose first message does not start
/// at 0 makes it want a repair. The sender answers a request from its log, bounded by
/// `max_log` entries (there are no acks to trim it by), or with its full state.
///
/// Example:
/// ```
/// using counter = converge::g_counter<std::uint32_t>;
/// converge::broadcast_sync<counter, std::uint32_t> a(/*sender*/ 1, /*epoch*/ 11), b(2, 22), c(3, 33);
/// a.update([](auto& s) { return s.increment(1, 2); });
/// const auto m = a.publish();          // one message for every subscriber
/// b.receive(m);
/// c.receive(m);
/// assert(b.state().value() == 2 && c.state().value() == 2);
/// assert(b.repair_requests(/*now*/ 0).empty());  // nothing missing: nothing to ask
/// ```
template <delta_crdt State, class Sender = std::uint64_t>
class broadcast_sync {
    static_assert(detail::check_ordered_key<Sender>());

public:
    using message = broadcast_message<State, Sender>;
    using request = repair_request<Sender>;

    /// What the protocol did, for a /metrics page; every field only grows.
    struct statistics {
        std::uint64_t intervals_published = 0;
        std::uint64_t digests_published = 0;
        std::uint64_t gaps_seen = 0;          ///< times a sender was found missing changes here
        std::uint64_t epoch_changes = 0;      ///< a tracked sender heard in another run (a restart, or a late message)
        std::uint64_t repairs_requested = 0;  ///< requests returned by repair_requests, retries included
        std::uint64_t repairs_answered = 0;   ///< answers given, full states included
        std::uint64_t full_states_sent = 0;   ///< answers that had to carry the whole state
        friend bool operator==(const statistics&, const statistics&) = default;
    };

    /// Where this replica stands with one sender.
    struct progress {
        std::uint64_t epoch = 0;  ///< the sender's run being tracked
        std::uint64_t have = 0;   ///< its seqs (0, have] are merged here, without a gap
        std::uint64_t heard = 0;  ///< the highest of its seqs heard of; above `have`, a repair is wanted
        friend bool operator==(const progress&, const progress&) = default;
    };

    /// `epoch` must differ between runs of the same sender (a random 64-bit number will do).
    /// A non-empty `initial` state (restored after a restart) counts as change 1, not logged:
    /// a receiver gets it by a full state. `max_log` own changes are kept for repairs (older
    /// ones are answered with the full state); an unanswered repair request is sent again after
    /// `retry_after` of the caller's time (see repair_requests).
    broadcast_sync(Sender self, std::uint64_t epoch, State initial = {}, std::size_t max_log = 1024,
                   std::uint64_t retry_after = 3)
        : self_(std::move(self)), epoch_(epoch), state_(std::move(initial)), max_log_(max_log),
          retry_after_(retry_after) {
        if (!state_.empty()) seq_ = log_floor_ = published_ = 1;
    }

    [[nodiscard]] const State& state() const noexcept { return state_; }
    [[nodiscard]] const Sender& self() const noexcept { return self_; }
    [[nodiscard]] std::uint64_t epoch() const noexcept { return epoch_; }
    /// The last own change's sequence number.
    [[nodiscard]] std::uint64_t seq() const noexcept { return seq_; }
    [[nodiscard]] std::size_t log_size() const noexcept { return log_.size(); }
    [[nodiscard]] const statistics& stats() const noexcept { return stats_; }

    /// Continues a run of this sender (same epoch) whose state was dropped and is started again
    /// empty: its changes up to `seq` are taken as published, so the next is seq + 1 and a
    /// receiver that tracks the run sees no gap, while a request for anything before gets the
    /// full state. Only before the first own change (else nothing happens): a number once
    /// published must never name another change.
    void resume_after(std::uint64_t seq) {
        if (seq_ != 0) return;
        seq_ = published_ = log_floor_ = seq;
    }

    /// Applies a local change: `mutate(State&)` runs a mutator on the state and returns its
    /// delta, which is logged for the next publish. Returns the delta.
    template <class Mutate>
    State update(Mutate&& mutate) {
        State delta = mutate(state_);
        if (!delta.empty()) append(delta);
        return delta;
    }

    /// Merges a delta produced elsewhere (not heard from a sender) and logs what was new as an
    /// own change. Returns what was new.
    State apply(const State& delta) {
        State news = delta.delta_for(state_);
        if (!news.empty()) {
            state_.merge(news);
            append(news);
        }
        return news;
    }

    /// The message to publish now: the changes since the last publish as one interval, or a
    /// digest of the last seq when there are none. Call it every interval, idle or not: the
    /// digest is how a receiver notices that the last interval was lost (a caller may send
    /// only some of the digests; gaps are then noticed later).
    [[nodiscard]] message publish() {
        message m{.kind = broadcast_kind::digest, .sender = self_, .epoch = epoch_, .from = seq_, .to = seq_};
        if (seq_ > published_) {
            m.kind = broadcast_kind::interval;
            m.from = published_;
            m.payload = std::exchange(pending_, State{});
            published_ = seq_;
            ++stats_.intervals_published;
        } else {
            ++stats_.digests_published;
        }
        return m;
    }

    /// Takes a message of another sender: merges its payload, and advances what is held of
    /// that sender when the message continues it without a gap. Returns the news (empty when
    /// the message told nothing new). A message of this replica's own id (an echo, or a late
    /// one from an earlier run) is merged and what it adds is logged as an own change.
    State receive(const message& m) {
        if (m.sender == self_) return apply(m.payload);
        source& s = source_of(m.sender);
        if (!s.known || m.epoch != s.epoch) {
            // Epochs are random, so which run is newer cannot be told: the last one heard is
            // tracked. A late message of an old run costs a repair once the live run speaks
            // again (its next digest at the latest); see docs/design.md, "Broadcast sync".
            if (s.known) ++stats_.epoch_changes;
            s.known = true;
            s.epoch = m.epoch;
            s.have = s.heard = 0;
        }
        const bool wanted = s.heard > s.have;
        State news = learn(m.payload);
        if (m.from <= s.have && m.to > s.have) s.have = m.to;
        s.heard = std::max(s.heard, m.to);
        if (s.heard > s.have) {
            may_want_repairs_ = true;
            if (!wanted) ++stats_.gaps_seen;
        } else {
            s.requested = false;  // satisfied, by an answer or by intervals
        }
        return news;
    }

    /// The repair requests to send now, each to its `sender`: one for each sender missing
    /// changes here, unless one was sent less than `retry_after` ago. `now` is the caller's
    /// clock in the unit of `retry_after`, and must not go backwards.
    [[nodiscard]] std::vector<request> repair_requests(std::uint64_t now) {
        std::vector<request> out;
        // Called every interval for every shard: without a sender behind, skip the walk.
        if (!may_want_repairs_) return out;
        bool behind = false;
        for (std::size_t i = 0; i < sources_.size(); ++i) {
            source& s = sources_[i];
            const Sender& sender = senders_[i];
            if (s.heard <= s.have) continue;
            behind = true;
            if (s.requested && now - s.requested_at < retry_after_) continue;
            s.requested = true;
            s.requested_at = now;
            out.push_back({.requester = self_, .sender = sender, .epoch = s.epoch, .have = s.have});
            ++stats_.repairs_requested;
        }
        may_want_repairs_ = behind;
        return out;
    }

    /// The answer to a request, to send to `q.requester`: the logged changes after `q.have`
    /// when the log still holds them all, else the full state. A request for another run of
    /// this sender also gets the full state. Requests for another sender get no answer (on a
    /// shared subject every replica hears them all).
    [[nodiscard]] std::optional<message> answer(const request& q) {
        if (q.sender != self_) return std::nullopt;
        ++stats_.repairs_answered;
        message m{.kind = broadcast_kind::repair, .sender = self_, .epoch = epoch_, .from = q.have, .to = seq_};
        if (q.epoch == epoch_ && q.have >= log_floor_ && q.have <= seq_) {
            for (const entry& e : log_)
                if (e.seq > q.have) m.payload.merge(e.delta);
            return m;
        }
        ++stats_.full_states_sent;
        m.kind = broadcast_kind::full_state;
        m.from = 0;
        m.payload = state_;
        return m;
    }

    /// Stops tracking a sender that is gone (the transport says so). A message it sends later
    /// starts the tracking again, as for a new sender.
    void forget(const Sender& sender) {
        const std::size_t i = find_source(sender);
        if (i == senders_.size() || !(senders_[i] == sender)) return;
        senders_.erase(senders_.begin() + static_cast<std::ptrdiff_t>(i));
        sources_.erase(sources_.begin() + static_cast<std::ptrdiff_t>(i));
    }

    /// Where this replica stands with `sender`, or nothing if it is not tracked.
    [[nodiscard]] std::optional<progress> progress_of(const Sender& sender) const {
        const std::size_t i = find_source(sender);
        if (i == senders_.size() || !(senders_[i] == sender)) return std::nullopt;
        return progress{sources_[i].epoch, sources_[i].have, sources_[i].heard};
    }

    /// How many senders are tracked, and how many of them miss changes here.
    [[nodiscard]] std::size_t senders() const noexcept { return sources_.size(); }
    [[nodiscard]] std::size_t repairs_wanted() const noexcept {
        return static_cast<std::size_t>(
            std::count_if(sources_.begin(), sources_.end(), [](const source& s) { return s.heard > s.have; }));
    }

private:
    /// What is known of one sender: O(1) whatever it sends.
    struct source {
        bool known = false;
        bool requested = false;  ///< a request is out, sent at `requested_at`
        std::uint64_t epoch = 0;
        std::uint64_t have = 0;
        std::uint64_t heard = 0;
        std::uint64_t requested_at = 0;
    };
    struct entry {
        std::uint64_t seq;
        State delta;
    };

    /// Index of the first tracked sender not before `sender`.
    [[nodiscard]] std::size_t find_source(const Sender& sender) const {
        return static_cast<std::size_t>(std::lower_bound(senders_.begin(), senders_.end(), sender) - senders_.begin());
    }

    /// `sender`'s record, a new one if it was not tracked.
    source& source_of(const Sender& sender) {
        const std::size_t i = find_source(sender);
        if (i == senders_.size() || !(senders_[i] == sender)) {
            // Room in both first, so that the two arrays cannot end up different in length.
            senders_.reserve(senders_.size() + 1);
            sources_.reserve(sources_.size() + 1);
            senders_.insert(senders_.begin() + static_cast<std::ptrdiff_t>(i), sender);
            sources_.insert(sources_.begin() + static_cast<std::ptrdiff_t>(i), source{});
        }
        return sources_[i];
    }

    State learn(const State& incoming) {
        if (incoming.empty()) return {};  // a digest: nothing to compare with the whole state
        State news = incoming.delta_for(state_);
        if (!news.empty()) state_.merge(news);
        return news;
    }

    void append(const State& delta) {
        log_.push_back({++seq_, delta});
        pending_.merge(delta);
        while (log_.size() > max_log_) {
            log_floor_ = log_.front().seq;
            log_.pop_front();
        }
    }

    Sender self_;
    std::uint64_t epoch_;
    State state_;
    std::size_t max_log_;
    std::uint64_t retry_after_;
    std::uint64_t seq_ = 0;
    std::uint64_t published_ = 0;  ///< seqs (0, published_] have been published
    std::uint64_t log_floor_ = 0;  ///< the log holds every change after this seq
    State pending_;                ///< the changes after published_, joined
    std::deque<entry> log_;
    // The tracked senders, sorted, and their records at the same index. Flat arrays, not a
    // std::map: every message looks its sender up, and with hundreds of senders the tree's
    // pointer chasing took 29% of a 100-replica scale-sim run. The ids apart from the records,
    // so that the search reads a few cache lines of ids, not the records between them.
    std::vector<Sender> senders_;
    std::vector<source> sources_;
    bool may_want_repairs_ = false;  ///< some sender may be behind: repair_requests must look
    statistics stats_;
};

}  // namespace converge
