// Binds a handler written as a free function of (parts, request...) into a route handler.
// SPDX-License-Identifier: MIT
#pragma once

#include <utility>

namespace active_users {

/// `routes.add(verb::get, "/x", bind_parts(parts, get_x))` where `get_x(const parts&, req, params)`.
/// `parts` must outlive the table.
template <class Parts, class Handler>
auto bind_parts(const Parts& parts, Handler handler) {
    return [&parts, handler](auto&&... request) { return handler(parts, std::forward<decltype(request)>(request)...); };
}

}  // namespace active_users
