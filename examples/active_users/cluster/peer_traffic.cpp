// peer_traffic: note, then forward; the replicator's answer is returned as it is.
// SPDX-License-Identifier: MIT
#include "cluster/peer_traffic.hpp"

namespace active_users {

namespace {

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

peer_traffic::peer_traffic(const std::vector<peer_address>& peers, transport_receiver& next) : next_(next) {
    for (const peer_address& p : peers) {
        auto r = std::make_unique<record>();
        r->address = p.address.host + ":" + std::to_string(p.address.port);
        peers_.emplace(p.id, std::move(r));
    }
}

peer_traffic::record* peer_traffic::find(peer_id id) const {
    const auto it = peers_.find(id);
    return it == peers_.end() ? nullptr : it->second.get();
}

void peer_traffic::peer_up(peer_id peer) {
    if (record* r = find(peer)) r->up = true;
    next_.peer_up(peer);
}

void peer_traffic::peer_down(peer_id peer) {
    if (record* r = find(peer)) r->up = false;
    next_.peer_down(peer);
}

result<void> peer_traffic::deliver(peer_id from, std::uint8_t channel, std::span<const std::byte> payload) {
    if (record* r = find(from)) {
        r->heard_ns.store(steady_ns(), std::memory_order_relaxed);
        r->bytes.fetch_add(payload.size(), std::memory_order_relaxed);
        r->messages.fetch_add(1, std::memory_order_relaxed);
    }
    return next_.deliver(from, channel, payload);
}

std::vector<peer_traffic::peer_view> peer_traffic::snapshot() const {
    const std::int64_t now = steady_ns();
    std::vector<peer_view> out;
    for (const auto& [id, r] : peers_) {
        peer_view p{id, r->address, r->up.load(), std::nullopt, r->bytes.load(), r->messages.load()};
        if (const std::int64_t heard = r->heard_ns.load(); heard >= 0)
            p.seconds_since_heard = static_cast<double>(now - heard) / 1e9;
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace active_users
