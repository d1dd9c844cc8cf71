#pragma once

#include "quant/quantspec.h"
#include "quant/valueerror.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace qs {

/// A whole tensor quantized with one spec: what it dequantizes to and its parameters.
struct SchemeQuantization {
    std::vector<float> dequantized;       ///< x̂, in the input's row-major order
    std::vector<std::int64_t> paramShape; ///< the parameter grid
    /// Each group's or block's scale (its effective scale for two-level formats: NVFP4's s_b / g,
    /// NF4's absmax), row-major over paramShape.
    std::vector<float> scales;
    /// Zero points of the int format (0 when symmetric); empty for other formats and for hqq.
    std::vector<std::int64_t> zeroPoints;
    /// Method hqq only: each group's zero point as HQQ keeps it, a float in code units, not
    /// rounded: q = clamp(round(x · inverse + z), 0, 2^b - 1) with HQQ's inverse scale, x̂ = (q - z) ·
    /// scale. Empty otherwise.
    std::vector<float> zeroPointsFloat;
    /// Int and FP8: each group's clip range in value units, row-major over paramShape: what the
    /// group quantized (int: its parameters' clipMin / clipMax; fp8: ± its amax times its ratio,
    /// which the scale maps to the largest value; hqq: its lowest and highest level). Empty for block and
    /// codebook formats.
    std::vector<double> clipMin;
    std::vector<double> clipMax;
    double bitsPerWeight = 0.0;
};

/// Whether spec can quantize a tensor of this shape. A usage error names what does not fit
/// ("bits does not apply to nf4", "granularity group:128 does not apply to mxfp4: it carries its
/// own blocks of 32"); a shape error names the row length and the block size. The caller adds
/// the tensor's name.
Status checkScheme(const QuantSpec &spec, const std::vector<std::int64_t> &shape);

/// Bits per weight of spec on a tensor of this shape: element bits plus parameter overhead (int
/// groups and channels store F16 scales, plus b-bit zero points when asymmetric; FP8 the same
/// F16 scale per group; per tensor the parameters count as free; fixed for block formats).
double schemeBitsPerWeight(const QuantSpec &spec, const std::vector<std::int64_t> &shape);

/// Quantizes values (row-major, shape) with spec: int at any granularity (PyTorch's observer
/// per group, by the scale's reciprocal), FP8 at any granularity, MX, NVFP4, NF4 and llama.cpp's
/// block types (its reference quantizer, bit for bit). The spec's calibration method sets the
/// range (core/calib): per tensor, int with mse, percentile, entropy or histogram-l2 is quantized
/// saturating at the method's clip range (the parameters analyzeQuant gives the same spec); mse
/// at any other granularity and for fp8 shrinks each group's range by the candidate with the least
/// exact MSE; hqq solves float zero points (zeroPointsFloat). Fails as checkScheme does, for a
/// block type on a non-finite value, and with "cancelled". control's threads and cancellation
/// reach the methods and the block-type encoder; results are the same at any thread count. NaN
/// stays NaN in x̂; see each format's kernel for ±Inf.
Result<SchemeQuantization> quantizeScheme(std::span<const float> values,
                                          const std::vector<std::int64_t> &shape, const QuantSpec &spec,
                                          const RunControl &control = {});

/// The fraction of finite values outside their group's [clipMin, clipMax] in q (values and
/// shape as quantized, spec's granularity); nullopt when q has no clip ranges (block and codebook
/// formats) or they do not match spec's grid, or when control cancels. Counted on control's
/// threads; the result does not depend on their number.
std::optional<double> clippedFraction(std::span<const float> values, const std::vector<std::int64_t> &shape,
                                      const QuantSpec &spec, const SchemeQuantization &q,
                                      const RunControl &control = {});

} // namespace qs
