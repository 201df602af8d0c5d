// The persister: restore at start, then a writer thread that group-commits snapshots.
// SPDX-License-Identifier: MIT
#include "persistence/persister.hpp"

#include <chrono>
#include <cstdio>

namespace active_users {

persister::persister(std::string dir, const channel_table& channels) : dir_(std::move(dir)), channels_(channels) {
    if (dir_.empty()) return;
    for (const channel& c : channels_) files_.emplace_back(dir_, c.name, c.id);
    last_.resize(files_.size());
}

persister::~persister() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

result<void> persister::restore() {
    std::size_t i = 0;
    for (const channel& c : channels_) {
        if (dir_.empty()) break;
        const snapshot_file& file = files_[i++];
        auto bytes = file.read();
        if (!bytes) return bytes.error();
        if (!bytes->has_value()) continue;
        if (auto r = c.owner->restore(**bytes); !r) return fail(r.error().code, file.path() + ": " + r.error().message);
    }
    return {};
}

void persister::start() {
    if (!dir_.empty()) thread_ = std::thread([this] { run(); });
}

void persister::when_durable(std::function<void()> done) {
    if (dir_.empty()) {
        done();
        return;
    }
    {
        std::lock_guard lock(mutex_);
        waiting_.push_back(std::move(done));
    }
    wake_.notify_one();
}

persister::stats persister::statistics() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void persister::run() {
    bool first = true;
    for (;;) {
        std::vector<std::function<void()>> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || first || !waiting_.empty(); });
            if (stop_ && waiting_.empty()) return;
            batch.swap(waiting_);
        }
        // Every write in `batch` was made before its callback was registered, hence before now:
        // the snapshots taken below include it.
        if (!write_changed(first)) {
            std::unique_lock lock(mutex_);
            ++stats_.failures;
            // Nothing is acknowledged until a write succeeds; the waiters stay, the writer retries.
            waiting_.insert(waiting_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
            if (wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; })) return;
            continue;
        }
        first = false;
        for (auto& done : batch) done();
    }
}

bool persister::write_changed(bool all) {
    bool wrote = false;
    std::size_t i = 0;
    for (const channel& c : channels_) {
        const std::size_t at = i++;
        std::vector<std::byte> bytes = c.owner->snapshot();
        if (!all && bytes == last_[at]) continue;
        if (const auto r = files_[at].write(bytes); !r) {
            std::fprintf(stderr, "converge-active-users: snapshot failed: %s; retrying\n", r.error().message.c_str());
            return false;
        }
        last_[at] = std::move(bytes);
        wrote = true;
    }
    if (wrote) {
        std::lock_guard lock(mutex_);
        ++stats_.snapshots_written;
    }
    return true;
}

}  // namespace active_users
