// Every route of the service's HTTP API, in one table.
// SPDX-License-Identifier: MIT
#pragma once

#include "api/cluster_api.hpp"
#include "api/notification_api.hpp"
#include "api/viewer_api.hpp"
#include "http/bearer_token.hpp"
#include "http/route_table.hpp"

#include <functional>
#include <string>

namespace active_users {

/// The API: one row per endpoint; GET /metrics is rendered by `metrics`. Writes are behind
/// `writes` (which must outlive the table); reads, the dashboard, the embedded assets
/// (`GET /assets/<file>`, one row per file) and live WebSockets are public.
route_table make_routes(const viewer_api::parts& viewers, const notification_api::parts& notes,
                        const cluster_api::parts& cluster, const bearer_token& writes,
                        std::function<std::string()> metrics);

}  // namespace active_users
