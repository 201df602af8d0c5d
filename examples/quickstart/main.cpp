// The README's ten-line example: two replicas count page views apart and agree after merging.
// SPDX-License-Identifier: MIT
#include <converge/converge.hpp>
#include <converge/fmt.hpp>

int main() {
    converge::g_counter<std::string> paris, tokyo;
    paris.increment("paris", 3);                       // local, no coordination
    const auto delta = tokyo.increment("tokyo", 2);    // returns just what changed
    const auto wire = converge::encode(delta);         // 11 bytes on the wire
    paris.merge(converge::decode<converge::g_counter<std::string>>(wire).value());
    tokyo.merge(paris);                                // order and repetition do not matter
    fmt::print("{} = {} bytes; paris {} tokyo {}\n", tokyo, wire.size(), paris.value(), tokyo.value());
}
