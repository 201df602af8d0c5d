// The NATS transport: replication payloads published on subjects of a NATS cluster, signed end to end.
// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"
#include "replication/nats_frame.hpp"
#include "replication/transport.hpp"

#include <nats/nats.h>

#include <atomic>
#include <map>
#include <mutex>
#include <cstdint>
#include <string>

namespace active_users {

/// Replication for hundreds of replicas (--nats): every replica publishes each channel's message
/// on `<prefix>.sync.<channel>`, hears every other replica's there, and gets messages addressed
/// to it (repair requests and answers) on `<prefix>.to.<id>`. A sharded channel's shards have
/// their own subjects, subscribed only while followed: `<prefix>.sync.<channel>.<shard>` for
/// publications, `<prefix>.to.<id>.<channel>.<shard>` for what is addressed to one replica, and
/// `<prefix>.state.<channel>.<shard>` for state requests, which the shard's holders subscribe
/// in one queue group (NATS hands each request to one of them). A state request carries the
/// asker's shard inbox as its reply subject, so that when no replica holds the shard the NATS
/// server says so at once ("no responders"). libnats keeps the connection to
/// one server of the list, reconnects, and resubscribes; its threads call `deliver` on the
/// receiver directly (the receiver is thread-safe). The transport has no peers: replication
/// learns them from whom it hears (broadcast_replicator), so peer_up/peer_down are never called.
///
/// Everything that arrives is hostile until proved otherwise (any holder of a NATS account may
/// publish): a frame is size-checked before it is copied, then its MAC over subject and body is
/// checked under the key derived from the replication secret, then its counter and time
/// (nats_frame.hpp), and only then is it handed up.
class nats_transport final : public transport {
public:
    nats_transport(const options& o, std::uint64_t run);
    ~nats_transport() override;
    nats_transport(const nats_transport&) = delete;
    nats_transport& operator=(const nats_transport&) = delete;

    /// Connects (or, when no server answers yet, keeps trying in the background) and subscribes.
    /// A failure is a configuration libnats refuses (a bad URL, unreadable credentials).
    result<void> start(transport_receiver& to) override;
    void send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) override;
    void publish(std::uint8_t channel, std::vector<std::byte> payload) override;
    [[nodiscard]] bool drained() const override;
    void follow(shard_ref where) override;
    void unfollow(shard_ref where) override;
    void serve(shard_ref where) override;
    void publish_shard(shard_ref where, std::vector<std::byte> payload) override;
    void send_shard(peer_id peer, shard_ref where, std::vector<std::byte> payload) override;
    void request_state(shard_ref where) override;
    [[nodiscard]] bool connected() const override;
    [[nodiscard]] transport_stats statistics() const override;

private:
    /// Counters of one subject class (sync: published to all; to: addressed to one replica).
    struct traffic {
        std::atomic<std::uint64_t> bytes_out{0}, messages_out{0}, bytes_in{0}, messages_in{0};
    };

    static void on_message(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* self);
    static void on_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* self);
    static void on_disconnected(natsConnection* nc, void* self);
    static void on_reconnected(natsConnection* nc, void* self);
    void received(std::string_view subject, std::span<const std::byte> bytes);
    void no_responders(std::string_view subject);
    natsSubscription* subscribe(const std::string& subject, const char* queue);
    void put(const std::string& subject, traffic& t, std::uint8_t channel, std::span<const std::byte> payload);

    const options& opts_;
    std::string sync_prefix_;  ///< "<prefix>.sync."
    std::string to_prefix_;    ///< "<prefix>.to."
    std::string state_prefix_; ///< "<prefix>.state."
    std::string inbox_subject_;  ///< "<prefix>.to.<id>"
    nats_frame_sealer sealer_;
    nats_frame_opener opener_;
    transport_receiver* receiver_ = nullptr;
    natsConnection* connection_ = nullptr;
    natsSubscription* broadcasts_ = nullptr;
    natsSubscription* inbox_ = nullptr;
    natsSubscription* shard_inbox_ = nullptr;  ///< "<prefix>.to.<id>.>"
    /// Per followed shard: its publications, and (once served) its state requests.
    struct shard_subscriptions {
        natsSubscription* sync = nullptr;
        natsSubscription* state = nullptr;
    };
    std::mutex shards_mutex_;
    std::map<shard_ref, shard_subscriptions> shards_;
    traffic sync_, to_, state_;
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> replays_{0};
    std::atomic<std::uint64_t> dropped_{0};  ///< publishes libnats refused, messages it dropped (slow consumer)
};

}  // namespace active_users
