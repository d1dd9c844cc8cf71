#include "quant/ggmlblockencoders.h"
#include "quant/ggmllanes.h"
#include "quant/ggmllayout.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>

// The 256-value "super-block" types Q2_K ... Q6_K: fit each sub-block, quantize the sub-block
// scales (and mins) against one f16 d (and dmin), then requantize every value with the scale it
// will be decoded with. The reference path (quantize_row_q*_K_ref) and the importance-weighted
// one (quantize_row_q*_K_impl) differ only in the first two steps. Sub-blocks are fitted sixteen
// at a time by the *Lanes fits, which give what fitting them one by one gives.

namespace qs::ggml {

namespace {

constexpr const GgmlBlockLayout &kQ2_K = ggmlBlockLayout(GgmlType::Q2_K);
constexpr const GgmlBlockLayout &kQ3_K = ggmlBlockLayout(GgmlType::Q3_K);
constexpr const GgmlBlockLayout &kQ4_K = ggmlBlockLayout(GgmlType::Q4_K);
constexpr const GgmlBlockLayout &kQ5_K = ggmlBlockLayout(GgmlType::Q5_K);
constexpr const GgmlBlockLayout &kQ6_K = ggmlBlockLayout(GgmlType::Q6_K);
constexpr int kSuper = 256;

// The importance path's sub-block search (make_qkx3_quants's arguments in every _impl).
constexpr float kWeightedRmin = -0.9f;
constexpr float kWeightedRdelta = 0.05f;
constexpr int kWeightedSteps = 36;

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

// The importance weights of one sub-block and their sum (sw[j] in ggml).
template <std::size_t N>
float subBlockWeights(const float *x, const float *importance, float meanSquare,
                      std::array<float, N> &weights) {
    importanceWeights({x, N}, importance, meanSquare, weights);
    float sum = 0.0f;
    for (float w : weights)
        sum += w;
    return sum;
}

// Sub-block scales and mins of an affine K type, each fitted with levels in [0, nmax].
template <std::size_t Groups>
struct AffineGroups {
    std::array<float, Groups> scales{};
    std::array<float, Groups> mins{};
    std::array<float, Groups> weightSums{}; // importance path only
    Maxima maxima;
};

// Fits every sub-block of N values of a super-block (weights one per value), kFitLanes at a time.
template <int N, std::size_t Groups>
void fitAffineSubBlocks(const float *x, const float *weights, const AffineSearch &search,
                        std::uint8_t *levels, AffineGroups<Groups> &groups) {
    static_assert(Groups % kFitLanes == 0);
    for (std::size_t first = 0; first < Groups; first += kFitLanes) {
        const std::size_t at = N * first;
        const auto fits = fitAffineLevelsLanes<N>(x + at, weights + at, search, levels + at);
        for (std::size_t g = 0; g < kFitLanes; ++g) {
            groups.scales[first + g] = fits[g].scale;
            groups.mins[first + g] = fits[g].negatedMin;
        }
    }
}

// Importance weights of every sub-block of N values into `weights`, their sums into weightSums.
template <int N, std::size_t Groups>
void subBlockWeightsAll(const float *x, const float *importance, float meanSquare, float *weights,
                        std::array<float, Groups> &weightSums) {
    for (std::size_t j = 0; j < Groups; ++j) {
        std::array<float, N> w{};
        weightSums[j] = subBlockWeights(x + N * j, importance + N * j, meanSquare, w);
        std::copy(w.begin(), w.end(), weights + N * j);
    }
}

// ---- Q2_K: 16 sub-blocks of 16, 4-bit scale and min each.

// Reference: weights |x|, scales and mins quantized against their maxima.
void chooseScalesQ2K(const float *x, std::uint8_t *block, std::uint8_t *levels) {
    std::array<float, kSuper> weights{};
    for (int i = 0; i < kSuper; ++i)
        weights[i] = std::fabs(x[i]);
    AffineGroups<16> groups;
    fitAffineSubBlocks<16>(x, weights.data(), {3, -0.5f, 0.1f, 15, true}, levels, groups);
    for (int j = 0; j < 16; ++j)
        trackMaxima(groups.maxima, groups.scales[j], groups.mins[j]);
    std::uint8_t *packed = block + kQ2_K.scales;
    if (groups.maxima.scale > 0.0f) {
        const float iscale = 15.0f / groups.maxima.scale;
        for (int j = 0; j < 16; ++j)
            packed[j] = std::uint8_t(nearestInt(iscale * groups.scales[j]));
        storeHalf(block + kQ2_K.d, fp16Bits(groups.maxima.scale / 15.0f));
    }
    if (groups.maxima.min > 0.0f) {
        const float iscale = 15.0f / groups.maxima.min;
        for (int j = 0; j < 16; ++j)
            packed[j] = std::uint8_t(packed[j] | (unsigned(nearestInt(iscale * groups.mins[j])) << 4));
        storeHalf(block + kQ2_K.dmin, fp16Bits(groups.maxima.min / 15.0f));
    }
}

// Importance: weights qw·sqrt(σ² + x²) with the block's σ², scales and mins by make_qp_quants.
void chooseScalesQ2KWeighted(const float *x, const float *importance, std::uint8_t *block,
                             std::uint8_t *levels) {
    const float meanSquare = sumOfSquares({x, kSuper}) / float(kSuper);
    AffineGroups<16> groups;
    std::array<float, kSuper> weights{};
    subBlockWeightsAll<16>(x, importance, meanSquare, weights.data(), groups.weightSums);
    fitAffineSubBlocks<16>(x, weights.data(), {3, kWeightedRmin, kWeightedRdelta, kWeightedSteps, false},
                           levels, groups);
    std::array<std::uint8_t, 16> ls{};
    std::array<std::uint8_t, 16> lm{};
    const float d = fitPositiveLevels(groups.scales, 15, groups.weightSums, ls);
    const float dmin = fitPositiveLevels(groups.mins, 15, groups.weightSums, lm);
    storeHalf(block + kQ2_K.d, fp16Bits(d));
    storeHalf(block + kQ2_K.dmin, fp16Bits(dmin));
    for (int j = 0; j < 16; ++j)
        block[kQ2_K.scales + j] = std::uint8_t(ls[j] | (lm[j] << 4));
}

void requantizeQ2K(const float *x, const std::uint8_t *block, std::uint8_t *levels) {
    const float d = loadHalf(block + kQ2_K.d);
    const float dmin = loadHalf(block + kQ2_K.dmin);
    const std::uint8_t *packed = block + kQ2_K.scales;
    std::array<float, 16> dl{};
    std::array<float, 16> ml{};
    for (int j = 0; j < 16; ++j) {
        dl[j] = d * float(packed[j] & 0x0F);
        ml[j] = dmin * float(packed[j] >> 4);
    }
    requantizeGroups<16>(x, 16, dl.data(), ml.data(), 0.0f, 3.0f, levels);
}

// ---- Q3_K: 16 sub-blocks of 16, signed 6-bit scales, levels -4 ... 3.

// Packs 16 scales already offset to 0 ... 63: low nibbles in bytes 0 ... 7 (j, and j - 8 in the
// high nibble), the top two bits in bytes 8 ... 11 at bit 2·(j / 4).
void packScalesQ3K(const std::array<int, 16> &scales, std::uint8_t *packed) {
    for (int j = 0; j < 16; ++j) {
        const int l = scales[j];
        if (j < 8)
            packed[j] = std::uint8_t(l & 0x0F);
        else
            packed[j - 8] = std::uint8_t(packed[j - 8] | ((l & 0x0F) << 4));
        packed[8 + j % 4] = std::uint8_t(packed[8 + j % 4] | ((l >> 4) << (2 * (j / 4))));
    }
}

// Reference: make_q3_quants per sub-block, scales against the one of largest magnitude.
void chooseScalesQ3K(const float *x, std::uint8_t *block, std::int8_t *levels) {
    std::array<float, 16> scales{};
    float maxScale = 0.0f;
    float maxMagnitude = 0.0f;
    for (int first = 0; first < 16; first += kFitLanes) {
        const auto fitted = fitSignedLevelsByValueLanes<16>(x + 16 * first, 4, levels + 16 * first);
        std::copy(fitted.begin(), fitted.end(), scales.begin() + first);
    }
    for (int j = 0; j < 16; ++j) {
        if (std::fabs(scales[j]) > maxMagnitude) {
            maxMagnitude = std::fabs(scales[j]);
            maxScale = scales[j];
        }
    }
    if (maxScale == 0.0f)
        return; // d = 0, scales 0
    const float iscale = -32.0f / maxScale;
    std::array<int, 16> offsetScales{};
    for (int j = 0; j < 16; ++j) {
        // ggml stores nearest_int in an int8_t before clamping.
        const int l = std::int8_t(nearestInt(iscale * scales[j]));
        offsetScales[j] = std::int8_t(std::max(-32, std::min(31, l)) + 32);
    }
    packScalesQ3K(offsetScales, block + kQ3_K.scales);
    storeHalf(block + kQ3_K.d, fp16Bits(1.0f / iscale));
}

// Importance: make_qx_quants per sub-block and again over the 16 scales (levels 0 ... 63).
void chooseScalesQ3KWeighted(const float *x, const float *importance, std::uint8_t *block,
                             std::int8_t *levels) {
    const float meanSquare = 2.0f * sumOfSquares({x, kSuper}) / float(kSuper);
    std::array<float, 16> scales{};
    std::array<float, 16> weightSums{};
    std::array<float, kSuper> weights{};
    subBlockWeightsAll<16>(x, importance, meanSquare, weights.data(), weightSums);
    for (int first = 0; first < 16; first += kFitLanes) {
        const int at = 16 * first;
        const auto fitted = fitSignedLevelsLanes<16>(x + at, 4, weights.data() + at, levels + at);
        std::copy(fitted.begin(), fitted.end(), scales.begin() + first);
    }
    std::array<std::int8_t, 16> ls{};
    const float d = fitSignedLevels(scales, 32, weightSums, ls);
    std::array<int, 16> offsetScales{};
    std::copy(ls.begin(), ls.end(), offsetScales.begin());
    packScalesQ3K(offsetScales, block + kQ3_K.scales);
    storeHalf(block + kQ3_K.d, fp16Bits(d));
}

void requantizeQ3K(const float *x, const std::uint8_t *block, std::int8_t *levels) {
    const float d = loadHalf(block + kQ3_K.d);
    std::array<float, 16> dl{};
    for (int j = 0; j < 16; ++j)
        dl[j] = d * float(std::int8_t(unpackScaleQ3K(block + kQ3_K.scales, j)));
    requantizeGroups<16>(x, 16, dl.data(), nullptr, -4.0f, 3.0f, levels);
}

// Moves the third bit of each level (0 ... 7) to hmask: bit k of hmask[m] is value 32·k + m.
// Without branches: whether a level exceeds 3 is a coin flip the branch predictor loses.
void splitHighBitQ3K(std::uint8_t *levels, std::uint8_t *hmask) {
    for (int k = 0; k < kSuper / 32; ++k) {
        for (int m = 0; m < 32; ++m) {
            std::uint8_t &level = levels[32 * k + m];
            hmask[m] = std::uint8_t(hmask[m] | ((level >> 2) << k));
            level = std::uint8_t(level & 3);
        }
    }
}

// ---- Q4_K and Q5_K: 8 sub-blocks of 32, 6-bit scales and mins.

// The 12 scale bytes: scale and min j < 4 in bytes j and j + 4; for j ≥ 4 their low nibbles in
// byte j + 4 and their top two bits in bits 6 and 7 of bytes j - 4 and j.
void packScaleMinK4(const std::array<std::uint8_t, 8> &ls, const std::array<std::uint8_t, 8> &lm,
                    std::uint8_t *packed) {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            packed[j] = ls[j];
            packed[j + 4] = lm[j];
        } else {
            packed[j + 4] = std::uint8_t((ls[j] & 0x0F) | ((lm[j] & 0x0F) << 4));
            packed[j - 4] = std::uint8_t(packed[j - 4] | ((ls[j] >> 4) << 6));
            packed[j] = std::uint8_t(packed[j] | ((lm[j] >> 4) << 6));
        }
    }
}

// Q4_K and Q5_K have 8 sub-blocks, half of kFitLanes: two super-blocks are fitted in one call
// (a lone block's other lanes fit zeros, whose results go unused).
constexpr int kQkPerCall = kFitLanes / 8;

// Reference weights rms + |x| (rms of the sub-block), or the importance path's
// qw·sqrt(2σ² + x²) with the super-block's σ² and the sub-blocks' weight sums.
void weightsQk(const float *x, const float *importance, float *weights, AffineGroups<8> &groups) {
    if (importance) {
        const float meanSquare = 2.0f * sumOfSquares({x, kSuper}) / float(kSuper);
        subBlockWeightsAll<32>(x, importance, meanSquare, weights, groups.weightSums);
        return;
    }
    // Each sub-block's Σx² in its own order, the eight interleaved: eight independent chains of
    // additions instead of one chain of 256, with the same sums (sumOfSquares per sub-block).
    std::array<float, 8> sums{};
    for (int l = 0; l < 32; ++l)
        for (int j = 0; j < 8; ++j)
            sums[std::size_t(j)] += x[32 * j + l] * x[32 * j + l];
    for (int j = 0; j < 8; ++j) {
        const float rms = std::sqrt(sums[std::size_t(j)] / 32.0f);
        for (int l = 0; l < 32; ++l)
            weights[32 * j + l] = rms + std::fabs(x[32 * j + l]);
    }
}

// Fits the sub-blocks of `count` (1 ... kQkPerCall) consecutive super-blocks in one lane call.
void fitQk(const float *x, const float *importance, int count, AffineSearch search,
           std::array<AffineGroups<8>, kQkPerCall> &groups, std::uint8_t *levels) {
    std::array<float, kQkPerCall * kSuper> padded{};
    std::array<float, kQkPerCall * kSuper> weights{};
    for (int b = 0; b < count; ++b)
        weightsQk(x + kSuper * b, importance ? importance + kSuper * b : nullptr, weights.data() + kSuper * b,
                  groups[std::size_t(b)]);
    if (count < kQkPerCall) {
        std::copy(x, x + kSuper * count, padded.begin());
        x = padded.data();
    }
    if (importance)
        search = {search.nmax, kWeightedRmin, kWeightedRdelta, kWeightedSteps, false};
    const auto fits = fitAffineLevelsLanes<32>(x, weights.data(), search, levels);
    for (int b = 0; b < count; ++b) {
        for (std::size_t j = 0; j < 8; ++j) {
            groups[std::size_t(b)].scales[j] = fits[8 * std::size_t(b) + j].scale;
            groups[std::size_t(b)].mins[j] = fits[8 * std::size_t(b) + j].negatedMin;
        }
    }
}

// Reference: scales and mins against their maxima.
void chooseScalesQk(AffineGroups<8> &groups, std::uint8_t *block, const GgmlBlockLayout &layout) {
    for (int j = 0; j < 8; ++j)
        trackMaxima(groups.maxima, groups.scales[j], groups.mins[j]);
    const float invScale = groups.maxima.scale > 0.0f ? 63.0f / groups.maxima.scale : 0.0f;
    const float invMin = groups.maxima.min > 0.0f ? 63.0f / groups.maxima.min : 0.0f;
    std::array<std::uint8_t, 8> ls{};
    std::array<std::uint8_t, 8> lm{};
    for (int j = 0; j < 8; ++j) {
        ls[j] = std::min<std::uint8_t>(63, std::uint8_t(nearestInt(invScale * groups.scales[j])));
        lm[j] = std::min<std::uint8_t>(63, std::uint8_t(nearestInt(invMin * groups.mins[j])));
    }
    packScaleMinK4(ls, lm, block + layout.scales);
    storeHalf(block + layout.d, fp16Bits(groups.maxima.scale / 63.0f));
    storeHalf(block + layout.dmin, fp16Bits(groups.maxima.min / 63.0f));
}

// Importance: scales and mins by make_qp_quants. ggml caps the 6-bit levels at 63 for Q5_K only.
void chooseScalesQkWeighted(const AffineGroups<8> &groups, std::uint8_t *block,
                            const GgmlBlockLayout &layout) {
    std::array<std::uint8_t, 8> ls{};
    std::array<std::uint8_t, 8> lm{};
    const float d = fitPositiveLevels(groups.scales, 63, groups.weightSums, ls);
    const float dmin = fitPositiveLevels(groups.mins, 63, groups.weightSums, lm);
    if (layout.type == GgmlType::Q5_K) {
        for (int j = 0; j < 8; ++j) {
            ls[j] = std::min<std::uint8_t>(63, ls[j]);
            lm[j] = std::min<std::uint8_t>(63, lm[j]);
        }
    }
    packScaleMinK4(ls, lm, block + layout.scales);
    storeHalf(block + layout.d, fp16Bits(d));
    storeHalf(block + layout.dmin, fp16Bits(dmin));
}

void requantizeQk(const float *x, const std::uint8_t *block, const GgmlBlockLayout &layout, int nmax,
                  std::uint8_t *levels) {
    const float d = loadHalf(block + layout.d);
    const float dmin = loadHalf(block + layout.dmin);
    std::array<float, 8> dl{};
    std::array<float, 8> ml{};
    for (int j = 0; j < 8; ++j) {
        const PackedScaleMin sm = unpackScaleMinK4(block + layout.scales, j);
        dl[j] = d * float(sm.scale);
        ml[j] = dmin * float(sm.min);
    }
    requantizeGroups<32>(x, 8, dl.data(), ml.data(), 0.0f, float(nmax), levels);
}

// Each 64-value group: value l in the low nibble of byte l, value l + 32 in the high one.
void packQ4K(const std::uint8_t *levels, std::uint8_t *block) {
    std::uint8_t *qs = block + kQ4_K.qs;
    for (int group = 0; group < kSuper; group += 64, qs += 32) {
        for (int l = 0; l < 32; ++l)
            qs[l] = std::uint8_t(levels[group + l] | (levels[group + l + 32] << 4));
    }
}

// As Q4_K, with the fifth bit of group g's low / high nibble value in qh[l] bit 2g / 2g + 1.
// Levels are 0 ... 31, so the fifth bit is level >> 4; no branch on it (a coin flip per value).
void packQ5K(const std::uint8_t *levels, std::uint8_t *block) {
    std::uint8_t *qs = block + kQ5_K.qs;
    std::uint8_t *qh = block + kQ5_K.qh;
    for (int group = 0; group < 4; ++group, qs += 32) {
        for (int l = 0; l < 32; ++l) {
            const unsigned lo = levels[64 * group + l];
            const unsigned hi = levels[64 * group + l + 32];
            qh[l] = std::uint8_t(qh[l] | ((lo >> 4) << (2 * group)) | ((hi >> 4) << (2 * group + 1)));
            qs[l] = std::uint8_t((lo & 0x0F) | ((hi & 0x0F) << 4));
        }
    }
}

// Encodes `count` consecutive Q4_K / Q5_K super-blocks (x: count · 256 values).
void encodeQk(const float *x, const Importance *importance, std::uint8_t *blocks, int count,
              const GgmlBlockLayout &layout, const AffineSearch &search,
              void (*pack)(const std::uint8_t *, std::uint8_t *)) {
    std::array<AffineGroups<8>, kQkPerCall> groups{};
    std::array<std::uint8_t, kQkPerCall * kSuper> levels{};
    fitQk(x, importance ? importance->weights : nullptr, count, search, groups, levels.data());
    for (int b = 0; b < count; ++b) {
        std::uint8_t *block = blocks + layout.blockBytes * std::size_t(b);
        std::uint8_t *blockLevels = levels.data() + kSuper * b;
        if (importance)
            chooseScalesQkWeighted(groups[std::size_t(b)], block, layout);
        else
            chooseScalesQk(groups[std::size_t(b)], block, layout);
        requantizeQk(x + kSuper * b, block, layout, search.nmax, blockLevels);
        pack(blockLevels, block);
    }
}

constexpr AffineSearch kSearchQ4K = {15, -1.0f, 0.1f, 20, false};
constexpr AffineSearch kSearchQ5K = {31, -0.5f, 0.1f, 15, false};

// ---- Q6_K: 16 sub-blocks of 16, int8 scales, levels -32 ... 31.

// Low nibbles in ql (values l and l + 64 of a 128-value half in byte l, l + 32 and l + 96 in
// byte l + 32), the top two bits of values l, l + 32, l + 64, l + 96 in qh[l].
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

void encodeQ2_K(const float *x, const Importance *importance, std::uint8_t *block) {
    std::array<std::uint8_t, kSuper> levels{};
    if (importance)
        chooseScalesQ2KWeighted(x, importance->weights, block, levels.data());
    else
        chooseScalesQ2K(x, block, levels.data());
    requantizeQ2K(x, block, levels.data());
    pack2Bit(levels.data(), block + kQ2_K.qs);
}

void encodeQ3_K(const float *x, const Importance *importance, std::uint8_t *block) {
    std::array<std::int8_t, kSuper> levels{};
    if (importance)
        chooseScalesQ3KWeighted(x, importance->weights, block, levels.data());
    else
        chooseScalesQ3K(x, block, levels.data());
    requantizeQ3K(x, block, levels.data());
    std::array<std::uint8_t, kSuper> unsignedLevels{};
    std::copy(levels.begin(), levels.end(), unsignedLevels.begin());
    splitHighBitQ3K(unsignedLevels.data(), block + kQ3_K.qh);
    pack2Bit(unsignedLevels.data(), block + kQ3_K.qs);
}

void encodeQ4_K(const float *x, const Importance *importance, std::uint8_t *block) {
    encodeQk(x, importance, block, 1, kQ4_K, kSearchQ4K, packQ4K);
}

void encodeQ4_KPair(const float *x, const Importance *importance, std::uint8_t *blocks) {
    encodeQk(x, importance, blocks, 2, kQ4_K, kSearchQ4K, packQ4K);
}

void encodeQ5_K(const float *x, const Importance *importance, std::uint8_t *block) {
    encodeQk(x, importance, block, 1, kQ5_K, kSearchQ5K, packQ5K);
}

void encodeQ5_KPair(const float *x, const Importance *importance, std::uint8_t *blocks) {
    encodeQk(x, importance, blocks, 2, kQ5_K, kSearchQ5K, packQ5K);
}

void encodeQ6_K(const float *x, const Importance *importance, std::uint8_t *block) {
    std::array<std::int8_t, kSuper> levels{};
    std::array<float, 16> scales{};
    float maxScale = 0.0f;
    float maxMagnitude = 0.0f;
    for (int first = 0; first < 16; first += kFitLanes) {
        // With importance, ggml uses the weights as they are (no σ² term) for Q6_K.
        const int at = 16 * first;
        const float *weights = importance ? importance->weights + at : nullptr;
        const auto fitted = fitSignedLevelsLanes<16>(x + at, 32, weights, levels.data() + at);
        std::copy(fitted.begin(), fitted.end(), scales.begin() + first);
    }
    for (int j = 0; j < 16; ++j) {
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
    std::array<float, 16> dl{};
    for (int j = 0; j < 16; ++j)
        dl[j] = d * float(packedScales[j]);
    requantizeGroups<16>(x, 16, dl.data(), nullptr, -32.0f, 31.0f, levels.data());
    packQ6K(levels.data(), block + kQ6_K.qs, block + kQ6_K.qh);
}

} // namespace qs::ggml
