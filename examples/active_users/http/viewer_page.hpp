// The HTML page a browser gets for GET /:page/counter: the live count over a WebSocket.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace active_users {

/// A self-contained page (no external assets) that opens `/<page>/live` and shows the count.
/// `page` must already be a valid page name (URL-safe characters only): it is not escaped.
std::string viewer_page(std::string_view page);

}  // namespace active_users
