// What one replica says of its counts each time they settle: the value of the "digests" channel.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>

#include <compare>
#include <cstdint>

namespace active_users {

/// A replica's counts as a whole, by which the others tell whether they agree with it: equal
/// digests mean equal counts on every page (page_board::summary::digest). Ordered only so that
/// lww_register can break a tie between two reports with the same timestamp and writer.
struct digest_report {
    std::uint64_t incarnation = 0;  ///< the writer's incarnation when it reported
    std::uint64_t digest = 0;
    std::int64_t viewers = 0;
    std::uint64_t pages = 0;
    friend auto operator<=>(const digest_report&, const digest_report&) = default;
};

}  // namespace active_users

/// Four varints (the count zigzag), in field order.
template <>
struct converge::codec<active_users::digest_report> {
    static constexpr std::size_t min_size = 4;
    static void encode(detail::byte_writer& w, const active_users::digest_report& r) {
        codec<std::uint64_t>::encode(w, r.incarnation);
        codec<std::uint64_t>::encode(w, r.digest);
        codec<std::int64_t>::encode(w, r.viewers);
        codec<std::uint64_t>::encode(w, r.pages);
    }
    static active_users::digest_report decode(detail::byte_reader& r) {
        active_users::digest_report out;
        out.incarnation = codec<std::uint64_t>::decode(r);
        out.digest = codec<std::uint64_t>::decode(r);
        out.viewers = codec<std::int64_t>::decode(r);
        out.pages = codec<std::uint64_t>::decode(r);
        return out;
    }
};
