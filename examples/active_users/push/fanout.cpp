// fanout: subscribe and leave under one lock; pushes posted to each connection's strand.
// SPDX-License-Identifier: MIT
#include "push/fanout.hpp"

#include "http/ws_frame.hpp"

#include <boost/asio/post.hpp>

namespace active_users {

fanout::subscription::subscription(fanout& f, std::string key, std::shared_ptr<subscriber> s)
    : fanout_(f), key_(std::move(key)), subscriber_(std::move(s)) {
    std::lock_guard lock(fanout_.mutex_);
    if (fanout_.by_key_[key_].insert(subscriber_).second) ++fanout_.size_;
}

fanout::subscription::~subscription() {
    std::lock_guard lock(fanout_.mutex_);
    const auto it = fanout_.by_key_.find(key_);
    if (it == fanout_.by_key_.end()) return;
    fanout_.size_ -= it->second.erase(subscriber_);
    if (it->second.empty()) fanout_.by_key_.erase(it);
}

std::shared_ptr<const std::string> fanout::frame(std::string message) {
    return std::make_shared<const std::string>(ws::server_frame(ws::opcode::text, message));
}

void fanout::close_all() {
    for (const auto& s : everyone()) {
        boost::asio::post(s->executor, [s] {
            s->going_away = true;
            s->closed = true;
            s->notify();
        });
    }
}

void fanout::sweep(std::chrono::steady_clock::time_point now) {
    for (const auto& s : everyone()) s->sweep(now);
}

std::vector<std::shared_ptr<subscriber>> fanout::everyone() const {
    std::vector<std::shared_ptr<subscriber>> all;
    std::lock_guard lock(mutex_);
    all.reserve(size_);
    for (const auto& [key, subscribers] : by_key_) all.insert(all.end(), subscribers.begin(), subscribers.end());
    return all;
}

std::size_t fanout::size() const {
    std::lock_guard lock(mutex_);
    return size_;
}

void fanout::post(const std::shared_ptr<subscriber>& s, const std::shared_ptr<const std::string>& message,
                  std::chrono::steady_clock::time_point published) {
    boost::asio::post(s->executor, [s, message, published] {
        // Coalesced pushes keep the oldest publish time: the delay is the longest one waited.
        if (!s->dirty || s->pending_since == std::chrono::steady_clock::time_point{}) s->pending_since = published;
        s->latest = message;
        s->dirty = true;
        s->notify();
    });
}

}  // namespace active_users
