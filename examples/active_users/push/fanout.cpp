// fanout: subscribe and leave under one lock; pushes posted to each connection's strand.
// SPDX-License-Identifier: MIT
#include "push/fanout.hpp"

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

void fanout::close_all() {
    std::lock_guard lock(mutex_);
    for (const auto& [key, subscribers] : by_key_) {
        for (const auto& s : subscribers) {
            boost::asio::post(s->wake.get_executor(), [s] {
                s->going_away = true;
                s->closed = true;
                s->wake.cancel();
            });
        }
    }
}

std::size_t fanout::size() const {
    std::lock_guard lock(mutex_);
    return size_;
}

void fanout::post(const std::shared_ptr<subscriber>& s, const std::shared_ptr<const std::string>& message,
                  std::chrono::steady_clock::time_point published) {
    boost::asio::post(s->wake.get_executor(), [s, message, published] {
        // Coalesced pushes keep the oldest publish time: the delay is the longest one waited.
        if (!s->dirty || s->pending_since == std::chrono::steady_clock::time_point{}) s->pending_since = published;
        s->latest = message;
        s->dirty = true;
        s->wake.cancel();
    });
}

}  // namespace active_users
