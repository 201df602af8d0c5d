// The persister: restore (snapshots, then the journal) at start, then a writer thread that group-commits.
// SPDX-License-Identifier: MIT
#include "persistence/persister.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace active_users {

namespace {

/// Zeros written ahead at each rotation (journal_file): a journal rotates before it outgrows
/// them, up to this.
constexpr std::size_t max_preallocated_journal = std::size_t{64} << 20;

}  // namespace

persister::persister(std::string dir, const channel_table& channels, std::size_t rotate_after)
    : dir_(std::move(dir)), channels_(channels), rotate_after_(rotate_after), journal_(dir_) {
    if (dir_.empty()) return;
    for (const channel& c : channels_) files_.emplace_back(dir_, c.name, c.id);
    last_whole_.resize(files_.size());
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
    if (dir_.empty()) return {};
    auto journal = journal_.read();
    if (!journal) return journal.error();
    if (*journal) {
        const journal_contents& j = **journal;
        generation_ = j.generation;
        for (const journal_record& r : j.records)
            if (channels_.find(r.channel) == nullptr)
                return fail(status::bad_request, journal_.path() + ": a record of channel " + std::to_string(r.channel) +
                                                     ", which this build does not have");
        if (j.torn_tail)
            std::fprintf(stderr, "converge-active-users: %s: ignored a torn tail after byte %zu (a write cut by a crash, never acknowledged)\n",
                         journal_.path().c_str(), j.valid_bytes);
    }
    std::size_t i = 0;
    for (const channel& c : channels_) {
        const snapshot_file& file = files_[i++];
        auto snap = file.read();
        if (!snap) return snap.error();
        std::uint64_t covers = 0;
        if (*snap) {
            covers = (*snap)->covers;
            generation_ = std::max(generation_, covers);
            if (auto r = c.owner->restore((*snap)->bytes); !r) return fail(r.error().code, file.path() + ": " + r.error().message);
        }
        // A snapshot written while rotating away from this journal already holds its records.
        if (*journal && covers < (*journal)->generation)
            if (auto r = replay(c, **journal); !r) return r;
    }
    return {};
}

result<void> persister::replay(const channel& c, const journal_contents& journal) {
    const auto refused = [&](const failure& f) {
        return fail(f.code, journal_.path() + ": channel " + std::string(c.name) + ": " + f.message);
    };
    std::vector<std::span<const std::byte>> deltas;
    const auto merge_deltas = [&]() -> result<void> {
        if (deltas.empty()) return {};
        auto r = c.owner->replay(deltas);
        deltas.clear();
        return r;
    };
    for (const journal_record& r : journal.records) {
        if (r.channel != c.id) continue;
        if (r.kind == journal_kind::delta) {
            deltas.emplace_back(r.bytes);
            continue;
        }
        if (auto m = merge_deltas(); !m) return refused(m.error());
        if (auto w = c.owner->restore(r.bytes); !w) return refused(w.error());
    }
    if (auto m = merge_deltas(); !m) return refused(m.error());
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
    bool rotate = true;  // the first pass writes every channel
    for (;;) {
        std::vector<std::function<void()>> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || rotate || !waiting_.empty(); });
            if (stop_ && waiting_.empty()) return;
            batch.swap(waiting_);
        }
        // Every write in `batch` was made before its callback was registered, hence before now:
        // the changes taken below include it. Callbacks registered from here on wait for the
        // next group, which collects while this one syncs.
        if (!commit(rotate)) {
            std::unique_lock lock(mutex_);
            ++stats_.failures;
            // Nothing is acknowledged until a write succeeds; the waiters stay, the writer retries.
            // The changes taken are in no file now: the retry rotates, writing every snapshot.
            waiting_.insert(waiting_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
            rotate = true;
            if (wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; })) return;
            continue;
        }
        rotate = false;
        for (auto& done : batch) done();
    }
}

bool persister::commit(bool rotate) {
    journal_frame frame;
    std::size_t at = 0;
    for (const channel& c : channels_) {
        const std::size_t i = at++;
        journal_changes changes = c.owner->take_changes();
        if (!changes.whole) {
            if (!changes.delta.empty()) frame.add(c.id, journal_kind::delta, changes.delta);
            continue;
        }
        std::vector<std::byte> bytes = c.owner->snapshot();
        if (bytes == last_whole_[i]) continue;
        frame.add(c.id, journal_kind::whole, bytes);
        last_whole_[i] = std::move(bytes);
    }
    if (!rotate && frame.empty()) return true;
    const std::vector<std::byte> sealed = frame.seal();
    if (rotate || journal_.size() + sealed.size() > rotate_after_) return rotate_all();
    if (const auto r = journal_.append(sealed); !r) {
        std::fprintf(stderr, "converge-active-users: journal append failed: %s; retrying\n", r.error().message.c_str());
        return false;
    }
    std::lock_guard lock(mutex_);
    ++stats_.journal_commits;
    return true;
}

bool persister::rotate_all() {
    // Each snapshot taken now holds every change logged so far (and the ones just taken).
    std::size_t i = 0;
    for (const channel& c : channels_) {
        const std::size_t at = i++;
        std::vector<std::byte> bytes = c.owner->snapshot();
        if (const auto r = files_[at].write(bytes, generation_); !r) {
            std::fprintf(stderr, "converge-active-users: snapshot failed: %s; retrying\n", r.error().message.c_str());
            return false;
        }
        last_whole_[at] = std::move(bytes);
    }
    if (const auto r = journal_.rotate(generation_ + 1, std::min(rotate_after_, max_preallocated_journal)); !r) {
        std::fprintf(stderr, "converge-active-users: journal rotation failed: %s; retrying\n", r.error().message.c_str());
        return false;
    }
    ++generation_;
    std::lock_guard lock(mutex_);
    ++stats_.snapshots_written;
    return true;
}

}  // namespace active_users
