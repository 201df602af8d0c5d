// The NATS transport: libnats's connection, two subscriptions, and frames checked before delivery.
// SPDX-License-Identifier: MIT
#include "replication/nats_transport.hpp"

#include "replication/frame.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

namespace active_users {

namespace {

/// How many messages (and bytes) a subscription may hold before libnats drops them as a slow
/// consumer: a dropped message is a gap that a repair fills.
constexpr int pending_messages = 65'536;
constexpr int pending_bytes = 256 << 20;
/// Threads that run the message callbacks of every subscription: one, so that messages are
/// handled in the order they arrived across subscriptions (a sender's frames of one interval go
/// to many shard subjects, and the replay window admits only so much reordering). More threads
/// would buy nothing: every callback takes the replicator's mutex.
constexpr int delivery_threads = 1;

result<void> nats_check(natsStatus s, const char* what) {
    if (s == NATS_OK) return {};
    return fail(status::io_error, std::string("nats: ") + what + ": " + natsStatus_GetText(s));
}

/// "<channel>.<shard>", both decimal without sign or leading zeros, in range; else nothing.
std::optional<shard_ref> parse_shard(std::string_view tail) {
    const auto number = [](std::string_view digits, std::uint64_t max) -> std::optional<std::uint64_t> {
        if (digits.empty() || digits.size() > 10 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
        std::uint64_t v = 0;
        for (const char c : digits) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (v > max) return std::nullopt;
        return v;
    };
    const auto dot = tail.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const auto channel = number(tail.substr(0, dot), 0xFF);
    const auto shard = number(tail.substr(dot + 1), 0xFFFF'FFFF);
    if (!channel || !shard) return std::nullopt;
    return shard_ref{static_cast<std::uint8_t>(*channel), static_cast<std::uint32_t>(*shard)};
}

std::string shard_tail(shard_ref where) { return std::to_string(where.channel) + "." + std::to_string(where.shard); }

struct options_deleter {
    void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

}  // namespace

nats_transport::nats_transport(const options& o, std::uint64_t run)
    : opts_(o), sync_prefix_(o.nats.subject_prefix + ".sync."), to_prefix_(o.nats.subject_prefix + ".to."),
      state_prefix_(o.nats.subject_prefix + ".state."), inbox_subject_(to_prefix_ + std::to_string(o.id)),
      sealer_(nats_key(o.secret), o.id, run), opener_(nats_key(o.secret), o.id) {}

nats_transport::~nats_transport() {
    // Drained: the subscriptions stop and hand over what the delivery pool still holds for
    // them (messages left in a shared pool's queue at close are never freed), then what is
    // buffered is flushed (a graceful stop's retirement among it) and the connection closes.
    // Disconnected, it just closes. Then the library, waiting for its threads: after that no
    // callback can reach the receiver, which the server destroys next.
    if (connection_ != nullptr) {
        if (natsConnection_DrainTimeout(connection_, 2000) == NATS_OK) {
            for (int i = 0; i < 300 && !natsConnection_IsClosed(connection_); ++i) nats_Sleep(10);
        }
        natsConnection_Close(connection_);
    }
    natsSubscription_Destroy(broadcasts_);
    natsSubscription_Destroy(inbox_);
    natsSubscription_Destroy(shard_inbox_);
    for (const auto& [where, subs] : shards_) {
        natsSubscription_Destroy(subs.sync);
        natsSubscription_Destroy(subs.state);
    }
    natsConnection_Destroy(connection_);
    (void)nats_CloseAndWait(5000);
}

result<void> nats_transport::start(transport_receiver& to) {
    receiver_ = &to;
    if (auto opened = nats_check(nats_Open(-1), "open"); !opened) return opened;
    natsOptions* raw = nullptr;
    if (auto made = nats_check(natsOptions_Create(&raw), "options"); !made) return made;
    const std::unique_ptr<natsOptions, options_deleter> nopts(raw);
    std::vector<const char*> servers;
    for (const std::string& s : opts_.nats.servers) servers.push_back(s.c_str());
    const std::string name = "converge-active-users " + std::to_string(opts_.id);
    natsStatus s = natsOptions_SetServers(nopts.get(), servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK) s = natsOptions_SetName(nopts.get(), name.c_str());
    // The list is tried in its order (the operator lists the nearest server first), not shuffled.
    if (s == NATS_OK) s = natsOptions_SetNoRandomize(nopts.get(), true);
    // Replicas outlive NATS servers: reconnect for ever, and start even while none answers.
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(nopts.get(), -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(nopts.get(), 250);
    if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(nopts.get(), true, on_reconnected, this);
    // Its own broadcasts are no news to a replica.
    if (s == NATS_OK) s = natsOptions_SetNoEcho(nopts.get(), true);
    // One subscription per followed shard: libnats's default of a thread per subscription would
    // be a thousand threads. One shared delivery thread (delivery_threads) serves them all.
    if (s == NATS_OK) s = nats_SetMessageDeliveryPoolSize(delivery_threads);
    if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(nopts.get(), true);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(nopts.get(), on_error, this);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(nopts.get(), on_disconnected, this);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(nopts.get(), on_reconnected, this);
    if (s == NATS_OK && !opts_.nats.token.empty()) s = natsOptions_SetToken(nopts.get(), opts_.nats.token.c_str());
    if (s == NATS_OK && !opts_.nats.creds_file.empty())
        s = natsOptions_SetUserCredentialsFromFiles(nopts.get(), opts_.nats.creds_file.c_str(), nullptr);
    if (auto configured = nats_check(s, "configuring the connection"); !configured) return configured;
    s = natsConnection_Connect(&connection_, nopts.get());
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) return nats_check(s, "connecting");
    const std::string broadcasts = sync_prefix_ + "*";
    const std::string shard_inbox = inbox_subject_ + ".>";
    s = natsConnection_Subscribe(&broadcasts_, connection_, broadcasts.c_str(), on_message, this);
    if (s == NATS_OK) s = natsConnection_Subscribe(&inbox_, connection_, inbox_subject_.c_str(), on_message, this);
    if (s == NATS_OK) s = natsConnection_Subscribe(&shard_inbox_, connection_, shard_inbox.c_str(), on_message, this);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(broadcasts_, pending_messages, pending_bytes);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(inbox_, pending_messages, pending_bytes);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(shard_inbox_, pending_messages, pending_bytes);
    return nats_check(s, "subscribing");
}

void nats_transport::send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) {
    put(to_prefix_ + std::to_string(peer), to_, channel, payload);
}

void nats_transport::publish(std::uint8_t channel, std::vector<std::byte> payload) {
    put(sync_prefix_ + std::to_string(channel), sync_, channel, payload);
}

natsSubscription* nats_transport::subscribe(const std::string& subject, const char* queue) {
    natsSubscription* sub = nullptr;
    natsStatus s = queue == nullptr ? natsConnection_Subscribe(&sub, connection_, subject.c_str(), on_message, this)
                                    : natsConnection_QueueSubscribe(&sub, connection_, subject.c_str(), queue, on_message, this);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub, pending_messages, pending_bytes);
    if (s != NATS_OK) {
        // Not followed after all: the shard's publications are missed, and the replica's
        // counts of it lag until a later follow (the next lapse and read) succeeds.
        std::fprintf(stderr, "replica %u: nats: subscribing %s: %s\n", opts_.id, subject.c_str(), natsStatus_GetText(s));
        ++dropped_;
        natsSubscription_Destroy(sub);
        return nullptr;
    }
    return sub;
}

void nats_transport::follow(shard_ref where) {
    if (connection_ == nullptr) return;
    std::lock_guard lock(shards_mutex_);
    shard_subscriptions& subs = shards_[where];
    if (subs.sync == nullptr) subs.sync = subscribe(sync_prefix_ + shard_tail(where), nullptr);
}

void nats_transport::serve(shard_ref where) {
    if (connection_ == nullptr) return;
    std::lock_guard lock(shards_mutex_);
    shard_subscriptions& subs = shards_[where];
    if (subs.state == nullptr) subs.state = subscribe(state_prefix_ + shard_tail(where), "holders");
}

void nats_transport::unfollow(shard_ref where) {
    std::lock_guard lock(shards_mutex_);
    const auto it = shards_.find(where);
    if (it == shards_.end()) return;
    for (natsSubscription* sub : {it->second.sync, it->second.state}) {
        if (sub == nullptr) continue;
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
    }
    shards_.erase(it);
}

void nats_transport::publish_shard(shard_ref where, std::vector<std::byte> payload) {
    put(sync_prefix_ + shard_tail(where), sync_, where.channel, payload);
}

void nats_transport::send_shard(peer_id peer, shard_ref where, std::vector<std::byte> payload) {
    put(to_prefix_ + std::to_string(peer) + "." + shard_tail(where), to_, where.channel, payload);
}

void nats_transport::request_state(shard_ref where) {
    if (connection_ == nullptr) return;
    const std::string subject = state_prefix_ + shard_tail(where);
    const std::string reply = inbox_subject_ + "." + shard_tail(where);
    const std::vector<std::byte> frame = sealer_.seal(subject, where.channel, {}, unix_ms());
    const natsStatus s = natsConnection_PublishRequest(connection_, subject.c_str(), reply.c_str(), frame.data(),
                                                       static_cast<int>(frame.size()));
    if (s != NATS_OK) {
        ++dropped_;
        return;
    }
    state_.bytes_out += frame.size();
    ++state_.messages_out;
}

void nats_transport::put(const std::string& subject, traffic& t, std::uint8_t channel, std::span<const std::byte> payload) {
    if (connection_ == nullptr) return;
    const std::vector<std::byte> frame = sealer_.seal(subject, channel, payload, unix_ms());
    // While no server is reachable libnats buffers (8 MB), then refuses; the receivers' repairs
    // cover what is lost.
    const natsStatus s = natsConnection_Publish(connection_, subject.c_str(), frame.data(), static_cast<int>(frame.size()));
    if (s != NATS_OK) {
        ++dropped_;
        return;
    }
    t.bytes_out += frame.size();
    ++t.messages_out;
}

void nats_transport::on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
    auto* t = static_cast<nats_transport*>(self);
    if (natsMsg_IsNoResponders(msg)) {
        t->no_responders(natsMsg_GetSubject(msg));
        natsMsg_Destroy(msg);
        return;
    }
    const int length = natsMsg_GetDataLength(msg);
    const auto* data = reinterpret_cast<const std::byte*>(natsMsg_GetData(msg));
    t->received(natsMsg_GetSubject(msg), std::span(data, static_cast<std::size_t>(length < 0 ? 0 : length)));
    natsMsg_Destroy(msg);
}

void nats_transport::no_responders(std::string_view subject) {
    // The NATS server's answer to a state request that no holder subscribes to; it comes to the
    // shard inbox the request named. It is not signed: a forged one makes this replica take
    // the shard as empty, which the shard's digests and repairs correct within a few intervals.
    ++state_.messages_in;
    if (!subject.starts_with(inbox_subject_ + ".")) return;
    if (const auto where = parse_shard(subject.substr(inbox_subject_.size() + 1))) receiver_->nobody_holds(*where);
}

void nats_transport::received(std::string_view subject, std::span<const std::byte> bytes) {
    const bool sync = subject.starts_with(sync_prefix_);
    const bool state = subject.starts_with(state_prefix_);
    traffic& t = sync ? sync_ : state ? state_ : to_;
    t.bytes_in += bytes.size();
    ++t.messages_in;
    auto f = opener_.open(subject, bytes, unix_ms());
    if (!f) {
        ++(f.error().code == status::replayed ? replays_ : rejected_);
        return;
    }
    // The subject (which the MAC covers) names the channel, and the shard of a sharded one: a
    // frame signed for one channel's subject cannot be delivered as another's.
    std::string_view tail = sync ? subject.substr(sync_prefix_.size()) : state ? subject.substr(state_prefix_.size()) : "";
    if (!sync && !state) {
        if (!subject.starts_with(inbox_subject_)) {
            ++rejected_;
            return;
        }
        tail = subject.substr(inbox_subject_.size());
        if (tail.empty()) {
            if (!receiver_->deliver(f->sender, f->channel, f->payload)) ++rejected_;
            return;
        }
        tail.remove_prefix(1);  // the '.' before "<channel>.<shard>"
    } else if (sync && tail == std::to_string(f->channel)) {
        if (!receiver_->deliver(f->sender, f->channel, f->payload)) ++rejected_;
        return;
    }
    const std::optional<shard_ref> where = parse_shard(tail);
    if (!where || where->channel != f->channel) {
        ++rejected_;
        return;
    }
    if (!state) {
        if (!receiver_->deliver_shard(f->sender, *where, f->payload)) ++rejected_;
        return;
    }
    // A state request: the answer goes to the asker's shard inbox, named from the signed sender
    // rather than from the request's reply subject, which nothing signs.
    if (auto whole = receiver_->state_for(f->sender, *where))
        put(to_prefix_ + std::to_string(f->sender) + "." + shard_tail(*where), to_, where->channel, *whole);
}

void nats_transport::on_error(natsConnection*, natsSubscription*, natsStatus err, void* self) {
    auto* t = static_cast<nats_transport*>(self);
    ++t->dropped_;
    std::fprintf(stderr, "replica %u: nats: %s\n", t->opts_.id, natsStatus_GetText(err));
}

void nats_transport::on_disconnected(natsConnection*, void* self) {
    std::fprintf(stderr, "replica %u: nats: disconnected, reconnecting\n", static_cast<nats_transport*>(self)->opts_.id);
}

void nats_transport::on_reconnected(natsConnection* nc, void* self) {
    char url[256] = {};
    (void)natsConnection_GetConnectedUrl(nc, url, sizeof url);
    std::fprintf(stderr, "replica %u: nats: connected to %s\n", static_cast<nats_transport*>(self)->opts_.id, url);
}

bool nats_transport::connected() const {
    return connection_ != nullptr && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

bool nats_transport::drained() const { return connection_ == nullptr || natsConnection_Buffered(connection_) <= 0; }

transport_stats nats_transport::statistics() const {
    transport_stats s;
    s.bytes_sent = sync_.bytes_out + to_.bytes_out + state_.bytes_out;
    s.frames_received = sync_.messages_in + to_.messages_in + state_.messages_in;
    s.frames_rejected = rejected_;
    s.replays = replays_;
    s.dropped = dropped_;
    for (const auto& [name, t] : {std::pair<const char*, const traffic*>{"sync", &sync_}, {"to", &to_}, {"state", &state_}})
        s.subjects[name] = {t->bytes_out, t->messages_out, t->bytes_in, t->messages_in};
    return s;
}

}  // namespace active_users
