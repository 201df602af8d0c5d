// Page names interned to 32-bit ids, so that sessions store a number instead of a string.
// SPDX-License-Identifier: MIT
#pragma once

#include "presence/session_table.hpp"
#include "result.hpp"

#include <cstddef>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace active_users {

/// Thread-safe; lookups of known pages take a shared lock only. Bounded: a client cannot make it
/// grow past max_pages.
class page_registry {
public:
    static constexpr std::size_t max_pages = 1'000'000;

    /// The page's id, registering it; unavailable when the registry is full.
    result<session_table::page_id> intern(const std::string& page);
    [[nodiscard]] std::string name(session_table::page_id id) const;

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, session_table::page_id> ids_;
    std::vector<std::string> names_;
};

}  // namespace active_users
