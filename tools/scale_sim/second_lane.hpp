// A second thread that runs one job at a time for the simulator, handed over and waited for.
// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace scale_sim {

/// One worker thread kept for the whole run, so that handing it a job costs a wake-up, not a
/// thread start (the simulator hands it one every few virtual milliseconds).
class second_lane {
public:
    second_lane() : thread_([this] { loop(); }) {}
    ~second_lane() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    second_lane(const second_lane&) = delete;
    second_lane& operator=(const second_lane&) = delete;

    /// Runs `job` on the lane; the caller must `wait` before starting another.
    void start(std::function<void()> job) {
        {
            std::lock_guard lock(mutex_);
            job_ = std::move(job);
            ++started_;
        }
        wake_.notify_all();
    }

    /// Returns once the job last started has finished.
    void wait() {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return finished_ == started_; });
    }

private:
    void loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return stop_ || finished_ != started_; });
            if (stop_) return;
            auto job = std::move(job_);
            lock.unlock();
            job();
            lock.lock();
            ++finished_;
            wake_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::function<void()> job_;
    std::uint64_t started_ = 0;
    std::uint64_t finished_ = 0;
    bool stop_ = false;
    std::thread thread_;  // last: it starts once everything above is built
};

}  // namespace scale_sim
