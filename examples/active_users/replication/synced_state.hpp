// A CRDT state replicated by anti-entropy or by broadcast, as a channel owner: the adapter every channel uses.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"

#include <converge/anti_entropy.hpp>
#include <converge/broadcast_sync.hpp>
#include <converge/decode_limits.hpp>
#include <converge/delta_crdt.hpp>
#include <converge/encoding.hpp>

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace active_users {

/// Bounds on what one replication message may hold, the same for every channel: hostile peers
/// with the secret aside, a message is bounded by what a cluster can hold.
inline converge::decode_limits wire_limits() {
    converge::decode_limits l;
    l.max_bytes = std::size_t{16} << 20;
    l.max_string_bytes = 128;
    return l;
}

/// One `State` under `converge::anti_entropy` (mesh mode) or `converge::broadcast_sync`
/// (broadcast mode, see sync_mode), guarded by its owner's mutex (an owner with several
/// channels keeps them consistent under one lock). Incoming bytes are decoded before the lock is
/// taken, since decoding is the costly part and touches nothing shared; the owner hears of every
/// accepted message through `on_news`, called under the lock. An owner that must see its state
/// as it was before a merge (a removal may name only what it removes, not where it was) also
/// passes `on_incoming`, called under the lock with the state and each payload before the merge.
///
/// The owner's own methods take the same mutex and then use `update`, `state` and `restart`,
/// which are the same in both modes.
template <converge::delta_crdt State>
class synced_state : public channel_owner {
public:
    using sync_type = converge::anti_entropy<State, peer_id>;
    using broadcast_type = converge::broadcast_sync<State, peer_id>;
    /// `sender` is the epoch the message came from, or nullopt for a state restored from disk.
    using news_hook = std::function<void(const State& news, std::optional<std::uint64_t> sender)>;
    /// `incoming` is a payload of a message about to be merged into `state`.
    using incoming_hook = std::function<void(const State& state, const State& incoming)>;

    synced_state(std::mutex& guard, std::uint64_t epoch, news_hook on_news, incoming_hook on_incoming = {},
                 sync_mode mode = {})
        : guard_(guard), broadcast_(mode.broadcast), self_(mode.self), on_news_(std::move(on_news)),
          on_incoming_(std::move(on_incoming)) {
        if (broadcast_) sync_.template emplace<broadcast_type>(self_, epoch);
        else sync_.template emplace<sync_type>(epoch);
    }

    outgoing_message message_for(peer_id peer) override {
        std::lock_guard lock(guard_);
        auto* s = std::get_if<sync_type>(&sync_);
        if (s == nullptr) return {};
        const auto m = s->message_for(peer);
        const bool said_once = m.full_state || m.has_report || m.awaiting_report;
        const bool changes = !m.payload.empty() || !m.relayed.empty();
        return {.bytes = converge::encode(m),
                .news = said_once || changes,
                .deferrable = changes && !said_once,
                .ack = {m.ack_epoch, m.ack},
                .covers = {m.epoch, m.to}};
    }

    result<bool> receive(peer_id peer, std::span<const std::byte> bytes) override {
        // The mode, not the variant: the variant is read under the lock only (restart replaces it).
        if (broadcast_) return receive_broadcast(peer, bytes);
        auto m = converge::decode<typename sync_type::message>(bytes, wire_limits());
        std::lock_guard lock(guard_);
        if (!m) return rejected(m.error().message());
        auto& s = std::get<sync_type>(sync_);
        if (on_incoming_) {
            on_incoming_(s.state(), m->payload);
            on_incoming_(s.state(), m->relayed);
        }
        const State news = s.receive(peer, *m);
        if (!news.empty()) {
            ++stats_.merges;
            if (journaled_) changed_.merge(news);
        }
        on_news_(news, m->epoch);
        return !news.empty();
    }

    void peer_up(peer_id peer) override {
        std::lock_guard lock(guard_);
        if (auto* s = std::get_if<sync_type>(&sync_)) s->connect(peer);
    }

    void peer_down(peer_id peer) override {
        std::lock_guard lock(guard_);
        if (auto* s = std::get_if<sync_type>(&sync_)) s->disconnect(peer);
    }

    void sent(peer_id peer, const outgoing_message& m) override {
        std::lock_guard lock(guard_);
        // A restart since the message was made begins a new log: its numbers mean nothing there.
        if (auto* s = std::get_if<sync_type>(&sync_); s != nullptr && s->epoch() == m.covers.epoch)
            s->sent_reliably(peer, m.covers.seq);
    }

    void heard(peer_id peer) override {
        std::lock_guard lock(guard_);
        if (auto* s = std::get_if<sync_type>(&sync_)) s->heard(peer);
    }

    std::vector<std::byte> publish() override {
        std::lock_guard lock(guard_);
        if (auto* s = std::get_if<broadcast_type>(&sync_)) return converge::encode(s->publish());
        return {};
    }

    std::vector<addressed_message> repair_requests(std::uint64_t now) override {
        std::lock_guard lock(guard_);
        std::vector<addressed_message> out;
        if (auto* s = std::get_if<broadcast_type>(&sync_))
            for (const auto& q : s->repair_requests(now)) out.push_back({q.sender, converge::encode(q)});
        return out;
    }

    result<std::optional<std::vector<std::byte>>> answer(peer_id peer, std::span<const std::byte> bytes) override {
        auto q = converge::decode<typename broadcast_type::request>(bytes, wire_limits());
        std::lock_guard lock(guard_);
        if (!q) return rejected(q.error().message());
        // Requests come signed by their sender: one naming another requester is a forgery.
        if (q->requester != peer) return rejected("repair request of replica " + std::to_string(q->requester) + " sent by " + std::to_string(peer));
        auto* s = std::get_if<broadcast_type>(&sync_);
        if (s == nullptr) return rejected("a repair request in mesh mode");
        std::optional<std::vector<std::byte>> out;
        if (auto m = s->answer(*q)) out = converge::encode(*m);
        return out;
    }

    bool wrote() const override {
        std::lock_guard lock(guard_);
        const auto* s = std::get_if<broadcast_type>(&sync_);
        return s == nullptr || s->seq() > 0;
    }

    /// Broadcast mode: the whole state as a message for `peer` (a full state of this replica's
    /// run, which a receiver merges as a repair answer), for a replica that starts following it.
    std::optional<std::vector<std::byte>> whole_state(peer_id peer) {
        std::lock_guard lock(guard_);
        auto* s = std::get_if<broadcast_type>(&sync_);
        if (s == nullptr) return std::nullopt;
        // A request for another run (no epoch is the successor of this one's) gets the full state.
        const typename broadcast_type::request q{.requester = peer, .sender = self_, .epoch = s->epoch() + 1, .have = 0};
        auto m = s->answer(q);
        if (!m) return std::nullopt;
        return converge::encode(*m);
    }

    void forget(peer_id peer) override {
        std::lock_guard lock(guard_);
        if (auto* s = std::get_if<broadcast_type>(&sync_)) s->forget(peer);
    }

    std::vector<std::byte> snapshot() const override {
        std::lock_guard lock(guard_);
        return converge::encode(state());
    }

    result<void> restore(std::span<const std::byte> bytes) override {
        auto decoded = converge::decode<State>(bytes);
        if (!decoded) return fail(status::bad_request, decoded.error().message());
        std::lock_guard lock(guard_);
        restart(epoch(), std::move(*decoded));
        on_news_(state(), std::nullopt);
        return {};
    }

    journal_changes take_changes() override {
        std::lock_guard lock(guard_);
        // From now on changes are kept for the journal; before, the snapshot that the first
        // pass writes after this call covers them.
        journaled_ = true;
        journal_changes out{.whole = whole_changed_, .delta = {}};
        // A state replaced by a smaller one (a restart from scratch) is no join of deltas.
        if (!whole_changed_ && !changed_.empty()) out.delta = converge::encode(changed_);
        changed_ = State{};
        whole_changed_ = false;
        return out;
    }

    result<void> replay(std::span<const std::span<const std::byte>> deltas) override {
        State news;
        for (const auto bytes : deltas) {
            auto d = converge::decode<State>(bytes);
            if (!d) return fail(status::bad_request, d.error().message());
            news.merge(*d);
        }
        std::lock_guard lock(guard_);
        State merged = state();
        merged.merge(news);
        restart(epoch(), std::move(merged));
        whole_changed_ = false;
        on_news_(news, std::nullopt);
        return {};
    }

    channel_stats statistics() const override {
        std::lock_guard lock(guard_);
        return stats_;
    }

    // The owner's side; the caller holds the guard.

    const State& state() const noexcept {
        return std::visit([](const auto& s) -> const State& { return s.state(); }, sync_);
    }
    std::uint64_t epoch() const noexcept {
        return std::visit([](const auto& s) { return s.epoch(); }, sync_);
    }
    /// Broadcast mode: the sequence number of the last own change in this run (0 on the mesh).
    std::uint64_t sequence() const noexcept {
        const auto* s = std::get_if<broadcast_type>(&sync_);
        return s == nullptr ? 0 : s->seq();
    }
    /// Broadcast mode, before any own change: numbers this run's changes on after `seq`
    /// (broadcast_sync::resume_after), for a state dropped and started again.
    void resume_after(std::uint64_t seq) {
        if (auto* s = std::get_if<broadcast_type>(&sync_)) s->resume_after(seq);
    }
    /// A local change (see anti_entropy::update); returns its delta.
    template <class Mutate>
    State update(Mutate&& mutate) {
        State delta = std::visit([&](auto& s) { return s.update(mutate); }, sync_);
        if (journaled_) changed_.merge(delta);
        return delta;
    }
    /// Continues under a new epoch with the same state (a rejoin): every peer gets it in full.
    void restart(std::uint64_t epoch) {
        const bool whole = whole_changed_;
        restart(epoch, State(state()));
        whole_changed_ = whole;  // the same state: the deltas still add up to it
    }
    /// Continues under a new epoch from `state`, dropping the old one (a replica that was cut off
    /// too long to merge what it holds): every peer gets it in full (in broadcast mode: asks for
    /// it, seeing a new epoch that does not start at 0).
    void restart(std::uint64_t epoch, State state) {
        whole_changed_ = true;
        if (broadcast_) sync_.template emplace<broadcast_type>(self_, epoch, std::move(state));
        else sync_.template emplace<sync_type>(epoch, std::move(state));
    }

protected:
    std::mutex& guard() const noexcept { return guard_; }

private:
    result<bool> receive_broadcast(peer_id peer, std::span<const std::byte> bytes) {
        auto m = converge::decode<typename broadcast_type::message>(bytes, wire_limits());
        std::lock_guard lock(guard_);
        if (!m) return rejected(m.error().message());
        // Each replica speaks only for itself (its frames are signed): a message about another
        // sender's changes would let one replica rewrite another's sequence numbers.
        if (m->sender != peer) return rejected("message about replica " + std::to_string(m->sender) + " sent by " + std::to_string(peer));
        auto& s = std::get<broadcast_type>(sync_);
        if (on_incoming_) on_incoming_(s.state(), m->payload);
        const State news = s.receive(*m);
        if (!news.empty()) {
            ++stats_.merges;
            if (journaled_) changed_.merge(news);
        }
        on_news_(news, m->epoch);
        return !news.empty();
    }

    /// Counts and returns a refused message; the caller holds the guard.
    failure rejected(std::string why) {
        ++stats_.rejected;
        return fail(status::bad_request, std::move(why));
    }

    std::mutex& guard_;
    const bool broadcast_;
    peer_id self_;
    std::variant<sync_type, broadcast_type> sync_{std::in_place_index<0>, 0};
    news_hook on_news_;
    incoming_hook on_incoming_;
    channel_stats stats_;
    State changed_;               ///< every change since take_changes last ran, once journaled_
    /// A journal takes the changes (--data-dir): without one nothing ever empties changed_,
    /// which would grow with every change for the life of the process.
    bool journaled_ = false;
    bool whole_changed_ = false;  ///< the state was replaced since then
};

}  // namespace active_users
