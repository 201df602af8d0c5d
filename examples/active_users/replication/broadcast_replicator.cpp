// The broadcast replicator: publications and repair requests out every interval, each arrival to its owner.
// SPDX-License-Identifier: MIT
#include "replication/broadcast_replicator.hpp"

#include <algorithm>
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
        if (c.shards != nullptr) {
            tick_shards(c, std::chrono::steady_clock::now());
            continue;
        }
        // Publications have no acks: any that differs from the last is news.
        const outgoing_message m{.bytes = c.owner->publish(), .news = true, .deferrable = false, .ack = {}, .covers = {}};
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
        for (const channel& c : channels_) {
            if (c.shards == nullptr) c.owner->forget(it->first);
            else
                for (const auto& [where, t] : shards_)
                    if (const auto owner = where.channel == c.id ? c.shards->shard(where.shard) : nullptr) owner->forget(it->first);
        }
        it = heard_.erase(it);
    }
}

void broadcast_replicator::tick_shards(const channel& c, std::chrono::steady_clock::time_point now) {
    const std::vector<std::uint32_t> wanted = c.shards->followed(now);
    for (auto it = shards_.lower_bound({c.id, 0}); it != shards_.end() && it->first.channel == c.id;) {
        if (std::binary_search(wanted.begin(), wanted.end(), it->first.shard)) {
            ++it;
            continue;
        }
        net_.unfollow(it->first);
        it = shards_.erase(it);
    }
    for (const std::uint32_t n : wanted) {
        const shard_ref where{c.id, n};
        const auto [it, added] = shards_.try_emplace(where);
        shard_track& t = it->second;
        if (added) net_.follow(where);
        if (!c.shards->ready(n)) {
            if (!added && ticks_ - t.requested_at >= state_retry && t.attempts >= state_attempts && net_.connected()) {
                // Asked and asked again while connected, answered by neither a holder nor the
                // NATS server (a subscriber that does not answer hides "no responders"): taken
                // as held by nobody. The shard's writers' digests then bring what is missing.
                // While disconnected it stays unready: reads of it answer 503, not a guess.
                c.shards->nobody_holds(n);
                ++held_by_nobody_;
            } else if (added || ticks_ - t.requested_at >= state_retry) {
                net_.request_state(where);
                t.requested_at = ticks_;
                ++t.attempts;
                ++state_requests_;
            }
        }
        if (c.shards->ready(n) && !t.serving) {
            net_.serve(where);
            t.serving = true;
        }
        const auto owner = c.shards->shard(n);
        if (owner == nullptr) continue;
        if (owner->wrote()) {
            std::vector<std::byte> m = owner->publish();
            // Staggered, so that idle shards' digests do not all go out in the same interval;
            // a few soon after the shard's last change, then rarely (see fresh_digests).
            if (m != t.last) t.changed_at = ticks_;
            const bool fresh = ticks_ - t.changed_at <= fresh_digests * digest_every;
            const std::uint64_t every = fresh ? digest_every : quiet_digest_every;
            if (m != t.last || (ticks_ + n) % every == 0) {
                net_.publish_shard(where, tagged(kind::publication, m));
                t.last = std::move(m);
            }
        }
        for (const addressed_message& q : owner->repair_requests(ticks_)) {
            net_.send_shard(q.to, where, tagged(kind::request, q.bytes));
            ++requested_;
        }
    }
}

const channel* broadcast_replicator::sharded(shard_ref where) const {
    const channel* c = channels_.find(where.channel);
    if (c == nullptr || c->shards == nullptr || where.shard >= c->shards->shard_count()) return nullptr;
    return c;
}

result<void> broadcast_replicator::deliver_shard(peer_id from, shard_ref where, std::span<const std::byte> payload) {
    const channel* c = sharded(where);
    if (c == nullptr || payload.empty() || std::to_integer<std::uint8_t>(payload[0]) > static_cast<std::uint8_t>(kind::state)) {
        ++rejected_;
        return fail(status::bad_request, "no shard " + std::to_string(where.shard) + " of channel " +
                                             std::to_string(where.channel) + ", or an unknown payload kind");
    }
    {
        std::lock_guard lock(mutex_);
        heard_[from] = std::chrono::steady_clock::now();
    }
    const auto owner = c->shards->shard(where.shard);
    if (owner == nullptr) return {};  // not followed (any more): nothing here to change
    const auto k = static_cast<kind>(std::to_integer<std::uint8_t>(payload[0]));
    const auto body = payload.subspan(1);
    if (k == kind::request) {
        auto answer = owner->answer(from, body);
        if (!answer) {
            ++rejected_;
            return answer.error();
        }
        if (*answer) {
            net_.send_shard(from, where, tagged(kind::answer, **answer));
            ++answered_;
        }
        ++delivered_;
        return {};
    }
    result<void> merged;
    if (k == kind::state) merged = c->shards->install(where.shard, from, body);
    else if (auto r = owner->receive(from, body); !r) merged = r.error();
    if (!merged) {
        ++rejected_;
        return fail(merged.error().code, std::string(c->name) + " shard " + std::to_string(where.shard) + " message from replica " +
                                             std::to_string(from) + " rejected: " + merged.error().message);
    }
    ++delivered_;
    return {};
}

std::optional<std::vector<std::byte>> broadcast_replicator::state_for(peer_id from, shard_ref where) {
    const channel* c = sharded(where);
    if (c == nullptr) return std::nullopt;
    auto whole = c->shards->whole(where.shard, from);
    if (!whole) return std::nullopt;
    ++states_served_;
    return tagged(kind::state, *whole);
}

void broadcast_replicator::nobody_holds(shard_ref where) {
    if (const channel* c = sharded(where)) {
        c->shards->nobody_holds(where.shard);
        ++held_by_nobody_;
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
            .sent = {},  // NATS counts per subject class (transport_stats::subjects)
            .shards_followed = shards_.size(),
            .state_requests_sent = state_requests_.load(),
            .state_requests_served = states_served_.load(),
            .shards_held_by_nobody = held_by_nobody_.load()};
}

}  // namespace active_users
