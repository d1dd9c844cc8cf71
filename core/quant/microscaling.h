#pragma once

#include "quant/minifloat.h"
#include "quant/minifloatkernel.h"
#include "util/result.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace qs {

/// OCP Microscaling (MX v1.0) formats: blocks of kMxBlockSize values along a row share one
/// power-of-two E8M0 scale.
enum class MxFormat {
    MxFp4, ///< e2m1 elements, emax 2
    MxFp8, ///< fp8_e4m3 elements, emax 8
};

inline constexpr std::size_t kMxBlockSize = 32;
/// E8M0 scales are 2^k for k in [kE8M0MinExponent, kE8M0MaxExponent] (0xFF, NaN, is never used).
inline constexpr int kE8M0MinExponent = -127;
inline constexpr int kE8M0MaxExponent = 127;

/// "mxfp4" / "mxfp8".
std::string_view mxFormatName(MxFormat format);
MiniFloat mxElementFormat(MxFormat format);
/// Exponent of the element format's largest power of two: 2 for e2m1, 8 for e4m3.
inline int mxElementEmax(MxFormat format) {
    return format == MxFormat::MxFp4 ? 2 : 8;
}

/// The shared scale of a block whose largest finite magnitude is amax:
/// 2^(floor(log2 amax) - emax), the exponent clamped to [-127, 127]. amax = 0 (or not a positive
/// finite number) gives the smallest scale, 2^-127; its elements are then all 0. Inline, from
/// the float's bits (a call of ilogb and ldexp per block of 32 values cost more than the block).
inline float mxScale(MxFormat format, float amax) {
    int exponent = kE8M0MinExponent;
    if (detail::positiveFinite(amax)) {
        // floor(log2 amax): the exponent field of a normal number, ilogb for a subnormal one.
        const auto biased = int(std::bit_cast<std::uint32_t>(amax) >> 23);
        const int log2 = biased != 0 ? biased - 127 : std::ilogb(amax);
        exponent = std::clamp(log2 - mxElementEmax(format), kE8M0MinExponent, kE8M0MaxExponent);
    }
    // 2^exponent: a normal float from -126 up, 2^-127 the subnormal with only bit 22 set.
    return exponent >= -126 ? std::bit_cast<float>(std::uint32_t(exponent + 127) << 23)
                            : std::bit_cast<float>(std::uint32_t(1) << 22);
}

/// One block (normally kMxBlockSize values): s = mxScale(format, finiteAbsMax(in)),
/// out[i] = s · round(in[i] / s) with the element rounded to nearest even and saturated at
/// ±6 (e2m1) or ±448 (e4m3). NaN gives NaN, ±Inf gives ±s · element max. Returns s.
float fakeQuantizeMxBlock(MxFormat format, std::span<const float> in, std::span<float> out);

/// A row-major [rows, cols] tensor in blocks of kMxBlockSize along each row. Returns the
/// rows · cols / 32 scales (powers of two) in row-major order, or an error if the sizes disagree
/// or cols is not a multiple of 32 ("row length 100 is not a multiple of the block size 32").
Result<std::vector<float>> fakeQuantizeMx(MxFormat format, std::span<const float> in, std::span<float> out,
                                          std::size_t rows, std::size_t cols);

/// Element bits plus one 8-bit scale per 32 values: 4.25 (mxfp4), 8.25 (mxfp8).
double mxBitsPerWeight(MxFormat format);

/// NVFP4: e2m1 elements in blocks of kNvFp4BlockSize along a row, each block with an fp8_e4m3
/// scale s_b, and one float32 global scale g per tensor.
inline constexpr std::size_t kNvFp4BlockSize = 16;

/// g = 448 · 6 / amax in float32, for the largest finite magnitude amax of the whole tensor,
/// capped at the largest float (so amax = 0 gives that cap, and then every s_b = 0).
float nvFp4GlobalScale(float tensorAmax);

/// s_b = e4m3(g · blockAmax / 6), computed in float32 in that order, rounded to nearest even and
/// saturated at 448. 0 when g is not positive and finite.
inline float nvFp4BlockScale(float globalScale, float blockAmax) {
    if (!detail::positiveFinite(globalScale))
        return 0.0f;
    return detail::roundTo<MiniFloat::E4M3>(globalScale * blockAmax / detail::kMaxValue<MiniFloat::E2M1>);
}

/// One block (normally 16 values): s_b = nvFp4BlockScale(g, finiteAbsMax(in)),
/// out[i] = s_b · e2m1(in[i] · g / s_b) / g, each evaluated left to right in float32.
/// s_b = 0 gives 0 (NaN stays NaN); otherwise NaN gives NaN and ±Inf gives ±6 · s_b / g.
/// Returns s_b (an fp8_e4m3 value; the block's effective scale is s_b / g).
float fakeQuantizeNvFp4Block(std::span<const float> in, std::span<float> out, float globalScale);

/// A row-major [rows, cols] tensor in blocks of 16 along each row, with a global scale from
/// nvFp4GlobalScale(finiteAbsMax(whole tensor)) (computed by the caller, so that the rows can be
/// split across threads). Returns the rows · cols / 16 block scales s_b in row-major order, or
/// an error if the sizes disagree or cols is not a multiple of 16.
Result<std::vector<float>> fakeQuantizeNvFp4(std::span<const float> in, std::span<float> out,
                                             std::size_t rows, std::size_t cols, float globalScale);

/// 4 element bits plus one 8-bit scale per 16 values: 4.5 (the per-tensor scale counted as free).
double nvFp4BitsPerWeight();

} // namespace qs
