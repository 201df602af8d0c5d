// Suspends a coroutine until the persister has everything written so far on disk.
// SPDX-License-Identifier: MIT
#pragma once

#include "persistence/persister.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <utility>

namespace active_users {

/// `co_await await_durable(p);` after a write and before acknowledging it (group commit: one
/// fsync serves every request waiting). The callback is registered only once the coroutine is
/// suspended, so it cannot fire before there is someone to wake, on any executor. Without a data
/// directory the coroutine goes on at once: no callback, no trip through the scheduler.
inline boost::asio::awaitable<void> await_durable(persister& p) {
    namespace asio = boost::asio;
    if (!p.durable()) co_return;
    co_await asio::async_initiate<const asio::use_awaitable_t<>, void()>(
        [&p](auto handler) {
            // std::function wants a copyable callable; the handler is move-only.
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            p.when_durable([shared] { asio::post(std::move(*shared)); });
        },
        asio::use_awaitable);
}

}  // namespace active_users
