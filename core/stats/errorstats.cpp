#include "stats/errorstats.h"

#include "quant/quantizer.h"
#include "quant/valueerror.h"
#include "stats/bincountspool.h"
#include "stats/statkernels.h"
#include "stats/valuesource.h"
#include "util/floatbounds.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace qs {

namespace {

using detail::kComparePiece;

// Headroom on the error histogram's half-width for float rounding in the quantizer.
constexpr double kHalfWidthMargin = 1e-3;

struct ErrorPartial {
    std::int64_t clipped = 0;
    detail::ValueErrorPartial sums;
};

// Everything a chunk needs, computed once per pass.
struct ErrorContext {
    QuantParams params;
    detail::LaneErrorSetup lanes;
    bool allFinite = false; // the tensor has no NaN or Inf: no piece needs checking

    bool clipped(float x) const { return x < lanes.belowLimit || x > lanes.aboveLimit; }
};

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
    c.allFinite = stats.nanCount == 0 && stats.infCount == 0;
    // x < clipMin exactly when x < belowLimit, for a float x (same for above): comparisons stay
    // in float without changing which values count as clipped.
    c.lanes.quant = detail::LaneQuant::of(params);
    c.lanes.belowLimit = smallestFloatNotBelow(params.clipMin);
    c.lanes.aboveLimit = largestFloatNotAbove(params.clipMax);
    c.lanes.errorBins = {float(h.lo), float(double(h.bins()) / (h.hi - h.lo)), float(h.bins() - 1)};
    return c;
}

// A piece holding a NaN or an Inf: x̂ through fakeQuantize, everything value by value over the
// finite x. The sums are compareChunk's careful path on the same x̂.
void addMixedPiece(const float *x, std::size_t n, const ErrorContext &c, std::uint32_t *counts,
                   ErrorPartial &p) {
    alignas(64) float dequantized[kComparePiece];
    fakeQuantize(std::span<const float>(x, n), std::span<float>(dequantized, n), c.params);
    p.sums.add(detail::compareMixed(x, dequantized, n));
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        p.clipped += c.clipped(x[i]) ? 1 : 0;
        if (counts)
            ++counts[std::size_t(c.lanes.errorBins.binOf(x[i] - dequantized[i]))];
    }
}

// A piece of finite values: one read by the lane kernel. Its float sums only fail on overflow;
// then they are taken again in double (the counts stand).
void addFinitePiece(const float *x, std::size_t n, const ErrorContext &c, std::uint32_t *counts,
                    ErrorPartial &p) {
    const detail::LaneError lanes = detail::laneError(x, n, c.lanes, counts);
    p.clipped += lanes.clipped;
    if (lanes.compare.finite) {
        p.sums.add(lanes.compare.sums);
        return;
    }
    alignas(64) float dequantized[kComparePiece];
    fakeQuantize(std::span<const float>(x, n), std::span<float>(dequantized, n), c.params);
    p.sums.add(detail::compareMixed(x, dequantized, n));
}

// Pieces as compareChunk takes them, so the sums are its sums on fakeQuantize's x̂ to the bit.
ErrorPartial errorChunk(const ValueSource &source, std::size_t begin, std::size_t end, const ErrorContext &c,
                        FoldedCountsLease *counts) {
    ErrorPartial p;
    alignas(64) float scratch[kComparePiece];
    for (std::size_t i = begin; i < end; i += kComparePiece) {
        const std::size_t n = std::min(kComparePiece, end - i);
        const float *x = source.read(i, n, scratch);
        std::uint32_t *binCounts = counts ? counts->reserve(n) : nullptr;
        if (c.allFinite || detail::laneAllFinite(x, n))
            addFinitePiece(x, n, c, binCounts, p);
        else
            addMixedPiece(x, n, c, binCounts, p);
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

std::optional<ErrorStats> errorOf(const ValueSource &source, const QuantParams &params,
                                  const TensorStats &stats, const RunControl &control, int bins) {
    const bool counting = bins > 0;
    Histogram histogram = emptyErrorHistogram(errorHalfWidth(params, stats), std::max(bins, 1));
    const ErrorContext context = makeContext(params, histogram, stats);
    FoldedCountsPool pool(histogram.bins());
    std::vector<ErrorPartial> partials(chunkCount(source.size()));
    const bool done = parallelChunks(
        source.size(), kChunkSize, control, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
            if (!counting) {
                partials[chunk] = errorChunk(source, begin, end, context, nullptr);
                return;
            }
            FoldedCountsLease counts(pool);
            partials[chunk] = errorChunk(source, begin, end, context, &counts);
        });
    if (!done)
        return std::nullopt;
    if (counting)
        histogram.counts = pool.merged();
    else
        histogram.counts.clear();
    return finish(partials, std::move(histogram));
}

} // namespace

std::optional<ErrorStats> computeError(std::span<const float> values, const QuantParams &params,
                                       const TensorStats &stats, const RunControl &control, int bins) {
    return errorOf(ValueSource(values), params, stats, control, bins);
}

std::optional<ErrorStats> computeError(const FloatTensor &tensor, const QuantParams &params,
                                       const TensorStats &stats, const RunControl &control, int bins) {
    return errorOf(ValueSource(tensor), params, stats, control, bins);
}

} // namespace qs
