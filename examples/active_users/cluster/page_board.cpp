// page_board: totals and the digest kept incrementally; the top pages by a partial sort.
// SPDX-License-Identifier: MIT
#include "cluster/page_board.hpp"

#include <algorithm>

namespace active_users {

std::uint64_t page_board::pair_hash(std::string_view page, std::int64_t count) noexcept {
    // FNV-1a over the name and the count's bytes, then a splitmix64 finaliser: the same on every
    // replica and platform (std::hash promises neither), and well mixed so that sums of pair
    // hashes do not cancel by accident.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : page) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    auto n = static_cast<std::uint64_t>(count);
    for (int i = 0; i < 8; ++i, n >>= 8) h = (h ^ (n & 0xffU)) * 0x100000001b3ULL;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

void page_board::set(const std::string& page, std::int64_t count) {
    std::lock_guard lock(mutex_);
    const auto it = counts_.find(page);
    if (it != counts_.end()) {
        if (it->second == count) return;
        viewers_ -= it->second;
        digest_ -= pair_hash(page, it->second);
        if (count == 0) {
            counts_.erase(it);
            return;
        }
        it->second = count;
    } else {
        if (count == 0) return;
        counts_.emplace(page, count);
    }
    viewers_ += count;
    digest_ += pair_hash(page, count);
}

page_board::summary page_board::totals() const {
    std::lock_guard lock(mutex_);
    return {viewers_, counts_.size(), digest_, {}};
}

page_board::summary page_board::top(std::size_t n) const {
    std::vector<entry> all;
    summary s;
    {
        std::lock_guard lock(mutex_);
        s = {viewers_, counts_.size(), digest_, {}};
        all.reserve(counts_.size());
        for (const auto& [page, count] : counts_) all.push_back({page, count});
    }
    const auto larger = [](const entry& a, const entry& b) {
        return a.count != b.count ? a.count > b.count : a.page < b.page;
    };
    const auto end = all.begin() + static_cast<std::ptrdiff_t>(std::min(n, all.size()));
    std::partial_sort(all.begin(), end, all.end(), larger);
    all.erase(end, all.end());
    s.top = std::move(all);
    return s;
}

}  // namespace active_users
