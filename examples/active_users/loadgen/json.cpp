// Boost.JSON compiled into this program (its one src.hpp inclusion) and the reply parsing built on it.
// SPDX-License-Identifier: MIT
#include "json.hpp"

#include <boost/json/src.hpp>

namespace loadgen {

std::optional<counter_reply> parse_counter(std::string_view text, std::string_view page) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& obj = v.get_object();
    const auto* count = obj.if_contains("count");
    const auto* updated = obj.if_contains("updated_at");
    if (count == nullptr || updated == nullptr || !updated->is_string()) return std::nullopt;
    counter_reply out;
    if (count->is_int64()) out.count = count->get_int64();
    else if (count->is_uint64() && count->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        out.count = static_cast<std::int64_t>(count->get_uint64());
    else return std::nullopt;
    if (!page.empty()) {
        const auto* p = obj.if_contains("page");
        if (p == nullptr || !p->is_string() || p->get_string() != page) return std::nullopt;
    }
    out.updated_at = std::string(updated->get_string());
    return out;
}

std::string json_body(std::string_view key, std::string_view value) {
    boost::json::object obj;
    obj[key] = value;
    return boost::json::serialize(obj);
}

}  // namespace loadgen
