#pragma once

#include "quant/quantspec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace qs {

/// The integer range [qmin, qmax] for a spec (PyTorch torch.ao.quantization conventions):
/// symmetric [-2^(b-1), 2^(b-1)-1], narrow symmetric [-(2^(b-1)-1), 2^(b-1)-1],
/// asymmetric [0, 2^b - 1]. bits must be in [kMinBits, kMaxBits].
std::pair<std::int64_t, std::int64_t> integerRange(const QuantSpec &spec);

/// The range [lo, hi] a spec asks for on a tensor whose finite values span [tensorMin, tensorMax]:
/// the tensor's own range when non-saturating, the spec's thresholds when saturating.
std::pair<double, double> requestedRange(const QuantSpec &spec, double tensorMin, double tensorMax);

/// Scale, zero point and effective clip range for quantizing [lo, hi] as the spec says:
///  symmetric:  amax = max(|lo|, |hi|), scale = amax / ((qmax - qmin) / 2), zero point 0;
///  narrow:     scale = amax / qmax;
///  asymmetric: [lo, hi] widened to include 0, scale = (hi - lo) / (qmax - qmin),
///              zero point = clamp(qmin - round_half_even(lo / scale), qmin, qmax).
/// Scale and zero point are computed in float32, as PyTorch's observers do (so ties such as
/// lo / scale = -42.5 round as there), and the scale is floored at float32 epsilon. The scale is
/// then rounded to spec.scaleDtype (roundScale; F32 changes nothing) before the zero point is
/// computed from it, so (q - zero point) · scale with the stored scale is exactly x̂.
QuantParams computeParams(const QuantSpec &spec, double lo, double hi);
/// computeParams for each of many ranges, each bound first scaled by ratio in float32 (as a torch
/// observer's min_val * ratio would): out[g] is computeParams(spec, lo · ratio, hi · ratio) of
/// ranges[g], with the spec's code range worked out once instead of once a group.
void computeParams(const QuantSpec &spec, std::span<const std::pair<float, float>> ranges, float ratio,
                   std::vector<QuantParams> &out);

/// requestedRange followed by computeParams.
QuantParams paramsForTensor(const QuantSpec &spec, double tensorMin, double tensorMax);

/// The float32 reciprocal of the scale that quantizeValue multiplies by.
inline float inverseScale(const QuantParams &p) {
    return 1.0f / p.scale;
}

/// q = clamp(round_half_even(x · (1/scale)) + zero_point, qmin, qmax), computed in float32:
/// multiplying by the float32 reciprocal of the scale, as torch.fake_quantize_per_tensor_affine
/// and torch.fake_quantize_per_channel_affine do (so x̂ is bit-identical to theirs).
inline std::int64_t quantizeValue(float x, const QuantParams &p) {
    const float q = std::nearbyint(x * inverseScale(p)) + float(p.zeroPoint);
    return std::int64_t(std::clamp(q, float(p.qmin), float(p.qmax)));
}

/// x̂ = (q - zero_point) * scale.
inline float dequantizeValue(std::int64_t q, const QuantParams &p) {
    return float(q - p.zeroPoint) * p.scale;
}

/// quantize then dequantize ("fake quantization"):
/// x̂ = (clamp(round(x · (1/s)) + z, qmin, qmax) − z) · s.
inline float fakeQuantize(float x, const QuantParams &p) {
    return dequantizeValue(quantizeValue(x, p), p);
}

/// Fake-quantizes a whole span (vectorised with Eigen); out.size() must equal in.size().
void fakeQuantize(std::span<const float> in, std::span<float> out, const QuantParams &p);

} // namespace qs
