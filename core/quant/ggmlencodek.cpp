#include "quant/ggmlblockencoders.h"
#include "quant/ggmllayout.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>

// The 256-value "super-block" types Q2_K ... Q6_K, as quantize_row_q*_K_ref: fit each sub-block,
// quantize the sub-block scales (and mins) against one f16 d (and dmin), then requantize every
// value with the scale it will be decoded with.

namespace qs::ggml {

namespace {

constexpr const GgmlBlockLayout &kQ2_K = ggmlBlockLayout(GgmlType::Q2_K);
constexpr const GgmlBlockLayout &kQ3_K = ggmlBlockLayout(GgmlType::Q3_K);
constexpr const GgmlBlockLayout &kQ4_K = ggmlBlockLayout(GgmlType::Q4_K);
constexpr const GgmlBlockLayout &kQ5_K = ggmlBlockLayout(GgmlType::Q5_K);
constexpr const GgmlBlockLayout &kQ6_K = ggmlBlockLayout(GgmlType::Q6_K);
constexpr int kSuper = 256;

int clampLevel(int level, int lo, int hi) {
    return std::max(lo, std::min(hi, level));
}

// Four 2-bit levels per byte: byte l of each 128-value half holds values l, l + 32, l + 64, l + 96.
void pack2Bit(const std::uint8_t *levels, std::uint8_t *qs) {
    for (int half = 0; half < kSuper; half += 128) {
        for (int l = 0; l < 32; ++l) {
            const std::uint8_t *v = levels + half + l;
            qs[half / 4 + l] = std::uint8_t(v[0] | (v[32] << 2) | (v[64] << 4) | (v[96] << 6));
        }
    }
}

// Largest fitted scale and min of the sub-blocks; ggml starts both at 0.
struct Maxima {
    float scale = 0.0f;
    float min = 0.0f;
};

void trackMaxima(Maxima &maxima, float scale, float min) {
    if (scale > maxima.scale)
        maxima.scale = scale;
    if (min > maxima.min)
        maxima.min = min;
}

} // namespace

void encodeQ2_K(const float *x, std::uint8_t *block) {
    std::array<std::uint8_t, kSuper> levels{};
    std::array<float, 16> scales{};
    std::array<float, 16> mins{};
    const AffineSearch search{3, -0.5f, 0.1f, 15, true};
    Maxima maxima;
    for (int j = 0; j < 16; ++j) {
        std::array<float, 16> weights{};
        for (int l = 0; l < 16; ++l)
            weights[l] = std::fabs(x[16 * j + l]);
        const AffineFit fit =
            fitAffineLevels({x + 16 * j, 16}, weights, search, {levels.data() + 16 * j, 16});
        scales[j] = fit.scale;
        mins[j] = fit.negatedMin;
        trackMaxima(maxima, scales[j], mins[j]);
    }

    std::uint8_t *packed = block + kQ2_K.scales;
    if (maxima.scale > 0.0f) {
        const float iscale = 15.0f / maxima.scale;
        for (int j = 0; j < 16; ++j)
            packed[j] = std::uint8_t(nearestInt(iscale * scales[j]));
        storeHalf(block + kQ2_K.d, fp16Bits(maxima.scale / 15.0f));
    } else {
        std::fill(packed, packed + 16, std::uint8_t(0));
        storeHalf(block + kQ2_K.d, fp16Bits(0.0f));
    }
    if (maxima.min > 0.0f) {
        const float iscale = 15.0f / maxima.min;
        for (int j = 0; j < 16; ++j)
            packed[j] = std::uint8_t(packed[j] | (unsigned(nearestInt(iscale * mins[j])) << 4));
        storeHalf(block + kQ2_K.dmin, fp16Bits(maxima.min / 15.0f));
    } else {
        storeHalf(block + kQ2_K.dmin, fp16Bits(0.0f));
    }

    const float d = loadHalf(block + kQ2_K.d);
    const float dmin = loadHalf(block + kQ2_K.dmin);
    for (int j = 0; j < 16; ++j) {
        const float dl = d * float(packed[j] & 0x0F);
        if (dl == 0.0f)
            continue; // keeps the fitted levels, as ggml does
        const float ml = dmin * float(packed[j] >> 4);
        for (int i = 16 * j; i < 16 * j + 16; ++i)
            levels[i] = std::uint8_t(clampLevel(nearestInt((x[i] + ml) / dl), 0, 3));
    }
    pack2Bit(levels.data(), block + kQ2_K.qs);
}

namespace {

// Q3_K's 16 signed 6-bit scales: low nibbles in bytes 0 ... 7 (j and j - 8 high nibble),
// the top two bits in bytes 8 ... 11 at bit 2·(j / 4).
void packScalesQ3K(const std::array<float, 16> &scales, float iscale, std::uint8_t *packed) {
    for (int j = 0; j < 16; ++j) {
        std::int8_t l = std::int8_t(nearestInt(iscale * scales[j]));
        l = std::int8_t(std::max(-32, std::min(31, int(l))) + 32);
        if (j < 8)
            packed[j] = std::uint8_t(l & 0x0F);
        else
            packed[j - 8] = std::uint8_t(packed[j - 8] | ((l & 0x0F) << 4));
        packed[8 + j % 4] = std::uint8_t(packed[8 + j % 4] | ((l >> 4) << (2 * (j / 4))));
    }
}

// Moves the third bit of each level (0 ... 7) to hmask: bit k of hmask[m] is value 32·k + m.
void splitHighBitQ3K(std::uint8_t *levels, std::uint8_t *hmask) {
    for (int j = 0; j < kSuper; ++j) {
        if (levels[j] > 3) {
            hmask[j % 32] = std::uint8_t(hmask[j % 32] | (1u << (j / 32)));
            levels[j] = std::uint8_t(levels[j] - 4);
        }
    }
}

} // namespace

void encodeQ3_K(const float *x, std::uint8_t *block) {
    std::array<std::int8_t, kSuper> levels{};
    std::array<float, 16> scales{};
    float maxScale = 0.0f;
    float maxMagnitude = 0.0f;
    for (int j = 0; j < 16; ++j) {
        scales[j] = fitSignedLevelsByValue({x + 16 * j, 16}, 4, {levels.data() + 16 * j, 16});
        if (std::fabs(scales[j]) > maxMagnitude) {
            maxMagnitude = std::fabs(scales[j]);
            maxScale = scales[j];
        }
    }

    std::uint8_t *packed = block + kQ3_K.scales;
    std::fill(packed, packed + 12, std::uint8_t(0));
    if (maxScale != 0.0f) {
        const float iscale = -32.0f / maxScale;
        packScalesQ3K(scales, iscale, packed);
        storeHalf(block + kQ3_K.d, fp16Bits(1.0f / iscale));
    } else {
        storeHalf(block + kQ3_K.d, fp16Bits(0.0f));
    }

    const float d = loadHalf(block + kQ3_K.d);
    for (int j = 0; j < 16; ++j) {
        const float dl = d * float(std::int8_t(unpackScaleQ3K(packed, j)));
        if (dl == 0.0f)
            continue;
        for (int i = 16 * j; i < 16 * j + 16; ++i)
            levels[i] = std::int8_t(clampLevel(nearestInt(x[i] / dl), -4, 3) + 4);
    }

    std::array<std::uint8_t, kSuper> unsignedLevels{};
    std::copy(levels.begin(), levels.end(), unsignedLevels.begin());
    std::uint8_t *hmask = block + kQ3_K.qh;
    std::fill(hmask, hmask + 32, std::uint8_t(0));
    splitHighBitQ3K(unsignedLevels.data(), hmask);
    pack2Bit(unsignedLevels.data(), block + kQ3_K.qs);
}

namespace {

struct QkParams {
    const GgmlBlockLayout &layout;
    AffineSearch search;
};

// The shared front half of Q4_K and Q5_K: fit the eight 32-value sub-blocks with weights
// rms + |x|, pack their 6-bit scales and mins, write d and dmin, requantize. Leaves levels in [0, nmax].
void fitSubBlocksQk(const float *x, std::uint8_t *block, const QkParams &params, std::uint8_t *levels) {
    std::array<float, 8> scales{};
    std::array<float, 8> mins{};
    Maxima maxima;
    for (int j = 0; j < 8; ++j) {
        const float *v = x + 32 * j;
        float sumX2 = 0.0f;
        for (int l = 0; l < 32; ++l)
            sumX2 += v[l] * v[l];
        const float rms = std::sqrt(sumX2 / 32.0f);
        std::array<float, 32> weights{};
        for (int l = 0; l < 32; ++l)
            weights[l] = rms + std::fabs(v[l]);
        const AffineFit fit = fitAffineLevels({v, 32}, weights, params.search, {levels + 32 * j, 32});
        scales[j] = fit.scale;
        mins[j] = fit.negatedMin;
        trackMaxima(maxima, scales[j], mins[j]);
    }

    const float invScale = maxima.scale > 0.0f ? 63.0f / maxima.scale : 0.0f;
    const float invMin = maxima.min > 0.0f ? 63.0f / maxima.min : 0.0f;
    std::uint8_t *packed = block + params.layout.scales;
    for (int j = 0; j < 8; ++j) {
        const std::uint8_t ls = std::min<std::uint8_t>(63, std::uint8_t(nearestInt(invScale * scales[j])));
        const std::uint8_t lm = std::min<std::uint8_t>(63, std::uint8_t(nearestInt(invMin * mins[j])));
        if (j < 4) {
            packed[j] = ls;
            packed[j + 4] = lm;
        } else {
            packed[j + 4] = std::uint8_t((ls & 0x0F) | ((lm & 0x0F) << 4));
            packed[j - 4] = std::uint8_t(packed[j - 4] | ((ls >> 4) << 6));
            packed[j] = std::uint8_t(packed[j] | ((lm >> 4) << 6));
        }
    }
    storeHalf(block + params.layout.d, fp16Bits(maxima.scale / 63.0f));
    storeHalf(block + params.layout.dmin, fp16Bits(maxima.min / 63.0f));

    const float d = loadHalf(block + params.layout.d);
    const float dmin = loadHalf(block + params.layout.dmin);
    for (int j = 0; j < 8; ++j) {
        const PackedScaleMin sm = unpackScaleMinK4(packed, j);
        const float dl = d * float(sm.scale);
        if (dl == 0.0f)
            continue;
        const float ml = dmin * float(sm.min);
        for (int i = 32 * j; i < 32 * j + 32; ++i)
            levels[i] = std::uint8_t(clampLevel(nearestInt((x[i] + ml) / dl), 0, params.search.nmax));
    }
}

} // namespace

void encodeQ4_K(const float *x, std::uint8_t *block) {
    std::array<std::uint8_t, kSuper> levels{};
    fitSubBlocksQk(x, block, {kQ4_K, {15, -1.0f, 0.1f, 20, false}}, levels.data());
    // Each 64-value group: value l in the low nibble of byte l, value l + 32 in the high one.
    std::uint8_t *qs = block + kQ4_K.qs;
    for (int group = 0; group < kSuper; group += 64, qs += 32) {
        for (int l = 0; l < 32; ++l)
            qs[l] = std::uint8_t(levels[group + l] | (levels[group + l + 32] << 4));
    }
}

void encodeQ5_K(const float *x, std::uint8_t *block) {
    std::array<std::uint8_t, kSuper> levels{};
    fitSubBlocksQk(x, block, {kQ5_K, {31, -0.5f, 0.1f, 15, false}}, levels.data());
    // As Q4_K, with the fifth bit of group g's low / high nibble value in qh[l] bit 2g / 2g + 1.
    std::uint8_t *qs = block + kQ5_K.qs;
    std::uint8_t *qh = block + kQ5_K.qh;
    std::fill(qh, qh + 32, std::uint8_t(0));
    for (int group = 0; group < 4; ++group, qs += 32) {
        for (int l = 0; l < 32; ++l) {
            int lo = levels[64 * group + l];
            int hi = levels[64 * group + l + 32];
            if (lo > 15) {
                lo -= 16;
                qh[l] = std::uint8_t(qh[l] | (1u << (2 * group)));
            }
            if (hi > 15) {
                hi -= 16;
                qh[l] = std::uint8_t(qh[l] | (2u << (2 * group)));
            }
            qs[l] = std::uint8_t(lo | (hi << 4));
        }
    }
}

namespace {

// Q6_K: low nibbles in ql (values l and l + 64 of a 128-value half in byte l, l + 32 and l + 96
// in byte l + 32), the top two bits of values l, l + 32, l + 64, l + 96 in qh[l].
void packQ6K(const std::int8_t *levels, std::uint8_t *ql, std::uint8_t *qh) {
    for (int half = 0; half < kSuper; half += 128, ql += 64, qh += 32) {
        for (int l = 0; l < 32; ++l) {
            const std::int8_t *v = levels + half + l;
            ql[l] = std::uint8_t((v[0] & 0x0F) | ((v[64] & 0x0F) << 4));
            ql[l + 32] = std::uint8_t((v[32] & 0x0F) | ((v[96] & 0x0F) << 4));
            qh[l] =
                std::uint8_t((v[0] >> 4) | ((v[32] >> 4) << 2) | ((v[64] >> 4) << 4) | ((v[96] >> 4) << 6));
        }
    }
}

} // namespace

void encodeQ6_K(const float *x, std::uint8_t *block) {
    std::array<std::int8_t, kSuper> levels{};
    std::array<float, 16> scales{};
    float maxScale = 0.0f;
    float maxMagnitude = 0.0f;
    for (int j = 0; j < 16; ++j) {
        scales[j] = fitSignedLevels({x + 16 * j, 16}, 32, {}, {levels.data() + 16 * j, 16});
        if (std::fabs(scales[j]) > maxMagnitude) {
            maxMagnitude = std::fabs(scales[j]);
            maxScale = scales[j];
        }
    }
    if (maxMagnitude < kGroupMaxEps)
        return; // an all-zero block, d = 0

    const float iscale = -128.0f / maxScale;
    storeHalf(block + kQ6_K.d, fp16Bits(1.0f / iscale));
    auto *packedScales = reinterpret_cast<std::int8_t *>(block + kQ6_K.scales);
    for (int j = 0; j < 16; ++j)
        packedScales[j] = std::int8_t(std::min(127, nearestInt(iscale * scales[j])));

    const float d = loadHalf(block + kQ6_K.d);
    for (int j = 0; j < 16; ++j) {
        const float dl = d * float(packedScales[j]);
        if (dl == 0.0f)
            continue;
        for (int i = 16 * j; i < 16 * j + 16; ++i)
            levels[i] = std::int8_t(clampLevel(nearestInt(x[i] / dl), -32, 31) + 32);
    }
    packQ6K(levels.data(), block + kQ6_K.qs, block + kQ6_K.qh);
}

} // namespace qs::ggml
