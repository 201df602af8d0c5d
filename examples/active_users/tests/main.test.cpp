// The Catch2 runner of the service's in-process tests (one file per component beside it).
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
