// presence_channel: the incarnation as eight big-endian bytes.
// SPDX-License-Identifier: MIT
#include "presence/presence_channel.hpp"

#include <chrono>

namespace active_users {

std::uint64_t presence_clock_now() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

std::vector<std::byte> presence_channel::snapshot() const {
    std::lock_guard lock(guard());
    const std::uint64_t incarnation = epoch();
    std::vector<std::byte> out;
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::byte>(incarnation >> (8 * i)));
    return out;
}

result<void> presence_channel::restore(std::span<const std::byte> bytes) {
    if (bytes.size() != 8) return fail(status::bad_request, "an incarnation is 8 bytes, not " + std::to_string(bytes.size()));
    std::uint64_t previous = 0;
    for (const std::byte b : bytes) previous = (previous << 8) | std::to_integer<std::uint64_t>(b);
    std::lock_guard lock(guard());
    update([&](presence_state& s) { return s.retire(previous, presence_clock_now()); });
    return {};
}

}  // namespace active_users
