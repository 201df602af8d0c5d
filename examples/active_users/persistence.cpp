// Snapshot files: "CVAU" (incarnation, adjustments) and "CVNT" (notification states); atomic replace.
// SPDX-License-Identifier: MIT
#include "persistence.hpp"

#include <converge/encoding.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace active_users {

namespace {

constexpr std::array<char, 4> magic{'C', 'V', 'A', 'U'};
constexpr std::array<char, 4> notes_magic{'C', 'V', 'N', 'T'};

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void write_all(int fd, const std::byte* p, std::size_t n, const std::string& path) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            fail("write " + path);
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

std::vector<char> read_file(const std::string& path, bool& found) {
    std::ifstream in(path, std::ios::binary);
    found = static_cast<bool>(in);
    if (!found) return {};
    return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void put_u64(std::vector<std::byte>& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

/// One length-prefixed state of the notifications file; advances `at` past it.
template <class State>
State read_section(std::span<const std::byte> in, std::size_t& at, const std::string& path) {
    if (in.size() - at < 8) throw std::runtime_error(path + ": truncated");
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= std::to_integer<std::uint64_t>(in[at + static_cast<std::size_t>(i)]) << (8 * i);
    at += 8;
    if (n > in.size() - at) throw std::runtime_error(path + ": truncated");
    auto decoded = converge::decode<State>(in.subspan(at, static_cast<std::size_t>(n)));
    if (!decoded) throw std::runtime_error(path + ": " + decoded.error().message());
    at += static_cast<std::size_t>(n);
    return std::move(*decoded);
}

notification_states load_notes(const std::string& dir) {
    const std::string path = dir + "/notifications";
    bool found = false;
    const std::vector<char> raw = read_file(path, found);
    if (!found) return {};
    if (raw.size() < 4 || !std::equal(notes_magic.begin(), notes_magic.end(), raw.begin()))
        throw std::runtime_error(path + ": not a converge-active-users notifications snapshot");
    const auto body = std::as_bytes(std::span(raw)).subspan(4);
    std::size_t at = 0;
    notification_states s;
    s.subscriptions = read_section<subscription_state>(body, at, path);
    s.modifications = read_section<modification_state>(body, at, path);
    s.read_marks = read_section<read_mark_state>(body, at, path);
    if (at != body.size()) throw std::runtime_error(path + ": trailing bytes");
    return s;
}

}  // namespace

std::optional<snapshot> load_snapshot(const std::string& dir) {
    const std::string path = dir + "/snapshot";
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (raw.size() < 12 || !std::equal(magic.begin(), magic.end(), raw.begin()))
        throw std::runtime_error(path + ": not a converge-active-users snapshot");
    snapshot s;
    for (int i = 0; i < 8; ++i) s.incarnation |= std::uint64_t{static_cast<unsigned char>(raw[4 + static_cast<std::size_t>(i)])} << (8 * i);
    const auto body = std::as_bytes(std::span(raw)).subspan(12);
    auto decoded = converge::decode<adjustment_state>(body);
    if (!decoded) throw std::runtime_error(path + ": " + decoded.error().message());
    s.adjustments = std::move(*decoded);
    s.notes = load_notes(dir);
    return s;
}

persister::persister(std::string dir, replica& r, notifications* n) : dir_(std::move(dir)), replica_(r), notes_(n) {
    if (!dir_.empty()) thread_ = std::thread([this] { run(); });
}

persister::~persister() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void persister::when_durable(std::uint64_t gen, std::function<void()> done, source from) {
    if (dir_.empty() || (from == source::notifications && notes_ == nullptr)) {
        done();
        return;
    }
    {
        std::lock_guard lock(mutex_);
        const bool notes = from == source::notifications;
        if (gen <= (notes ? notes_durable_ : durable_)) {
            done();
            return;
        }
        (notes ? waiting_notes_ : waiting_).emplace(gen, std::move(done));
    }
    wake_.notify_one();
}

std::uint64_t persister::snapshots_written() const {
    std::lock_guard lock(mutex_);
    return written_;
}

void persister::run() {
    // Write once at start, so the incarnation of this run is on disk before any session exists.
    bool first = true;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || first || !waiting_.empty() || !waiting_notes_.empty(); });
            if (stop_ && waiting_.empty() && waiting_notes_.empty()) return;
        }
        const bool all = first;
        first = false;
        const auto [state, gen] = replica_.adjustments_snapshot();
        std::optional<std::pair<notification_states, std::uint64_t>> notes;
        if (notes_ != nullptr) notes = notes_->snapshot();
        const std::uint64_t notes_gen = notes ? notes->second : 0;
        try {
            bool adjustments_due = all, notes_due = all;
            {
                std::lock_guard lock(mutex_);
                adjustments_due = adjustments_due || gen > durable_;
                notes_due = notes_due || notes_gen > notes_durable_;
            }
            if (adjustments_due) write(state, replica_.incarnation());
            if (notes && notes_due) write_notes(notes->first);
        } catch (const std::exception& e) {
            // Nothing is acknowledged until a write succeeds; say why and try again.
            std::fprintf(stderr, "converge-active-users: snapshot failed: %s; retrying\n", e.what());
            std::this_thread::sleep_for(std::chrono::seconds(1));
            first = true;
            continue;
        }
        waiters ready;
        {
            std::lock_guard lock(mutex_);
            durable_ = std::max(durable_, gen);
            notes_durable_ = std::max(notes_durable_, notes_gen);
            ++written_;
            for (auto [w, upto] : {std::pair{&waiting_, durable_}, std::pair{&waiting_notes_, notes_durable_}}) {
                const auto end = w->upper_bound(upto);
                ready.insert(w->begin(), end);
                w->erase(w->begin(), end);
            }
        }
        for (auto& [g, done] : ready) done();
    }
}

void persister::write(const adjustment_state& s, std::uint64_t incarnation) {
    std::vector<std::byte> bytes;
    for (const char c : magic) bytes.push_back(static_cast<std::byte>(c));
    put_u64(bytes, incarnation);
    converge::encode_to(s, bytes);
    replace("snapshot", bytes);
}

void persister::write_notes(const notification_states& s) {
    std::vector<std::byte> bytes;
    for (const char c : notes_magic) bytes.push_back(static_cast<std::byte>(c));
    const auto section = [&](const auto& state) {
        const auto encoded = converge::encode(state);
        put_u64(bytes, encoded.size());
        bytes.insert(bytes.end(), encoded.begin(), encoded.end());
    };
    section(s.subscriptions);
    section(s.modifications);
    section(s.read_marks);
    replace("notifications", bytes);
}

void persister::replace(const std::string& name, const std::vector<std::byte>& bytes) {
    const std::string tmp = dir_ + "/" + name + ".tmp";
    const std::string path = dir_ + "/" + name;
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("open " + tmp);
    write_all(fd, bytes.data(), bytes.size(), tmp);
    if (::fsync(fd) != 0) fail("fsync " + tmp);
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename " + tmp);
    // The rename is durable only once the directory is.
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace active_users
