#include "calib/calibmethods.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace qs {

namespace {

// KL(P || Q) for candidate threshold bin i. P: bins [0, i) with the mass at and beyond i folded
// into bin i - 1. Q: bins [0, i) cut into `levels` runs (bin j in run ⌊j·levels / i⌋, exactly
// numpy.digitize against linspace(0, i, levels + 1)), each run's mass spread evenly over its
// non-empty bins, empty bins staying empty. Both normalised. Infinite when P has mass where Q
// has none (the folded tail landing on an empty bin).
double divergence(const std::vector<double> &bins, std::size_t i, double tail, std::int64_t levels) {
    const double pTotal = std::accumulate(bins.begin(), bins.begin() + std::ptrdiff_t(i), 0.0) + tail;
    const double qTotal = pTotal - tail;
    if (!(pTotal > 0.0) || !(qTotal > 0.0))
        return std::numeric_limits<double>::infinity();
    const auto runOf = [&](std::size_t j) { return std::int64_t(j) * levels / std::int64_t(i); };
    double kl = 0.0;
    for (std::size_t begin = 0; begin < i;) {
        std::size_t end = begin;
        double mass = 0.0;
        std::int64_t nonEmpty = 0;
        for (; end < i && runOf(end) == runOf(begin); ++end) {
            mass += bins[end];
            nonEmpty += bins[end] != 0.0 ? 1 : 0;
        }
        const double q = nonEmpty > 0 ? mass / double(nonEmpty) / qTotal : 0.0;
        for (std::size_t j = begin; j < end; ++j) {
            const double p = (bins[j] + (j + 1 == i ? tail : 0.0)) / pTotal;
            if (p == 0.0)
                continue;
            if (bins[j] == 0.0)
                return std::numeric_limits<double>::infinity();
            kl += p * std::log(p / q);
        }
        begin = end;
    }
    return kl;
}

} // namespace

std::size_t entropyThresholdBin(std::span<const std::int64_t> counts, std::int64_t levels,
                                std::size_t startBin) {
    const std::size_t n = counts.size();
    if (n == 0)
        return 0;
    std::vector<double> bins(counts.begin(), counts.end());
    // TensorRT calibrates activations after ReLU, whose zeros pile up in bin 0: it gives bin 0
    // the count of bin 1 instead.
    if (n > 1)
        bins[0] = bins[1];
    std::vector<double> tails(n + 1, 0.0);
    for (std::size_t j = n; j-- > 0;)
        tails[j] = tails[j + 1] + bins[j];
    levels = std::max<std::int64_t>(levels, 1);
    std::size_t best = n;
    double bestDivergence = std::numeric_limits<double>::infinity();
    for (std::size_t i = std::clamp<std::size_t>(startBin, 1, n); i <= n; ++i) {
        const double kl = divergence(bins, i, tails[i], levels);
        if (kl <= bestDivergence && std::isfinite(kl)) { // ties: the last, as upstream's argmin
            bestDivergence = kl;
            best = i;
        }
    }
    return best;
}

std::optional<ClipRange> entropyClip(std::span<const float> values, const TensorStats &stats,
                                     const QuantSpec &spec, const RunControl &control) {
    const float amax = float(std::max(std::abs(stats.min), std::abs(stats.max)));
    const auto counts = histcCounts(values, 0.0, double(amax), kEntropyBins, true, control);
    if (!counts)
        return std::nullopt;
    if (stats.count == 0 || !(amax > 0.0f))
        return ClipRange{-double(amax), double(amax)};
    const std::int64_t levels = std::int64_t(1) << (std::clamp(spec.bits, kMinBits, kMaxBits) - 1);
    const std::size_t bin = entropyThresholdBin(*counts, levels);
    // Edge `bin` of linspace(0, amax, bins + 1), in float32 as the calibrator's edges are.
    const float threshold = float(double(amax) * double(bin) / double(kEntropyBins));
    return ClipRange{-double(threshold), double(threshold)};
}

} // namespace qs
