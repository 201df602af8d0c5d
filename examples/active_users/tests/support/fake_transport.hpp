// An in-process network for tests: transports whose sends wait in a queue until the test delivers them.
// SPDX-License-Identifier: MIT
#pragma once

#include "replication/transport.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace active_users::testing {

/// Replicas joined by perfect links that move only when the test says so: `link` brings a pair
/// up, `deliver` hands every queued payload to its receiver (and checks it was accepted).
class fake_network {
public:
    class endpoint final : public transport {
    public:
        endpoint(fake_network& net, peer_id id) : net_(net), id_(id) {}
        result<void> start(transport_receiver& to) override {
            receiver_ = &to;
            return {};
        }
        void send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) override {
            if (up_.count(peer) == 0) return;
            ++sent_[channel];
            net_.queue_.push_back({id_, peer, channel, std::move(payload)});
        }
        void publish(std::uint8_t channel, std::vector<std::byte> payload) override {
            for (const peer_id p : up_) send(p, channel, payload);
        }
        bool drained() const override { return net_.queue_.empty(); }
        transport_stats statistics() const override { return {}; }

        /// Payloads sent so far on `channel`.
        [[nodiscard]] int sent(std::uint8_t channel) const {
            const auto it = sent_.find(channel);
            return it == sent_.end() ? 0 : it->second;
        }

    private:
        friend class fake_network;
        fake_network& net_;
        peer_id id_;
        transport_receiver* receiver_ = nullptr;
        std::set<peer_id> up_;
        std::map<std::uint8_t, int> sent_;
    };

    endpoint& add(peer_id id) {
        endpoints_[id] = std::make_unique<endpoint>(*this, id);
        return *endpoints_[id];
    }

    /// Brings the links between `a` and `b` up, both ways.
    void link(peer_id a, peer_id b) {
        for (const auto& [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
            endpoints_.at(from)->up_.insert(to);
            endpoints_.at(from)->receiver_->peer_up(to);
        }
    }

    /// Delivers everything queued, in order; every payload must be accepted.
    void deliver() {
        while (!queue_.empty()) {
            const message m = std::move(queue_.front());
            queue_.pop_front();
            const auto accepted = endpoints_.at(m.to)->receiver_->deliver(m.from, m.channel, m.payload);
            const std::string why = accepted.ok() ? std::string() : accepted.error().message;
            INFO(why);
            REQUIRE(accepted.ok());
        }
    }

private:
    struct message {
        peer_id from;
        peer_id to;
        std::uint8_t channel;
        std::vector<std::byte> payload;
    };
    std::map<peer_id, std::unique_ptr<endpoint>> endpoints_;
    std::deque<message> queue_;
};

}  // namespace active_users::testing
