// Reading the server's counter replies (HTTP bodies and WebSocket frames) with Boost.JSON.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loadgen {

struct counter_reply {
    std::int64_t count = 0;
    std::string updated_at;
};

/// Parses `{"count": <int>, "updated_at": "<string>"}`; when `page` is given the object must also
/// carry `"page": page` (WebSocket frames). Returns nullopt for anything else.
/// Example: `parse_counter(R"({"count":3,"updated_at":"2030-10-10T12:11:42Z"})")->count == 3`.
std::optional<counter_reply> parse_counter(std::string_view text, std::string_view page = {});

/// `{"action":"increment"}` style bodies, serialised by Boost.JSON so quoting is never hand-rolled.
std::string json_body(std::string_view key, std::string_view value);

}  // namespace loadgen
