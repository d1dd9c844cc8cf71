#include "stats/errorstats.h"

#include "quant/quantizer.h"
#include "stats/bincountspool.h"
#include "stats/blockedsum.h"
#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace qs {

namespace {

using detail::FloatMap;

// Values are fake-quantized this many at a time into a buffer on the stack.
constexpr std::size_t kBlock = 1024;
// Headroom on the error histogram's half-width for float rounding in the quantizer.
constexpr double kHalfWidthMargin = 1e-3;

// Running sums in double, value by value in index order: on a tensor of one chunk they are
// compareValues' sums to the last bit, so a per-tensor analyze and compare's row agree exactly.
struct ErrorPartial {
    std::int64_t count = 0;
    std::int64_t clipped = 0;
    double sumErrorSquares = 0.0;
    double sumSquares = 0.0;
    double sumProducts = 0.0;
    double sumDequantizedSquares = 0.0;
    double maxAbsError = 0.0;

    void add(float x, float dequantized) {
        const double a = x;
        const double b = dequantized;
        const double e = a - b;
        sumSquares += a * a;
        sumErrorSquares += e * e;
        sumProducts += a * b;
        sumDequantizedSquares += b * b;
        maxAbsError = std::max(maxAbsError, std::abs(e));
    }
};

// Everything a chunk needs, computed once per pass.
struct ErrorContext {
    QuantParams params;
    // x < clipMin exactly when x < belowLimit, for a float x (same for above): comparisons stay
    // in float without changing which values count as clipped.
    float belowLimit = 0.0f;
    float aboveLimit = 0.0f;
    float histLo = 0.0f;
    float binsPerUnit = 0.0f;
    float lastBin = 0.0f;
    bool mayClip = true; // false when the whole tensor lies inside the clip range

    bool clipped(float x) const { return x < belowLimit || x > aboveLimit; }
    int binOf(float e) const { return int(std::clamp((e - histLo) * binsPerUnit, 0.0f, lastBin)); }
};

float smallestFloatNotBelow(double v) {
    const float f = float(v);
    return double(f) < v ? std::nextafter(f, std::numeric_limits<float>::infinity()) : f;
}

float largestFloatNotAbove(double v) {
    const float f = float(v);
    return double(f) > v ? std::nextafter(f, -std::numeric_limits<float>::infinity()) : f;
}

// The largest |x - x̂|: rounding (s/2) inside the clip range, the distance to the outermost
// level beyond it.
double errorHalfWidth(const QuantParams &p, const TensorStats &stats) {
    const double halfStep = 0.5 * double(p.scale);
    const double below = stats.min < p.clipMin ? p.clipMin - stats.min + halfStep : 0.0;
    const double above = stats.max > p.clipMax ? stats.max - p.clipMax + halfStep : 0.0;
    return std::max({halfStep, below, above}) * (1.0 + kHalfWidthMargin);
}

Histogram emptyErrorHistogram(double halfWidth, int bins) {
    Histogram h;
    h.lo = -halfWidth;
    h.hi = halfWidth;
    h.counts.assign(std::size_t(std::max(bins, 1)), 0);
    return h;
}

ErrorContext makeContext(const QuantParams &params, const Histogram &h, const TensorStats &stats) {
    ErrorContext c;
    c.params = params;
    c.mayClip = stats.count == 0 || stats.min < params.clipMin || stats.max > params.clipMax;
    c.belowLimit = smallestFloatNotBelow(params.clipMin);
    c.aboveLimit = largestFloatNotAbove(params.clipMax);
    c.histLo = float(h.lo);
    c.binsPerUnit = float(double(h.bins()) / (h.hi - h.lo));
    c.lastBin = float(h.bins() - 1);
    return c;
}

// Clipped values are rare: a tensor inside the clip range, or a block without any (min and
// max inside, vectorised), skips the element-by-element count.
std::int64_t countClipped(const FloatMap &in, const ErrorContext &c) {
    if (!c.mayClip || (in.minCoeff() >= c.belowLimit && in.maxCoeff() <= c.aboveLimit))
        return 0;
    std::int64_t clipped = 0;
    for (Eigen::Index i = 0; i < in.size(); ++i)
        clipped += c.clipped(in[i]) ? 1 : 0;
    return clipped;
}

// Bin positions are computed vectorised in float; only the truncation and the increment are
// done value by value.
void countErrorBins(float *error, std::size_t n, const ErrorContext &c, std::int64_t *counts) {
    Eigen::Map<Eigen::ArrayXf> t(error, Eigen::Index(n));
    t = ((t - c.histLo) * c.binsPerUnit).max(0.0f).min(c.lastBin);
    for (std::size_t k = 0; k < n; ++k)
        ++counts[int(error[k])];
}

void addFiniteBlock(const float *x, std::size_t n, const ErrorContext &c, std::int64_t *counts,
                    ErrorPartial &p) {
    alignas(16) float dequantized[kBlock];
    alignas(16) float error[kBlock];
    const FloatMap in(x, Eigen::Index(n));
    fakeQuantize(std::span<const float>(x, n), std::span<float>(dequantized, n), c.params);
    for (std::size_t i = 0; i < n; ++i)
        p.add(x[i], dequantized[i]);
    p.count += std::int64_t(n);
    p.clipped += countClipped(in, c);
    Eigen::Map<Eigen::ArrayXf>(error, Eigen::Index(n)) = in - FloatMap(dequantized, Eigen::Index(n));
    countErrorBins(error, n, c, counts);
}

void addMixedBlock(const float *x, std::size_t n, const ErrorContext &c, std::int64_t *counts,
                   ErrorPartial &p) {
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const float dequantized = fakeQuantize(x[i], c.params);
        p.add(x[i], dequantized);
        ++p.count;
        p.clipped += c.clipped(x[i]) ? 1 : 0;
        ++counts[c.binOf(x[i] - dequantized)];
    }
}

ErrorPartial errorChunk(const float *x, std::size_t n, const ErrorContext &c, std::int64_t *counts) {
    ErrorPartial p;
    for (std::size_t i = 0; i < n; i += kBlock) {
        const std::size_t m = std::min(kBlock, n - i);
        // A block with a NaN or an Inf takes the careful path.
        if (FloatMap(x + i, Eigen::Index(m)).allFinite())
            addFiniteBlock(x + i, m, c, counts, p);
        else
            addMixedBlock(x + i, m, c, counts, p);
    }
    return p;
}

ErrorStats finish(const std::vector<ErrorPartial> &partials, Histogram histogram) {
    ErrorPartial total;
    for (const ErrorPartial &p : partials) {
        total.count += p.count;
        total.clipped += p.clipped;
        total.sumErrorSquares += p.sumErrorSquares;
        total.sumSquares += p.sumSquares;
        total.sumProducts += p.sumProducts;
        total.sumDequantizedSquares += p.sumDequantizedSquares;
        total.maxAbsError = std::max(total.maxAbsError, p.maxAbsError);
    }
    ErrorStats s;
    const double n = double(std::max<std::int64_t>(total.count, 1));
    s.mse = total.sumErrorSquares / n;
    if (total.sumErrorSquares > 0.0)
        s.sqnrDb = 10.0 * std::log10(total.sumSquares / total.sumErrorSquares);
    const double norms = std::sqrt(total.sumSquares) * std::sqrt(total.sumDequantizedSquares);
    s.cosine = norms > 0.0 ? total.sumProducts / norms
                           : (total.sumSquares == total.sumDequantizedSquares ? 1.0 : 0.0);
    s.maxAbsError = total.maxAbsError;
    s.clippedCount = total.clipped;
    s.clippedFraction = double(total.clipped) / n;
    s.errorHistogram = std::move(histogram);
    return s;
}

} // namespace

std::optional<ErrorStats> computeError(std::span<const float> values, const QuantParams &params,
                                       const TensorStats &stats, const RunControl &control, int bins) {
    Histogram histogram = emptyErrorHistogram(errorHalfWidth(params, stats), bins);
    const ErrorContext context = makeContext(params, histogram, stats);
    BinCountsPool pool(histogram.bins());
    std::vector<ErrorPartial> partials(chunkCount(values.size()));
    const bool done = parallelChunks(
        values.size(), kChunkSize, control, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
            BinCountsLease counts(pool);
            partials[chunk] = errorChunk(values.data() + begin, end - begin, context, counts.data());
        });
    if (!done)
        return std::nullopt;
    histogram.counts = pool.merged();
    return finish(partials, std::move(histogram));
}

} // namespace qs
