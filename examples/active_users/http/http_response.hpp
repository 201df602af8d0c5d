// A reply of the HTTP API: status, headers in the order set, a body, written out in one pass.
// SPDX-License-Identifier: MIT
#pragma once

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace active_users {

/// The subset of a Beast response the service uses, with the same meaning for each member, kept
/// as the header lines themselves in an inline buffer: a Beast response allocated one node per
/// header and a reply was most of the allocations on the GET path (issue 16). Header names and
/// values come from the service's code, never from a request.
///
/// Example:
///     http_response res{boost::beast::http::status::ok, 11};
///     res.set(boost::beast::http::field::content_type, "application/json");
///     res.body() = "{}";
///     res.prepare_payload();
///     res.write_to(out);  // "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
class http_response {
public:
    http_response() = default;
    http_response(boost::beast::http::status code, unsigned version) : code_(code), version_(version) {}

    [[nodiscard]] boost::beast::http::status result() const noexcept { return code_; }
    [[nodiscard]] unsigned version() const noexcept { return version_; }

    /// As Beast's fields: a header of that name (in any case) is replaced, and the new one goes
    /// last. A name or value holding CR or LF is refused with std::invalid_argument.
    void set(boost::beast::http::field name, std::string_view value);
    void set(std::string_view name, std::string_view value);
    /// The value of header `name`, or empty.
    [[nodiscard]] std::string_view operator[](boost::beast::http::field name) const;
    [[nodiscard]] std::string_view operator[](std::string_view name) const;

    /// As Beast's message::keep_alive for a Connection header set only through these: HTTP/1.1
    /// keeps alive unless "Connection: close", HTTP/1.0 only with "Connection: keep-alive".
    [[nodiscard]] bool keep_alive() const;
    void keep_alive(bool value);

    [[nodiscard]] std::string& body() noexcept { return body_; }
    [[nodiscard]] const std::string& body() const noexcept { return body_; }
    /// Content-Length: the body's size (every status the service sends has a body length).
    void prepare_payload();

    /// Appends the bytes Beast's serializer wrote for the same response: the start line, the
    /// headers in order, a blank line, the body.
    void write_to(std::string& out) const;

private:
    /// Which line of head_ is header `name`, or the number of lines.
    [[nodiscard]] std::size_t find(std::string_view name) const;
    void erase(std::string_view name);

    boost::beast::http::status code_ = boost::beast::http::status::ok;
    unsigned version_ = 11;
    boost::container::small_vector<char, 256> head_;  ///< "Name: value\r\n" lines; the API's fit inline
    /// Where each line starts in head_: a lookup compares names at these offsets instead of
    /// scanning the head for line breaks (the scan was 4% of GET's CPU).
    boost::container::small_vector<std::uint32_t, 8> starts_;
    std::string body_;
};

}  // namespace active_users
