// Runs the journal fuzz target's check over its seed corpus and kept regressions without libFuzzer, or writes the seeds.
// SPDX-License-Identifier: MIT
#include "persistence/journal_format.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;
using namespace active_users;

std::vector<std::byte> as_bytes_of(std::string_view s) {
    std::vector<std::byte> out;
    for (const char c : s) out.push_back(static_cast<std::byte>(c));
    return out;
}

/// Seeds: an empty journal, frames of both kinds, a torn tail, a flipped byte, a zero tail.
std::vector<std::pair<std::string, std::vector<std::byte>>> journal_seeds() {
    std::vector<std::byte> two = journal_header(7);
    journal_frame f;
    f.add(2, journal_kind::delta, as_bytes_of("delta-bytes"));
    f.add(1, journal_kind::whole, as_bytes_of("12345678"));
    auto a = f.seal();
    two.insert(two.end(), a.begin(), a.end());
    f.add(3, journal_kind::delta, as_bytes_of("another"));
    auto b = f.seal();
    two.insert(two.end(), b.begin(), b.end());
    auto torn = two;
    torn.resize(torn.size() - 3);
    auto flipped = two;
    flipped[journal_header_bytes + journal_frame_header_bytes + 2] ^= std::byte{0x10};
    auto zeros = two;
    zeros.resize(zeros.size() + 64, std::byte{0});
    return {{"empty", journal_header(1)}, {"two_frames", two}, {"torn_tail", torn}, {"flipped_byte", flipped}, {"zero_tail", zeros}};
}

}  // namespace

/// Usage: journal_replay DIR... (runs every file; fails when there is none) | journal_replay --seeds DIR
int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 2 && args[0] == "--seeds") {
        fs::create_directories(args[1]);
        for (const auto& [name, bytes] : journal_seeds())
            std::ofstream(fs::path(args[1]) / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return 0;
    }
    std::size_t ran = 0;
    for (const std::string& dir : args) {
        if (!fs::is_directory(dir)) continue;
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (!entry.is_regular_file()) continue;
            std::ifstream in(entry.path(), std::ios::binary);
            const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
            ++ran;
        }
    }
    std::printf("journal_replay: %zu inputs\n", ran);
    return ran > 0 ? 0 : 1;
}
