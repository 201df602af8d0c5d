// The HTTP message types every part of the service's HTTP layer uses.
// SPDX-License-Identifier: MIT
#pragma once

#include "http/http_response.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace active_users {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

}  // namespace active_users
