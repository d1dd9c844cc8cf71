#pragma once

#include "quant/granularity.h"
#include "quant/quantspec.h"
#include "stats/tensorstats.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace qs {

/// A per-tensor method: the clip range it picks for an int spec on a tensor's values (finite ones
/// count; NaN and ±Inf are skipped) and their statistics (computeStats of the same values).
/// Returns nullopt when control says cancel.
using TensorClipFunction = std::optional<ClipRange> (*)(std::span<const float> values,
                                                        const TensorStats &stats, const QuantSpec &spec,
                                                        const RunControl &control);

/// One calibration method in the registry.
struct CalibMethodEntry {
    CalibMethod method = CalibMethod::MinMax;
    /// Picks one clip range per tensor (percentile, entropy, histogram-l2); checkScheme rejects it
    /// at any other granularity.
    bool perTensorOnly = false;
    /// The per-tensor int clip; nullptr for minmax (the range itself) and hqq (no clip).
    TensorClipFunction tensorClip = nullptr;
    /// The rule in one line, for help texts.
    std::string_view rule;
};

/// Every method in calibMethods() order.
std::span<const CalibMethodEntry> calibMethodRegistry();
const CalibMethodEntry &calibMethodEntry(CalibMethod method);

/// True when spec is a per-tensor int spec whose method picks a clip range (mse, percentile,
/// entropy, histogram-l2): quantizeScheme and analyzeQuant then quantize it as a saturating spec
/// at that range.
bool usesTensorClip(const QuantSpec &spec);

/// The clip range spec's method picks on the tensor (see usesTensorClip; any other spec gets its
/// requested range). Deterministic at any thread count; nullopt when cancelled.
std::optional<ClipRange> tensorClip(std::span<const float> values, const TensorStats &stats,
                                    const QuantSpec &spec, const RunControl &control = {});

/// spec quantized saturating at clip, its method kept so the result still says where the range
/// came from (checkScheme would reject such a spec as input: it is a resolved one).
QuantSpec resolvedSpec(QuantSpec spec, ClipRange clip);

// ---- Histograms as the upstream calibrators build them ----

/// torch.histc's binning: `bins` equal bins over [lo, hi] of the finite values inside it (of |x|
/// when absolute), bin = int((x - lo) · bins / (hi - lo)) in float32, x = hi in the last bin.
/// All counts are zero when hi <= lo. Integer counts: the same at any thread count. nullopt when
/// cancelled.
std::optional<std::vector<std::int64_t>> histcCounts(std::span<const float> values, double lo, double hi,
                                                     int bins, bool absolute, const RunControl &control = {});

// ---- percentile (percentilecalib.cpp) ----

/// The P-th percentile (P in [0, 100]) of the finite values (of |x| when absolute), interpolated
/// linearly between order statistics as numpy.percentile and torch.quantile do by default:
/// h = (n - 1)·P/100, x[⌊h⌋] + (h - ⌊h⌋)·(x[⌊h⌋ + 1] - x[⌊h⌋]). Exact, in O(n) passes without
/// sorting a copy. 0 for no finite value; nullopt when cancelled.
std::optional<double> percentileOf(std::span<const float> values, double percentile, bool absolute,
                                   const RunControl &control = {});

/// Symmetric: ±(the spec's P-th percentile of |x|); asymmetric: the (100 - P)-th and P-th.
std::optional<ClipRange> percentileClip(std::span<const float> values, const TensorStats &stats,
                                        const QuantSpec &spec, const RunControl &control);

// ---- entropy (entropycalib.cpp) ----

inline constexpr int kEntropyBins = 2048;
inline constexpr int kEntropyStartBin = 128;

/// TensorRT's KL calibration on a histogram of |x| over [0, amax]: for every candidate i from
/// startBin to counts.size(), P is the first i bins with the rest folded into bin i - 1 and Q
/// the first i bins merged into `levels` groups (each group's mass spread evenly over its
/// non-empty bins); returns the i with the smallest KL(P || Q), the largest on ties. As
/// upstream, bin 0 first takes bin 1's count. The threshold is edge i: i · amax / counts.size().
std::size_t entropyThresholdBin(std::span<const std::int64_t> counts, std::int64_t levels,
                                std::size_t startBin = kEntropyStartBin);

/// ±(the threshold of entropyThresholdBin) on the 2048-bin histogram of |x| over [0, max|x|],
/// with 2^(b-1) levels. Symmetric int only.
std::optional<ClipRange> entropyClip(std::span<const float> values, const TensorStats &stats,
                                     const QuantSpec &spec, const RunControl &control);

// ---- histogram-l2 (histograml2calib.cpp) ----

inline constexpr int kHistogramL2Bins = 2048;

/// PyTorch HistogramObserver's _non_linear_param_search on a histogram over [lo, hi]: the start
/// and end bins move inwards, whichever end frees more mass first, in quantile steps of 1e-5,
/// while the L2 error estimate (each bin's values spread evenly, quantized to the centres of
/// dstBins equal bins of [start, end]) keeps falling. Returns [lo + w·start, lo + w·(end + 1)].
ClipRange histogramL2Search(std::span<const std::int64_t> counts, double lo, double hi, std::int64_t dstBins);

/// histogramL2Search on the 2048-bin histogram of the tensor's [min, max], with 2^b levels.
std::optional<ClipRange> histogramL2Clip(std::span<const float> values, const TensorStats &stats,
                                         const QuantSpec &spec, const RunControl &control);

// ---- mse (mseshrink.cpp) ----

/// Per tensor, int: the threshold sweep's best clip, exactly what analyzeQuant's suggest picks.
std::optional<ClipRange> mseClip(std::span<const float> values, const TensorStats &stats,
                                 const QuantSpec &spec, const RunControl &control);

/// The shrink factors the per-group MSE search tries: p = 1 - i/100 for i = 0..99, largest first.
std::span<const double> mseShrinkCandidates();

/// Fake-quantizes one group's values (gathered in row-major order) with its range shrunk by
/// ratio, into out (same size).
using GroupFakeQuantizer =
    std::function<void(std::span<const float> group, float ratio, std::span<float> out)>;

/// For every group of grid: the candidate p (as float) whose x̂ has the smallest exact squared
/// error over the group's finite values, the larger p on ties. Groups run in parallel; each
/// result depends on its group alone. nullopt when cancelled.
std::optional<std::vector<float>> mseShrinkRatios(std::span<const float> values, const ParamGrid &grid,
                                                  const GroupFakeQuantizer &quantizer,
                                                  const RunControl &control = {});

// ---- hqq (hqqsolver.cpp) ----

/// HQQ's optimize_weights_proximal_legacy defaults.
struct HqqOptions {
    double lpNorm = 0.7;
    double beta = 10.0;
    double kappa = 1.01;
    int maxIterations = 20;
};

/// HQQ's asymmetric parameters per group, in HQQ's own convention: q = clamp(round(x·inverse +
/// zero), 0, 2^b - 1), x̂ = (q - zero)·scale with scale = 1 / inverse and a float zero point.
struct HqqParams {
    std::vector<float> inverseScales; ///< per group, row-major over the grid
    std::vector<float> scales;        ///< 1 / inverse, what HQQ stores
    std::vector<float> zeroPoints;    ///< per group, in code units, not rounded
    int iterations = 0;               ///< zero-point updates kept, at most maxIterations
    double initialMeanAbsError = 0.0; ///< mean |x - x̂| at the min-max zero point
    double meanAbsError = 0.0;        ///< at the returned zero points
};

/// Starts each group at HQQ's min-max parameters (inverse = min((2^b - 1)/(max - min), 2e4),
/// zero = -min·inverse) and runs the half-quadratic proximal solver on the zero points: the
/// error's lp-shrunk part (p = lpNorm, weight 1/β) is removed and each zero set to the mean of
/// q - (x - e)·inverse; β grows by κ each step. Like HQQ it watches the mean |x - x̂| over the
/// whole tensor and stops when it no longer falls; unlike HQQ's legacy loop (which returns the
/// zero computed after the failed step) it keeps the last zero points that lowered it, so the
/// result is never worse than the min-max start. Only finite values count. Deterministic at any
/// thread count; nullopt when cancelled.
std::optional<HqqParams> solveHqq(std::span<const float> values, const ParamGrid &grid, int bits,
                                  const HqqOptions &options = {}, const RunControl &control = {});

/// x̂ with HQQ's dequantization (above) into out (values.size()); NaN stays NaN.
void hqqDequantize(std::span<const float> values, const ParamGrid &grid, int bits, const HqqParams &params,
                   std::span<float> out);

} // namespace qs
