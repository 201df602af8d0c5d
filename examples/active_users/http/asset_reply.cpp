// asset_reply: one response shape for every embedded file.
// SPDX-License-Identifier: MIT
#include "http/asset_reply.hpp"

#include <boost/beast/http/field.hpp>

namespace active_users {

namespace http = boost::beast::http;

http_response asset_reply(const http_request& req, const asset& a) {
    http_response res{http::status::ok, req.version()};
    res.set(http::field::server, "converge-active-users");
    res.set(http::field::content_type, content_type_of(a.name));
    res.set(http::field::cache_control, "no-cache");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    res.set("Referrer-Policy", "no-referrer");
    res.keep_alive(req.keep_alive());
    res.body() = std::string(a.body);
    res.prepare_payload();
    return res;
}

}  // namespace active_users
