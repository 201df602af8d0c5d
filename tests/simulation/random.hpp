// The simulation's one source of randomness: xoshiro256** seeded by splitmix64, with its own bounded draws.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace converge_sim {

/// One step of splitmix64: turns consecutive seeds into well-mixed, unrelated words.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

/// xoshiro256** (Blackman and Vigna). Hand-rolled, like every draw below, because the standard
/// distributions differ between standard libraries and a seed must replay the same run with
/// GCC and clang, libstdc++ and libc++ alike.
class rng {
public:
    explicit rng(std::uint64_t seed) noexcept {
        for (auto& word : s_) word = splitmix64(seed);
    }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, n), n > 0: rejection sampling removes the bias of a bare `%`.
    std::uint64_t below(std::uint64_t n) noexcept {
        const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
        for (;;) {
            const std::uint64_t r = next();
            if (r >= threshold) return r % n;
        }
    }

    /// Uniform in [lo, hi].
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept { return lo + below(hi - lo + 1); }

    /// Uniform index into a container of `n` elements, n > 0.
    std::size_t index(std::size_t n) noexcept { return static_cast<std::size_t>(below(n)); }

    /// True with probability `permille` / 1000; integers keep every platform in step.
    bool chance(std::uint64_t permille) noexcept { return below(1000) < permille; }

    /// Fisher-Yates, for the same reason as below(): std::shuffle's order is library-specific.
    template <class T>
    void shuffle(std::vector<T>& v) noexcept {
        for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[index(i)]);
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    std::uint64_t s_[4]{};
};

}  // namespace converge_sim
