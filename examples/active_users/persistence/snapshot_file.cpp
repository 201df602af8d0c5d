// snapshot_file: the header check on read (versions 1 and 2), write + fsync + rename on write.
// SPDX-License-Identifier: MIT
#include "persistence/snapshot_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace active_users {

namespace {

constexpr std::array<char, 4> file_magic{'C', 'V', 'C', 'H'};
constexpr std::uint8_t format_version = 2;
constexpr std::uint8_t format_version_before_journal = 1;
constexpr std::size_t file_header_size = file_magic.size() + 2;
constexpr std::size_t covers_size = 8;

failure os_error(const std::string& what) { return fail(status::io_error, what + ": " + std::strerror(errno)); }

/// Closes the descriptor on every path out.
class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

result<void> write_all(int fd, std::span<const std::byte> bytes, const std::string& path) {
    while (!bytes.empty()) {
        const ssize_t w = ::write(fd, bytes.data(), bytes.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            return os_error("write " + path);
        }
        bytes = bytes.subspan(static_cast<std::size_t>(w));
    }
    return {};
}

}  // namespace

snapshot_file::snapshot_file(std::string dir, std::string_view name, std::uint8_t channel_id)
    : dir_(std::move(dir)), path_(dir_ + "/" + std::string(name) + ".snapshot"), channel_id_(channel_id) {}

result<std::optional<snapshot>> snapshot_file::read() const {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return std::optional<snapshot>{};
        return os_error("open " + path_);
    }
    const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return os_error("read " + path_);
    if (raw.size() < file_header_size || !std::equal(file_magic.begin(), file_magic.end(), raw.begin()))
        return fail(status::bad_request, path_ + ": not a converge-active-users snapshot");
    const auto version = static_cast<std::uint8_t>(raw[4]);
    if (version != format_version && version != format_version_before_journal)
        return fail(status::bad_request, path_ + ": snapshot format " + std::to_string(static_cast<std::uint8_t>(raw[4])) +
                                             " (this build reads 1 and 2)");
    if (static_cast<std::uint8_t>(raw[5]) != channel_id_)
        return fail(status::bad_request, path_ + ": holds channel " + std::to_string(static_cast<std::uint8_t>(raw[5])) +
                                             ", expected " + std::to_string(channel_id_));
    auto body = std::as_bytes(std::span(raw)).subspan(file_header_size);
    snapshot out;
    if (version == format_version) {
        if (body.size() < covers_size) return fail(status::bad_request, path_ + ": snapshot header cut short");
        for (std::size_t i = covers_size; i-- > 0;) out.covers = (out.covers << 8) | std::to_integer<std::uint64_t>(body[i]);
        body = body.subspan(covers_size);
    }
    out.bytes.assign(body.begin(), body.end());
    return std::optional<snapshot>(std::move(out));
}

result<void> snapshot_file::write(std::span<const std::byte> payload, std::uint64_t covers) const {
    std::vector<std::byte> header;
    for (const char c : file_magic) header.push_back(static_cast<std::byte>(c));
    header.push_back(std::byte{format_version});
    header.push_back(std::byte{channel_id_});
    for (std::size_t i = 0; i < covers_size; ++i) header.push_back(static_cast<std::byte>(covers >> (8 * i)));
    const std::string tmp = path_ + ".tmp";
    {
        const fd_guard fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (fd.get() < 0) return os_error("open " + tmp);
        if (auto r = write_all(fd.get(), header, tmp); !r) return r;
        if (auto r = write_all(fd.get(), payload, tmp); !r) return r;
        if (::fsync(fd.get()) != 0) return os_error("fsync " + tmp);
    }
    if (::rename(tmp.c_str(), path_.c_str()) != 0) return os_error("rename " + tmp);
    // The rename is durable only once the directory is.
    const fd_guard dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) return os_error("fsync " + dir_);
    return {};
}

}  // namespace active_users
