// The requirements on replica ids and set elements, as a concept with readable diagnostics.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>

#include <concepts>

namespace converge {

/// What converge needs of a replica id (and of a g_set element): a regular value type with a
/// total order (states are sorted by it, so merges are linear passes and encodings canonical)
/// and a `converge::codec`. Integer types and `std::string` qualify out of the box.
///
/// Example:
/// ```
/// static_assert(converge::replica_id<std::string>);
/// static_assert(converge::replica_id<std::uint32_t>);
/// static_assert(!converge::replica_id<double>);   // no codec
/// ```
template <class T>
concept replica_id = std::regular<T> && std::totally_ordered<T> && has_codec<T>;

namespace detail {
/// Names the missing piece in the first line of the compiler's error, where a failed
/// constraint would bury it under a page of template context.
template <class T>
constexpr bool check_ordered_key() {
    static_assert(std::regular<T>,
                  "converge: Replica/element type must be regular (copyable, default "
                  "constructible, equality comparable)");
    static_assert(std::totally_ordered<T>,
                  "converge: Replica/element type must be totally ordered (operator<, "
                  "operator== and the rest); see converge::replica_id");
    static_assert(has_codec<T>,
                  "converge: Replica/element type needs a converge::codec<T> (min_size >= 1) "
                  "specialisation; see converge/codec.hpp");
    return true;
}
}  // namespace detail

}  // namespace converge
