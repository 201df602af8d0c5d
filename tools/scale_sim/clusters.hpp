// The scale simulator's two clusters: replicas synced by anti_entropy over a full mesh, or by broadcast_sync over pub/sub.
// SPDX-License-Identifier: MIT
#pragma once

#include "wire.hpp"

#include <converge/anti_entropy.hpp>
#include <converge/broadcast_sync.hpp>
#include <converge/encoding.hpp>
#include <converge/presence_map.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace scale_sim {

/// Live viewers per page and replica: the service's presence state.
using presence = converge::presence_map<std::uint32_t, std::uint32_t, std::uint32_t>;

/// A stable page -> shard map (the same on every replica and every run).
inline std::uint32_t shard_of(std::uint32_t page, std::uint32_t shards) {
    std::uint64_t x = page + 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return static_cast<std::uint32_t>((x ^ (x >> 31)) % shards);
}

/// What both clusters offer the driver.
struct cluster_shape {
    std::uint32_t replicas;
    std::uint32_t shards;
};

/// N replicas, each linked to every other, one anti_entropy per shard. Every interval each
/// replica sends each peer one frame holding its message for every shard.
class mesh_cluster {
public:
    using node = converge::anti_entropy<presence, std::uint32_t>;

    mesh_cluster(cluster_shape shape, wire& net, std::uint64_t seed) : shape_(shape), net_(net) {
        std::mt19937_64 rng(seed);
        nodes_.resize(shape.replicas);
        for (std::uint32_t r = 0; r < shape.replicas; ++r) {
            for (std::uint32_t s = 0; s < shape.shards; ++s) {
                nodes_[r].emplace_back(rng() | 1);
                for (std::uint32_t p = 0; p < shape.replicas; ++p)
                    if (p != r) nodes_[r][s].connect(p);
            }
        }
    }

    presence change(std::uint32_t r, std::uint32_t page, bool join) {
        return nodes_[r][shard_of(page, shape_.shards)].update(
            [&](presence& x) { return join ? x.increment(page, r) : x.decrement(page, r); });
    }

    [[nodiscard]] const presence& state(std::uint32_t r, std::uint32_t s) const { return nodes_[r][s].state(); }

    void interval() {
        for (std::uint32_t r = 0; r < shape_.replicas; ++r) {
            for (std::uint32_t p = 0; p < shape_.replicas; ++p) {
                if (p == r) continue;
                auto frame = std::make_shared<std::vector<node::message>>();
                std::size_t bytes = 0;
                for (std::uint32_t s = 0; s < shape_.shards; ++s) {
                    frame->push_back(nodes_[r][s].message_for(p));
                    bytes += converge::encode(frame->back()).size();
                }
                net_.sent(r, bytes);
                net_.deliver(
                    r, p, bytes,
                    [this, r, p, frame] {
                        for (std::uint32_t s = 0; s < shape_.shards; ++s) nodes_[p][s].receive(r, (*frame)[s]);
                    },
                    reach::receiver_only);
            }
        }
    }

    [[nodiscard]] std::uint64_t repairs() const noexcept { return 0; }

private:
    cluster_shape shape_;
    wire& net_;
    std::vector<std::vector<node>> nodes_;
};

/// N replicas on a publish/subscribe fabric, one broadcast_sync per shard. Every interval each
/// replica publishes one frame: an interval for every shard that changed, and digests for a
/// slice of the others (each shard's digest every `digest_every` intervals). Repair requests
/// and answers go point to point.
class broadcast_cluster {
public:
    using node = converge::broadcast_sync<presence, std::uint32_t>;

    broadcast_cluster(cluster_shape shape, wire& net, std::uint64_t seed, std::uint32_t digest_every)
        : shape_(shape), net_(net), digest_every_(digest_every),
          changed_(shape.replicas, std::vector<bool>(shape.shards)) {
        std::mt19937_64 rng(seed);
        nodes_.resize(shape.replicas);
        for (std::uint32_t r = 0; r < shape.replicas; ++r)
            for (std::uint32_t s = 0; s < shape.shards; ++s) nodes_[r].emplace_back(r, rng() | 1);
    }

    presence change(std::uint32_t r, std::uint32_t page, bool join) {
        const std::uint32_t s = shard_of(page, shape_.shards);
        changed_[r][s] = true;
        return nodes_[r][s].update(
            [&](presence& x) { return join ? x.increment(page, r) : x.decrement(page, r); });
    }

    [[nodiscard]] const presence& state(std::uint32_t r, std::uint32_t s) const { return nodes_[r][s].state(); }

    void interval() {
        ++intervals_;
        for (std::uint32_t r = 0; r < shape_.replicas; ++r) {
            auto frame = std::make_shared<std::vector<std::pair<std::uint32_t, node::message>>>();
            std::size_t bytes = 0;
            for (std::uint32_t s = 0; s < shape_.shards; ++s) {
                const bool digest_due = (intervals_ + s) % digest_every_ == 0;
                if (!changed_[r][s] && !digest_due) continue;
                changed_[r][s] = false;
                frame->emplace_back(s, nodes_[r][s].publish());
                bytes += converge::encode(frame->back().second).size();
            }
            if (!frame->empty()) {
                net_.sent(r, bytes);
                for (std::uint32_t p = 0; p < shape_.replicas; ++p)
                    if (p != r)
                        net_.deliver(
                            r, p, bytes, [this, p, frame] { for (const auto& [s, m] : *frame) nodes_[p][s].receive(m); },
                            reach::receiver_only);
            }
            for (std::uint32_t s = 0; s < shape_.shards; ++s) request_repairs(r, s);
        }
    }

    [[nodiscard]] std::uint64_t repairs() const noexcept { return repairs_; }

private:
    void request_repairs(std::uint32_t r, std::uint32_t s) {
        for (const auto& q : nodes_[r][s].repair_requests(intervals_)) {
            ++repairs_;
            const std::size_t bytes = converge::encode(q).size();
            net_.sent(r, bytes);
            net_.deliver(r, q.sender, bytes, [this, s, q] {
                const auto answer = nodes_[q.sender][s].answer(q);
                if (!answer) return;
                const std::size_t answer_bytes = converge::encode(*answer).size();
                net_.sent(q.sender, answer_bytes);
                net_.deliver(
                    q.sender, q.requester, answer_bytes, [this, s, q, a = *answer] { nodes_[q.requester][s].receive(a); },
                    reach::receiver_only);
            });
        }
    }

    cluster_shape shape_;
    wire& net_;
    std::uint32_t digest_every_;
    std::uint64_t intervals_ = 0;
    std::uint64_t repairs_ = 0;
    std::vector<std::vector<bool>> changed_;
    std::vector<std::vector<node>> nodes_;
};

}  // namespace scale_sim
