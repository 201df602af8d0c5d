// bearer_token: the constant-time check and the 401 answer.
// SPDX-License-Identifier: MIT
#include "http/bearer_token.hpp"

#include "http/responses.hpp"

#include <boost/beast/http/field.hpp>

namespace active_users {

bearer_token::bearer_token(const std::string& token)
    : key_(random_nonce()), required_(!token.empty()) {
    expected_ = hmac_sha256(key_, {std::as_bytes(std::span(token))});
}

bool bearer_token::allows(std::string_view authorization) const {
    if (!required_) return true;
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.substr(0, scheme.size()) != scheme) return false;
    authorization.remove_prefix(scheme.size());
    return same_mac(hmac_sha256(key_, {std::as_bytes(std::span(authorization))}), expected_);
}

http_handler bearer_token::guard(http_handler handler) const {
    if (!required_) return handler;
    return [this, handler = std::move(handler)](const http_request& req,
                                                const route_params& params) -> boost::asio::awaitable<http_response> {
        if (!allows(req[boost::beast::http::field::authorization])) {
            http_response res = error_reply(req, fail(status::unauthorized, "this write needs Authorization: Bearer <token>"));
            res.set(boost::beast::http::field::www_authenticate, "Bearer");
            co_return res;
        }
        co_return co_await handler(req, params);
    };
}

}  // namespace active_users
