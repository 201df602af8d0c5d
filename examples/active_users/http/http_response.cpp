// http_response: header lines kept in order in one buffer, the start line and body added on write.
// SPDX-License-Identifier: MIT
#include "http/http_response.hpp"

#include <boost/beast/core/string.hpp>

#include <charconv>
#include <stdexcept>

namespace active_users {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view crlf = "\r\n";

[[noreturn]] void refuse_line_break(std::string_view name) {
    throw std::invalid_argument("http_response: a line break in header " + std::string(name));
}

// A plain loop: find_first_of calls memchr once per character.
bool has_line_break(std::string_view s) {
    for (const char c : s)
        if (c == '\r' || c == '\n') return true;
    return false;
}

}  // namespace

std::size_t http_response::find(std::string_view name) const {
    for (std::size_t line = 0; line < starts_.size(); ++line) {
        const std::size_t at = starts_[line];
        // Every line is "Name: value\r\n": a name of this length ends at a colon, and is then compared.
        if (at + name.size() < head_.size() && head_[at + name.size()] == ':' &&
            boost::beast::iequals(std::string_view(head_.data() + at, name.size()), name))
            return line;
    }
    return starts_.size();
}

void http_response::erase(std::string_view name) {
    const std::size_t line = find(name);
    if (line == starts_.size()) return;
    const std::size_t begin = starts_[line];
    const std::size_t end = line + 1 < starts_.size() ? starts_[line + 1] : head_.size();
    head_.erase(head_.begin() + static_cast<std::ptrdiff_t>(begin), head_.begin() + static_cast<std::ptrdiff_t>(end));
    starts_.erase(starts_.begin() + static_cast<std::ptrdiff_t>(line));
    for (std::size_t later = line; later < starts_.size(); ++later) starts_[later] -= static_cast<std::uint32_t>(end - begin);
}

void http_response::set(http::field name, std::string_view value) { set(http::to_string(name), value); }

void http_response::set(std::string_view name, std::string_view value) {
    if (has_line_break(name) || has_line_break(value)) refuse_line_break(name);
    erase(name);
    starts_.push_back(static_cast<std::uint32_t>(head_.size()));
    head_.insert(head_.end(), name.begin(), name.end());
    head_.insert(head_.end(), {':', ' '});
    head_.insert(head_.end(), value.begin(), value.end());
    head_.insert(head_.end(), crlf.begin(), crlf.end());
}

std::string_view http_response::operator[](http::field name) const { return (*this)[http::to_string(name)]; }

std::string_view http_response::operator[](std::string_view name) const {
    const std::size_t line = find(name);
    if (line == starts_.size()) return {};
    const std::size_t value = starts_[line] + name.size() + 2;  // past ": "
    const std::size_t end = line + 1 < starts_.size() ? starts_[line + 1] : head_.size();
    return {head_.data() + value, end - crlf.size() - value};
}

bool http_response::keep_alive() const {
    const std::string_view connection = (*this)[http::field::connection];
    if (version_ < 11) return boost::beast::iequals(connection, "keep-alive");
    return !boost::beast::iequals(connection, "close");
}

void http_response::keep_alive(bool value) {
    // What Beast's keep_alive(value) leaves when the only Connection values are its own.
    if (version_ < 11 && value) set(http::field::connection, "keep-alive");
    else if (version_ >= 11 && !value) set(http::field::connection, "close");
    else erase(http::to_string(http::field::connection));
}

void http_response::prepare_payload() {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, body_.size()).ptr;
    set(http::field::content_length, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void http_response::write_to(std::string& out) const {
    const unsigned code = static_cast<unsigned>(code_);
    const char start[] = {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + version_ / 10 % 10), '.',
                          static_cast<char>('0' + version_ % 10), ' ', static_cast<char>('0' + code / 100 % 10),
                          static_cast<char>('0' + code / 10 % 10), static_cast<char>('0' + code % 10), ' '};
    const std::string_view reason = http::obsolete_reason(code_);
    out.reserve(out.size() + sizeof start + reason.size() + head_.size() + 4 + body_.size());
    out.append(start, sizeof start);
    out += reason;
    out += crlf;
    out.append(head_.data(), head_.size());
    out += crlf;
    out += body_;
}

}  // namespace active_users
