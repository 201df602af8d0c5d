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

/// `DIR/NAME.snapshot` holds "CVCH", a format version byte (2), the channel id, the journal
/// generation it covers (u64, little-endian: every journal record of that generation or older is
/// in it), then the bytes the channel's owner gave. Version 1 files (no generation, from builds
/// before the journal) are read as covering generation 0. Written to NAME.snapshot.tmp,
/// fsynced, renamed over the old file, and the directory fsynced, so a crash leaves the old
/// snapshot or the new one, never a mix.
struct snapshot {
    std::vector<std::byte> bytes;
    std::uint64_t covers = 0;  ///< the journal generation it includes
};

class snapshot_file {
public:
    snapshot_file(std::string dir, std::string_view name, std::uint8_t channel_id);

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// The owner's bytes; nullopt when there is no file; a failure (with the path) when the file
    /// cannot be read or its header is not this channel's.
    [[nodiscard]] result<std::optional<snapshot>> read() const;
    /// Replaces the file with `payload`, covering journal generation `covers`; a failure with the
    /// reason when any step fails.
    [[nodiscard]] result<void> write(std::span<const std::byte> payload, std::uint64_t covers = 0) const;

private:
    std::string dir_;
    std::string path_;
    std::uint8_t channel_id_;
};

}  // namespace active_users
