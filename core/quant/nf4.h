#pragma once

#include "util/result.h"

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

} // namespace qs
