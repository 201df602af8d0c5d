// The load run: viewers that join, leave and drop, reads and adjustments, then the wait for convergence.
// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"
#include "stats.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

namespace loadgen {

struct run_result {
    bool converged = false;
    std::string verdict;  ///< the report's last line
};

/// One run against a cluster. Construct it before io_context::run() and destroy it after run()
/// returns: its connections and WebSocket sessions call back into it until then.
class scenario {
public:
    scenario(boost::asio::any_io_executor ex, const options& opts, stats& st);
    ~scenario();
    scenario(const scenario&) = delete;
    scenario& operator=(const scenario&) = delete;

    /// Baseline, churn, settle, cleanup. Example: `co_spawn(io, s.run(), handler); io.run();`
    boost::asio::awaitable<run_result> run();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace loadgen
