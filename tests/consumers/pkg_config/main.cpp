// Consumer check: builds and merges two g_counter replicas using an installed converge found with pkg-config --cflags.
// SPDX-License-Identifier: MIT
#include <converge/converge.hpp>

#include <cstdint>

int main() {
    converge::g_counter<std::uint64_t> a;
    converge::g_counter<std::uint64_t> b;
    a.increment(1, 2);
    b.increment(2, 3);
    a.merge(b);
    return a.value() == 5 ? 0 : 1;
}
