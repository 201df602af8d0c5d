// The journal on disk: read whole at start, replaced empty at each rotation, appended one synced frame at a time.
// SPDX-License-Identifier: MIT
#pragma once

#include "persistence/journal_format.hpp"
#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace active_users {

/// `DIR/journal.log` (format in journal_format.hpp). Not thread-safe: the persister's writer
/// thread is its only user once started.
///
/// The file is preallocated with zeros at each rotation, and frames overwrite those zeros, so an
/// append's `fdatasync` flushes data only: no change of the file's size or extents, hence no
/// filesystem journal commit (on ext4 here that halves or better the cost of a sync). The
/// reader takes a tail of zeros as the end.
class journal_file {
public:
    explicit journal_file(std::string dir);
    ~journal_file();
    journal_file(const journal_file&) = delete;
    journal_file& operator=(const journal_file&) = delete;

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// What the file holds; nullopt when there is none; a failure (with the path) when it cannot
    /// be read or is corrupt (a torn tail is not corruption: see journal_contents::torn_tail).
    [[nodiscard]] result<std::optional<journal_contents>> read() const;
    /// Replaces the file by an empty journal of `generation`, zero-filled to `preallocate` bytes
    /// (written to journal.log.tmp, fsynced, renamed, the directory fsynced), and opens it for
    /// appending.
    [[nodiscard]] result<void> rotate(std::uint64_t generation, std::size_t preallocate = 0);
    /// Appends a sealed frame and fdatasyncs it. After a failure the file is in an unknown state:
    /// the caller rotates before appending again.
    [[nodiscard]] result<void> append(std::span<const std::byte> frame);
    /// Bytes of header and frames written by this process (the zeros after them not counted).
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    std::string dir_;
    std::string path_;
    int fd_ = -1;
    std::size_t size_ = 0;
};

}  // namespace active_users
