#pragma once

#include "io/floattensor.h"
#include "quant/ggmlencode.h"
#include "quant/halffloat.h"
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
    /// NF4's absmax), row-major over paramShape. Int and FP8: the stored scale, already rounded
    /// to spec.scaleDtype (exactly representable in it), the one x̂ was quantized with.
    std::vector<float> scales;
    /// Zero points of the int format (0 when symmetric), computed from the stored scale; empty
    /// for other formats and for hqq.
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
    /// Casts (f16, bf16): the values a real cast makes ±infinity (x̂ holds them at ± the largest
    /// finite value, and they count as clipped) and the non-zero values it makes subnormal or
    /// zero. A cast's one "group" has scale 1 and the clip range ± castClipLimit. Zero for other
    /// formats.
    CastCounts cast;
    /// llama.cpp's types: each scale group's levels (its step and offset), row-major over
    /// paramShape like scales. Empty for other formats.
    std::vector<GgmlGroupGrid> groupGrids;
};

/// Whether spec can quantize a tensor of this shape. A usage error names what does not fit
/// ("bits does not apply to nf4", "granularity group:128 does not apply to mxfp4: it carries its
/// own blocks of 32", "scale_dtype does not apply to q4_k" for a scale dtype other than F32 on a
/// block or codebook format or with method hqq); a shape error names the row length and the
/// block size. The caller adds the tensor's name.
Status checkScheme(const QuantSpec &spec, const std::vector<std::int64_t> &shape);

/// Bits per weight of spec on a tensor of this shape: element bits plus parameter overhead (int
/// groups and channels store F16 scales, plus b-bit zero points when asymmetric; FP8 the same
/// F16 scale per group; per tensor the parameters count as free; fixed for block formats).
double schemeBitsPerWeight(const QuantSpec &spec, const std::vector<std::int64_t> &shape);

/// A cast's parameters in q: one "group" (paramShape {1}) with scale 1 and the clip range
/// ± castClipLimit(format), so that the values outside it are exactly its overflows.
void setCastParameters(NumberFormat format, SchemeQuantization &q);

/// Whether format quantizes differently given importance weights: llama.cpp's Q4_0, Q4_1, Q5_0,
/// Q5_1 and K types, which take ggml's quant_weights path as `llama-quantize --imatrix` does.
/// Q8_0 ignores them, as ggml does; so do int, FP8, MX, NVFP4 and NF4, which have no such path.
bool usesImportance(NumberFormat format);

/// Whether importance weights fit a tensor of this shape: one weight per column (the last
/// dimension) for each of k = importance.size() / columns equal runs of whole rows, expert-major
/// (k = 1 for a 2-D tensor; a 3-D expert tensor's experts, as TensorImportance holds them). Empty
/// weights always fit (they mean none). The error names both lengths.
Status checkImportance(std::span<const float> importance, const std::vector<std::int64_t> &shape);

/// Quantizes values (row-major, shape) with spec: int at any granularity (PyTorch's observer
/// per group, by the scale's reciprocal), FP8 at any granularity, MX, NVFP4, NF4, llama.cpp's
/// block types (its reference quantizer, bit for bit) and the f16 / bf16 casts (castSaturating). The spec's
/// calibration method sets the range (core/calib): per tensor, int with mse, percentile, entropy or
/// histogram-l2 is quantized saturating at the method's clip range (the parameters analyzeQuant gives the
/// same spec); mse at any other granularity and for fp8 shrinks each group's range by the candidate with the
/// least exact MSE; hqq solves float zero points (zeroPointsFloat). Fails as checkScheme does, for a block
/// type on a non-finite value, and with "cancelled". control's threads and cancellation reach the methods and
/// the block-type encoder; results are the same at any thread count. NaN stays NaN in x̂; see each format's
/// kernel for ±Inf.
///
/// importance: llama.cpp's quant_weights for the tensor, laid out as checkImportance says. The
/// formats usesImportance names quantize each run of rows with its own weights, as
/// `llama-quantize --imatrix` quantizes each expert slice, bit for bit; every other format
/// ignores them. Empty: the plain path. Fails when they do not fit the shape (checkImportance)
/// or hold a non-finite weight (the encoder's error; an imatrix never loads with one).
Result<SchemeQuantization> quantizeScheme(std::span<const float> values,
                                          const std::vector<std::int64_t> &shape, const QuantSpec &spec,
                                          const RunControl &control = {},
                                          std::span<const float> importance = {});

/// Finite values, and how many of them lie outside a clip range.
struct ClipCount {
    std::int64_t finite = 0;
    std::int64_t outside = 0;
    void add(const ClipCount &c) {
        finite += c.finite;
        outside += c.outside;
    }
    /// outside / finite; 0 when nothing is finite.
    double fraction() const { return finite > 0 ? double(outside) / double(finite) : 0.0; }
};

/// Adds values' finite ones, and those of them outside [lo, hi], to count (non-finite values are
/// skipped).
void countClipped(std::span<const float> values, double lo, double hi, ClipCount &count);

/// The fraction of finite values outside their group's [clipMin, clipMax] in q (values and
/// shape as quantized, spec's granularity); nullopt when q has no clip ranges (block and codebook
/// formats) or they do not match spec's grid, or when control cancels. Counted on control's
/// threads; the result does not depend on their number.
std::optional<double> clippedFraction(std::span<const float> values, const std::vector<std::int64_t> &shape,
                                      const QuantSpec &spec, const SchemeQuantization &q,
                                      const RunControl &control = {});
/// The same over a tensor, a stored BF16/F16/FP8 one decoded a piece at a time.
std::optional<double> clippedFraction(const FloatTensor &tensor, const std::vector<std::int64_t> &shape,
                                      const QuantSpec &spec, const SchemeQuantization &q,
                                      const RunControl &control = {});

} // namespace qs
