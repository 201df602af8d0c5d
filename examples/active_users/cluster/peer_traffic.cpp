// peer_traffic: note, then forward; the replicator's answer is returned as it is.
// SPDX-License-Identifier: MIT
#include "cluster/peer_traffic.hpp"

#include <mutex>

namespace active_users {

namespace {

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

peer_traffic::peer_traffic(const std::vector<peer_address>& peers, transport_receiver& next,
                           std::optional<std::chrono::milliseconds> open_window)
    : next_(next), open_window_(open_window) {
    for (const peer_address& p : peers) {
        auto r = std::make_unique<record>();
        r->address = p.address.host + ":" + std::to_string(p.address.port);
        peers_.emplace(p.id, std::move(r));
    }
}

peer_traffic::record* peer_traffic::find(peer_id id) const {
    std::shared_lock lock(mutex_);
    const auto it = peers_.find(id);
    return it == peers_.end() ? nullptr : it->second.get();
}

peer_traffic::record* peer_traffic::find_or_add(peer_id id) {
    if (record* r = find(id)) return r;
    if (!open_window_) return nullptr;
    std::unique_lock lock(mutex_);
    if (peers_.size() >= max_open_peers) return nullptr;
    auto& r = peers_[id];
    if (!r) {
        r = std::make_unique<record>();
        r->address = "nats";
    }
    return r.get();
}

void peer_traffic::peer_up(peer_id peer) {
    if (record* r = find(peer)) r->up = true;
    next_.peer_up(peer);
}

void peer_traffic::peer_down(peer_id peer) {
    if (record* r = find(peer)) r->up = false;
    next_.peer_down(peer);
}

void peer_traffic::note(peer_id from, std::size_t bytes) {
    if (record* r = find_or_add(from)) {
        r->heard_ns.store(steady_ns(), std::memory_order_relaxed);
        r->bytes.fetch_add(bytes, std::memory_order_relaxed);
        r->messages.fetch_add(1, std::memory_order_relaxed);
    }
}

result<void> peer_traffic::deliver(peer_id from, std::uint8_t channel, std::span<const std::byte> payload) {
    note(from, payload.size());
    return next_.deliver(from, channel, payload);
}

result<void> peer_traffic::deliver_shard(peer_id from, shard_ref where, std::span<const std::byte> payload) {
    note(from, payload.size());
    return next_.deliver_shard(from, where, payload);
}

std::vector<peer_traffic::peer_view> peer_traffic::snapshot() const {
    const std::int64_t now = steady_ns();
    std::vector<peer_view> out;
    std::shared_lock lock(mutex_);
    for (const auto& [id, r] : peers_) {
        peer_view p{id, r->address, r->up.load(), std::nullopt, r->bytes.load(), r->messages.load()};
        if (const std::int64_t heard = r->heard_ns.load(); heard >= 0)
            p.seconds_since_heard = static_cast<double>(now - heard) / 1e9;
        // With open membership there are no links: a peer is up while it is heard.
        if (open_window_)
            p.up = p.seconds_since_heard && *p.seconds_since_heard * 1000.0 <= static_cast<double>(open_window_->count());
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace active_users
