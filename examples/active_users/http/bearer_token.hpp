// The write API's credential: `Authorization: Bearer <token>`, compared in constant time.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/route_table.hpp"
#include "replication/link_crypto.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace active_users {

/// With `--api-token-file`, every write endpoint asks for the token; GETs and live WebSockets
/// stay public. The check compares keyed digests of the offered and the expected token, so its
/// time says nothing about where they differ, nor about the token's length.
class bearer_token {
public:
    /// An empty token lets every request through.
    explicit bearer_token(const std::string& token);

    [[nodiscard]] bool required() const noexcept { return required_; }
    /// True when no token is required, or `authorization` is "Bearer <the token>".
    [[nodiscard]] bool allows(std::string_view authorization) const;

    /// `handler`, behind the check: a request without the token gets 401 and changes nothing.
    [[nodiscard]] http_handler guard(http_handler handler) const;

private:
    nonce key_;  ///< a random key per process, for the digests
    mac expected_{};
    bool required_;
};

}  // namespace active_users
