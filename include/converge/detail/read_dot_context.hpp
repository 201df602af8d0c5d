// Decoding a causal context from its runs, shared by the types built on dots (or_set, presence_map).
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/detail/byte_io.hpp>
#include <converge/detail/dot_context.hpp>
#include <converge/error.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace converge::detail {

/// Reads `count, (replica, first, extra)*` and checks every run against the bytes left: a run
/// must start above 0, must not overflow, must follow the previous one canonically (sorted,
/// neither overlapping nor touching), and must not be for a replica `refused(replica)` says the
/// state cannot hold; otherwise the reader fails at the run's offset.
template <class Replica, class Refused>
dot_context<Replica> read_dot_context(byte_reader& r, Refused&& refused) {
    using range = typename dot_context<Replica>::range;
    const std::size_t n = r.count(codec<Replica>::min_size + 2);
    std::vector<range> ranges;
    ranges.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t start = r.offset();
        Replica who = codec<Replica>::decode(r);
        const std::uint64_t first = r.varint();
        const std::uint64_t extra = r.varint();
        if (first == 0 || extra > std::numeric_limits<std::uint64_t>::max() - first)
            r.fail(errc::value_out_of_range, start);
        range next{std::move(who), first, first + extra};
        if ((!ranges.empty() && !dot_context<Replica>::canonical_after(ranges.back(), next)) || refused(next.replica))
            r.fail(errc::not_canonical, start);
        ranges.push_back(std::move(next));
    }
    return dot_context<Replica>::from_canonical(std::move(ranges));
}

}  // namespace converge::detail
