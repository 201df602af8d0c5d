// route_table: patterns parsed once; a request matched by path first, then by method, without allocating.
// SPDX-License-Identifier: MIT
#include "http/route_table.hpp"

#include <stdexcept>

namespace active_users {

namespace http = boost::beast::http;

bool valid_name(std::string_view name) {
    // "." and ".." are path steps to clients and proxies, which normalise them away.
    if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '~' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::vector<std::string_view>> path_segments(std::string_view target) {
    if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    if (target.empty() || target[0] != '/') return std::nullopt;
    target.remove_prefix(1);
    std::vector<std::string_view> out;
    for (;;) {
        const auto slash = target.find('/');
        out.push_back(target.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        target.remove_prefix(slash + 1);
    }
}

std::vector<route_table::segment> route_table::parse_pattern(std::string_view pattern) {
    const auto parts = path_segments(pattern);
    if (!parts) throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    std::vector<segment> out;
    for (const std::string_view part : *parts) {
        const bool parameter = !part.empty() && part[0] == ':';
        out.push_back({std::string(parameter ? part.substr(1) : part), parameter});
    }
    return out;
}

route_table& route_table::add(http::verb method, std::string_view pattern, http_handler handler) {
    routes_.push_back({parse_pattern(pattern), std::string(pattern), method, std::move(handler), {}});
    return *this;
}

route_table& route_table::add_websocket(std::string_view pattern, websocket_handler handler) {
    routes_.push_back({parse_pattern(pattern), std::string(pattern), http::verb::get, {}, std::move(handler)});
    return *this;
}

namespace {

/// The path of a request target after its leading '/', without the query string; nullopt when
/// the target does not start with '/'.
std::optional<std::string_view> path_of(std::string_view target) {
    if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    if (target.empty() || target[0] != '/') return std::nullopt;
    return target.substr(1);
}

/// The segments of a path one at a time, as path_segments splits them ("a//b" has an empty one),
/// without storing them: a hostile path of thousands of segments costs no memory.
class segment_cursor {
public:
    explicit segment_cursor(std::string_view path) : rest_(path) {}
    /// The next segment, or nullopt after the last.
    std::optional<std::string_view> next() {
        if (done_) return std::nullopt;
        const auto slash = rest_.find('/');
        const std::string_view out = rest_.substr(0, slash);
        if (slash == std::string_view::npos) done_ = true;
        else rest_.remove_prefix(slash + 1);
        return out;
    }
    [[nodiscard]] bool done() const noexcept { return done_; }

private:
    std::string_view rest_;
    bool done_ = false;
};

}  // namespace

bool route_table::matches(const route& r, std::string_view path) {
    segment_cursor at(path);
    for (const segment& s : r.pattern) {
        const auto part = at.next();
        if (!part || (!s.parameter && s.text != *part)) return false;
    }
    return at.done();
}

result<route_params> route_table::params_of(const route& r, std::string_view path) {
    route_params params;
    segment_cursor at(path);
    for (const segment& s : r.pattern) {
        const std::string_view part = *at.next();  // r matches path: as many segments as the pattern
        if (!s.parameter) continue;
        if (!valid_name(part)) return fail(status::bad_request, s.text + " names are 1-128 of [A-Za-z0-9._~-]");
        params.emplace_back(part);
    }
    return params;
}

result<route_table::match> route_table::find(http::verb method, std::string_view target, bool upgrade) const {
    const auto path = path_of(target);
    if (!path) return fail(status::not_found, upgrade ? "no WebSocket here" : "no such resource");
    // The first row with this path checks its names first: a bad name is reported before a wrong
    // method, as the more useful of the two.
    const route* first = nullptr;
    for (const route& r : routes_) {
        if (!matches(r, *path)) continue;
        if (first == nullptr) {
            first = &r;
            if (auto checked = params_of(r, *path); !checked) return checked.error();
        }
        const bool is_websocket = static_cast<bool>(r.websocket);
        if (r.method == method && is_websocket == upgrade) {
            auto params = params_of(r, *path);
            if (!params) return params.error();
            return match{is_websocket ? nullptr : &r.http, is_websocket ? &r.websocket : nullptr, std::move(*params),
                         static_cast<std::size_t>(&r - routes_.data())};
        }
    }
    return no_match(method, *path, upgrade);
}

failure route_table::no_match(http::verb method, std::string_view path, bool upgrade) const {
    std::string allowed;
    bool any = false;
    bool websocket_here = false;
    for (const route& r : routes_) {
        if (!matches(r, path)) continue;
        any = true;
        const bool is_websocket = static_cast<bool>(r.websocket);
        websocket_here = websocket_here || is_websocket;
        if (!is_websocket) allowed += (allowed.empty() ? "" : " or ") + std::string(http::to_string(r.method));
    }
    if (!any || upgrade) return fail(status::not_found, upgrade ? "no WebSocket here" : "no such resource");
    if (websocket_here && method == http::verb::get) return fail(status::upgrade_required, "open a WebSocket here");
    if (allowed.empty()) allowed = "a WebSocket (GET with Upgrade)";
    return fail(status::method_not_allowed, "use " + allowed);
}

}  // namespace active_users
