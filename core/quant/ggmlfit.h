#pragma once

// Internal to the ggml encoders: the scalar steps llama.cpp's reference quantizer
// (ggml-quants.c, quantize_row_*_ref) builds its blocks from, redone in float32 in the same
// order so that the bytes come out the same. Compiled with -ffp-contract=off (core/CMakeLists.txt).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace qs::ggml {

/// ggml's nearest_int: adds 1.5·2^23 and reads the mantissa, so it rounds half to even for
/// |x| < 2^22. Outside that range (where ggml asserts in debug builds) it returns what the same
/// bit trick gives, so every input has a defined result.
inline int nearestInt(float x) {
    const float shifted = x + 12582912.0f;
    std::int32_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

/// C's float-to-integer cast as x86-64 executes it (cvttss2si): truncation toward zero, and
/// INT32_MIN for NaN or anything out of range, where C leaves the cast undefined. ggml's
/// Q4_0 ... Q8_0 reference casts such values straight to int8_t/uint8_t, which keeps the low byte.
inline std::int32_t truncateToInt32(float x) {
    if (!(x >= -2147483648.0f && x < 2147483648.0f))
        return INT32_MIN;
    return std::int32_t(x);
}

/// ggml's GGML_FP32_TO_FP16: round to nearest even, overflow to infinity, NaN to a quiet NaN.
std::uint16_t fp16Bits(float value);
/// The exact float32 value of an f16 bit pattern (GGML_FP16_TO_FP32).
float fp16Value(std::uint16_t bits);

/// Below this absolute maximum ggml treats a group as all zero (GROUP_MAX_EPS).
inline constexpr float kGroupMaxEps = 1e-15f;

/// Signed levels in [-nmax, nmax - 1] for x with one scale (make_qx_quants, rmse_type 1): starts
/// from -nmax / max and tries 18 nearby scales, keeping the one with the best weighted fit.
/// Weights are `weights` if given, else x². Writes levels + nmax (0 ... 2·nmax - 1) to `levels`
/// and returns the scale (0 for an all-zero group, levels then 0).
float fitSignedLevels(std::span<const float> x, int nmax, std::span<const float> weights,
                      std::span<std::int8_t> levels);

/// Signed levels in [-nmax, nmax - 1] refined value by value, up to five sweeps (make_q3_quants
/// with do_rmse). Writes levels + nmax and returns the scale.
float fitSignedLevelsByValue(std::span<const float> x, int nmax, std::span<std::int8_t> levels);

/// Search parameters of fitAffineLevels (make_qkx2_quants's rmin, rdelta, nstep, use_mad).
struct AffineSearch {
    int nmax;
    float rmin;
    float rdelta;
    int steps;
    bool absoluteError;
};

/// Scale and (non-positive) offset of an affine fit: x ≈ scale · level + offset.
struct AffineFit {
    float scale;
    float negatedMin; ///< -offset, as ggml stores it (≥ 0 or -0)
};

/// The largest group fitAffineLevels takes (the 32 values of a Q4_K / Q5_K sub-block).
inline constexpr std::size_t kMaxAffineGroup = 32;

/// Levels in [0, nmax] with a scale and an offset ≤ 0 fitted by weighted least squares over
/// steps + 1 trial scales (make_qkx2_quants). x, weights and levels have the same size, at most
/// kMaxAffineGroup; `levels` receives the chosen levels.
AffineFit fitAffineLevels(std::span<const float> x, std::span<const float> weights,
                          const AffineSearch &search, std::span<std::uint8_t> levels);

/// Levels in [0, nmax] (negative values wrap as ggml's uint8_t does) for non-negative x with one
/// scale, from 9 trial scales and up to five value-by-value sweeps (make_qp_quants). Used by the
/// importance-weighted path to quantize sub-block scales and mins; weights are required.
float fitPositiveLevels(std::span<const float> x, int nmax, std::span<const float> weights,
                        std::span<std::uint8_t> levels);

/// The weights of ggml's importance-weighted quantizers (quantize_row_*_impl):
/// importance[i] · sqrt(meanSquare + x[i]²).
void importanceWeights(std::span<const float> x, const float *importance, float meanSquare,
                       std::span<float> out);

/// Σ x² in order, as ggml sums it for σ².
float sumOfSquares(std::span<const float> x);

/// Sub-blocks the *Lanes fits below take at once (ggmllanes.h's kLanes).
inline constexpr int kFitLanes = 16;

/// The vector width the *Lanes fits run at: the widest the CPU has (AVX-512, AVX2 or SSE2 on
/// x86-64), at most AVX2, or always the baseline. The results are the same; tests use this to
/// check every build.
enum class LaneWidth { Widest, Avx2, Baseline };
void setLaneWidth(LaneWidth width);

/// fitAffineLevels on kFitLanes consecutive groups of N (16 or 32) values at once: x, weights and
/// levels hold kFitLanes · N values, group g at g · N. Bit for bit what kFitLanes calls of
/// fitAffineLevels give, several times faster (ggmlfitlanes.cpp).
template <int N>
std::array<AffineFit, kFitLanes> fitAffineLevelsLanes(const float *x, const float *weights,
                                                      const AffineSearch &search, std::uint8_t *levels);

/// fitSignedLevels on kFitLanes consecutive groups of N values, as fitAffineLevelsLanes; weights
/// may be null (then x², as with an empty span).
template <int N>
std::array<float, kFitLanes> fitSignedLevelsLanes(const float *x, int nmax, const float *weights,
                                                  std::int8_t *levels);

/// fitSignedLevelsByValue on kFitLanes consecutive groups of N values, as fitAffineLevelsLanes.
template <int N>
std::array<float, kFitLanes> fitSignedLevelsByValueLanes(const float *x, int nmax, std::int8_t *levels);

/// The last step of the K types: `groups` consecutive groups of N (16 or 32) values requantized
/// against the scales they decode with, levels = clamp(nearestInt((x + ml) / dl), lo, hi) - lo
/// (x / dl when ml is null), with dl and ml one per group. Groups whose dl is 0 keep their levels,
/// as ggml's do.
template <int N, typename Level>
void requantizeGroups(const float *x, int groups, const float *dl, const float *ml, float lo, float hi,
                      Level *levels);

/// The 6-bit scale and min j (0 ... 7) packed in the 12 scale bytes of Q4_K / Q5_K (get_scale_min_k4).
struct PackedScaleMin {
    std::uint8_t scale;
    std::uint8_t min;
};
PackedScaleMin unpackScaleMinK4(const std::uint8_t *packed, int j);

/// The signed 6-bit scale j (0 ... 15) packed in Q3_K's 12 scale bytes (stored with an offset of 32).
int unpackScaleQ3K(const std::uint8_t *packed, int j);

} // namespace qs::ggml
