// A CRDT state replicated by anti-entropy, as a channel owner: the adapter every channel uses.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/channel_owner.hpp"

#include <converge/anti_entropy.hpp>
#include <converge/decode_limits.hpp>
#include <converge/delta_crdt.hpp>
#include <converge/encoding.hpp>

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

namespace active_users {

/// Bounds on what one replication message may hold, the same for every channel: hostile peers
/// with the secret aside, a message is bounded by what a cluster can hold.
inline converge::decode_limits wire_limits() {
    converge::decode_limits l;
    l.max_bytes = std::size_t{16} << 20;
    l.max_string_bytes = 128;
    return l;
}

/// One `State` under `converge::anti_entropy`, guarded by its owner's mutex (an owner with several
/// channels keeps them consistent under one lock). Incoming bytes are decoded before the lock is
/// taken, since decoding is the costly part and touches nothing shared; the owner hears of every
/// accepted message through `on_news`, called under the lock. An owner that must see its state
/// as it was before a merge (a removal may name only what it removes, not where it was) also
/// passes `on_incoming`, called under the lock with the state and each payload before the merge.
///
/// The owner's own methods take the same mutex and then use `sync()` directly.
template <converge::delta_crdt State>
class synced_state : public channel_owner {
public:
    using sync_type = converge::anti_entropy<State, peer_id>;
    /// `sender` is the epoch the message came from, or nullopt for a state restored from disk.
    using news_hook = std::function<void(const State& news, std::optional<std::uint64_t> sender)>;
    /// `incoming` is a payload of a message about to be merged into `state`.
    using incoming_hook = std::function<void(const State& state, const State& incoming)>;

    synced_state(std::mutex& guard, std::uint64_t epoch, news_hook on_news, incoming_hook on_incoming = {})
        : guard_(guard), sync_(epoch), on_news_(std::move(on_news)), on_incoming_(std::move(on_incoming)) {}

    std::vector<std::byte> message_for(peer_id peer) override {
        std::lock_guard lock(guard_);
        return converge::encode(sync_.message_for(peer));
    }

    result<bool> receive(peer_id peer, std::span<const std::byte> bytes) override {
        auto m = converge::decode<typename sync_type::message>(bytes, wire_limits());
        std::lock_guard lock(guard_);
        if (!m) {
            ++stats_.rejected;
            return fail(status::bad_request, m.error().message());
        }
        if (on_incoming_) {
            on_incoming_(sync_.state(), m->payload);
            on_incoming_(sync_.state(), m->relayed);
        }
        const State news = sync_.receive(peer, *m);
        if (!news.empty()) ++stats_.merges;
        on_news_(news, m->epoch);
        return !news.empty();
    }

    void peer_up(peer_id peer) override {
        std::lock_guard lock(guard_);
        sync_.connect(peer);
    }

    void peer_down(peer_id peer) override {
        std::lock_guard lock(guard_);
        sync_.disconnect(peer);
    }

    void heard(peer_id peer) override {
        std::lock_guard lock(guard_);
        sync_.heard(peer);
    }

    std::vector<std::byte> snapshot() const override {
        std::lock_guard lock(guard_);
        return converge::encode(sync_.state());
    }

    result<void> restore(std::span<const std::byte> bytes) override {
        auto decoded = converge::decode<State>(bytes);
        if (!decoded) return fail(status::bad_request, decoded.error().message());
        std::lock_guard lock(guard_);
        sync_ = sync_type(sync_.epoch(), std::move(*decoded));
        on_news_(sync_.state(), std::nullopt);
        return {};
    }

    channel_stats statistics() const override {
        std::lock_guard lock(guard_);
        return stats_;
    }

    // The owner's side; the caller holds the guard.

    sync_type& sync() noexcept { return sync_; }
    const State& state() const noexcept { return sync_.state(); }
    std::uint64_t epoch() const noexcept { return sync_.epoch(); }
    /// A local change (see anti_entropy::update); returns its delta.
    template <class Mutate>
    State update(Mutate&& mutate) {
        return sync_.update(std::forward<Mutate>(mutate));
    }
    /// Continues under a new epoch with the same state (a rejoin): every peer gets it in full.
    void restart(std::uint64_t epoch) { sync_ = sync_type(epoch, sync_.state()); }
    /// Continues under a new epoch from `state`, dropping the old one (a replica that was cut off
    /// too long to merge what it holds): every peer gets it in full.
    void restart(std::uint64_t epoch, State state) { sync_ = sync_type(epoch, std::move(state)); }

protected:
    std::mutex& guard() const noexcept { return guard_; }

private:
    std::mutex& guard_;
    sync_type sync_;
    news_hook on_news_;
    incoming_hook on_incoming_;
    channel_stats stats_;
};

}  // namespace active_users
