// Where a key is in a sorted flat array: the lookup every flat-map type looks up once and then acts on.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace converge::detail {

/// Where a key is (`found`), or where it would be inserted to keep the array sorted.
struct slot {
    std::size_t index;
    bool found;
};

/// The slot of `key` among sorted, distinct `keys`.
template <class Key>
[[nodiscard]] slot locate(const std::vector<Key>& keys, const Key& key) {
    const auto i = static_cast<std::size_t>(std::lower_bound(keys.begin(), keys.end(), key) - keys.begin());
    return {i, i < keys.size() && keys[i] == key};
}

/// The slot of `key` among `entries`, sorted by their distinct first members.
template <class Key, class Value>
[[nodiscard]] slot locate(const std::vector<std::pair<Key, Value>>& entries, const Key& key) {
    const auto it = std::lower_bound(entries.begin(), entries.end(), key,
                                     [](const std::pair<Key, Value>& e, const Key& k) { return e.first < k; });
    const auto i = static_cast<std::size_t>(it - entries.begin());
    return {i, i < entries.size() && entries[i].first == key};
}

}  // namespace converge::detail
