// assets: lookup by name and the content type of each kind of file.
// SPDX-License-Identifier: MIT
#include "http/assets.hpp"

#include <stdexcept>
#include <string>

namespace active_users {

const asset& find_asset(std::string_view name) {
    for (const asset& a : embedded_assets())
        if (a.name == name) return a;
    throw std::out_of_range("no embedded asset " + std::string(name));
}

std::string_view content_type_of(std::string_view name) {
    if (name.ends_with(".html")) return "text/html; charset=utf-8";
    if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
    if (name.ends_with(".css")) return "text/css; charset=utf-8";
    if (name.ends_with(".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

}  // namespace active_users
