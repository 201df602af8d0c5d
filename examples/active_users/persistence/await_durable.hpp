// Suspends a coroutine until the persister has everything written so far on disk.
// SPDX-License-Identifier: MIT
#pragma once

#include "persistence/persister.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace active_users {

/// `co_await await_durable(p);` after a write and before acknowledging it (group commit: one
/// fsync serves every request waiting).
inline boost::asio::awaitable<void> await_durable(persister& p) {
    namespace asio = boost::asio;
    const auto ex = co_await asio::this_coro::executor;
    asio::steady_timer done(ex, std::chrono::steady_clock::time_point::max());
    p.when_durable([&done, ex] { asio::post(ex, [&done] { done.cancel(); }); });
    boost::system::error_code ignored;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace active_users
