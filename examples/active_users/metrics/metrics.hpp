// The Prometheus text exposition of a service_stats snapshot.
// SPDX-License-Identifier: MIT
#pragma once

#include "metrics/service_stats.hpp"

#include <string>

namespace active_users {

/// GET /metrics: every family with its HELP and TYPE lines (text format 0.0.4).
std::string render_metrics(const service_stats& s);

}  // namespace active_users
