#pragma once

// Internal helper of the block-format kernels in core/quant.

#include <algorithm>
#include <cstddef>

namespace qs::detail {

inline constexpr std::size_t kElementChunk = 16;

// out[i] = fn(in[i]) for i < n. Whole chunks go through local buffers: a fixed trip count and
// no possible aliasing let GCC's -O2 vectoriser take the inner loop, and in and out may still
// be the same array. fn must be a pure per-element function, so the chunking changes no result.
template <typename Fn>
inline void mapElements(const float *in, float *out, std::size_t n, Fn fn) {
    std::size_t i = 0;
    for (; i + kElementChunk <= n; i += kElementChunk) {
        float x[kElementChunk];
        float y[kElementChunk];
        std::copy_n(in + i, kElementChunk, x);
        for (std::size_t j = 0; j < kElementChunk; ++j)
            y[j] = fn(x[j]);
        std::copy_n(y, kElementChunk, out + i);
    }
    for (; i < n; ++i)
        out[i] = fn(in[i]);
}

} // namespace qs::detail
