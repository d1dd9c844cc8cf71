#pragma once

// Internal to the ggml encoders: one function per block type, each encoding one block of finite
// values as llama.cpp does: quantize_row_<type>_ref without importance, quantize_row_<type>_impl
// with it. `x` points at the block's blockElements values, `block` at its blockBytes bytes, which
// the caller has zeroed.

#include "quant/ggmlfit.h"
#include "quant/ggmllayout.h"

#include <cstddef>

#include <cstdint>

namespace qs::ggml {

/// llama.cpp's quant_weights for the block's values, and the mean square of the whole row (the
/// σ² of the 32-value types' weights; the K types use their block's own).
struct Importance {
    const float *weights;
    float rowMeanSquare;
};

/// Encodes one block; importance is null for the reference path.
using BlockEncoder = void (*)(const float *x, const Importance *importance, std::uint8_t *block);

void encodeQ4_0(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ4_1(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ5_0(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ5_1(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ8_0(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ2_K(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ3_K(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ4_K(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ5_K(const float *x, const Importance *importance, std::uint8_t *block);
void encodeQ6_K(const float *x, const Importance *importance, std::uint8_t *block);

/// Two consecutive Q4_K / Q5_K blocks at once (x: 512 values, importance weights likewise): their
/// 16 sub-blocks fill the lanes of one fit. The bytes are those of two single-block calls.
void encodeQ4_KPair(const float *x, const Importance *importance, std::uint8_t *blocks);
void encodeQ5_KPair(const float *x, const Importance *importance, std::uint8_t *blocks);

/// The reference path (no importance) of Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 on `blocks` consecutive
/// blocks of finite values, written whole to out: the bytes of the per-block encoders above, a
/// block's 32 values in the lanes of the widest build the CPU runs (ggmlfitlanes.h). False, and
/// nothing written, for any other type.
bool encodeLegacyBlocks(GgmlType type, const float *x, std::size_t blocks, std::uint8_t *out);

/// Writes an f16 little-endian.
inline void storeHalf(std::uint8_t *at, std::uint16_t bits) {
    at[0] = std::uint8_t(bits & 0xFF);
    at[1] = std::uint8_t(bits >> 8);
}

/// Reads a little-endian f16 as float32.
inline float loadHalf(const std::uint8_t *at) {
    return fp16Value(std::uint16_t(at[0] | (at[1] << 8)));
}

} // namespace qs::ggml
