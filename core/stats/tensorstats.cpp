#include "stats/tensorstats.h"

#include "stats/bincountspool.h"
#include "stats/distinctvalues.h"
#include "stats/errorpass.h"
#include "stats/statkernels.h"
#include "stats/statsanderror.h"
#include "stats/valuesource.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace qs {

namespace {

using detail::LaneBinning;

// A constant tensor still gets a histogram with some width, centred on its value.
constexpr double kConstantRelativeHalfWidth = 1e-3;
constexpr double kConstantMinHalfWidth = 1e-6;
// Pieces of a chunk that fit the L1 cache, decoded one at a time when the tensor is stored in
// another dtype.
constexpr std::size_t kPiece = detail::kLaneMaxPiece;

struct ScanPartial {
    std::int64_t count = 0;
    std::int64_t nanCount = 0;
    std::int64_t infCount = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double sum = 0.0;
    bool allFinite() const { return nanCount == 0 && infCount == 0; }
};

struct SpreadPartial {
    double sumSquares = 0.0;
    double sumSquaredDeviations = 0.0;
};

// Calls fn(values, n, offset) for the pieces of chunk [begin, end), read (or decoded) in turn.
template <typename Fn>
void forEachPiece(const ValueSource &source, std::size_t begin, std::size_t end, Fn &&fn) {
    alignas(64) float scratch[kPiece];
    for (std::size_t i = begin; i < end; i += kPiece) {
        const std::size_t n = std::min(kPiece, end - i);
        fn(source.read(i, n, scratch), n, i - begin);
    }
}

// The careful path for a chunk holding a NaN or an Inf (or whose float sums overflow).
ScanPartial scanMixed(const ValueSource &source, std::size_t begin, std::size_t end) {
    ScanPartial p;
    forEachPiece(source, begin, end, [&](const float *x, std::size_t n, std::size_t) {
        for (std::size_t i = 0; i < n; ++i) {
            const float v = x[i];
            if (std::isnan(v)) {
                ++p.nanCount;
            } else if (std::isinf(v)) {
                ++p.infCount;
            } else {
                ++p.count;
                p.min = std::min(p.min, double(v));
                p.max = std::max(p.max, double(v));
                p.sum += double(v);
            }
        }
    });
    return p;
}

ScanPartial scanChunk(const ValueSource &source, std::size_t begin, std::size_t end) {
    ScanPartial p;
    bool finite = true;
    forEachPiece(source, begin, end, [&](const float *x, std::size_t n, std::size_t) {
        if (!finite)
            return;
        const detail::LaneScan s = detail::laneScan(x, n);
        finite = s.finite;
        p.sum += s.sum;
        p.min = std::min(p.min, double(s.min));
        p.max = std::max(p.max, double(s.max));
    });
    if (!finite)
        return scanMixed(source, begin, end);
    p.count = std::int64_t(end - begin);
    return p;
}

// Σx² and Σ(x - mean)² in double, value by value: for non-finite values (skipped) and for
// pieces whose float sums overflowed.
SpreadPartial spreadSumsInDouble(const float *x, std::size_t n, double mean) {
    SpreadPartial p;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const double v = double(x[i]);
        p.sumSquares += v * v;
        p.sumSquaredDeviations += (v - mean) * (v - mean);
    }
    return p;
}

// The spread pass's work on a piece of a chunk whose values are all finite. With an error pass
// riding along, one kernel reads each value for both.
SpreadPartial spreadFinitePiece(const float *x, std::size_t n, double mean, const LaneBinning &binning,
                                std::uint32_t *binCounts, detail::ErrorPass::Chunk *error) {
    detail::LaneSpread s;
    if (error) {
        const detail::LaneSpreadError both =
            detail::laneSpreadError(x, n, float(mean), binning, binCounts, error->lanes(), error->reserve(n));
        error->addLanes(x, n, both.error);
        s = both.spread;
    } else {
        s = detail::laneSpread(x, n, float(mean), binning, binCounts);
    }
    return s.finite ? SpreadPartial{s.sumSquares, s.sumSquaredDeviations} : spreadSumsInDouble(x, n, mean);
}

SpreadPartial spreadChunk(const ValueSource &source, std::size_t begin, std::size_t end, bool allFinite,
                          double mean, const LaneBinning &binning, FoldedCountsLease &counts,
                          DistinctValues &distinct, detail::ErrorPass::Chunk *error) {
    SpreadPartial p;
    forEachPiece(source, begin, end, [&](const float *x, std::size_t n, std::size_t) {
        std::uint32_t *binCounts = counts.reserve(n);
        SpreadPartial piece;
        if (allFinite) {
            piece = spreadFinitePiece(x, n, mean, binning, binCounts, error);
        } else {
            piece = spreadSumsInDouble(x, n, mean);
            for (std::size_t i = 0; i < n; ++i)
                if (std::isfinite(x[i]))
                    ++binCounts[std::size_t(binning.binOf(x[i]))];
            if (error)
                error->addPiece(x, n);
        }
        p.sumSquares += piece.sumSquares;
        p.sumSquaredDeviations += piece.sumSquaredDeviations;
        distinct.add(x, n);
    });
    return p;
}

// Progress of one of the two passes, mapped onto its half of [0, 1].
RunControl passControl(const RunControl &control, double offset) {
    RunControl pass = control;
    if (control.progress)
        pass.progress = [&control, offset](double f) { control.report(offset + 0.5 * f); };
    return pass;
}

ScanPartial combine(const std::vector<ScanPartial> &partials) {
    ScanPartial total;
    for (const ScanPartial &p : partials) {
        total.count += p.count;
        total.nanCount += p.nanCount;
        total.infCount += p.infCount;
        total.min = std::min(total.min, p.min);
        total.max = std::max(total.max, p.max);
        total.sum += p.sum;
    }
    return total;
}

bool scanPass(const ValueSource &source, const RunControl &control, std::vector<ScanPartial> &partials) {
    partials.assign(chunkCount(source.size()), {});
    return parallelChunks(source.size(), kChunkSize, passControl(control, 0.0),
                          [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                              partials[chunk] = scanChunk(source, begin, end);
                          });
}

Histogram emptyHistogram(const TensorStats &stats, int bins) {
    Histogram h;
    h.lo = stats.min;
    h.hi = stats.max;
    if (!(h.hi > h.lo)) {
        const double half = std::max(std::abs(stats.min) * kConstantRelativeHalfWidth, kConstantMinHalfWidth);
        h.lo = stats.min - half;
        h.hi = stats.max + half;
    }
    h.counts.assign(std::size_t(std::max(bins, 1)), 0);
    return h;
}

bool spreadPass(const ValueSource &source, const RunControl &control, const std::vector<ScanPartial> &scans,
                TensorStats &stats, detail::ErrorPass *error) {
    const Histogram &h = stats.histogram;
    const LaneBinning binning{float(h.lo), float(double(h.bins()) / (h.hi - h.lo)), float(h.bins() - 1)};
    FoldedCountsPool pool(h.bins());
    DistinctValues distinct(kDistinctValuesCap);
    std::vector<SpreadPartial> partials(scans.size());
    const bool done = parallelChunks(source.size(), kChunkSize, passControl(control, 0.5),
                                     [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                                         FoldedCountsLease counts(pool);
                                         std::optional<detail::ErrorPass::Chunk> share;
                                         if (error)
                                             share.emplace(*error, chunk);
                                         partials[chunk] = spreadChunk(
                                             source, begin, end, scans[chunk].allFinite(), stats.mean,
                                             binning, counts, distinct, share ? &*share : nullptr);
                                     });
    if (!done)
        return false;
    double deviations = 0.0;
    for (const SpreadPartial &p : partials) {
        stats.sumSquares += p.sumSquares;
        deviations += p.sumSquaredDeviations;
    }
    stats.std = std::sqrt(deviations / double(stats.count));
    stats.histogram.counts = pool.merged();
    stats.distinctValues = distinct.count();
    return true;
}

// What rides along the spread pass: an error pass whose parameters come from the scan.
struct ErrorRide {
    const ParamsFromScan &params;
    int bins = 0;
    std::optional<detail::ErrorPass> pass;
};

std::optional<TensorStats> statsOf(const ValueSource &source, const RunControl &control, int bins,
                                   ErrorRide *ride = nullptr) {
    std::vector<ScanPartial> scans;
    if (!scanPass(source, control, scans))
        return std::nullopt;
    const ScanPartial total = combine(scans);
    TensorStats stats;
    stats.count = total.count;
    stats.nanCount = total.nanCount;
    stats.infCount = total.infCount;
    if (stats.count == 0)
        return stats;
    stats.min = total.min;
    stats.max = total.max;
    stats.mean = total.sum / double(stats.count);
    if (ride)
        ride->pass.emplace(ride->params(stats), stats, scans.size(), ride->bins);
    stats.histogram = emptyHistogram(stats, bins);
    if (!spreadPass(source, control, scans, stats, ride ? &*ride->pass : nullptr))
        return std::nullopt;
    return stats;
}

// Without finite values there is no spread pass to ride: the error pass runs on its own.
template <typename Values>
std::optional<StatsAndError> statsAndErrorOf(const Values &values, const ParamsFromScan &params,
                                             const RunControl &control, int bins, int errorBins) {
    ErrorRide ride{params, errorBins, std::nullopt};
    auto stats = statsOf(ValueSource(values), control, bins, &ride);
    if (!stats)
        return std::nullopt;
    if (ride.pass)
        return StatsAndError{std::move(*stats), ride.pass->finish()};
    auto error = computeError(values, params(*stats), *stats, control, errorBins);
    if (!error)
        return std::nullopt;
    return StatsAndError{std::move(*stats), std::move(*error)};
}

} // namespace

std::optional<TensorStats> computeStats(std::span<const float> values, const RunControl &control, int bins) {
    return statsOf(ValueSource(values), control, bins);
}

std::optional<TensorStats> computeStats(const FloatTensor &tensor, const RunControl &control, int bins) {
    return statsOf(ValueSource(tensor), control, bins);
}

std::optional<StatsAndError> computeStatsAndError(std::span<const float> values, const ParamsFromScan &params,
                                                  const RunControl &control, int bins, int errorBins) {
    return statsAndErrorOf(values, params, control, bins, errorBins);
}

std::optional<StatsAndError> computeStatsAndError(const FloatTensor &tensor, const ParamsFromScan &params,
                                                  const RunControl &control, int bins, int errorBins) {
    return statsAndErrorOf(tensor, params, control, bins, errorBins);
}

} // namespace qs
