// The response that serves an embedded asset: its content type and the headers a browser obeys.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/assets.hpp"
#include "http/http_types.hpp"

namespace active_users {

/// 200 with the asset's bytes. Pages may load scripts, styles and connections from this origin
/// only (Content-Security-Policy), are not framed, and are not sniffed as another type; the
/// browser revalidates (`no-cache`), so a new build's assets are seen at once.
http_response asset_reply(const http_request& req, const asset& a);

}  // namespace active_users
