#include "stats/errorstats.h"

#include "quant/quantizer.h"
#include "quant/valueerror.h"
#include "stats/errorpass.h"
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

std::optional<ErrorStats> errorOf(const ValueSource &source, const QuantParams &params,
                                  const TensorStats &stats, const RunControl &control, int bins) {
    detail::ErrorPass pass(params, stats, chunkCount(source.size()), bins);
    const bool done = parallelChunks(source.size(), kChunkSize, control,
                                     [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                                         detail::ErrorPass::Chunk share(pass, chunk);
                                         alignas(64) float scratch[kComparePiece];
                                         for (std::size_t i = begin; i < end; i += kComparePiece) {
                                             const std::size_t n = std::min(kComparePiece, end - i);
                                             share.addPiece(source.read(i, n, scratch), n);
                                         }
                                     });
    if (!done)
        return std::nullopt;
    return pass.finish();
}

} // namespace

namespace detail {

ErrorPass::ErrorPass(const QuantParams &params, const TensorStats &stats, std::size_t chunks, int bins)
    : m_params(params)
    , m_allFinite(stats.nanCount == 0 && stats.infCount == 0)
    , m_counting(bins > 0)
    , m_histogram(emptyErrorHistogram(errorHalfWidth(params, stats), std::max(bins, 1)))
    , m_pool(m_histogram.bins())
    , m_partials(chunks) {
    // x < clipMin exactly when x < belowLimit, for a float x (same for above): comparisons stay
    // in float without changing which values count as clipped.
    m_lanes.quant = LaneQuant::of(params);
    m_lanes.belowLimit = smallestFloatNotBelow(params.clipMin);
    m_lanes.aboveLimit = largestFloatNotAbove(params.clipMax);
    // Every finite value lies within the tensor's min and max: inside the limits, none clips.
    m_lanes.clips = !(stats.count > 0 && stats.min >= double(m_lanes.belowLimit) &&
                      stats.max <= double(m_lanes.aboveLimit));
    const Histogram &h = m_histogram;
    m_lanes.errorBins = {float(h.lo), float(double(h.bins()) / (h.hi - h.lo)), float(h.bins() - 1)};
}

ErrorPass::Chunk::Chunk(ErrorPass &pass, std::size_t index)
    : m_pass(pass)
    , m_partial(pass.m_partials[index]) {
    if (pass.m_counting)
        m_counts.emplace(pass.m_pool);
}

std::uint32_t *ErrorPass::Chunk::reserve(std::size_t n) {
    return m_counts ? m_counts->reserve(n) : nullptr;
}

// A piece of finite values is read once by the lane kernel; a piece holding a NaN or an Inf gets
// x̂ through fakeQuantize and everything value by value over the finite x. Either way the sums
// are compareChunk's on the same pieces, so they equal compareValues' on fakeQuantize's x̂.
void ErrorPass::Chunk::addPiece(const float *x, std::size_t n) {
    std::uint32_t *counts = reserve(n);
    if (m_pass.m_allFinite || laneAllFinite(x, n)) {
        addLanes(x, n, laneError(x, n, m_pass.m_lanes, counts));
        return;
    }
    alignas(64) float dequantized[kComparePiece];
    fakeQuantize(std::span<const float>(x, n), std::span<float>(dequantized, n), m_pass.m_params);
    m_partial.sums.add(compareMixed(x, dequantized, n));
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        m_partial.clipped += m_pass.clipped(x[i]) ? 1 : 0;
        if (counts)
            ++counts[std::size_t(m_pass.m_lanes.errorBins.binOf(x[i] - dequantized[i]))];
    }
}

// The lanes' float sums only fail on overflow; then they are taken again in double (the counts
// stand).
void ErrorPass::Chunk::addLanes(const float *x, std::size_t n, const LaneError &lanes) {
    m_partial.clipped += lanes.clipped;
    if (lanes.compare.finite) {
        m_partial.sums.add(lanes.compare.sums);
        return;
    }
    alignas(64) float dequantized[kComparePiece];
    fakeQuantize(std::span<const float>(x, n), std::span<float>(dequantized, n), m_pass.m_params);
    m_partial.sums.add(compareMixed(x, dequantized, n));
}

ErrorStats ErrorPass::finish() {
    std::vector<ValueErrorPartial> sums;
    sums.reserve(m_partials.size());
    std::int64_t clipped = 0;
    for (const ErrorPartial &p : m_partials) {
        sums.push_back(p.sums);
        clipped += p.clipped;
    }
    const ValueError figures = finishValueError(sums);
    std::int64_t count = 0;
    for (const ValueErrorPartial &p : sums)
        count += p.count;
    ErrorStats s;
    s.mse = figures.mse;
    s.sqnrDb = figures.sqnrDb;
    s.cosine = figures.cosine;
    s.maxAbsError = figures.maxAbsError;
    s.clippedCount = clipped;
    s.clippedFraction = double(clipped) / double(std::max<std::int64_t>(count, 1));
    s.errorHistogram = std::move(m_histogram);
    if (m_counting)
        s.errorHistogram.counts = m_pool.merged();
    else
        s.errorHistogram.counts.clear();
    return s;
}

} // namespace detail

std::optional<ErrorStats> computeError(std::span<const float> values, const QuantParams &params,
                                       const TensorStats &stats, const RunControl &control, int bins) {
    return errorOf(ValueSource(values), params, stats, control, bins);
}

std::optional<ErrorStats> computeError(const FloatTensor &tensor, const QuantParams &params,
                                       const TensorStats &stats, const RunControl &control, int bins) {
    return errorOf(ValueSource(tensor), params, stats, control, bins);
}

} // namespace qs
