// Boost.JSON, compiled header-only into this one translation unit.
// SPDX-License-Identifier: MIT
#include <boost/json/src.hpp>
