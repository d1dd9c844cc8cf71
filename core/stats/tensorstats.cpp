#include "stats/tensorstats.h"

#include "stats/bincountspool.h"
#include "stats/blockedsum.h"
#include "stats/distinctvalues.h"
#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace qs {

namespace {

using detail::blockedSum;
using detail::FloatMap;
using detail::kSumBlock;
using detail::SumBlock;

// A constant tensor still gets a histogram with some width, centred on its value.
constexpr double kConstantRelativeHalfWidth = 1e-3;
constexpr double kConstantMinHalfWidth = 1e-6;
// Bin indices are computed (vectorised) for this many values at a time.
constexpr std::size_t kBinBlock = 1024;
// Pieces of a chunk that fit the L1 cache.
constexpr std::size_t kScanPiece = 4096;

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

// Bin index in float: t = (x - lo) * binsPerUnit, clamped to the first and last bin.
struct Binning {
    float lo = 0.0f;
    float binsPerUnit = 0.0f;
    float last = 0.0f;

    int binOf(float x) const { return int(std::clamp((x - lo) * binsPerUnit, 0.0f, last)); }
};

ScanPartial scanMixed(const float *x, std::size_t n) {
    ScanPartial p;
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
    return p;
}

// A non-finite block sum means a NaN or an Inf (or a float overflow): then the careful path.
// The three reductions run over pieces small enough to stay in the L1 cache.
ScanPartial scanChunk(const float *x, std::size_t n) {
    ScanPartial p;
    for (std::size_t i = 0; i < n; i += kScanPiece) {
        const std::size_t m = std::min(kScanPiece, n - i);
        const double sum = blockedSum(x + i, m, [](const auto &b) { return b.sum(); });
        if (!std::isfinite(sum))
            return scanMixed(x, n);
        const FloatMap a(x + i, Eigen::Index(m));
        p.sum += sum;
        p.min = std::min(p.min, double(a.minCoeff()));
        p.max = std::max(p.max, double(a.maxCoeff()));
    }
    p.count = std::int64_t(n);
    return p;
}

SpreadPartial spreadMixed(const float *x, std::size_t n, double mean, const Binning &binning,
                          std::int64_t *counts) {
    SpreadPartial p;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const double v = double(x[i]);
        p.sumSquares += v * v;
        p.sumSquaredDeviations += (v - mean) * (v - mean);
        ++counts[binning.binOf(x[i])];
    }
    return p;
}

// Bin positions are computed vectorised in float; only the truncation and the increment are
// done value by value.
void countBins(const float *x, std::size_t n, const Binning &binning, std::int64_t *counts) {
    alignas(16) float position[kBinBlock];
    for (std::size_t i = 0; i < n; i += kBinBlock) {
        const std::size_t m = std::min(kBinBlock, n - i);
        Eigen::Map<Eigen::ArrayXf>(position, Eigen::Index(m)) =
            ((FloatMap(x + i, Eigen::Index(m)) - binning.lo) * binning.binsPerUnit)
                .max(0.0f)
                .min(binning.last);
        for (std::size_t k = 0; k < m; ++k)
            ++counts[int(position[k])];
    }
}

SpreadPartial spreadFinite(const float *x, std::size_t n, double mean, const Binning &binning,
                           std::int64_t *counts) {
    const float m = float(mean);
    countBins(x, n, binning, counts);
    return {blockedSum(x, n, [](const auto &b) { return b.square().sum(); }),
            blockedSum(x, n, [m](const auto &b) { return (b - m).square().sum(); })};
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

bool scanPass(std::span<const float> values, const RunControl &control, std::vector<ScanPartial> &partials) {
    partials.assign(chunkCount(values.size()), {});
    return parallelChunks(values.size(), kChunkSize, passControl(control, 0.0),
                          [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                              partials[chunk] = scanChunk(values.data() + begin, end - begin);
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

bool spreadPass(std::span<const float> values, const RunControl &control,
                const std::vector<ScanPartial> &scans, TensorStats &stats) {
    const Histogram &h = stats.histogram;
    const Binning binning{float(h.lo), float(double(h.bins()) / (h.hi - h.lo)), float(h.bins() - 1)};
    BinCountsPool pool(h.bins());
    DistinctValues distinct(kDistinctValuesCap);
    std::vector<SpreadPartial> partials(scans.size());
    const bool done =
        parallelChunks(values.size(), kChunkSize, passControl(control, 0.5),
                       [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                           BinCountsLease counts(pool);
                           const float *x = values.data() + begin;
                           partials[chunk] =
                               scans[chunk].allFinite()
                                   ? spreadFinite(x, end - begin, stats.mean, binning, counts.data())
                                   : spreadMixed(x, end - begin, stats.mean, binning, counts.data());
                           distinct.add(x, end - begin);
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

} // namespace

std::optional<TensorStats> computeStats(std::span<const float> values, const RunControl &control, int bins) {
    std::vector<ScanPartial> scans;
    if (!scanPass(values, control, scans))
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
    stats.histogram = emptyHistogram(stats, bins);
    if (!spreadPass(values, control, scans, stats))
        return std::nullopt;
    return stats;
}

} // namespace qs
