// libFuzzer target: whatever decodes re-encodes to the same bytes and merges by the lattice laws with fixed states.
// SPDX-License-Identifier: MIT
#include "checks.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    converge_fuzz::check_roundtrip(data, size);
    return 0;
}
