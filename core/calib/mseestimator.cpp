#include "calib/mseestimator.h"

#include "quant/quantizer.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace qs {

namespace {

// The sweep covers small fractions geometrically from here (outlier-heavy tensors want
// thresholds far below their range) and the upper half linearly.
constexpr double kSmallestFraction = 1e-3;
constexpr double kLinearFrom = 0.5;
// Bound on the alternating scans of the asymmetric search (it usually settles in 2 or 3).
constexpr int kMaxDescentRounds = 32;

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

// The non-saturating range: symmetric ±amax, asymmetric [min, max].
std::pair<double, double> fullRange(const TensorStats &stats, Scheme scheme) {
    if (scheme == Scheme::Symmetric) {
        const double amax = std::max(std::abs(stats.min), std::abs(stats.max));
        return {-amax, amax};
    }
    return {stats.min, stats.max};
}

double estimatedMse(const TensorStats &stats, const QuantSpec &spec, double clipLo, double clipHi) {
    QuantSpec saturating = spec;
    saturating.rangeMode = RangeMode::Saturating;
    saturating.clipLo = clipLo;
    saturating.clipHi = clipHi;
    return estimateError(stats, paramsForTensor(saturating, stats.min, stats.max)).mse;
}

// A point of the joint curve: both ends at fraction f of the non-saturating range.
ThresholdPoint jointPoint(const TensorStats &stats, const QuantSpec &spec, double fraction) {
    const auto [lo, hi] = fullRange(stats, spec.scheme);
    ThresholdPoint point;
    point.fraction = point.fractionLo = point.fractionHi = fraction;
    point.clipLo = fraction * lo;
    point.clipHi = fraction * hi;
    point.mse = estimatedMse(stats, spec, point.clipLo, point.clipHi);
    return point;
}

// A point with independent ends; fractions are of the non-saturating ends, and the width's
// share of the non-saturating width (both widened to include 0, as the asymmetric mapping does).
ThresholdPoint pointAt(const TensorStats &stats, const QuantSpec &spec, double clipLo, double clipHi) {
    const auto [lo, hi] = fullRange(stats, spec.scheme);
    ThresholdPoint point;
    point.clipLo = clipLo;
    point.clipHi = clipHi;
    point.fractionLo = lo != 0.0 ? clipLo / lo : 1.0;
    point.fractionHi = hi != 0.0 ? clipHi / hi : 1.0;
    const double fullWidth = std::max(hi, 0.0) - std::min(lo, 0.0);
    point.fraction = fullWidth > 0.0 ? (std::max(clipHi, 0.0) - std::min(clipLo, 0.0)) / fullWidth : 1.0;
    point.mse = estimatedMse(stats, spec, clipLo, clipHi);
    return point;
}

// Scans one end over the fractions with the other held at best's; true if the MSE went down.
// Scanning down from the full range, ties keep the larger threshold.
bool improveEnd(const TensorStats &stats, const QuantSpec &spec, const std::vector<double> &fractions,
                bool upper, ThresholdPoint &best) {
    bool improved = false;
    for (auto f = fractions.rbegin(); f != fractions.rend(); ++f) {
        const ThresholdPoint point = upper ? pointAt(stats, spec, best.clipLo, *f * stats.max)
                                           : pointAt(stats, spec, *f * stats.min, best.clipHi);
        if (point.mse < best.mse) {
            best = point;
            improved = true;
        }
    }
    return improved;
}

// Coordinate descent over the fraction grid of each end. Every accepted move lowers the MSE, so
// it ends; the bound only caps pathological plateaus of tiny improvements.
ThresholdPoint descendBothEnds(const TensorStats &stats, const QuantSpec &spec,
                               const std::vector<double> &fractions, ThresholdPoint best) {
    // An end on the far side of 0 is widened to 0 whatever its threshold: nothing to search.
    const bool lowerMoves = stats.min < 0.0;
    const bool upperMoves = stats.max > 0.0;
    for (int round = 0; round < kMaxDescentRounds; ++round) {
        const bool upperImproved = upperMoves && improveEnd(stats, spec, fractions, true, best);
        const bool lowerImproved = lowerMoves && improveEnd(stats, spec, fractions, false, best);
        if (!upperImproved && !lowerImproved)
            break;
    }
    return best;
}

// The thresholds f·end for every fraction, plus the current one, in increasing order.
std::vector<double> endThresholds(const std::vector<double> &fractions, double end, double current) {
    std::vector<double> thresholds;
    thresholds.reserve(fractions.size() + 1);
    for (double f : fractions)
        thresholds.push_back(f * end);
    if (std::isfinite(current))
        thresholds.push_back(current);
    std::sort(thresholds.begin(), thresholds.end());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    return thresholds;
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
    const std::vector<double> fractions = sweepFractions(steps);
    for (double fraction : fractions)
        sweep.points.push_back(jointPoint(stats, spec, fraction));
    // Scanning down from the full range, ties keep the larger threshold: the same error with
    // fewer values saturated.
    sweep.best = sweep.points.back();
    for (auto it = sweep.points.rbegin(); it != sweep.points.rend(); ++it)
        if (it->mse < sweep.best.mse)
            sweep.best = *it;
    if (spec.scheme == Scheme::Asymmetric) {
        sweep.best = descendBothEnds(stats, spec, fractions, sweep.best);
        sweep.heldEnds = heldEndCurves(stats, spec, steps);
    }
    return sweep;
}

HeldEndCurves heldEndCurves(const TensorStats &stats, const QuantSpec &spec, int steps) {
    HeldEndCurves curves;
    if (spec.scheme != Scheme::Asymmetric || stats.count == 0)
        return curves;
    const auto [lo, hi] = requestedRange(spec, stats.min, stats.max);
    curves.clipLo = lo;
    curves.clipHi = hi;
    const std::vector<double> fractions = sweepFractions(steps);
    if (stats.min < 0.0)
        for (double clipLo : endThresholds(fractions, stats.min, lo))
            curves.lower.push_back(pointAt(stats, spec, clipLo, hi));
    if (stats.max > 0.0)
        for (double clipHi : endThresholds(fractions, stats.max, hi))
            curves.upper.push_back(pointAt(stats, spec, lo, clipHi));
    return curves;
}

} // namespace qs
