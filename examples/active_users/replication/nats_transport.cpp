// The NATS transport: libnats's connection, two subscriptions, and frames checked before delivery.
// SPDX-License-Identifier: MIT
#include "replication/nats_transport.hpp"

#include "replication/frame.hpp"

#include <cstdio>
#include <memory>
#include <vector>

namespace active_users {

namespace {

/// How many messages (and bytes) a subscription may hold before libnats drops them as a slow
/// consumer: a dropped message is a gap that a repair fills.
constexpr int pending_messages = 65'536;
constexpr int pending_bytes = 256 << 20;

result<void> nats_check(natsStatus s, const char* what) {
    if (s == NATS_OK) return {};
    return fail(status::io_error, std::string("nats: ") + what + ": " + natsStatus_GetText(s));
}

struct options_deleter {
    void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

}  // namespace

nats_transport::nats_transport(const options& o, std::uint64_t run)
    : opts_(o), sync_prefix_(o.nats.subject_prefix + ".sync."), to_prefix_(o.nats.subject_prefix + ".to."),
      sealer_(nats_key(o.secret), o.id, run), opener_(nats_key(o.secret), o.id) {}

nats_transport::~nats_transport() {
    // Subscriptions first, then the connection (flushing what is buffered, a graceful stop's
    // retirement among it), then the library, waiting for its threads: after that no callback
    // can reach the receiver, which the server destroys next.
    if (broadcasts_ != nullptr) natsSubscription_Unsubscribe(broadcasts_);
    if (inbox_ != nullptr) natsSubscription_Unsubscribe(inbox_);
    if (connection_ != nullptr) {
        (void)natsConnection_FlushTimeout(connection_, 1000);
        natsConnection_Close(connection_);
    }
    natsSubscription_Destroy(broadcasts_);
    natsSubscription_Destroy(inbox_);
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
    const std::string inbox = to_prefix_ + std::to_string(opts_.id);
    s = natsConnection_Subscribe(&broadcasts_, connection_, broadcasts.c_str(), on_message, this);
    if (s == NATS_OK) s = natsConnection_Subscribe(&inbox_, connection_, inbox.c_str(), on_message, this);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(broadcasts_, pending_messages, pending_bytes);
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(inbox_, pending_messages, pending_bytes);
    return nats_check(s, "subscribing");
}

void nats_transport::send(peer_id peer, std::uint8_t channel, std::vector<std::byte> payload) {
    put(to_prefix_ + std::to_string(peer), to_, channel, payload);
}

void nats_transport::publish(std::uint8_t channel, std::vector<std::byte> payload) {
    put(sync_prefix_ + std::to_string(channel), sync_, channel, payload);
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
    const int length = natsMsg_GetDataLength(msg);
    const auto* data = reinterpret_cast<const std::byte*>(natsMsg_GetData(msg));
    t->received(natsMsg_GetSubject(msg), std::span(data, static_cast<std::size_t>(length < 0 ? 0 : length)));
    natsMsg_Destroy(msg);
}

void nats_transport::received(std::string_view subject, std::span<const std::byte> bytes) {
    traffic& t = subject.starts_with(sync_prefix_) ? sync_ : to_;
    t.bytes_in += bytes.size();
    ++t.messages_in;
    auto f = opener_.open(subject, bytes, unix_ms());
    if (!f) {
        ++(f.error().code == status::replayed ? replays_ : rejected_);
        return;
    }
    // A broadcast's channel is its subject's last token too: a frame signed for one channel's
    // subject cannot be delivered as another's.
    if (&t == &sync_ && subject.substr(sync_prefix_.size()) != std::to_string(f->channel)) {
        ++rejected_;
        return;
    }
    if (!receiver_->deliver(f->sender, f->channel, f->payload)) ++rejected_;
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

bool nats_transport::drained() const { return connection_ == nullptr || natsConnection_Buffered(connection_) <= 0; }

transport_stats nats_transport::statistics() const {
    transport_stats s;
    s.bytes_sent = sync_.bytes_out + to_.bytes_out;
    s.frames_received = sync_.messages_in + to_.messages_in;
    s.frames_rejected = rejected_;
    s.replays = replays_;
    s.dropped = dropped_;
    for (const auto& [name, t] : {std::pair<const char*, const traffic*>{"sync", &sync_}, {"to", &to_}})
        s.subjects[name] = {t->bytes_out, t->messages_out, t->bytes_in, t->messages_in};
    return s;
}

}  // namespace active_users
