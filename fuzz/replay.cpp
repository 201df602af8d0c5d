// Replays saved inputs through a fuzz target's checks without libFuzzer, so that any compiler and the sanitizer builds run them.
// SPDX-License-Identifier: MIT
#include "checks.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

/// Usage: replay TARGET PATH...; TARGET is a fuzz target's name (decode_g_set_str, roundtrip),
/// each PATH an input file or a directory of them. A directory that does not exist is skipped
/// (no regression has been kept for that target yet), but at least one input must run, so that
/// a wrong path cannot pass unnoticed.
int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: replay TARGET PATH...\n");
        return 2;
    }
    const auto check = converge_fuzz::find_check(argv[1]);
    if (!check) {
        std::fprintf(stderr, "replay: no fuzz target named %s\n", argv[1]);
        return 2;
    }
    std::size_t replayed = 0;
    for (int i = 2; i < argc; ++i) {
        const fs::path arg = argv[i];
        std::vector<fs::path> inputs;
        if (fs::is_directory(arg)) {
            for (const auto& entry : fs::directory_iterator(arg))
                if (entry.is_regular_file()) inputs.push_back(entry.path());
            std::sort(inputs.begin(), inputs.end());
        } else if (fs::is_regular_file(arg)) {
            inputs.push_back(arg);
        } else {
            std::printf("replay: %s does not exist; skipped\n", arg.c_str());
            continue;
        }
        for (const auto& p : inputs) {
            const auto data = read_file(p);
            std::printf("replay: %s (%zu bytes)\n", p.c_str(), data.size());
            std::fflush(stdout);  // so that a crash names the input that caused it
            check(data.data(), data.size());
            ++replayed;
        }
    }
    std::printf("replay: %s: %zu inputs passed\n", argv[1], replayed);
    return replayed > 0 ? 0 : 1;
}
