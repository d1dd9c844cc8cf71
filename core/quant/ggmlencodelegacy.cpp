#include "quant/ggmlblockencoders.h"
#include "quant/ggmllayout.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>

// The 32-value block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0: one f16 scale (and for _1 an f16
// min) per block. quantize_row_q*_ref takes levels from a truncating cast after adding 0.5;
// with importance, quantize_row_q*_impl fits them (make_qx_quants, make_qkx3_quants).

namespace qs::ggml {

namespace {

constexpr const GgmlBlockLayout &kQ4_0 = ggmlBlockLayout(GgmlType::Q4_0);
constexpr const GgmlBlockLayout &kQ4_1 = ggmlBlockLayout(GgmlType::Q4_1);
constexpr const GgmlBlockLayout &kQ5_0 = ggmlBlockLayout(GgmlType::Q5_0);
constexpr const GgmlBlockLayout &kQ5_1 = ggmlBlockLayout(GgmlType::Q5_1);
constexpr const GgmlBlockLayout &kQ8_0 = ggmlBlockLayout(GgmlType::Q8_0);
constexpr int kBlock = 32;
constexpr int kHalfBlock = kBlock / 2;

// The first value of largest magnitude, or 0.
float signedAbsMax(const float *x) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kBlock; ++j) {
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    return max;
}

struct Range {
    float min = FLT_MAX;
    float max = -FLT_MAX;
};

Range rangeOf(const float *x) {
    Range r;
    for (int j = 0; j < kBlock; ++j) {
        if (x[j] < r.min)
            r.min = x[j];
        if (x[j] > r.max)
            r.max = x[j];
    }
    return r;
}

// std::round for |v| < 2^23, as an int: v - trunc(v) is exact there, and round() moves away
// from zero exactly when that fraction reaches ±0.5.
std::int32_t roundHalfAway(float v) {
    const std::int32_t t = std::int32_t(v);
    const float fraction = v - float(t);
    return t + std::int32_t(fraction >= 0.5f) - std::int32_t(fraction <= -0.5f);
}

float inverseOf(float d) {
    return d != 0.0f ? 1.0f / d : 0.0f;
}

// ggml's `MIN(top, (int8_t)(v))` stored into a uint8_t.
std::uint8_t castLevel(float v, int top) {
    return std::uint8_t(std::min(top, int(std::int8_t(truncateToInt32(v)))));
}

// Packs level j (low nibble) and j + 16 (high nibble) of a 32-value block; for the 5-bit types
// (qh given) the fifth bits go to qh bit j and j + 16. ggml masks the nibbles only there.
void packNibbles(const std::uint8_t *levels, std::uint8_t *qs, std::uint32_t *qh) {
    for (int j = 0; j < kHalfBlock; ++j) {
        const std::uint8_t lo = levels[j];
        const std::uint8_t hi = levels[j + kHalfBlock];
        if (!qh) {
            qs[j] = std::uint8_t(lo | (hi << 4));
            continue;
        }
        qs[j] = std::uint8_t((lo & 0x0F) | ((hi & 0x0F) << 4));
        *qh |= std::uint32_t((lo & 0x10u) >> 4) << j;
        *qh |= std::uint32_t((hi & 0x10u) >> 4) << (j + kHalfBlock);
    }
}

void storeU32(std::uint8_t *at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i)
        at[i] = std::uint8_t(value >> (8 * i));
}

// Q4_0 / Q5_0: d = max / -(2^(bits-1)), level = min(top, trunc(x / d + offset)).
void encodeSymmetric(const float *x, std::uint8_t *block, const GgmlBlockLayout &layout, float divisor,
                     float offset, int top) {
    const float d = signedAbsMax(x) / divisor;
    const float id = inverseOf(d);
    storeHalf(block + layout.d, fp16Bits(d));
    std::uint8_t levels[kBlock];
    for (int j = 0; j < kBlock; ++j)
        levels[j] = castLevel(x[j] * id + offset, top);
    std::uint32_t qh = 0;
    packNibbles(levels, block + layout.qs, layout.qh == kNoGgmlField ? nullptr : &qh);
    if (layout.qh != kNoGgmlField)
        storeU32(block + layout.qh, qh);
}

// quantize_row_q4_0_impl / q5_0_impl: the levels of make_qx_quants with importance weights.
void encodeSymmetricWeighted(const float *x, const Importance &importance, std::uint8_t *block,
                             const GgmlBlockLayout &layout, int nmax) {
    std::array<float, kBlock> weights{};
    importanceWeights({x, kBlock}, importance.weights, importance.rowMeanSquare, weights);
    std::array<std::int8_t, kBlock> signedLevels{};
    const float d = fitSignedLevels({x, kBlock}, nmax, weights, signedLevels);
    storeHalf(block + layout.d, fp16Bits(d));
    std::uint8_t levels[kBlock];
    std::copy(signedLevels.begin(), signedLevels.end(), levels);
    std::uint32_t qh = 0;
    packNibbles(levels, block + layout.qs, layout.qh == kNoGgmlField ? nullptr : &qh);
    if (layout.qh != kNoGgmlField)
        storeU32(block + layout.qh, qh);
}

// quantize_row_q4_1_impl / q5_1_impl: an affine fit (make_qkx3_quants) with importance weights.
void encodeAffineWeighted(const float *x, const Importance &importance, std::uint8_t *block,
                          const GgmlBlockLayout &layout, int nmax) {
    std::array<float, kBlock> weights{};
    importanceWeights({x, kBlock}, importance.weights, importance.rowMeanSquare, weights);
    std::uint8_t levels[kBlock];
    const AffineFit fit =
        fitAffineLevels({x, kBlock}, weights, {nmax, -0.9f, 0.05f, 36, false}, {levels, kBlock});
    storeHalf(block + layout.d, fp16Bits(fit.scale));
    storeHalf(block + layout.dmin, fp16Bits(-fit.negatedMin));
    std::uint32_t qh = 0;
    packNibbles(levels, block + layout.qs, layout.qh == kNoGgmlField ? nullptr : &qh);
    if (layout.qh != kNoGgmlField)
        storeU32(block + layout.qh, qh);
}

} // namespace

void encodeQ4_0(const float *x, const Importance *importance, std::uint8_t *block) {
    if (importance)
        encodeSymmetricWeighted(x, *importance, block, kQ4_0, 8);
    else
        encodeSymmetric(x, block, kQ4_0, -8.0f, 8.5f, 15);
}

void encodeQ5_0(const float *x, const Importance *importance, std::uint8_t *block) {
    if (importance)
        encodeSymmetricWeighted(x, *importance, block, kQ5_0, 16);
    else
        encodeSymmetric(x, block, kQ5_0, -16.0f, 16.5f, 31);
}

void encodeQ4_1(const float *x, const Importance *importance, std::uint8_t *block) {
    if (importance) {
        encodeAffineWeighted(x, *importance, block, kQ4_1, 15);
        return;
    }
    const Range r = rangeOf(x);
    const float d = (r.max - r.min) / 15.0f;
    const float id = inverseOf(d);
    storeHalf(block + kQ4_1.d, fp16Bits(d));
    storeHalf(block + kQ4_1.dmin, fp16Bits(r.min));
    std::uint8_t levels[kBlock];
    for (int j = 0; j < kBlock; ++j)
        levels[j] = castLevel((x[j] - r.min) * id + 0.5f, 15);
    packNibbles(levels, block + kQ4_1.qs, nullptr);
}

void encodeQ5_1(const float *x, const Importance *importance, std::uint8_t *block) {
    if (importance) {
        encodeAffineWeighted(x, *importance, block, kQ5_1, 31);
        return;
    }
    const Range r = rangeOf(x);
    const float d = (r.max - r.min) / 31.0f;
    const float id = inverseOf(d);
    storeHalf(block + kQ5_1.d, fp16Bits(d));
    storeHalf(block + kQ5_1.dmin, fp16Bits(r.min));
    std::uint8_t levels[kBlock];
    // Unlike the others, ggml casts straight to uint8_t here, with no clamp.
    for (int j = 0; j < kBlock; ++j)
        levels[j] = std::uint8_t(truncateToInt32((x[j] - r.min) * id + 0.5f));
    std::uint32_t qh = 0;
    packNibbles(levels, block + kQ5_1.qs, &qh);
    storeU32(block + kQ5_1.qh, qh);
}

// ggml ignores importance for Q8_0.
void encodeQ8_0(const float *x, const Importance *, std::uint8_t *block) {
    float amax = 0.0f;
    for (int j = 0; j < kBlock; ++j)
        amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
    const float d = amax / 127.0f;
    const float id = inverseOf(d);
    storeHalf(block + kQ8_0.d, fp16Bits(d));
    std::uint8_t *qs = block + kQ8_0.qs;
    // |x · id| ≤ amax · id (rounding is monotonic): below 2^23 every product has an exact integer
    // part, and roundHalfAway replaces libm's roundf call with the same result.
    if (amax * id < 8388608.0f) {
        for (int j = 0; j < kBlock; ++j)
            qs[j] = std::uint8_t(std::int8_t(roundHalfAway(x[j] * id)));
        return;
    }
    // roundf: halves away from zero, unlike nearest_int.
    for (int j = 0; j < kBlock; ++j)
        qs[j] = std::uint8_t(std::int8_t(truncateToInt32(std::round(x[j] * id))));
}

} // namespace qs::ggml
