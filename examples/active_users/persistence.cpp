// Snapshot files: "CVAU" magic, incarnation, converge encoding of the adjustments; atomic replace.
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
    return s;
}

persister::persister(std::string dir, replica& r) : dir_(std::move(dir)), replica_(r) {
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

void persister::when_durable(std::uint64_t gen, std::function<void()> done) {
    if (dir_.empty()) {
        done();
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (gen <= durable_) {
            done();
            return;
        }
        waiting_.emplace(gen, std::move(done));
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
            wake_.wait(lock, [&] { return stop_ || first || !waiting_.empty(); });
            if (stop_ && waiting_.empty()) return;
        }
        first = false;
        const auto [state, gen] = replica_.adjustments_snapshot();
        try {
            write(state, replica_.incarnation());
        } catch (const std::exception& e) {
            // Nothing is acknowledged until a write succeeds; say why and try again.
            std::fprintf(stderr, "converge-active-users: snapshot failed: %s; retrying\n", e.what());
            std::this_thread::sleep_for(std::chrono::seconds(1));
            first = true;
            continue;
        }
        std::multimap<std::uint64_t, std::function<void()>> ready;
        {
            std::lock_guard lock(mutex_);
            durable_ = std::max(durable_, gen);
            ++written_;
            const auto end = waiting_.upper_bound(durable_);
            ready.insert(waiting_.begin(), end);
            waiting_.erase(waiting_.begin(), end);
        }
        for (auto& [g, done] : ready) done();
    }
}

void persister::write(const adjustment_state& s, std::uint64_t incarnation) {
    std::vector<std::byte> bytes;
    for (const char c : magic) bytes.push_back(static_cast<std::byte>(c));
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<std::byte>(incarnation >> (8 * i)));
    converge::encode_to(s, bytes);
    const std::string tmp = dir_ + "/snapshot.tmp";
    const std::string path = dir_ + "/snapshot";
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
