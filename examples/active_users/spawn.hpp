// co_spawn for the service's coroutines: a failure is logged with its cause, never dropped.
// SPDX-License-Identifier: MIT
#pragma once

#include <boost/asio/co_spawn.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <utility>

namespace active_users {

/// Starts `task` on `where` (an executor or an io_context); if it ends with an exception, says
/// which task and why on stderr. (`asio::detached` would drop the exception without a word.)
template <class Where, class Task>
void spawn_logged(Where&& where, Task&& task, std::string what) {
    boost::asio::co_spawn(std::forward<Where>(where), std::forward<Task>(task), [what = std::move(what)](const std::exception_ptr& e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            std::fprintf(stderr, "converge-active-users: %s failed: %s\n", what.c_str(), x.what());
        }
    });
}

}  // namespace active_users
