// page_registry: a shared-lock lookup, and an exclusive lock only to add a page.
// SPDX-License-Identifier: MIT
#include "presence/page_registry.hpp"

#include <mutex>

namespace active_users {

result<session_table::page_id> page_registry::intern(const std::string& page) {
    {
        std::shared_lock lock(mutex_);
        if (const auto it = ids_.find(page); it != ids_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    if (const auto it = ids_.find(page); it != ids_.end()) return it->second;
    if (names_.size() >= max_pages) return fail(status::unavailable, "too many pages");
    const auto id = static_cast<session_table::page_id>(names_.size());
    names_.push_back(page);
    ids_.emplace(page, id);
    return id;
}

std::string page_registry::name(session_table::page_id id) const {
    std::shared_lock lock(mutex_);
    return names_.at(id);
}

}  // namespace active_users
