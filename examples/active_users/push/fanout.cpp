// fanout: subscribe and leave under one lock; pushes posted to each connection's strand.
// SPDX-License-Identifier: MIT
#include "push/fanout.hpp"

#include "http/ws_frame.hpp"

#include <boost/asio/post.hpp>

#include <atomic>
#include <utility>

namespace active_users {

fanout::subscription::subscription(fanout& f, std::string key, std::shared_ptr<subscriber> s)
    : fanout_(f), key_(std::move(key)), subscriber_(std::move(s)) {
    std::lock_guard lock(fanout_.mutex_);
    auto& listeners = fanout_.by_key_[key_];
    subscriber_->slot = listeners.size();
    listeners.push_back(subscriber_);
    ++fanout_.size_;
}

fanout::subscription::~subscription() {
    std::lock_guard lock(fanout_.mutex_);
    const auto it = fanout_.by_key_.find(key_);
    if (it == fanout_.by_key_.end()) return;
    auto& listeners = it->second;
    const std::size_t at = subscriber_->slot;
    if (at >= listeners.size() || listeners[at] != subscriber_) return;
    // The last listener takes the leaver's place: leaving is O(1) on a page of any size.
    if (at + 1 != listeners.size()) {
        listeners[at] = std::move(listeners.back());
        listeners[at]->slot = at;
    }
    listeners.pop_back();
    --fanout_.size_;
    if (listeners.empty()) fanout_.by_key_.erase(it);
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

namespace {

/// Held for a few instructions by the push timer and one connection: a spin is cheaper than a
/// mutex in every subscriber.
class box_guard {
public:
    explicit box_guard(std::atomic_flag& f) noexcept : f_(f) {
        while (f_.test_and_set(std::memory_order_acquire)) {
        }
    }
    ~box_guard() { f_.clear(std::memory_order_release); }
    box_guard(const box_guard&) = delete;
    box_guard& operator=(const box_guard&) = delete;

private:
    std::atomic_flag& f_;
};

}  // namespace

void fanout::post(const std::shared_ptr<subscriber>& s, const std::shared_ptr<const std::string>& message,
                  std::chrono::steady_clock::time_point published) {
    using time_point = std::chrono::steady_clock::time_point;
    bool on_its_way = false;
    {
        const box_guard held(s->box_lock);
        // Coalesced pushes keep the oldest publish time: the delay is the longest one waited.
        if (s->box_since == time_point{}) s->box_since = published;
        s->box = message;
        on_its_way = std::exchange(s->box_posted, true);
    }
    if (on_its_way) return;
    boost::asio::post(s->executor, [s] {
        std::shared_ptr<const std::string> taken;
        time_point since{};
        {
            const box_guard held(s->box_lock);
            taken = std::move(s->box);
            since = std::exchange(s->box_since, time_point{});
            s->box_posted = false;
        }
        if (!s->dirty || s->pending_since == time_point{}) s->pending_since = since;
        s->latest = std::move(taken);
        s->dirty = true;
        s->notify();
    });
}

}  // namespace active_users
