#include "quant/quantizer.h"

#include "quant/scaledtype.h"
#include "stats/statkernels.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace qs {

namespace {

constexpr float kScaleFloor = std::numeric_limits<float>::epsilon();
constexpr float kScaleCeiling = std::numeric_limits<float>::max();
constexpr double kLargestFloat = std::numeric_limits<float>::max();

int clampedBits(int bits) {
    return std::clamp(bits, kMinBits, kMaxBits);
}

// Thresholds come from users: NaN counts as 0 and infinities as the largest float, so that
// scale and zero point stay finite.
double sanitized(double v) {
    return std::isnan(v) ? 0.0 : std::clamp(v, -kLargestFloat, kLargestFloat);
}

float boundedScale(float scale) {
    return std::min(std::max(scale, kScaleFloor), kScaleCeiling);
}

// The scale as the runtime stores it: rounded to the spec's scale dtype before anything else
// uses it (F32 leaves it alone). The floor, float32 epsilon = 2^-23, is exact in F16 and BF16.
float storedScale(const QuantSpec &spec, float scale) {
    if (spec.scaleDtype == ScaleDtype::F32)
        return boundedScale(scale); // (what roundScale leaves alone, without the call)
    return roundScale(boundedScale(scale), spec.scaleDtype);
}

// PyTorch's observers compute in float32 tensors; doing the same keeps scale and zero point
// bit-identical to theirs (e.g. the zero point of [-0.2, 1] is the tie 42.5, rounded to 42).
//
// They fill in the caller's parameters in place: built and returned by value, the structure went
// through the stack in pieces that a wider load then read back, a stalled store forwarding twice
// per call, about a tenth of the whole-model sweep at int4 group 128 (one call per group).
void setSymmetric(const QuantSpec &spec, QuantParams &p, double lo, double hi) {
    const float amax = std::max(std::abs(float(lo)), std::abs(float(hi)));
    const float divisor = spec.narrow ? float(p.qmax) : float(p.qmax - p.qmin) / 2.0f;
    p.scale = storedScale(spec, amax / divisor);
    p.zeroPoint = 0;
    const double effective = std::max(std::abs(lo), std::abs(hi));
    p.clipMin = -effective;
    p.clipMax = effective;
}

// The zero point follows from the stored (rounded) scale, so codes, zero point and scale
// reproduce x̂ exactly.
void setAsymmetric(const QuantSpec &spec, QuantParams &p, double lo, double hi) {
    const double widenedLo = std::min(lo, 0.0);
    const double widenedHi = std::max(hi, 0.0);
    const float loF = float(widenedLo);
    const float hiF = float(widenedHi);
    p.scale = storedScale(spec, (hiF - loF) / float(p.qmax - p.qmin));
    const auto shift = std::int64_t(std::nearbyint(loF / p.scale));
    p.zeroPoint = std::clamp(p.qmin - shift, p.qmin, p.qmax);
    p.clipMin = widenedLo;
    p.clipMax = widenedHi;
}

} // namespace

std::pair<std::int64_t, std::int64_t> integerRange(const QuantSpec &spec) {
    const int bits = clampedBits(spec.bits);
    if (spec.scheme == Scheme::Asymmetric)
        return {0, (std::int64_t(1) << bits) - 1};
    const std::int64_t half = std::int64_t(1) << (bits - 1);
    return {spec.narrow ? -(half - 1) : -half, half - 1};
}

std::pair<double, double> requestedRange(const QuantSpec &spec, double tensorMin, double tensorMax) {
    if (spec.rangeMode == RangeMode::NonSaturating)
        return {tensorMin, tensorMax};
    return {std::min(spec.clipLo, spec.clipHi), std::max(spec.clipLo, spec.clipHi)};
}

namespace {

// The bits and code range of spec's parameters, the same for every group.
QuantParams codeRange(const QuantSpec &spec) {
    QuantParams p;
    p.bits = clampedBits(spec.bits);
    std::tie(p.qmin, p.qmax) = integerRange(spec);
    return p;
}

// The scale, zero point and clip range into p (its code range set) from [lo, hi], sanitized
// and put in order first.
void setFromRange(const QuantSpec &spec, QuantParams &p, double lo, double hi) {
    lo = sanitized(lo);
    hi = sanitized(hi);
    if (lo > hi)
        std::swap(lo, hi);
    if (spec.scheme == Scheme::Symmetric)
        setSymmetric(spec, p, lo, hi);
    else
        setAsymmetric(spec, p, lo, hi);
}

} // namespace

QuantParams computeParams(const QuantSpec &spec, double lo, double hi) {
    QuantParams p = codeRange(spec);
    setFromRange(spec, p, lo, hi);
    return p;
}

void computeParams(const QuantSpec &spec, std::span<const std::pair<float, float>> ranges, float ratio,
                   std::vector<QuantParams> &out) {
    const QuantParams base = codeRange(spec);
    out.assign(ranges.size(), base);
    for (std::size_t g = 0; g < ranges.size(); ++g)
        setFromRange(spec, out[g], double(ranges[g].first * ratio), double(ranges[g].second * ratio));
}

QuantParams paramsForTensor(const QuantSpec &spec, double tensorMin, double tensorMax) {
    const auto [lo, hi] = requestedRange(spec, tensorMin, tensorMax);
    return computeParams(spec, lo, hi);
}

void fakeQuantize(std::span<const float> in, std::span<float> out, const QuantParams &p) {
    // Limiting x · (1/scale) to one step beyond the codes first changes no result (those values
    // clamp anyway) and keeps |t| < 2^22, where adding and subtracting 1.5·2^23 rounds half to
    // even exactly like nearbyint, for a fraction of the cost of a general rint. Integers below
    // 2^24 are exact in float, so (q - zero point) matches the int64 subtraction of the scalar
    // path: the results are identical. Every max and min keeps a NaN, so NaN stays NaN and ±inf
    // clamps, as in the scalar path. The lane kernels run it in the widest registers the
    // processor has (stats/statkernels.h; every build gives the same bits).
    const std::size_t n = std::min(in.size(), out.size());
    detail::laneFakeQuantize(in.data(), out.data(), n, detail::LaneQuant::of(p));
}

} // namespace qs
