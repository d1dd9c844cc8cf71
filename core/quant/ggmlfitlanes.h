#pragma once

// Internal to ggmlfitlanes*.cpp: the fits of ggmlfit.cpp on kLanes (16) sub-blocks at once, one per
// lane (see ggmllanes.h for why each lane is bit-identical to the scalar fit), built once per
// vector width. The scalar code's per-group branches become masks: a lane that the scalar code
// would skip ("continue") still computes, but a select keeps its old state. Sums still run from
// the first value to the last within each lane. Instead of copying a trial's levels whenever it
// wins, the lanes remember the winning trial's inputs and quantize once at the end, which gives
// the same levels.

#include "quant/ggmlblockencoders.h"
#include "quant/ggmlfit.h"
#include "quant/ggmllanes.h"
#include "quant/ggmllayout.h"

#include <bit>

namespace qs::ggml {
inline namespace QS_LANES_ISA {

static_assert(kFitLanes == kLanes);

// x ≈ scale · level + offset: error summed in order, as fitError.
template <int N>
[[gnu::always_inline]] inline FloatLanes affineError(const FloatLanes (&x)[N], const FloatLanes (&w)[N],
                                                     const FloatLanes (&levels)[N], FloatLanes scale,
                                                     FloatLanes offset, bool absolute) {
    FloatLanes error = splat(0.0f);
    for (int i = 0; i < N; ++i) {
        const FloatLanes diff = scale * levels[i] + offset - x[i];
        error += w[i] * (absolute ? absLanes(diff) : diff * diff);
    }
    return error;
}

// The values of a lane lie in [lowest, highest]; rounding is monotonic, so no |iscale · (x −
// offset)| exceeds the same product at either end, and the native rounding may stand in for
// nearestInt when both ends are below its limit.
[[gnu::always_inline]] inline bool affineRoundable(FloatLanes iscale, FloatLanes offset, FloatLanes lowest,
                                                   FloatLanes highest) {
    return nativeRoundable(absLanes(iscale) *
                           maxLanes(absLanes(lowest - offset), absLanes(highest - offset)));
}

template <bool Native, int N>
[[gnu::always_inline]] inline void quantizeAffineWith(const FloatLanes (&x)[N], FloatLanes iscale,
                                                      FloatLanes offset, float nmax,
                                                      FloatLanes (&levels)[N]) {
    for (int i = 0; i < N; ++i)
        levels[i] = clampLanes(roundLanes<Native>(iscale * (x[i] - offset)), 0.0f, nmax);
}

template <int N>
[[gnu::always_inline]] inline void quantizeAffine(const FloatLanes (&x)[N], FloatLanes iscale,
                                                  FloatLanes offset, float nmax, FloatLanes lowest,
                                                  FloatLanes highest, FloatLanes (&levels)[N]) {
    if (affineRoundable(iscale, offset, lowest, highest))
        quantizeAffineWith<true>(x, iscale, offset, nmax, levels);
    else
        quantizeAffineWith<false>(x, iscale, offset, nmax, levels);
}

struct AffineSums {
    FloatLanes sumL;
    FloatLanes sumL2;
    FloatLanes sumXL;
};

// One trial of the scale search: the levels at iscale and their weighted sums, in order.
template <bool Native, int N>
[[gnu::always_inline]] inline AffineSums affineTrial(const FloatLanes (&x)[N], const FloatLanes (&w)[N],
                                                     FloatLanes iscale, FloatLanes offset, float nmax,
                                                     FloatLanes (&levels)[N]) {
    AffineSums sums{splat(0.0f), splat(0.0f), splat(0.0f)};
    for (int i = 0; i < N; ++i) {
        levels[i] = clampLanes(roundLanes<Native>(iscale * (x[i] - offset)), 0.0f, nmax);
        const FloatLanes wl = w[i] * levels[i];
        sums.sumL += wl;
        sums.sumL2 += wl * levels[i];
        sums.sumXL += wl * x[i];
    }
    return sums;
}

template <typename Level, int N>
[[gnu::always_inline]] inline void storeLevels(const FloatLanes (&levels)[N], MaskLanes zero, float add,
                                               Level *out) {
    FloatLanes shifted[N];
    for (int i = 0; i < N; ++i)
        shifted[i] = select(zero, splat(0.0f), levels[i] + add);
    float lanes[N][kLanes];
    storeLanes(shifted, lanes);
    for (int g = 0; g < kLanes; ++g)
        for (int i = 0; i < N; ++i)
            out[g * N + i] = Level(int(lanes[i][g]));
}

template <int N>
std::array<AffineFit, kFitLanes> fitAffineKernel(const float *xs, const float *ws, const AffineSearch &search,
                                                 std::uint8_t *out) {
    FloatLanes x[N];
    FloatLanes w[N];
    loadGroups(xs, x);
    loadGroups(ws, w);
    FloatLanes min = x[0];
    FloatLanes max = x[0];
    FloatLanes sumW = w[0];
    FloatLanes sumX = w[0] * x[0];
    for (int i = 1; i < N; ++i) {
        min = select(x[i] < min, x[i], min);
        max = select(x[i] > max, x[i], max);
        sumW += w[i];
        sumX += w[i] * x[i];
    }
    const FloatLanes lowest = min;
    min = select(min > 0.0f, splat(0.0f), min);
    // Flat lanes return before any trial in the scalar fit: their result is fixed here.
    const MaskLanes flat = max == min;
    const FloatLanes flatMin = min;

    const float nmax = float(search.nmax);
    FloatLanes iscale = nmax / (max - min);
    FloatLanes scale = 1.0f / iscale;
    FloatLanes levels[N];
    quantizeAffine(x, iscale, min, nmax, lowest, max, levels);
    FloatLanes bestError = affineError(x, w, levels, scale, min, search.absoluteError);
    FloatLanes bestIscale = iscale;
    FloatLanes bestOffset = min;

    for (int step = 0; step <= search.steps; ++step) {
        iscale = (search.rmin + search.rdelta * float(step) + nmax) / (max - min);
        const auto [sumL, sumL2, sumXL] = affineRoundable(iscale, min, lowest, max)
                                              ? affineTrial<true>(x, w, iscale, min, nmax, levels)
                                              : affineTrial<false>(x, w, iscale, min, nmax, levels);
        const FloatLanes det = sumW * sumL2 - sumL * sumL;
        const MaskLanes solvable = det > 0.0f;
        if (!anyLane(solvable))
            continue;
        FloatLanes trialScale = (sumW * sumXL - sumX * sumL) / det;
        FloatLanes trialMin = (sumL2 * sumX - sumL * sumXL) / det;
        const MaskLanes positive = trialMin > 0.0f;
        trialMin = select(positive, splat(0.0f), trialMin);
        trialScale = select(positive, sumXL / sumL2, trialScale);
        const FloatLanes error = affineError(x, w, levels, trialScale, trialMin, search.absoluteError);
        const MaskLanes better = solvable & (error < bestError);
        bestIscale = select(better, iscale, bestIscale);
        bestOffset = select(better, min, bestOffset); // the offset this trial quantized with
        bestError = select(better, error, bestError);
        scale = select(better, trialScale, scale);
        min = select(better, trialMin, min);
    }

    quantizeAffine(x, bestIscale, bestOffset, nmax, lowest, max, levels);
    storeLevels(levels, flat, 0.0f, out);
    scale = select(flat, splat(0.0f), scale);
    min = select(flat, flatMin, min);
    std::array<AffineFit, kFitLanes> fits{};
    for (int g = 0; g < kLanes; ++g)
        fits[std::size_t(g)] = {scale[g], -min[g]};
    return fits;
}

// The first value of largest magnitude per lane (signedMax in ggmlfit.cpp), and which lanes
// are below kGroupMaxEps (all-zero groups: levels 0, scale 0).
template <int N>
[[gnu::always_inline]] inline FloatLanes signedMaxLanes(const FloatLanes (&x)[N], MaskLanes &zero) {
    FloatLanes value = splat(0.0f);
    FloatLanes magnitude = splat(0.0f);
    for (int i = 0; i < N; ++i) {
        const FloatLanes a = absLanes(x[i]);
        const MaskLanes larger = a > magnitude;
        value = select(larger, x[i], value);
        magnitude = select(larger, a, magnitude);
    }
    zero = magnitude < kGroupMaxEps;
    return value;
}

template <bool Native, int N>
[[gnu::always_inline]] inline void quantizeSignedWith(const FloatLanes (&x)[N], FloatLanes iscale, float nmax,
                                                      FloatLanes (&levels)[N]) {
    for (int i = 0; i < N; ++i)
        levels[i] = clampLanes(roundLanes<Native>(iscale * x[i]), -nmax, nmax - 1.0f);
}

// magnitude: each lane's largest |x|, which bounds every |iscale · x| (rounding is monotonic).
template <int N>
[[gnu::always_inline]] inline void quantizeSigned(const FloatLanes (&x)[N], FloatLanes iscale, float nmax,
                                                  FloatLanes magnitude, FloatLanes (&levels)[N]) {
    if (nativeRoundable(absLanes(iscale) * magnitude))
        quantizeSignedWith<true>(x, iscale, nmax, levels);
    else
        quantizeSignedWith<false>(x, iscale, nmax, levels);
}

struct SumsLanes {
    FloatLanes sumLX; // Σ w·x·l, w·x hoisted (the same product the scalar code forms first)
    FloatLanes sumL2; // Σ w·l·l
};

template <int N>
[[gnu::always_inline]] inline SumsLanes signedSums(const FloatLanes (&wx)[N], const FloatLanes (&w)[N],
                                                   const FloatLanes (&levels)[N]) {
    SumsLanes sums{splat(0.0f), splat(0.0f)};
    for (int i = 0; i < N; ++i) {
        sums.sumLX += wx[i] * levels[i];
        sums.sumL2 += w[i] * levels[i] * levels[i];
    }
    return sums;
}

template <int N>
std::array<float, kFitLanes> fitSignedKernel(const float *xs, int nmaxInt, const float *ws,
                                             std::int8_t *out) {
    FloatLanes x[N];
    FloatLanes w[N];
    FloatLanes wx[N];
    loadGroups(xs, x);
    if (ws)
        loadGroups(ws, w);
    for (int i = 0; i < N; ++i) {
        if (!ws)
            w[i] = x[i] * x[i];
        wx[i] = w[i] * x[i];
    }
    MaskLanes zero;
    const FloatLanes max = signedMaxLanes(x, zero);
    const FloatLanes magnitude = absLanes(max);
    const float nmax = float(nmaxInt);

    FloatLanes iscale = float(-nmaxInt) / max;
    FloatLanes levels[N];
    quantizeSigned(x, iscale, nmax, magnitude, levels);
    SumsLanes sums = signedSums(wx, w, levels);
    FloatLanes scale = select(sums.sumL2 != 0.0f, sums.sumLX / sums.sumL2, splat(0.0f));
    FloatLanes best = scale * sums.sumLX;
    FloatLanes bestIscale = iscale;
    for (int step = -9; step <= 9; ++step) {
        if (step == 0)
            continue;
        iscale = -(nmax + 0.1f * float(step)) / max;
        quantizeSigned(x, iscale, nmax, magnitude, levels);
        sums = signedSums(wx, w, levels);
        const MaskLanes better = (sums.sumL2 > 0.0f) & (sums.sumLX * sums.sumLX > best * sums.sumL2);
        if (!anyLane(better))
            continue;
        bestIscale = select(better, iscale, bestIscale);
        scale = select(better, sums.sumLX / sums.sumL2, scale);
        best = select(better, scale * sums.sumLX, best);
    }
    quantizeSigned(x, bestIscale, nmax, magnitude, levels);
    storeLevels(levels, zero, nmax, out);
    scale = select(zero, splat(0.0f), scale);
    std::array<float, kFitLanes> scales{};
    for (int g = 0; g < kLanes; ++g)
        scales[std::size_t(g)] = scale[g];
    return scales;
}

// One sweep of refineByValue (ggmlfit.cpp) in every lane. A lane whose sweep changes nothing
// keeps its state, so running more sweeps on it than the scalar code would (which stops at the
// first such sweep) changes nothing either.
template <int N>
[[gnu::always_inline]] inline bool refineLanes(const FloatLanes (&x)[N], const FloatLanes (&w)[N],
                                               const FloatLanes (&wx)[N], float nmax, FloatLanes (&levels)[N],
                                               SumsLanes &sums) {
    MaskLanes changed = {};
    for (int i = 0; i < N; ++i) {
        const FloatLanes old = levels[i];
        FloatLanes slx = sums.sumLX - wx[i] * old;
        const MaskLanes positive = slx > 0.0f;
        FloatLanes sl2 = sums.sumL2 - w[i] * old * old;
        const FloatLanes level = clampLanes(nearestLanes(x[i] * sl2 / slx), -nmax, nmax - 1.0f);
        slx += wx[i] * level;
        sl2 += w[i] * level * level;
        const MaskLanes accept = positive & (level != old) & (sl2 > 0.0f) &
                                 (slx * slx * sums.sumL2 > sums.sumLX * sums.sumLX * sl2);
        levels[i] = select(accept, level, old);
        sums.sumLX = select(accept, slx, sums.sumLX);
        sums.sumL2 = select(accept, sl2, sums.sumL2);
        changed |= accept;
    }
    return anyLane(changed);
}

template <int N>
std::array<float, kFitLanes> fitSignedByValueKernel(const float *xs, int nmaxInt, std::int8_t *out) {
    FloatLanes x[N];
    FloatLanes w[N];
    FloatLanes wx[N];
    loadGroups(xs, x);
    for (int i = 0; i < N; ++i) {
        w[i] = x[i] * x[i];
        wx[i] = w[i] * x[i];
    }
    MaskLanes zero;
    const FloatLanes max = signedMaxLanes(x, zero);
    const float nmax = float(nmaxInt);
    FloatLanes levels[N];
    quantizeSigned(x, float(-nmaxInt) / max, nmax, absLanes(max), levels);
    SumsLanes sums = signedSums(wx, w, levels);
    for (int sweep = 0; sweep < 5; ++sweep) {
        if (!refineLanes(x, w, wx, nmax, levels, sums))
            break;
    }
    storeLevels(levels, zero, nmax, out);
    const FloatLanes scale = select(zero | ~(sums.sumL2 > 0.0f), splat(0.0f), sums.sumLX / sums.sumL2);
    std::array<float, kFitLanes> scales{};
    for (int g = 0; g < kLanes; ++g)
        scales[std::size_t(g)] = scale[g];
    return scales;
}

// requantizeGroups (ggmlfit.h): here the lanes are kLanes consecutive values of one group, not
// one group each; every value still gets its own scalar operations.
template <int N, typename Level>
void requantizeKernel(const float *x, int groups, const float *dl, const float *ml, float lo, float hi,
                      Level *levels) {
    static_assert(N % kLanes == 0);
    for (int j = 0; j < groups; ++j, x += N, levels += N) {
        if (dl[j] == 0.0f)
            continue; // keeps the fitted levels, as ggml does
        FloatLanes l[N / kLanes];
        for (int c = 0; c < N / kLanes; ++c) {
            const FloatLanes v = ml ? loadFloats(x + kLanes * c) + ml[j] : loadFloats(x + kLanes * c);
            l[c] = clampLanes(nearestLanes(v / dl[j]), lo, hi) - lo;
        }
        float plain[N];
        std::memcpy(plain, l, sizeof plain);
        for (int i = 0; i < N; ++i)
            levels[i] = Level(int(plain[i]));
    }
}

// encodeLegacyBlocks (ggmlblockencoders.h): here the lanes are the values of one 32-value block,
// two FloatLanes a block, and every value gets the scalar encoder's operations. A block's largest
// magnitude, min and max are picked by comparisons, never computed, and the scalar loops keep the
// first value equal to them, so the value taken is x[first lane equal to it] (which of -0 and +0
// that is matters: it reaches the f16 bits).
namespace legacy {

inline constexpr int kBlock = 32;
static_assert(kBlock == 2 * kLanes);

[[gnu::always_inline]] inline float firstEqual(const float *x, FloatLanes a, FloatLanes b, float value) {
    return x[std::countr_zero(laneBits(a == value) | laneBits(b == value) << kLanes)];
}

[[gnu::always_inline]] inline FloatLanes minLanes(FloatLanes a, FloatLanes b) {
    return select(a < b, a, b);
}

// std::round's integer for |v| < 2^23, as roundHalfAway in ggmlencodelegacy.cpp.
[[gnu::always_inline]] inline IntLanes roundHalfAwayLanes(FloatLanes v) {
    IntLanes t = truncateLanes(v);
    const FloatLanes fraction = v - floatLanes(t);
    const MaskLanes up = ~(fraction < 0.5f);
    const MaskLanes down = ~(fraction > -0.5f);
    for (int p = 0; p < kParts; ++p)
        t.part[p] = t.part[p] - up.part[p] + down.part[p]; // a set mask lane is -1
    return t;
}

// castLevel: min(top, (int8_t) truncateToInt32(v)) as a byte (an int lane holding 0 ... 255).
[[gnu::always_inline]] inline IntLanes castLevelLanes(FloatLanes v, int top) {
    IntLanes t = truncateLanes(v);
    for (int p = 0; p < kParts; ++p) {
        const MaskPart wrapped = (t.part[p] << 24) >> 24;
        const MaskPart capped = MaskPart{} + top;
        t.part[p] = (wrapped < capped ? wrapped : capped) & 0xFF;
    }
    return t;
}

// uint8_t(truncateToInt32(v)): Q5_1's levels, which ggml does not clamp.
[[gnu::always_inline]] inline IntLanes byteLevelLanes(FloatLanes v) {
    IntLanes t = truncateLanes(v);
    for (int p = 0; p < kParts; ++p)
        t.part[p] &= 0xFF;
    return t;
}

// packNibbles: levels lo (values 0-15) and hi (16-31); with qh, the nibbles masked and the fifth
// bits into qh.
template <bool FiveBits>
[[gnu::always_inline]] inline void packLanes(IntLanes lo, IntLanes hi, const GgmlBlockLayout &layout,
                                             std::uint8_t *block) {
    IntLanes packed;
    MaskLanes loFifth{}, hiFifth{};
    for (int p = 0; p < kParts; ++p) {
        if constexpr (FiveBits) {
            packed.part[p] = (lo.part[p] & 0x0F) | ((hi.part[p] & 0x0F) << 4);
            loFifth.part[p] = (lo.part[p] & 0x10) != 0;
            hiFifth.part[p] = (hi.part[p] & 0x10) != 0;
        } else {
            packed.part[p] = lo.part[p] | (hi.part[p] << 4);
        }
    }
    storeLowBytes(packed, block + layout.qs);
    if constexpr (FiveBits) {
        const std::uint32_t qh = laneBits(loFifth) | laneBits(hiFifth) << kLanes;
        for (int i = 0; i < 4; ++i)
            block[layout.qh + std::size_t(i)] = std::uint8_t(qh >> (8 * i));
    }
}

[[gnu::always_inline]] inline float inverseOf(float d) {
    return d != 0.0f ? 1.0f / d : 0.0f;
}

} // namespace legacy

template <int Type>
void legacyBlocksKernel(const float *x, std::size_t blocks, std::uint8_t *out) {
    using namespace legacy;
    constexpr auto kType = GgmlType(Type);
    constexpr const GgmlBlockLayout &layout = ggmlBlockLayout(kType);
    static_assert(layout.blockElements == kBlock);
    constexpr bool kFiveBits = kType == GgmlType::Q5_0 || kType == GgmlType::Q5_1;
    for (std::size_t k = 0; k < blocks; ++k, x += kBlock, out += layout.blockBytes) {
        const FloatLanes a = loadFloats(x);
        const FloatLanes b = loadFloats(x + kLanes);
        if constexpr (kType == GgmlType::Q8_0) {
            const float amax = largestLane(maxLanes(absLanes(a), absLanes(b)));
            const float d = amax / 127.0f;
            const float id = inverseOf(d);
            if (!(amax * id < 8388608.0f)) {
                encodeQ8_0(x, nullptr, out); // libm's roundf, as the scalar encoder
                continue;
            }
            storeHalf(out + layout.d, fp16Bits(d));
            storeLowBytes(roundHalfAwayLanes(a * id), out + layout.qs);
            storeLowBytes(roundHalfAwayLanes(b * id), out + layout.qs + kLanes);
        } else if constexpr (kType == GgmlType::Q4_0 || kType == GgmlType::Q5_0) {
            constexpr float kDivisor = kFiveBits ? -16.0f : -8.0f;
            constexpr float kOffset = kFiveBits ? 16.5f : 8.5f;
            constexpr int kTop = kFiveBits ? 31 : 15;
            const FloatLanes absA = absLanes(a);
            const FloatLanes absB = absLanes(b);
            const float amax = largestLane(maxLanes(absA, absB));
            const float max = amax > 0.0f ? firstEqual(x, absA, absB, amax) : 0.0f;
            const float d = max / kDivisor;
            const float id = inverseOf(d);
            storeHalf(out + layout.d, fp16Bits(d));
            packLanes<kFiveBits>(castLevelLanes(a * id + kOffset, kTop),
                                 castLevelLanes(b * id + kOffset, kTop), layout, out);
        } else {
            static_assert(kType == GgmlType::Q4_1 || kType == GgmlType::Q5_1);
            constexpr float kLevels = kFiveBits ? 31.0f : 15.0f;
            const float min = firstEqual(x, a, b, smallestLane(minLanes(a, b)));
            const float max = firstEqual(x, a, b, largestLane(maxLanes(a, b)));
            const float d = (max - min) / kLevels;
            const float id = inverseOf(d);
            storeHalf(out + layout.d, fp16Bits(d));
            storeHalf(out + layout.dmin, fp16Bits(min));
            const FloatLanes va = (a - min) * id + 0.5f;
            const FloatLanes vb = (b - min) * id + 0.5f;
            if constexpr (kFiveBits)
                packLanes<true>(byteLevelLanes(va), byteLevelLanes(vb), layout, out);
            else
                packLanes<false>(castLevelLanes(va, 15), castLevelLanes(vb, 15), layout, out);
        }
    }
}

} // namespace QS_LANES_ISA
} // namespace qs::ggml
