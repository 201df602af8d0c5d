// Replays the ws_frame fuzz target's corpus and regressions through its check, without libFuzzer.
// SPDX-License-Identifier: MIT
#include "ws_frame_check.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

/// Usage: ws_frame_replay PATH...; each PATH an input file or a directory of them (missing ones
/// are skipped, but at least one input must run).
int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        std::vector<fs::path> inputs;
        if (fs::is_directory(argv[i])) {
            for (const auto& entry : fs::directory_iterator(argv[i]))
                if (entry.is_regular_file()) inputs.push_back(entry.path());
            std::sort(inputs.begin(), inputs.end());
        } else if (fs::is_regular_file(argv[i])) {
            inputs.emplace_back(argv[i]);
        }
        for (const auto& p : inputs) {
            std::ifstream in(p, std::ios::binary);
            const std::vector<std::uint8_t> data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            std::printf("replay: %s (%zu bytes)\n", p.c_str(), data.size());
            std::fflush(stdout);
            converge_fuzz::check_ws_frame(data.data(), data.size());
            ++replayed;
        }
    }
    std::printf("replay: ws_frame: %zu inputs passed\n", replayed);
    return replayed > 0 ? 0 : 1;
}
