#include "calib/mseestimator.h"

#include "quant/quantizer.h"

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

// The sweep covers small fractions geometrically from here (outlier-heavy tensors want
// thresholds far below their range) and the upper half linearly.
constexpr double kSmallestFraction = 1e-3;
constexpr double kLinearFrom = 0.5;

double cube(double x) {
    return x * x * x;
}

// ∫ r(x)² dx over [a, b], r(x) = x - s·round(x / s) the rounding error to the grid of
// multiples of s. Each whole period contributes s³/12; the partial ones ∫ t² dt. Exact for
// values spread evenly over [a, b]; it becomes (centre error)² + w²/12 for bins finer than s
// that do not straddle a rounding boundary and w·s²/12 for wide bins.
double roundingErrorIntegral(double a, double b, double s) {
    const double ya = a / s + 0.5;
    const double yb = b / s + 0.5;
    const double periodsA = std::floor(ya);
    const double periodsB = std::floor(yb);
    const double ua = (ya - periodsA - 0.5) * s;
    const double ub = (yb - periodsB - 0.5) * s;
    return (periodsB - periodsA) * cube(s) / 12.0 + (cube(ub) - cube(ua)) / 3.0;
}

// The grid of representable values: (q - zero point)·s for q in [qmin, qmax].
struct Levels {
    double lowest = 0.0;
    double highest = 0.0;
    double scale = 1.0;
};

Levels levelsOf(const QuantParams &p) {
    const double s = double(p.scale);
    return {double(p.qmin - p.zeroPoint) * s, double(p.qmax - p.zeroPoint) * s, s};
}

// ∫ (x - x̂)² dx over the bin [a, b]: saturated parts measured to the outermost level.
double binErrorIntegral(double a, double b, const Levels &l) {
    double total = 0.0;
    if (a < l.lowest)
        total += (cube(l.lowest - a) - cube(l.lowest - std::min(b, l.lowest))) / 3.0;
    if (b > l.highest)
        total += (cube(b - l.highest) - cube(std::max(a, l.highest) - l.highest)) / 3.0;
    const double lo = std::max(a, l.lowest);
    const double hi = std::min(b, l.highest);
    if (hi > lo)
        total += roundingErrorIntegral(lo, hi, l.scale);
    return total;
}

// Share of the bin [a, b] outside [clipMin, clipMax], by linear interpolation.
double clippedShare(double a, double b, const QuantParams &p) {
    const double w = b - a;
    const double below = std::clamp((p.clipMin - a) / w, 0.0, 1.0);
    const double above = std::clamp((b - p.clipMax) / w, 0.0, 1.0);
    return std::min(1.0, below + above);
}

std::optional<double> sqnrDb(double signalPower, double noisePower) {
    if (!(noisePower > 0.0))
        return std::nullopt;
    return 10.0 * std::log10(signalPower / noisePower);
}

// All values equal: the histogram's spread would be invented, the exact answer is at hand.
ErrorEstimate constantEstimate(const TensorStats &stats, const QuantParams &params) {
    const float v = float(stats.min);
    const double e = double(v) - double(fakeQuantize(v, params));
    ErrorEstimate estimate;
    estimate.mse = e * e;
    estimate.sqnrDb = sqnrDb(double(v) * double(v), e * e);
    estimate.clippedFraction = (stats.min < params.clipMin || stats.min > params.clipMax) ? 1.0 : 0.0;
    return estimate;
}

std::vector<double> sweepFractions(int steps) {
    const int n = std::max(steps, 2);
    const int geometric = n / 2;
    const int linear = n - geometric;
    std::vector<double> fractions;
    fractions.reserve(std::size_t(n));
    const double ratio = std::pow(kLinearFrom / kSmallestFraction, 1.0 / double(geometric));
    for (int i = 0; i < geometric; ++i)
        fractions.push_back(kSmallestFraction * std::pow(ratio, double(i)));
    for (int i = 0; i < linear; ++i)
        fractions.push_back(kLinearFrom + (1.0 - kLinearFrom) * double(i + 1) / double(linear));
    return fractions;
}

ThresholdPoint thresholdPoint(const TensorStats &stats, const QuantSpec &spec, double fraction) {
    ThresholdPoint point;
    point.fraction = fraction;
    if (spec.scheme == Scheme::Symmetric) {
        const double amax = std::max(std::abs(stats.min), std::abs(stats.max));
        point.clipLo = -fraction * amax;
        point.clipHi = fraction * amax;
    } else {
        point.clipLo = fraction * stats.min;
        point.clipHi = fraction * stats.max;
    }
    QuantSpec saturating = spec;
    saturating.rangeMode = RangeMode::Saturating;
    saturating.clipLo = point.clipLo;
    saturating.clipHi = point.clipHi;
    point.mse = estimateError(stats, paramsForTensor(saturating, stats.min, stats.max)).mse;
    return point;
}

} // namespace

ErrorEstimate estimateError(const TensorStats &stats, const QuantParams &params) {
    if (stats.count == 0 || stats.histogram.counts.empty())
        return {};
    if (!(stats.max > stats.min))
        return constantEstimate(stats, params);
    const Histogram &h = stats.histogram;
    const Levels levels = levelsOf(params);
    const double w = h.binWidth();
    double errorSum = 0.0;
    double clipped = 0.0;
    for (std::size_t i = 0; i < h.bins(); ++i) {
        if (h.counts[i] == 0)
            continue;
        const double a = h.binLow(i);
        const double count = double(h.counts[i]);
        errorSum += count * binErrorIntegral(a, a + w, levels) / w;
        clipped += count * clippedShare(a, a + w, params);
    }
    const double n = double(stats.count);
    ErrorEstimate estimate;
    estimate.mse = errorSum / n;
    estimate.sqnrDb = sqnrDb(stats.sumSquares, errorSum);
    estimate.clippedFraction = clipped / n;
    return estimate;
}

ThresholdSweep sweepThresholds(const TensorStats &stats, const QuantSpec &spec, int steps) {
    ThresholdSweep sweep;
    sweep.best.clipLo = stats.min;
    sweep.best.clipHi = stats.max;
    if (stats.count == 0)
        return sweep;
    for (double fraction : sweepFractions(steps))
        sweep.points.push_back(thresholdPoint(stats, spec, fraction));
    // Scanning down from the full range, ties keep the larger threshold: the same error with
    // fewer values saturated.
    sweep.best = sweep.points.back();
    for (auto it = sweep.points.rbegin(); it != sweep.points.rend(); ++it)
        if (it->mse < sweep.best.mse)
            sweep.best = *it;
    return sweep;
}

} // namespace qs
