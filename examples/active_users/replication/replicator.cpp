// The replicator: a timer-driven sender and a dispatcher of received payloads to channel owners.
// SPDX-License-Identifier: MIT
#include "replication/replicator.hpp"

#include <string>

namespace active_users {

replicator::replicator(const channel_table& channels, transport& net) : channels_(channels), net_(net) {
    for (const channel& c : channels_) sent_.push_back({c.name, 0, 0});
}

void replicator::tick() { send_all(true); }

void replicator::flush() { send_all(false); }

void replicator::send_all(bool may_wait) {
    std::lock_guard lock(mutex_);
    for (auto& [peer, filter] : links_) {
        std::size_t row = 0;
        for (const channel& c : channels_) {
            outgoing_message message = c.owner->message_for(peer);
            if (filter.should_send(c, message, may_wait)) {
                c.owner->sent(peer, message);  // the mesh's links deliver in order or go down
                ++sent_[row].messages;
                sent_[row].bytes += message.bytes.size();
                net_.send(peer, c.id, std::move(message.bytes));
            }
            ++row;
        }
    }
}

void replicator::peer_up(peer_id peer) {
    std::lock_guard lock(mutex_);
    links_[peer] = repeat_filter{};
    for (const channel& c : channels_) c.owner->peer_up(peer);
}

void replicator::peer_down(peer_id peer) {
    std::lock_guard lock(mutex_);
    links_.erase(peer);
    for (const channel& c : channels_) c.owner->peer_down(peer);
}

result<void> replicator::deliver(peer_id from, std::uint8_t channel_id, std::span<const std::byte> payload) {
    const channel* c = channels_.find(channel_id);
    if (c == nullptr) {
        ++rejected_;
        return fail(status::bad_request, "unknown channel " + std::to_string(channel_id));
    }
    const auto merged = c->owner->receive(from, payload);
    if (!merged) {
        ++rejected_;
        return fail(merged.error().code, std::string(c->name) + " message from replica " + std::to_string(from) +
                                             " rejected: " + merged.error().message);
    }
    ++delivered_;
    // The repeat filter leaves out a channel's unchanged messages, so a channel's sync would
    // take an idle link for a cut one; any frame shows the link carries what the peer sends.
    for (const channel& other : channels_)
        if (&other != c) other.owner->heard(from);
    return {};
}

replicator::stats replicator::statistics() const {
    std::lock_guard lock(mutex_);
    replication_stats s;
    s.delivered = delivered_.load();
    s.rejected = rejected_.load();
    s.peers_up = links_.size();
    s.sent = sent_;
    return s;
}

}  // namespace active_users
