// The service's one error style: a value, or a failure carrying a status and a message.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace active_users {

/// Why something failed, in terms a client or an operator can act on. HTTP handlers map each to
/// a status code; everything else only logs or counts it.
enum class status {
    bad_request,         ///< the input is malformed or out of range
    not_found,           ///< nothing is there (or the caller may not see it)
    method_not_allowed,  ///< the path exists, the method does not
    upgrade_required,    ///< a WebSocket route asked for without the upgrade
    unauthorized,        ///< credentials missing or wrong
    replayed,            ///< a message seen before, or out of its order
    unavailable,         ///< a capacity limit was reached; trying later may work
    io_error,            ///< the operating system refused (a file, a port)
};

struct failure {
    status code;
    std::string message;
};

/// `T` or a failure; `result<void>` is success or a failure. Deliberately small: the service
/// needs `ok()`, the value and the failure, nothing of std::expected's monadic surface.
template <class T>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::move(value)) {}  // NOLINT: implicit, like std::expected
    result(failure f) : v_(std::move(f)) {}    // NOLINT

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    [[nodiscard]] const failure& error() const { return std::get<1>(v_); }

private:
    std::variant<T, failure> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(failure f) : f_(std::move(f)), ok_(false) {}  // NOLINT

    [[nodiscard]] bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    [[nodiscard]] const failure& error() const { return f_; }

private:
    failure f_{status::bad_request, {}};
    bool ok_ = true;
};

/// Shorthand for a failure: `return fail(status::not_found, "no such page");`
inline failure fail(status code, std::string message) { return {code, std::move(message)}; }

}  // namespace active_users
