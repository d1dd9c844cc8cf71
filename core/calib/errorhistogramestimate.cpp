#include "calib/mseestimator.h"

#include "quant/quantizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace qs {

namespace {

// computeError's headroom on the error histogram's half-width: the same binning for both.
constexpr double kHalfWidthMargin = 1e-3;

// The largest |x - x̂|, as computeError sizes its histogram.
double errorHalfWidth(const QuantParams &p, const TensorStats &stats) {
    const double halfStep = 0.5 * double(p.scale);
    const double below = stats.min < p.clipMin ? p.clipMin - stats.min + halfStep : 0.0;
    const double above = stats.max > p.clipMax ? stats.max - p.clipMax + halfStep : 0.0;
    return std::max({halfStep, below, above}) * (1.0 + kHalfWidthMargin);
}

// Sums evenly spread masses into the bins of [lo, hi] without visiting every bin a mass covers:
// a segment changes the slope of the cumulative count at its two ends, and the counts are the
// steps of the cumulative count between bin edges. Mass beyond the range lands in the edge
// bins, as computeError clamps it.
class SpreadAccumulator {
public:
    SpreadAccumulator(double lo, double hi, std::size_t bins)
        : m_lo(lo)
        , m_hi(hi)
        , m_width((hi - lo) / double(bins))
        , m_slope(bins, 0.0)
        , m_partial(bins, 0.0)
        , m_point(bins, 0.0) {}

    void addSegment(double u, double v, double mass) {
        if (!(mass > 0.0))
            return;
        if (!(v > u)) {
            addPoint(u, mass);
            return;
        }
        const double density = mass / (v - u);
        const double a = std::clamp(u, m_lo, m_hi);
        const double b = std::clamp(v, m_lo, m_hi);
        if (a > u)
            addPoint(m_lo, density * (a - u));
        if (v > b)
            addPoint(m_hi, density * (v - b));
        if (b > a) {
            addBreak(a, density);
            addBreak(b, -density);
        }
    }

    void addPoint(double x, double mass) { m_point[binOf(x)] += mass; }

    // Rounding the cumulative count (not each bin) keeps the total exact.
    std::vector<std::int64_t> counts() const {
        std::vector<std::int64_t> counts(m_slope.size(), 0);
        double slope = 0.0;
        double cumulative = 0.0;
        std::int64_t previous = 0;
        for (std::size_t j = 0; j < counts.size(); ++j) {
            cumulative += slope * m_width + m_partial[j] + m_point[j];
            slope += m_slope[j];
            const std::int64_t rounded = std::max(previous, std::int64_t(std::llround(cumulative)));
            counts[j] = rounded - previous;
            previous = rounded;
        }
        return counts;
    }

private:
    std::size_t binOf(double x) const {
        const double t = std::floor((x - m_lo) / m_width);
        return std::size_t(std::clamp(t, 0.0, double(m_slope.size() - 1)));
    }

    // From p on the cumulative count rises `slope` faster: within p's bin that adds
    // slope · (right edge - p) by the bin's right edge.
    void addBreak(double p, double slope) {
        const std::size_t j = binOf(p);
        m_slope[j] += slope;
        m_partial[j] += slope * (m_lo + m_width * double(j + 1) - p);
    }

    double m_lo;
    double m_hi;
    double m_width;
    std::vector<double> m_slope;
    std::vector<double> m_partial;
    std::vector<double> m_point;
};

struct Spreader {
    SpreadAccumulator &out;
    double lowest; // outermost levels
    double highest;
    double scale;
    double fullStepsMass = 0.0; // values whose errors cover all of [-s/2, s/2] evenly

    // Values spread evenly over [lo, hi] inside the levels: errors x - s·round(x / s) run from
    // -s/2 to s/2 once per step.
    void addRounding(double lo, double hi, double density) {
        const double s = scale;
        const double ya = lo / s + 0.5;
        const double yb = hi / s + 0.5;
        const double ka = std::floor(ya);
        const double kb = std::floor(yb);
        const double ua = (ya - ka - 0.5) * s;
        const double ub = (yb - kb - 0.5) * s;
        if (ka == kb) {
            out.addSegment(ua, ub, density * (hi - lo));
            return;
        }
        out.addSegment(ua, 0.5 * s, density * (0.5 * s - ua));
        out.addSegment(-0.5 * s, ub, density * (ub + 0.5 * s));
        fullStepsMass += density * s * (kb - ka - 1.0);
    }

    void addBin(double a, double b, double count) {
        const double density = count / (b - a);
        if (a < lowest) {
            const double end = std::min(b, lowest);
            out.addSegment(a - lowest, end - lowest, density * (end - a));
        }
        if (b > highest) {
            const double start = std::max(a, highest);
            out.addSegment(start - highest, b - highest, density * (b - start));
        }
        const double lo = std::max(a, lowest);
        const double hi = std::min(b, highest);
        if (hi > lo)
            addRounding(lo, hi, density);
    }

    void finish() { out.addSegment(-0.5 * scale, 0.5 * scale, fullStepsMass); }
};

} // namespace

Histogram estimateErrorHistogram(const TensorStats &stats, const QuantParams &params, int bins) {
    Histogram result;
    const double halfWidth = errorHalfWidth(params, stats);
    result.lo = -halfWidth;
    result.hi = halfWidth;
    SpreadAccumulator out(result.lo, result.hi, std::size_t(std::max(bins, 1)));
    const Histogram &fine = stats.histogram;
    if (stats.count > 0 && !fine.counts.empty() && !(stats.max > stats.min)) {
        // A constant tensor: its one error is known exactly.
        const float v = float(stats.min);
        out.addPoint(double(v) - double(fakeQuantize(v, params)), double(stats.count));
    } else if (stats.count > 0 && !fine.counts.empty()) {
        const double s = double(params.scale);
        Spreader spreader{out, double(params.qmin - params.zeroPoint) * s,
                          double(params.qmax - params.zeroPoint) * s, s};
        const double w = fine.binWidth();
        for (std::size_t i = 0; i < fine.bins(); ++i)
            if (fine.counts[i] > 0)
                spreader.addBin(fine.binLow(i), fine.binLow(i) + w, double(fine.counts[i]));
        spreader.finish();
    }
    result.counts = out.counts();
    return result;
}

} // namespace qs
