// libFuzzer target for the service's journal reader: any bytes give records or a failure, never a crash.
// SPDX-License-Identifier: MIT
#include "persistence/journal_format.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

[[noreturn]] void journal_check_failed(const char* what) {
    std::fprintf(stderr, "journal fuzz check failed: %s\n", what);
    std::abort();
}

}  // namespace

/// Every input parses or fails with a message; what parses stays within the input (what follows
/// it is zeros, or a torn tail), and its
/// records sealed again as one frame parse back to the same records, with no torn tail.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace active_users;
    const auto bytes = std::as_bytes(std::span(data, size));
    const auto parsed = parse_journal(bytes);
    if (!parsed) {
        if (parsed.error().message.empty()) journal_check_failed("a failure without a message");
        return 0;
    }
    if (parsed->valid_bytes < journal_header_bytes || parsed->valid_bytes > size) journal_check_failed("valid_bytes out of the input");
    const auto tail = bytes.subspan(parsed->valid_bytes);
    const bool zeros = std::all_of(tail.begin(), tail.end(), [](std::byte b) { return b == std::byte{0}; });
    if (parsed->torn_tail == zeros) journal_check_failed("torn_tail disagrees with the bytes after valid_bytes");
    std::size_t payload = 0;
    for (const journal_record& r : parsed->records) payload += r.bytes.size();
    if (payload > size) journal_check_failed("records hold more bytes than the input");

    std::vector<std::byte> again = journal_header(parsed->generation);
    journal_frame frame;
    for (const journal_record& r : parsed->records) frame.add(r.channel, r.kind, r.bytes);
    if (!frame.empty()) {
        const auto sealed = frame.seal();
        again.insert(again.end(), sealed.begin(), sealed.end());
    }
    const auto reparsed = parse_journal(again);
    if (!reparsed) journal_check_failed("re-sealed records do not parse");
    if (reparsed->records != parsed->records || reparsed->generation != parsed->generation || reparsed->torn_tail)
        journal_check_failed("re-sealed records parse differently");
    return 0;
}
