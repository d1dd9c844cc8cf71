#pragma once

#include "util/result.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace qs {

/// bitsandbytes NF4: the flattened tensor in blocks of kNf4BlockSize values (the last block may
/// be shorter), each with a float32 absmax; x · (1 / absmax) goes to the nearest of 16 codes, as
/// bitsandbytes' quantizer decides it.
inline constexpr std::size_t kNf4BlockSize = 64;

/// The 16 NF4 code values as float32, ascending, from -1 through 0 to 1 (bitsandbytes'
/// quantiles of N(0, 1) normalised to [-1, 1]). Also the levels a plot draws, times absmax.
std::span<const float, 16> nf4Codebook();

/// Index (0..15) of the code nearest v, by bitsandbytes' thresholds: the midpoints of adjacent
/// codes rounded to float, a v on a threshold getting the lower code. Out-of-range values go to
/// the end codes; NaN gives 7 (the code 0).
std::uint8_t encodeNf4(float v);

/// One block (normally 64 values): absmax = finiteAbsMax(in), out[i] = code(in[i] · (1 / absmax)) ·
/// absmax in float32. absmax = 0 gives 0. NaN gives NaN, ±Inf gives ±absmax. Returns absmax.
float fakeQuantizeNf4Block(std::span<const float> in, std::span<float> out);

/// The whole flattened tensor, in blocks of 64 from its start. Returns ceil(n / 64) absmax
/// values, or an error if out's size differs from in's. A caller splitting the work must cut
/// at multiples of 64 values.
Result<std::vector<float>> fakeQuantizeNf4(std::span<const float> in, std::span<float> out);

/// 4 bits plus a float32 absmax per 64 values: 4.5.
double nf4BitsPerWeight();

namespace detail {

// The codes and bitsandbytes' thresholds, for the block kernels (nf4.cpp and the lanes of
// stats/statkernels.h).
inline constexpr std::array<float, 16> kNf4Codes = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

// bitsandbytes' decision tree (dQuantizeNF4) sends v to the upper code when v > threshold. Its
// thresholds are the double midpoints of adjacent float codes, printed as shortest decimals and
// written as float literals. Where a midpoint lies exactly halfway between two floats, the
// printed decimal decides the rounding, not ties-to-even, so the thresholds are its literals
// rather than recomputed midpoints. A float on a threshold stays with the lower code.
inline constexpr std::array<float, 15> kNf4Thresholds = {
    -0.8480964004993439f,  -0.6106329262256622f,  -0.4599952697753906f,   -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f,   0.2035212516784668f,   0.2920137718319893f,    0.3893125355243683f,
    0.5016634166240692f,   0.6427869200706482f,   0.8614784181118011f,
};

} // namespace detail

} // namespace qs
