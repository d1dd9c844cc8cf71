#pragma once

#include "io/dtype.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstring>

namespace qs {

/// Reads one little-endian T from p, which need not be aligned for T. T is trivially copyable
/// (integers, float, double, Eigen::half, Eigen::bfloat16).
template <typename T>
T loadLittleEndian(const std::byte *p) {
    std::array<std::byte, sizeof(T)> raw;
    std::memcpy(raw.data(), p, sizeof(T));
    if constexpr (std::endian::native == std::endian::big)
        std::reverse(raw.begin(), raw.end());
    return std::bit_cast<T>(raw);
}

/// Converts count little-endian elements at src (count · sizeof(T) bytes, any alignment) to
/// floats in dst (count floats). Integers become their nearest float.
template <typename T>
void decodeLittleEndian(const std::byte *src, float *dst, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
        dst[i] = static_cast<float>(loadLittleEndian<T>(src + i * sizeof(T)));
}

/// Decodes count consecutive elements of one dtype from src (count · dtypeSize bytes) into
/// count floats at dst. Never fails: every byte pattern gives a value (FP8 NaN codes give NaN).
using DecodeFn = void (*)(const std::byte *src, float *dst, std::size_t count);

/// The decoder for little-endian elements of dtype, as stored by safetensors, ONNX raw_data and
/// PyTorch; BOOL gives 1 for any non-zero byte and 0 otherwise. Never returns nullptr: every
/// DType has a decoder.
DecodeFn littleEndianDecoder(DType dtype);

} // namespace qs
