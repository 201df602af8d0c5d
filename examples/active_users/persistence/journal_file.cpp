// journal_file: whole-file read, atomic replacement by an empty zero-filled journal, append + fdatasync.
// SPDX-License-Identifier: MIT
#include "persistence/journal_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace active_users {

namespace {

failure journal_os_error(const std::string& what) { return fail(status::io_error, what + ": " + std::strerror(errno)); }

/// Closes a descriptor on every path out.
class journal_fd {
public:
    explicit journal_fd(int fd) : fd_(fd) {}
    ~journal_fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    journal_fd(const journal_fd&) = delete;
    journal_fd& operator=(const journal_fd&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

result<void> journal_write_all(int fd, std::span<const std::byte> bytes, std::size_t at, const std::string& path) {
    while (!bytes.empty()) {
        const ssize_t w = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at));
        if (w < 0) {
            if (errno == EINTR) continue;
            return journal_os_error("write " + path);
        }
        bytes = bytes.subspan(static_cast<std::size_t>(w));
        at += static_cast<std::size_t>(w);
    }
    return {};
}

}  // namespace

journal_file::journal_file(std::string dir) : dir_(std::move(dir)), path_(dir_ + "/journal.log") {}

journal_file::~journal_file() {
    if (fd_ >= 0) ::close(fd_);
}

result<std::optional<journal_contents>> journal_file::read() const {
    const journal_fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::optional<journal_contents>{};
        return journal_os_error("open " + path_);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return journal_os_error("stat " + path_);
    // The size is checked before anything is allocated for it.
    if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_journal_file_bytes)
        return fail(status::bad_request, path_ + ": larger than " + std::to_string(max_journal_file_bytes) + " bytes, not a journal this build writes");
    std::vector<std::byte> bytes(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t r = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return journal_os_error("read " + path_);
        }
        if (r == 0) break;  // shrank while being read: parse what is there
        got += static_cast<std::size_t>(r);
    }
    bytes.resize(got);
    auto parsed = parse_journal(bytes);
    if (!parsed) return fail(parsed.error().code, path_ + ": " + parsed.error().message);
    return std::optional<journal_contents>(std::move(*parsed));
}

result<void> journal_file::rotate(std::uint64_t generation, std::size_t preallocate) {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    const std::string tmp = path_ + ".tmp";
    journal_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return journal_os_error("open " + tmp);
    const auto header = journal_header(generation);
    if (auto r = journal_write_all(fd.get(), header, 0, tmp); !r) return r;
    // Real zeros, not fallocate: unwritten extents would be converted, a metadata change, on
    // the first write into each.
    const std::vector<std::byte> zeros(std::size_t{64} << 10);
    for (std::size_t at = header.size(); at < preallocate;) {
        const std::size_t n = std::min(zeros.size(), preallocate - at);
        if (auto r = journal_write_all(fd.get(), std::span(zeros).first(n), at, tmp); !r) return r;
        at += n;
    }
    if (::fsync(fd.get()) != 0) return journal_os_error("fsync " + tmp);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) return journal_os_error("rename " + tmp);
    const journal_fd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) return journal_os_error("fsync " + dir_);
    // The descriptor written through is the renamed file's: appends go to journal.log.
    fd_ = fd.release();
    size_ = header.size();
    return {};
}

result<void> journal_file::append(std::span<const std::byte> frame) {
    if (fd_ < 0) return fail(status::io_error, path_ + ": not open for appending");
    if (auto r = journal_write_all(fd_, frame, size_, path_); !r) return r;
    size_ += frame.size();
    if (::fdatasync(fd_) != 0) return journal_os_error("fdatasync " + path_);
    return {};
}

}  // namespace active_users
