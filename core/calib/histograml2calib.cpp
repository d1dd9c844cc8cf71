#include "calib/calibmethods.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

// The quantile step of the search, as HistogramObserver takes it.
constexpr double kQuantileStep = 1e-5;

// ∫ t² dt over [a, b].
double squaresIntegral(double a, double b) {
    return (b * b * b - a * a * a) / 3.0;
}

// The L2 error of mapping every value to the centre of its destination bin, the destination being
// `dstBins` equal bins over source bins [start, end] (values outside go to the outermost one).
// Each source bin's values are taken as spread evenly over it, so its error is its density times
// ∫ (x - centre(x))² over the bin: the part in its first destination bin, the whole destination
// bins it covers, the part in its last.
double l2Error(std::span<const std::int64_t> counts, double binWidth, std::size_t start, std::size_t end,
               std::int64_t dstBins) {
    const double dstWidth = binWidth * double(end - start + 1) / double(dstBins);
    if (dstWidth == 0.0)
        return 0.0;
    const double half = dstWidth / 2.0;
    const double lastDst = double(dstBins - 1);
    const double wholeBin = squaresIntegral(-half, half);
    double total = 0.0;
    for (std::size_t s = 0; s < counts.size(); ++s) {
        if (counts[s] == 0)
            continue;
        const double begin = (double(s) - double(start)) * binWidth; // from the clip's start
        const double finish = begin + binWidth;
        const double first = std::clamp(std::floor(begin / dstWidth), 0.0, lastDst);
        const double last = std::clamp(std::floor(finish / dstWidth), 0.0, lastDst);
        const double inside = squaresIntegral(begin - (first + 0.5) * dstWidth, half) +
                              (last - first - 1.0) * wholeBin +
                              squaresIntegral(-half, finish - (last + 0.5) * dstWidth);
        total += double(counts[s]) / binWidth * inside;
    }
    return total;
}

} // namespace

ClipRange histogramL2Search(std::span<const std::int64_t> counts, double lo, double hi,
                            std::int64_t dstBins) {
    if (counts.empty() || !(hi > lo))
        return {lo, hi};
    const double binWidth = (hi - lo) / double(counts.size());
    std::vector<double> cumulative(counts.size());
    double total = 0.0;
    for (std::size_t i = 0; i < counts.size(); ++i)
        cumulative[i] = total += double(counts[i]);
    double alpha = 0.0; // the quantiles cut off below and above
    double beta = 1.0;
    std::size_t start = 0;
    std::size_t end = counts.size() - 1;
    double bestError = std::numeric_limits<double>::infinity();
    while (alpha < beta) {
        const double nextAlpha = alpha + kQuantileStep;
        const double nextBeta = beta - kQuantileStep;
        std::size_t l = start;
        std::size_t r = end;
        while (l < end && cumulative[l] < nextAlpha * total)
            ++l;
        while (r > start && cumulative[r] > nextBeta * total)
            --r;
        // Move whichever end frees more bins for the same quantile step.
        std::size_t nextStart = start;
        std::size_t nextEnd = end;
        if (l - start > end - r) {
            nextStart = l;
            alpha = nextAlpha;
        } else {
            nextEnd = r;
            beta = nextBeta;
        }
        if (nextStart == start && nextEnd == end)
            continue;
        const double error = l2Error(counts, binWidth, nextStart, nextEnd, dstBins);
        if (error > bestError)
            break;
        bestError = error;
        start = nextStart;
        end = nextEnd;
    }
    return {lo + binWidth * double(start), lo + binWidth * double(end + 1)};
}

std::optional<ClipRange> histogramL2Clip(std::span<const float> values, const TensorStats &stats,
                                         const QuantSpec &spec, const RunControl &control) {
    const auto counts = histcCounts(values, stats.min, stats.max, kHistogramL2Bins, false, control);
    if (!counts)
        return std::nullopt;
    // HistogramObserver's dst_nbins is 2^(bits of its dtype); here the spec's bits.
    const std::int64_t levels = std::int64_t(1) << std::clamp(spec.bits, kMinBits, kMaxBits);
    return histogramL2Search(*counts, stats.min, stats.max, levels);
}

} // namespace qs
