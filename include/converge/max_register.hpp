// max_register: a register whose value only rises; merge keeps the larger value.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/replica_id.hpp>

#include <optional>
#include <utility>

namespace converge {

/// A register that holds the largest value ever written to any replica. Writing is raising:
/// a value below the current one changes nothing, so concurrent writes agree on their maximum.
/// Bottom is "never written", distinct from any value, so `T` needs no least element.
///
/// Example:
/// ```
/// converge::max_register<std::uint64_t> seen, peer;
/// auto delta = seen.raise(7);
/// assert(delta.value_or(0) == 7);
/// peer.raise(9);
/// peer.merge(delta);
/// assert(peer.value_or(0) == 9);   // merge keeps the larger
/// ```
template <class T>
class max_register {
    static_assert(detail::check_ordered_key<T>());

public:
    using value_type = T;

    /// Raises the value to `v`; returns the delta `{v}`, or an empty register when `v` is not
    /// above the current value.
    max_register raise(const T& v) {
        if (value_ && !(*value_ < v)) return {};
        max_register delta;
        delta.value_ = v;  // first: if copying throws, *this is untouched
        value_ = v;
        return delta;
    }

    /// The value, or nullopt when no replica has written one.
    [[nodiscard]] const std::optional<T>& get() const noexcept { return value_; }
    [[nodiscard]] T value_or(T fallback) const { return value_ ? *value_ : std::move(fallback); }

    /// Keeps the larger of the two values.
    void merge(const max_register& other) {
        if (other.value_) raise(*other.value_);
    }

    /// What `peer` lacks: *this when its value is above the peer's, else nothing.
    [[nodiscard]] max_register delta_for(const max_register& peer) const {
        return peer.value_ && value_ && !(*peer.value_ < *value_) ? max_register{} : *this;
    }

    /// True at bottom: never written.
    [[nodiscard]] bool empty() const noexcept { return !value_; }

    friend bool operator==(const max_register&, const max_register&) = default;

private:
    friend struct wire<max_register>;
    std::optional<T> value_;
};

template <class T>
struct wire<max_register<T>> {
    static constexpr wire_tag tag = wire_tag::max_register;

    /// `0` for bottom, or `1` and the value.
    static void write(detail::byte_writer& w, const max_register<T>& m) {
        w.byte(m.value_ ? 1 : 0);
        if (m.value_) codec<T>::encode(w, *m.value_);
    }

    static max_register<T> read(detail::byte_reader& r) {
        const std::size_t start = r.offset();
        const std::uint8_t present = r.byte();
        if (present > 1) r.fail(errc::not_canonical, start);
        max_register<T> m;
        if (present == 1) m.value_ = codec<T>::decode(r);
        return m;
    }
};

}  // namespace converge
