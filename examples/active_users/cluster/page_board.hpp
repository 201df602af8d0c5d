// The pages with viewers, fed by the change feed: the total, the top pages and a digest of all.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace active_users {

/// What the dashboard and /metrics read about the counts as a whole. The server's push timer
/// calls `set` for every page the change feed names; nothing here reads replicated state, so it
/// takes no owner's lock. Pages whose count is 0 are not kept.
class page_board {
public:
    /// `page` now counts `count` (adjustments may make it negative).
    void set(const std::string& page, std::int64_t count);

    struct entry {
        std::string page;
        std::int64_t count = 0;
        friend bool operator==(const entry&, const entry&) = default;
    };
    struct summary {
        std::int64_t viewers = 0;  ///< the sum of every page's count
        std::size_t pages = 0;     ///< pages whose count is not 0
        /// A hash of every (page, count) pair, independent of their order: two replicas that know
        /// the same counts have the same digest, and a digest that differs means some count differs.
        std::uint64_t digest = 0;
        std::vector<entry> top;    ///< the largest counts first, ties by name
    };
    /// The totals and the `n` largest pages. O(pages) for the top: call it for a reader, not per request.
    [[nodiscard]] summary top(std::size_t n) const;
    /// The totals alone, O(1).
    [[nodiscard]] summary totals() const;

    /// The hash of one pair that the digest sums (wrapping), exposed for tests.
    static std::uint64_t pair_hash(std::string_view page, std::int64_t count) noexcept;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> counts_;
    std::int64_t viewers_ = 0;
    std::uint64_t digest_ = 0;
};

}  // namespace active_users
