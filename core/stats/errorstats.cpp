#include "stats/errorstats.h"

#include "quant/valueerror.h"

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

// The sums are compareValues' (detail::compareChunk on the same 1024-value blocks of the same
// chunks), so a per-tensor analyze and compare's row for it agree to the last bit.
struct ErrorPartial {
    std::int64_t clipped = 0;
    detail::ValueErrorPartial sums;

    void add(const detail::ValueErrorPartial &block) {
        sums.sumSquares += block.sumSquares;
        sums.sumErrorSquares += block.sumErrorSquares;
        sums.sumProducts += block.sumProducts;
        sums.sumDequantizedSquares += block.sumDequantizedSquares;
        sums.maxError = std::max(sums.maxError, block.maxError);
        sums.count += block.count;
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

void addFiniteBlock(const float *x, const float *dequantized, std::size_t n, const ErrorContext &c,
                    std::int64_t *counts, ErrorPartial &p) {
    alignas(16) float error[kBlock];
    const FloatMap in(x, Eigen::Index(n));
    p.clipped += countClipped(in, c);
    Eigen::Map<Eigen::ArrayXf>(error, Eigen::Index(n)) = in - FloatMap(dequantized, Eigen::Index(n));
    countErrorBins(error, n, c, counts);
}

void addMixedBlock(const float *x, const float *dequantized, std::size_t n, const ErrorContext &c,
                   std::int64_t *counts, ErrorPartial &p) {
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        p.clipped += c.clipped(x[i]) ? 1 : 0;
        ++counts[c.binOf(x[i] - dequantized[i])];
    }
}

ErrorPartial errorChunk(const float *x, std::size_t n, const ErrorContext &c, std::int64_t *counts) {
    ErrorPartial p;
    alignas(16) float dequantized[kBlock];
    for (std::size_t i = 0; i < n; i += kBlock) {
        const std::size_t m = std::min(kBlock, n - i);
        fakeQuantize(std::span<const float>(x + i, m), std::span<float>(dequantized, m), c.params);
        p.add(detail::compareChunk(x + i, dequantized, m));
        // A block with a NaN or an Inf takes the careful path.
        if (FloatMap(x + i, Eigen::Index(m)).allFinite())
            addFiniteBlock(x + i, dequantized, m, c, counts, p);
        else
            addMixedBlock(x + i, dequantized, m, c, counts, p);
    }
    return p;
}

ErrorStats finish(const std::vector<ErrorPartial> &partials, Histogram histogram) {
    std::vector<detail::ValueErrorPartial> sums;
    sums.reserve(partials.size());
    std::int64_t clipped = 0;
    for (const ErrorPartial &p : partials) {
        sums.push_back(p.sums);
        clipped += p.clipped;
    }
    const ValueError figures = detail::finishValueError(sums);
    std::int64_t count = 0;
    for (const detail::ValueErrorPartial &p : sums)
        count += p.count;
    ErrorStats s;
    s.mse = figures.mse;
    s.sqnrDb = figures.sqnrDb;
    s.cosine = figures.cosine;
    s.maxAbsError = figures.maxAbsError;
    s.clippedCount = clipped;
    s.clippedFraction = double(clipped) / double(std::max<std::int64_t>(count, 1));
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
