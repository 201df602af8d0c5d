// The broadcast replicator: publications and repair requests out every interval, each arrival to its owner.
// SPDX-License-Identifier: MIT
#include "replication/broadcast_replicator.hpp"

#include <string>
#include <vector>

namespace active_users {

namespace {

std::vector<std::byte> tagged(broadcast_replicator::kind k, std::span<const std::byte> bytes) {
    std::vector<std::byte> out;
    out.reserve(bytes.size() + 1);
    out.push_back(static_cast<std::byte>(k));
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
}

}  // namespace

broadcast_replicator::broadcast_replicator(const channel_table& channels, transport& net,
                                           std::chrono::milliseconds forget_after)
    : channels_(channels), net_(net), forget_after_(forget_after) {}

void broadcast_replicator::tick() {
    std::lock_guard lock(mutex_);
    forget_silent(std::chrono::steady_clock::now());
    ++ticks_;
    for (const channel& c : channels_) {
        // Publications have no acks: any that differs from the last is news.
        const outgoing_message m{c.owner->publish(), true, {}};
        if (published_.should_send(c, m) || ticks_ % digest_every == 0) net_.publish(c.id, tagged(kind::publication, m.bytes));
        for (const addressed_message& q : c.owner->repair_requests(ticks_)) {
            net_.send(q.to, c.id, tagged(kind::request, q.bytes));
            ++requested_;
        }
    }
}

void broadcast_replicator::forget_silent(std::chrono::steady_clock::time_point now) {
    for (auto it = heard_.begin(); it != heard_.end();) {
        if (now - it->second <= forget_after_) {
            ++it;
            continue;
        }
        for (const channel& c : channels_) c.owner->forget(it->first);
        it = heard_.erase(it);
    }
}

result<void> broadcast_replicator::deliver(peer_id from, std::uint8_t channel_id, std::span<const std::byte> payload) {
    const channel* c = channels_.find(channel_id);
    if (c == nullptr || payload.empty() || std::to_integer<std::uint8_t>(payload[0]) > static_cast<std::uint8_t>(kind::answer)) {
        ++rejected_;
        return fail(status::bad_request, "unknown channel or payload kind on channel " + std::to_string(channel_id));
    }
    {
        std::lock_guard lock(mutex_);
        heard_[from] = std::chrono::steady_clock::now();
    }
    const auto k = static_cast<kind>(std::to_integer<std::uint8_t>(payload[0]));
    const auto body = payload.subspan(1);
    if (k == kind::request) {
        auto answer = c->owner->answer(from, body);
        if (!answer) {
            ++rejected_;
            return answer.error();
        }
        if (*answer) {
            net_.send(from, c->id, tagged(kind::answer, **answer));
            ++answered_;
        }
        ++delivered_;
        return {};
    }
    const auto merged = c->owner->receive(from, body);
    if (!merged) {
        ++rejected_;
        return fail(merged.error().code, std::string(c->name) + " message from replica " + std::to_string(from) +
                                             " rejected: " + merged.error().message);
    }
    ++delivered_;
    return {};
}

replication_stats broadcast_replicator::statistics() const {
    std::lock_guard lock(mutex_);
    return {.delivered = delivered_.load(),
            .rejected = rejected_.load(),
            .peers_up = heard_.size(),
            .repairs_requested = requested_.load(),
            .repairs_answered = answered_.load(),
            .sent = {}};  // NATS counts per subject class (transport_stats::subjects)
}

}  // namespace active_users
