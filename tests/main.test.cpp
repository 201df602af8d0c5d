// The Catch2 entry point for converge_tests; the test cases live in the other *.test.cpp files.
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
