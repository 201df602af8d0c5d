// One channel's snapshot on disk: a small header, the owner's bytes, written by atomic replace.
// SPDX-License-Identifier: MIT
#pragma once

#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace active_users {

/// `DIR/NAME.snapshot` holds "CVCH", a format version byte (1), the channel id, then the bytes
/// the channel's owner gave. Written to NAME.snapshot.tmp, fsynced, renamed over the old file,
/// and the directory fsynced, so a crash leaves the old snapshot or the new one, never a mix.
class snapshot_file {
public:
    snapshot_file(std::string dir, std::string_view name, std::uint8_t channel_id);

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// The owner's bytes; nullopt when there is no file; a failure (with the path) when the file
    /// cannot be read or its header is not this channel's.
    [[nodiscard]] result<std::optional<std::vector<std::byte>>> read() const;
    /// Replaces the file with `payload`; a failure with the reason when any step fails.
    [[nodiscard]] result<void> write(std::span<const std::byte> payload) const;

private:
    std::string dir_;
    std::string path_;
    std::uint8_t channel_id_;
};

}  // namespace active_users
