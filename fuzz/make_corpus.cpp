// Writes the fuzz seed corpus (valid encodings of every fuzzed type), or checks that a committed corpus matches it.
// SPDX-License-Identifier: MIT
#include "targets.hpp"

#include <converge/converge.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
using corpus = std::map<fs::path, std::vector<std::byte>>;  // relative path -> contents

/// decode_<type>/<sample>: the encoding itself; roundtrip/<type>-<sample>: the type's index in
/// CONVERGE_FUZZ_TYPES, then the encoding, as roundtrip.fuzz.cpp reads it.
corpus generate() {
    corpus out;
    converge_fuzz::for_each_type([&]<class T>(std::size_t index, std::string_view name) {
        for (int which = 0; which < 4; ++which) {
            const auto bytes = converge::encode(converge_fuzz::sample<T>(which));
            const std::string sample(converge_fuzz::sample_names[which]);
            out[fs::path("decode_" + std::string(name)) / sample] = bytes;
            std::vector<std::byte> selected{static_cast<std::byte>(index)};
            selected.insert(selected.end(), bytes.begin(), bytes.end());
            out[fs::path("roundtrip") / (std::string(name) + "-" + sample)] = selected;
        }
    });
    return out;
}

std::vector<std::byte> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> chars{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::vector<std::byte> out(chars.size());
    for (std::size_t i = 0; i < chars.size(); ++i) out[i] = static_cast<std::byte>(chars[i]);
    return out;
}

int write(const fs::path& dir, const corpus& c) {
    for (const auto& [rel, bytes] : c) {
        fs::create_directories((dir / rel).parent_path());
        std::ofstream out(dir / rel, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!out) {
            std::fprintf(stderr, "make_corpus: cannot write %s\n", (dir / rel).c_str());
            return 1;
        }
    }
    std::printf("make_corpus: wrote %zu files under %s\n", c.size(), dir.c_str());
    return 0;
}

/// Every generated file must be present with the same bytes. Extra files are allowed in the
/// target directories (a corpus may be extended by hand) but reported.
int check(const fs::path& dir, const corpus& c) {
    int stale = 0;
    for (const auto& [rel, bytes] : c) {
        if (!fs::is_regular_file(dir / rel)) {
            std::printf("make_corpus: missing %s\n", (dir / rel).c_str());
            ++stale;
        } else if (read_file(dir / rel) != bytes) {
            std::printf("make_corpus: out of date %s\n", (dir / rel).c_str());
            ++stale;
        }
    }
    if (stale > 0) {
        std::printf("make_corpus: %d files differ; regenerate with `make_corpus %s`\n", stale, dir.c_str());
        return 1;
    }
    std::printf("make_corpus: all %zu files under %s are up to date\n", c.size(), dir.c_str());
    return 0;
}

}  // namespace

/// Usage: make_corpus DIR (write) | make_corpus --check DIR
int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.size() == 1 && args[0] != "--check") return write(args[0], generate());
    if (args.size() == 2 && args[0] == "--check") return check(args[1], generate());
    std::fprintf(stderr, "usage: make_corpus DIR | make_corpus --check DIR\n");
    return 2;
}
