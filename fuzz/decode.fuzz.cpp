// libFuzzer target for one type's decoder (CONVERGE_FUZZ_TYPE names it): any bytes give a value or an error, never a crash.
// SPDX-License-Identifier: MIT
#include "checks.hpp"

#include <cstddef>
#include <cstdint>

#ifndef CONVERGE_FUZZ_TYPE
#error "define CONVERGE_FUZZ_TYPE to a name from CONVERGE_FUZZ_TYPES in targets.hpp"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    converge_fuzz::check_decode<converge_fuzz::CONVERGE_FUZZ_TYPE>(data, size);
    return 0;
}
