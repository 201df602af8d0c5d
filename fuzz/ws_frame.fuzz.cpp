// libFuzzer entry point: the service's WebSocket client-frame reader (examples/active_users/http/ws_frame.hpp).
// SPDX-License-Identifier: MIT
#include "ws_frame_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    converge_fuzz::check_ws_frame(data, size);
    return 0;
}
