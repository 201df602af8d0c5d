// lww_register: a last-writer-wins register ordered by (timestamp, writer), merged by keeping the latest write.
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/codec.hpp>
#include <converge/encoding.hpp>
#include <converge/error.hpp>
#include <converge/replica_id.hpp>

#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

namespace converge {

/// A register that keeps the write with the largest `(timestamp, writer)`. Timestamps come from
/// the caller (wall clock, hybrid logical clock, a version number): converge keeps no clock.
/// Two writes with the same timestamp are ordered by writer id, and the same writer reusing a
/// timestamp for two values is ordered by the values, so every replica picks the same winner
/// whatever the order of arrival: merge stays commutative even when callers misuse timestamps.
///
/// Example:
/// ```
/// converge::lww_register<std::string, std::string> title, peer;
/// auto delta = title.assign("Home", 10, "eu-1");
/// peer.assign("Start", 12, "us-1");
/// peer.merge(delta);
/// assert(*peer.get() == "Start");   // timestamp 12 is later
/// ```
template <class T, class Replica>
class lww_register {
    static_assert(detail::check_ordered_key<T>());
    static_assert(detail::check_ordered_key<Replica>());

public:
    using value_type = T;
    using replica_type = Replica;

    /// Writes `value` as `writer` at `timestamp`; returns the delta (the new state), or an empty
    /// register when a later write is already held, in which case nothing changes.
    lww_register assign(T value, std::uint64_t timestamp, const Replica& writer) {
        lww_register candidate;
        candidate.write_ = stamped{timestamp, writer, std::move(value)};
        if (!wins(candidate)) return {};
        adopt(candidate);
        return candidate;
    }

    /// The value, or nullptr when never written.
    [[nodiscard]] const T* get() const noexcept { return write_ ? &write_->value : nullptr; }
    /// The winning write's timestamp, 0 when never written.
    [[nodiscard]] std::uint64_t timestamp() const noexcept { return write_ ? write_->timestamp : 0; }
    /// The winning write's writer, or nullptr when never written.
    [[nodiscard]] const Replica* writer() const noexcept { return write_ ? &write_->writer : nullptr; }

    /// Keeps the later of the two writes.
    void merge(const lww_register& other) {
        if (wins(other)) adopt(other);
    }

    /// What `peer` lacks: *this when its write beats the peer's, else nothing.
    [[nodiscard]] lww_register delta_for(const lww_register& peer) const {
        return peer.wins(*this) ? *this : lww_register{};
    }

    /// True at bottom: never written.
    [[nodiscard]] bool empty() const noexcept { return !write_; }

    friend bool operator==(const lww_register&, const lww_register&) = default;

private:
    friend struct wire<lww_register>;

    struct stamped {
        std::uint64_t timestamp;
        Replica writer;
        T value;
        friend bool operator==(const stamped&, const stamped&) = default;
        friend bool operator<(const stamped& a, const stamped& b) {
            return std::tie(a.timestamp, a.writer, a.value) < std::tie(b.timestamp, b.writer, b.value);
        }
    };

    /// True when `other` holds a write later than ours.
    [[nodiscard]] bool wins(const lww_register& other) const {
        return other.write_ && (!write_ || *write_ < *other.write_);
    }

    /// Takes `other`'s write: copied aside first, then moved in, so that a throwing copy of the
    /// value or writer leaves *this as it was (assigning field by field would not).
    void adopt(const lww_register& other) {
        std::optional<stamped> copy = other.write_;
        write_ = std::move(copy);
    }

    std::optional<stamped> write_;
};

template <class T, class Replica>
struct wire<lww_register<T, Replica>> {
    static constexpr wire_tag tag = wire_tag::lww_register;

    /// `0` for bottom, or `1`, the timestamp, the writer and the value.
    static void write(detail::byte_writer& w, const lww_register<T, Replica>& x) {
        w.byte(x.write_ ? 1 : 0);
        if (!x.write_) return;
        w.varint(x.write_->timestamp);
        codec<Replica>::encode(w, x.write_->writer);
        codec<T>::encode(w, x.write_->value);
    }

    static lww_register<T, Replica> read(detail::byte_reader& r) {
        const std::size_t start = r.offset();
        const std::uint8_t present = r.byte();
        if (present > 1) r.fail(errc::not_canonical, start);
        lww_register<T, Replica> x;
        if (present == 0) return x;
        const std::uint64_t timestamp = r.varint();
        Replica writer = codec<Replica>::decode(r);
        T value = codec<T>::decode(r);
        x.write_ = typename lww_register<T, Replica>::stamped{timestamp, std::move(writer), std::move(value)};
        return x;
    }
};

}  // namespace converge
