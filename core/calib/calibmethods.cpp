#include "calib/calibmethods.h"

#include "quant/numberformat.h"
#include "quant/quantizer.h"
#include "stats/bincountspool.h"
#include "util/parallel.h"

#include <array>
#include <cmath>
#include <limits>

namespace qs {

namespace {

// calibMethods() order.
const std::array<CalibMethodEntry, 6> kRegistry{{
    {CalibMethod::MinMax, false, nullptr, "each group's finite [min, max], nothing clipped"},
    {CalibMethod::Mse, false, mseClip,
     "per tensor the threshold sweep's minimum; per group the shrink p = 1 - i/100 with the least "
     "exact MSE"},
    {CalibMethod::Percentile, true, percentileClip,
     "the P-th percentile of |x| (symmetric) or the (100 - P)-th and P-th of x, interpolated linearly"},
    {CalibMethod::Entropy, true, entropyClip,
     "TensorRT's KL divergence on 2048 bins of |x|, thresholds from bin 128, 2^(b-1) levels"},
    {CalibMethod::HistogramL2, true, histogramL2Clip,
     "PyTorch HistogramObserver's L2 search on 2048 bins of [min, max]"},
    {CalibMethod::Hqq, false, nullptr,
     "HQQ's half-quadratic solver for float zero points (lp 0.7, beta 10, kappa 1.01, 20 steps)"},
}};

// torch.histc computes the bin in the input's dtype; x·bins only overflows for |x| > 1.6e35,
// where the division goes first instead.
int histcBin(float x, float lo, float width, float bins) {
    const float offset = x - lo;
    const float scaled = offset * bins;
    const float t = std::isfinite(scaled) ? scaled / width : offset / width * bins;
    return std::min(int(t), int(bins) - 1);
}

} // namespace

std::span<const CalibMethodEntry> calibMethodRegistry() {
    return kRegistry;
}

const CalibMethodEntry &calibMethodEntry(CalibMethod method) {
    for (const CalibMethodEntry &entry : kRegistry)
        if (entry.method == method)
            return entry;
    return kRegistry.front();
}

bool usesTensorClip(const QuantSpec &spec) {
    return spec.granularity.kind == Granularity::Kind::Tensor &&
           formatTraits(spec.format).family == FormatFamily::Integer &&
           calibMethodEntry(spec.method).tensorClip != nullptr;
}

std::optional<ClipRange> tensorClip(std::span<const float> values, const TensorStats &stats,
                                    const QuantSpec &spec, const RunControl &control) {
    if (control.canceled())
        return std::nullopt;
    if (!usesTensorClip(spec)) {
        const auto [lo, hi] = requestedRange(spec, stats.min, stats.max);
        return ClipRange{lo, hi};
    }
    return calibMethodEntry(spec.method).tensorClip(values, stats, spec, control);
}

QuantSpec resolvedSpec(QuantSpec spec, ClipRange clip) {
    spec.rangeMode = RangeMode::Saturating;
    spec.clipLo = clip.lo;
    spec.clipHi = clip.hi;
    return spec;
}

std::optional<std::vector<std::int64_t>> histcCounts(std::span<const float> values, double lo, double hi,
                                                     int bins, bool absolute, const RunControl &control) {
    const auto binCount = std::size_t(std::max(bins, 1));
    if (!(hi > lo))
        return control.canceled() ? std::nullopt : std::optional(std::vector<std::int64_t>(binCount, 0));
    const float loF = float(lo);
    const float hiF = float(hi);
    const float width = hiF - loF;
    BinCountsPool pool(binCount);
    const bool done = parallelChunks(
        values.size(), kChunkSize, control, [&](std::size_t, std::size_t begin, std::size_t end) {
            BinCountsLease counts(pool);
            for (std::size_t i = begin; i < end; ++i) {
                const float x = absolute ? std::abs(values[i]) : values[i];
                if (x >= loF && x <= hiF) // skips NaN and what lies outside, as histc does
                    ++counts.data()[histcBin(x, loF, width, float(binCount))];
            }
        });
    if (!done)
        return std::nullopt;
    return pool.merged();
}

} // namespace qs
