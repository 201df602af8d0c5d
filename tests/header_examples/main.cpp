// The Catch2 entry point for the header example tests; the examples come from the headers.
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
