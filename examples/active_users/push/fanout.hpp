// Live subscribers by key (a page, a user), and the coalesced pushes to them.
// SPDX-License-Identifier: MIT
#pragma once

#include "metrics/latency_histogram.hpp"
#include "push/subscriber.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace active_users {

/// Who listens to which key. The server's push timer reads the owners' change feeds and calls
/// `publish` for each changed key; nothing here reads replicated state.
class fanout {
public:
    /// Held by a live connection for as long as it listens; leaving is the destructor's job, so a
    /// connection that ends in any way stops listening.
    class subscription {
    public:
        subscription(fanout& f, std::string key, std::shared_ptr<subscriber> s);
        ~subscription();
        subscription(const subscription&) = delete;
        subscription& operator=(const subscription&) = delete;

    private:
        fanout& fanout_;
        std::string key_;
        std::shared_ptr<subscriber> subscriber_;
    };

    /// Sends `make()` to every subscriber of `key`, building it only when there is one. The
    /// message is built and framed once (a WebSocket text frame) and shared; the posts happen
    /// outside the lock.
    template <class MakeMessage>
    void publish(const std::string& key, MakeMessage&& make) {
        std::vector<std::shared_ptr<subscriber>> to;
        {
            std::lock_guard lock(mutex_);
            const auto it = by_key_.find(key);
            if (it == by_key_.end()) return;
            to.assign(it->second.begin(), it->second.end());
        }
        const auto message = frame(make());
        const auto now = std::chrono::steady_clock::now();
        for (const auto& s : to) post(s, message, now);
    }

    /// A connection wrote a push published `delay` ago (see subscriber::pending_since).
    void delivered(std::chrono::nanoseconds delay) noexcept { push_delay_.observe(delay); }
    /// From publish to written, over every push since start.
    [[nodiscard]] histogram_snapshot push_delays() const noexcept { return push_delay_.snapshot(); }

    /// The server is stopping: every subscriber closes its connection with 1001 Going Away.
    void close_all();
    /// Lets every subscriber check its liveness (`subscriber::sweep`); the server calls it
    /// periodically, so that an idle connection holds no timer.
    void sweep(std::chrono::steady_clock::time_point now);

    /// Live subscribers now, over every key.
    [[nodiscard]] std::size_t size() const;

    /// `message` as the text frame that `publish` shares (subscriber::latest).
    [[nodiscard]] static std::shared_ptr<const std::string> frame(std::string message);

private:
    [[nodiscard]] std::vector<std::shared_ptr<subscriber>> everyone() const;
    static void post(const std::shared_ptr<subscriber>& s, const std::shared_ptr<const std::string>& message,
                     std::chrono::steady_clock::time_point published);

    mutable std::mutex mutex_;
    /// A vector per key, not a set: one listener costs 16 bytes (a set's node and buckets cost
    /// about 140 more per page, which counts when most pages have one viewer).
    std::unordered_map<std::string, std::vector<std::shared_ptr<subscriber>>> by_key_;
    std::size_t size_ = 0;
    latency_histogram push_delay_;
};

}  // namespace active_users
