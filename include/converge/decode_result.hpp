// The outcome of decoding untrusted bytes: a value or a decode_error, with a throwing accessor.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/error.hpp>

#include <utility>
#include <variant>

namespace converge {

/// A decoded value or the reason there is none.
///
/// Example:
/// ```
/// converge::g_counter<std::uint32_t> c;
/// c.increment(1, 5);
/// auto bytes = converge::encode(c);
/// bytes.pop_back();                   // the last byte is lost on the way
/// auto r = converge::decode<converge::g_counter<std::uint32_t>>(bytes);
/// assert(!r);                         // with a value, *r or r->... would give it
/// // The entry count at byte 3 promises more bytes than remain; nothing is allocated.
/// assert(r.error().message() == "converge: length exceeds the remaining input at byte 3");
/// bool threw = false;
/// try { (void)r.value(); } catch (const converge::decode_failure&) { threw = true; }
/// assert(threw);
/// ```
template <class T>
class decode_result {
public:
    decode_result(T value) : state_(std::move(value)) {}         // NOLINT: implicit by design
    decode_result(decode_error error) : state_(error) {}         // NOLINT: implicit by design

    [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    [[nodiscard]] T& value() & { return checked(); }
    [[nodiscard]] const T& value() const& { return const_cast<decode_result*>(this)->checked(); }
    [[nodiscard]] T&& value() && { return std::move(checked()); }

    [[nodiscard]] T& operator*() & { return value(); }
    [[nodiscard]] const T& operator*() const& { return value(); }
    [[nodiscard]] T* operator->() { return &value(); }
    [[nodiscard]] const T* operator->() const { return &value(); }

    /// The error; throws std::bad_variant_access when there is a value.
    [[nodiscard]] const decode_error& error() const { return std::get<1>(state_); }

private:
    T& checked() {
        if (!has_value()) throw_failure(std::get<1>(state_));
        return std::get<0>(state_);
    }
    [[noreturn]] static void throw_failure(const decode_error& e) { throw decode_failure(e); }

    std::variant<T, decode_error> state_;
};

}  // namespace converge
