// causal_order: how two vector clocks (or the events they stamp) relate.
// SPDX-License-Identifier: MIT
#pragma once

namespace converge {

/// The result of comparing two vector clocks under their partial order.
///
/// Example:
/// ```
/// converge::vector_clock<std::string> a, b;
/// a.tick("a");
/// b.tick("b");   // neither clock has seen the other's event
/// assert(a.compare(b) == converge::causal_order::concurrent);
/// assert(std::string(converge::to_string(a.compare(a))) == "equal");
/// ```
enum class causal_order {
    equal,       ///< same clock
    before,      ///< the left clock happened before the right one
    after,       ///< the left clock happened after the right one
    concurrent,  ///< neither saw the other
};

/// The name of the enumerator, for logs.
constexpr const char* to_string(causal_order o) noexcept {
    switch (o) {
    case causal_order::equal: return "equal";
    case causal_order::before: return "before";
    case causal_order::after: return "after";
    case causal_order::concurrent: return "concurrent";
    }
    return "?";
}

}  // namespace converge
