// Compile-fail check: a replica id type without operator< must be rejected with a "converge: Replica" diagnostic.
// SPDX-License-Identifier: MIT
//
// tests/CMakeLists.txt compiles this file twice with -fsyntax-only: as is, it
// must fail and mention "converge: Replica"; with
// -DCONVERGE_COMPILE_FAIL_CONTROL it uses an ordered id and must compile, which
// shows the failure comes from the id type and not from anything else here.
#include <converge/g_counter.hpp>

struct NotOrdered {
    int x;
};

#ifdef CONVERGE_COMPILE_FAIL_CONTROL
using replica_id = int;
#else
using replica_id = NotOrdered;
#endif

int main() {
    converge::g_counter<replica_id> counter;
    (void)counter;
    return 0;
}
