// The channel table: rows checked once, looked up by wire id.
// SPDX-License-Identifier: MIT
#include "replication/channel_table.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace active_users {

channel_table::channel_table(std::initializer_list<channel> rows) : rows_(rows) {
    for (auto it = rows_.begin(); it != rows_.end(); ++it) {
        if (it->owner == nullptr || it->name.empty())
            throw std::invalid_argument("channel " + std::to_string(it->id) + ": no owner or no name");
        const auto same = [&](const channel& c) { return c.id == it->id || c.name == it->name; };
        if (std::any_of(rows_.begin(), it, same))
            throw std::invalid_argument("channel " + std::string(it->name) + ": id or name used twice");
    }
}

const channel* channel_table::find(std::uint8_t id) const noexcept {
    const auto it = std::find_if(rows_.begin(), rows_.end(), [&](const channel& c) { return c.id == id; });
    return it == rows_.end() ? nullptr : &*it;
}

}  // namespace active_users
