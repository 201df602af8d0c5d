// How Catch prints converge values in failure messages; shared so that every test file sees the
// same specialisations (one per type in the whole test program).
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/converge.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace Catch {
template <>
struct StringMaker<converge::uint128> {
    static std::string convert(converge::uint128 v) { return converge::to_string(v); }
};
template <>
struct StringMaker<converge::int128> {
    static std::string convert(converge::int128 v) { return converge::to_string(v); }
};
template <class C>
struct StringMaker<converge::detail::pn_pair<C>> {
    static std::string convert(const converge::detail::pn_pair<C>& t) {
        return "+" + std::to_string(t.increments) + "/-" + std::to_string(t.decrements);
    }
};
template <>
struct StringMaker<converge::causal_order> {
    static std::string convert(converge::causal_order o) { return converge::to_string(o); }
};
template <>
struct StringMaker<converge::decode_error> {
    static std::string convert(const converge::decode_error& e) { return e.message(); }
};
}  // namespace Catch
