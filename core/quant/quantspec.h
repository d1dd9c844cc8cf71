#pragma once

#include "quant/granularity.h"
#include "quant/numberformat.h"
#include "util/result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace qs {

/// A clip range [lo, hi] in value units.
struct ClipRange {
    double lo = 0.0;
    double hi = 0.0;

    bool operator==(const ClipRange &) const = default;
};

inline constexpr int kMinBits = 2;
inline constexpr int kMaxBits = 16;

/// Symmetric: signed integers, zero point 0. Asymmetric: unsigned integers [0, 2^b - 1].
enum class Scheme { Symmetric, Asymmetric };
/// NonSaturating: the range is the tensor's [min, max]. Saturating: the user's thresholds.
enum class RangeMode { NonSaturating, Saturating };

/// How each group's range is found, as `--method` names it. MinMax is the range itself (or the
/// user's fixed clip); Mse the clip that minimises each group's MSE (per tensor: the suggested
/// threshold); Percentile, Entropy (TensorRT's KL calibration) and HistogramL2 (PyTorch's
/// HistogramObserver) pick a per-tensor clip; Hqq solves asymmetric int zero points (HQQ).
enum class CalibMethod { MinMax, Mse, Percentile, Entropy, HistogramL2, Hqq };

inline constexpr double kDefaultPercentile = 99.99;

/// The type a scale is stored in. Runtimes such as compressed-tensors store each scale in the
/// weight's own dtype and quantize with that rounded scale; F32 is the unrounded default.
enum class ScaleDtype { F32, F16, BF16 };

/// What the user chose for one tensor.
struct QuantSpec {
    int bits = 8;
    Scheme scheme = Scheme::Symmetric;
    bool narrow = false; ///< symmetric only: qmin = -(2^(b-1) - 1), TensorRT's convention
    RangeMode rangeMode = RangeMode::NonSaturating;
    double clipLo = 0.0; ///< lower threshold in value units, used when Saturating
    double clipHi = 0.0; ///< upper threshold in value units, used when Saturating
    /// The number format; bits, scheme and narrow apply to Int only.
    NumberFormat format = NumberFormat::Int;
    /// Which elements share parameters (Int and FP8; block and codebook formats carry their own).
    Granularity granularity;
    /// Every group's min-max range scaled by this, in (0, 1]; 1 is min-max.
    double clipRatio = 1.0;
    /// The range rule's calibration method; anything but MinMax excludes a fixed clip and a
    /// clip ratio.
    CalibMethod method = CalibMethod::MinMax;
    /// Percentile only: P in (0, 100]; symmetric clips |x| at the P-th percentile, asymmetric
    /// takes the (100 - P)-th and P-th.
    double percentile = kDefaultPercentile;
    /// Int and FP8: the scale is rounded to this type before the values are quantized with it
    /// (the asymmetric zero point then follows from the rounded scale).
    ScaleDtype scaleDtype = ScaleDtype::F32;

    bool operator==(const QuantSpec &) const = default;
};

/// A per-tensor int spec: bits, scheme, narrow and the range, everything else at its default.
inline QuantSpec intSpec(int bits, Scheme scheme, bool narrow = false,
                         RangeMode rangeMode = RangeMode::NonSaturating, double clipLo = 0.0,
                         double clipHi = 0.0) {
    QuantSpec spec;
    spec.bits = bits;
    spec.scheme = scheme;
    spec.narrow = narrow;
    spec.rangeMode = rangeMode;
    spec.clipLo = clipLo;
    spec.clipHi = clipHi;
    return spec;
}

/// The integer mapping that follows from a spec and a tensor's range.
struct QuantParams {
    int bits = 8;
    std::int64_t qmin = -128;
    std::int64_t qmax = 127;
    std::int64_t zeroPoint = 0;
    float scale = 1.0f;   ///< float32, as stored by runtimes; at least float32 epsilon
    double clipMin = 0.0; ///< effective range actually quantized (symmetric: -max(|lo|,|hi|))
    double clipMax = 0.0; ///< (symmetric: +max(|lo|,|hi|); asymmetric: widened to include 0)

    bool operator==(const QuantParams &) const = default;
};

/// "symmetric" / "asymmetric".
std::string_view schemeName(Scheme scheme);
std::optional<Scheme> schemeFromName(std::string_view name);
/// A --method value: the method and, for percentile, its P.
struct MethodChoice {
    CalibMethod method = CalibMethod::MinMax;
    double percentile = kDefaultPercentile;
};

/// "minmax", "mse", "percentile", "entropy", "histogram-l2", "hqq".
std::string_view methodName(CalibMethod method);
/// "percentile:99.9" for percentile, methodName otherwise.
std::string methodLabel(const QuantSpec &spec);
/// Parses "minmax", "mse", "percentile[:P]" (P in (0, 100], default 99.99), "entropy",
/// "histogram-l2" or "hqq"; the error says what is wrong.
Result<MethodChoice> parseMethod(std::string_view text);
/// Every method, in the order the CLI and GUI list them.
std::span<const CalibMethod> calibMethods();

/// "non-saturating" / "saturating".
std::string_view rangeModeName(RangeMode mode);
std::optional<RangeMode> rangeModeFromName(std::string_view name);

} // namespace qs
