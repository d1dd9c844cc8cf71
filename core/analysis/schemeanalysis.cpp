#include "analysis/schemeanalysis.h"

#include "analysis/analysisresult.h"
#include "quant/formatkernels.h"
#include "quant/groupquant.h"
#include "quant/minifloat.h"
#include "quant/nf4.h"
#include "quant/numberformat.h"
#include "quant/quantizer.h"
#include "quant/scaledtype.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

constexpr int kErrorBins = 512;
constexpr int kNormalisedBins = 1024;
// The ratio sweep: from kMinSweepRatio to 1, estimated at kSweepSteps ratios.
constexpr double kMinSweepRatio = 0.2;
constexpr int kSweepSteps = 161;

Error cancelled() {
    return Error{"cancelled"};
}

FormatFamily familyOf(const QuantSpec &spec) {
    return formatTraits(spec.format).family;
}

bool takesRatio(const QuantSpec &spec) {
    const FormatFamily family = familyOf(spec);
    return family == FormatFamily::Integer || family == FormatFamily::Minifloat;
}

MiniFloat elementFormat(const QuantSpec &spec) {
    switch (spec.format) {
    case NumberFormat::Fp8E5M2:
        return MiniFloat::E5M2;
    case NumberFormat::Fp8E4M3:
    case NumberFormat::MxFp8:
        return MiniFloat::E4M3;
    default:
        return MiniFloat::E2M1;
    }
}

// ± the format's finite values, ascending, times scale.
std::vector<double> signedMiniFloatLevels(MiniFloat format, double scale) {
    const std::span<const float> positive = miniFloatLevels(format);
    std::vector<double> levels;
    for (auto it = positive.rbegin(); it != positive.rend(); ++it)
        if (*it > 0.0f)
            levels.push_back(-double(*it) * scale);
    for (float v : positive)
        levels.push_back(double(v) * scale);
    return levels;
}

// Every finite value of a 16-bit type, ascending, built once per type: the views ask for a
// slice of it on the GUI thread whenever they redraw.
const std::vector<double> &castLadder(HalfFormat half) {
    static const auto build = [](HalfFormat h) {
        std::vector<double> positive; // ascending magnitudes, +0 first
        for (std::uint32_t code = 0; code < 0x8000u; ++code) {
            const double v = decodeHalf(h, std::uint16_t(code));
            if (!std::isfinite(v))
                break;
            positive.push_back(v);
        }
        std::vector<double> levels;
        for (auto it = positive.rbegin(); it != positive.rend(); ++it)
            if (*it > 0.0)
                levels.push_back(-*it);
        levels.insert(levels.end(), positive.begin(), positive.end());
        return levels;
    };
    static const std::vector<double> f16 = build(HalfFormat::F16);
    static const std::vector<double> bf16 = build(HalfFormat::BF16);
    return half == HalfFormat::F16 ? f16 : bf16;
}

// The finite values of a 16-bit cast from the last one at or below lo to the first one at or
// above hi, ascending (about 10^4 for a weight tensor's range in F16).
std::vector<double> castLevels(NumberFormat format, double lo, double hi) {
    const HalfFormat half = halfFormatOf(format);
    const double maxFinite = halfFormatInfo(half).maxFinite;
    lo = std::clamp(lo, -maxFinite, maxFinite);
    hi = std::clamp(hi, lo, maxFinite);
    const std::vector<double> &levels = castLadder(half);
    auto first = std::upper_bound(levels.begin(), levels.end(), lo);
    auto last = std::lower_bound(levels.begin(), levels.end(), hi);
    if (first != levels.begin())
        --first;
    if (last != levels.end())
        ++last;
    return {first, last};
}

std::vector<double> intLevels(const QuantParams &p) {
    std::vector<double> levels;
    for (std::int64_t k = p.qmin; k <= p.qmax; ++k)
        levels.push_back(double(dequantizeValue(k, p)));
    return levels;
}

QuantParams storedIntParams(const SchemeAnalysis &a, std::int64_t g) {
    QuantParams p;
    const auto [qmin, qmax] = integerRange(a.spec);
    p.bits = a.spec.bits;
    p.qmin = qmin;
    p.qmax = qmax;
    p.scale = a.quantization.scales[std::size_t(g)];
    p.zeroPoint = a.quantization.zeroPoints.empty() ? 0 : a.quantization.zeroPoints[std::size_t(g)];
    return p;
}

// The group's int parameters at a clip ratio, as intGroupParams computes them.
QuantParams intParamsAtRatio(const SchemeAnalysis &a, std::int64_t g, double ratio) {
    const auto [lo, hi] = a.groupRanges[std::size_t(g)];
    const float r = float(std::clamp(ratio, 0.0, 1.0));
    return computeParams(a.spec, double(lo * r), double(hi * r));
}

// An fp8 group's scale for an amax, as quantizeScheme stores it.
double fp8Scale(const SchemeAnalysis &a, float amax) {
    return double(roundScale(miniFloatScale(elementFormat(a.spec), amax), a.spec.scaleDtype));
}

float groupAbsMax(const SchemeAnalysis &a, std::int64_t g) {
    const auto [lo, hi] = a.groupRanges[std::size_t(g)];
    return std::max(std::abs(lo), std::abs(hi));
}

// A llama.cpp scale group's levels, each divided by divisor, with the quant that stores each:
// every code's value as the decoder computes it (finite ones, ascending, once each; a value
// several codes decode to keeps the smallest of them).
std::vector<std::pair<double, std::int64_t>> ggmlGroupLevelCodes(const SchemeAnalysis &a, std::int64_t g,
                                                                 double divisor) {
    const std::vector<GgmlGroupGrid> &grids = a.quantization.groupGrids;
    if (std::size_t(g) >= grids.size())
        return {};
    const GgmlGroupGrid grid = grids[std::size_t(g)];
    const GgmlLevelCodes codes = ggmlLevelCodes(ggmlTypeOf(a.spec.format));
    std::vector<std::pair<double, std::int64_t>> levels;
    for (int k = codes.lowest; k <= codes.highest; ++k) {
        const float level = grid.step * float(k) - grid.offset;
        if (std::isfinite(level))
            levels.emplace_back(double(level) / divisor, std::int64_t(k) + codes.bias);
    }
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end(),
                             [](const auto &l, const auto &r) { return l.first == r.first; }),
                 levels.end());
    return levels;
}

std::vector<double> ggmlGroupLevels(const SchemeAnalysis &a, std::int64_t g, double divisor) {
    std::vector<double> levels;
    for (const auto &[level, code] : ggmlGroupLevelCodes(a, g, divisor))
        levels.push_back(level);
    return levels;
}

Histogram emptyHistogram(double lo, double hi, int bins) {
    Histogram h;
    h.lo = lo;
    h.hi = hi;
    h.counts.assign(std::size_t(bins), 0);
    return h;
}

void count(Histogram &h, double x) {
    h.counts[h.binOf(x)] += 1;
}

// A symmetric range around 0 reaching extent, or a small one when there is nothing to show.
std::pair<double, double> symmetricRange(double extent) {
    const double h = extent > 0.0 ? extent * 1.02 : 1e-6;
    return {-h, h};
}

struct GroupPass {
    std::vector<double> mse;
    std::int64_t clipped = 0;
    double maxError = 0.0;
};

// Per-group MSE and clipping, and the largest |x − x̂| for the error histogram's range.
GroupPass groupPass(const SchemeAnalysis &a, std::span<const float> x) {
    GroupPass pass;
    pass.mse.assign(std::size_t(a.grid.groupCount()), 0.0);
    const FormatFamily family = familyOf(a.spec);
    const float fp8Max = miniFloatInfo(elementFormat(a.spec)).maxValue;
    for (std::int64_t g = 0; g < a.grid.groupCount(); ++g) {
        double lo = -std::numeric_limits<double>::infinity();
        double hi = std::numeric_limits<double>::infinity();
        if (family == FormatFamily::Integer) {
            const QuantParams p = storedIntParams(a, g);
            lo = double(dequantizeValue(p.qmin, p));
            hi = double(dequantizeValue(p.qmax, p));
        } else if (family == FormatFamily::Minifloat) {
            hi = double(a.quantization.scales[std::size_t(g)]) * double(fp8Max);
            lo = -hi;
        } else if (family == FormatFamily::Cast) {
            lo = a.quantization.clipMin[std::size_t(g)];
            hi = a.quantization.clipMax[std::size_t(g)];
        }
        double sum = 0.0;
        std::int64_t n = 0;
        a.grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const double v = x[std::size_t(i)];
                if (!std::isfinite(v))
                    continue;
                const double e = v - double(a.quantization.dequantized[std::size_t(i)]);
                sum += e * e;
                pass.maxError = std::max(pass.maxError, std::abs(e));
                pass.clipped += v < lo || v > hi ? 1 : 0;
                ++n;
            }
        });
        pass.mse[std::size_t(g)] = n > 0 ? sum / double(n) : 0.0;
    }
    return pass;
}

Histogram errorHistogram(const SchemeAnalysis &a, std::span<const float> x, double maxError) {
    const auto [lo, hi] = symmetricRange(maxError);
    Histogram h = emptyHistogram(lo, hi, kErrorBins);
    for (std::size_t i = 0; i < x.size(); ++i)
        if (std::isfinite(x[i]))
            count(h, double(x[i]) - double(a.quantization.dequantized[i]));
    return h;
}

Histogram normalisedHistogram(const SchemeAnalysis &a, std::span<const float> x) {
    std::vector<double> scales(std::size_t(a.grid.groupCount()));
    for (std::int64_t g = 0; g < a.grid.groupCount(); ++g)
        scales[std::size_t(g)] = normalisingScale(a, g);
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    const auto forEachU = [&](auto &&use) {
        for (std::int64_t g = 0; g < a.grid.groupCount(); ++g) {
            const double s = scales[std::size_t(g)];
            if (!(s > 0.0))
                continue;
            a.grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t i = begin; i < end; ++i)
                    if (std::isfinite(x[std::size_t(i)]))
                        use(double(x[std::size_t(i)]) / s);
            });
        }
    };
    forEachU([&](double u) {
        lo = std::min(lo, u);
        hi = std::max(hi, u);
    });
    if (!(lo <= hi))
        return emptyHistogram(-1.0, 1.0, kNormalisedBins);
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    Histogram h = emptyHistogram(lo, hi, kNormalisedBins);
    forEachU([&](double u) { count(h, u); });
    return h;
}

void sweepRatios(SchemeAnalysis &a) {
    if (a.estimator.empty())
        return;
    for (int i = 0; i < kSweepSteps; ++i) {
        const double ratio = kMinSweepRatio + (1.0 - kMinSweepRatio) * double(i) / double(kSweepSteps - 1);
        a.ratioSweep.push_back({ratio, estimateGroupedError(a.estimator, ratio).mse});
    }
    a.bestRatio = *std::min_element(a.ratioSweep.begin(), a.ratioSweep.end(),
                                    [](const RatioPoint &l, const RatioPoint &r) { return l.mse < r.mse; });
}

} // namespace

Result<ParamGrid> schemeGrid(const QuantSpec &spec, const std::vector<std::int64_t> &shape,
                             const std::vector<std::int64_t> &paramShape) {
    const FormatTraits &traits = formatTraits(spec.format);
    if (traits.fixedBlock == 0)
        return ParamGrid::make(shape, spec.granularity);
    Granularity blocks;
    blocks.kind = Granularity::Kind::Group;
    if (!traits.blockAlongRows) {
        std::int64_t n = 1;
        for (std::int64_t d : shape)
            n *= d;
        blocks.size = std::int64_t(kNf4BlockSize);
        return ParamGrid::make({n}, blocks);
    }
    const std::int64_t row = shape.empty() ? 1 : shape.back();
    const std::int64_t perRow = paramShape.size() == 2 ? paramShape[1] : 0;
    if (perRow <= 0 || row % perRow != 0)
        return Error{"the block scales do not divide the rows"};
    blocks.size = row / perRow;
    return ParamGrid::make(shape, blocks);
}

double normalisingScale(const SchemeAnalysis &a, std::int64_t g) {
    if (g < 0 || g >= a.grid.groupCount())
        return 0.0;
    const FormatFamily family = familyOf(a.spec);
    if (family == FormatFamily::Integer) {
        const auto [lo, hi] = a.groupRanges[std::size_t(g)];
        return lo == 0.0f && hi == 0.0f ? 0.0 : double(intParamsAtRatio(a, g, 1.0).scale);
    }
    if (family == FormatFamily::Minifloat)
        return fp8Scale(a, groupAbsMax(a, g));
    return double(a.quantization.scales[std::size_t(g)]);
}

std::vector<double> groupLevels(const SchemeAnalysis &a, std::int64_t g) {
    if (g < 0 || g >= a.grid.groupCount() || std::size_t(g) >= a.quantization.scales.size())
        return {};
    const double scale = a.quantization.scales[std::size_t(g)];
    switch (familyOf(a.spec)) {
    case FormatFamily::Integer:
        return intLevels(storedIntParams(a, g));
    case FormatFamily::Minifloat:
    case FormatFamily::Microscaling:
        return signedMiniFloatLevels(elementFormat(a.spec), scale);
    case FormatFamily::Codebook: {
        std::vector<double> levels;
        for (float code : nf4Codebook())
            levels.push_back(double(code) * scale);
        return levels;
    }
    case FormatFamily::GgmlBlock:
        return ggmlGroupLevels(a, g, 1.0);
    case FormatFamily::Cast: {
        const auto [lo, hi] = a.groupRanges[std::size_t(g)];
        return castLevels(a.spec.format, lo, hi);
    }
    }
    return {};
}

LevelCodes groupLevelCodes(const SchemeAnalysis &a, std::int64_t g) {
    LevelCodes out;
    if (g < 0 || g >= a.grid.groupCount() || std::size_t(g) >= a.quantization.scales.size())
        return out;
    switch (familyOf(a.spec)) {
    case FormatFamily::Integer: {
        const QuantParams p = storedIntParams(a, g);
        for (std::int64_t k = p.qmin; k <= p.qmax; ++k)
            out.codes.push_back(k);
        break;
    }
    case FormatFamily::Minifloat:
    case FormatFamily::Microscaling: {
        const MiniFloat format = elementFormat(a.spec);
        for (double level : signedMiniFloatLevels(format, 1.0))
            out.codes.push_back(encodeMiniFloat(format, float(level)));
        out.hexDigits = format == MiniFloat::E2M1 ? 1 : 2;
        break;
    }
    case FormatFamily::Codebook:
        for (std::size_t k = 0; k < nf4Codebook().size(); ++k)
            out.codes.push_back(std::int64_t(k));
        break;
    case FormatFamily::GgmlBlock:
        for (const auto &[level, code] : ggmlGroupLevelCodes(a, g, 1.0))
            out.codes.push_back(code);
        break;
    case FormatFamily::Cast: {
        const HalfFormat half = halfFormatOf(a.spec.format);
        for (double level : groupLevels(a, g))
            out.codes.push_back(encodeHalf(half, float(level)));
        out.hexDigits = 4;
        break;
    }
    }
    return out;
}

std::vector<double> groupLevelsAtRatio(const SchemeAnalysis &a, std::int64_t g, double ratio) {
    if (g < 0 || g >= a.grid.groupCount() || !takesRatio(a.spec) || a.spec.rangeMode == RangeMode::Saturating)
        return groupLevels(a, g);
    if (familyOf(a.spec) == FormatFamily::Integer)
        return intLevels(intParamsAtRatio(a, g, ratio));
    const float amax = groupAbsMax(a, g) * float(ratio);
    return signedMiniFloatLevels(elementFormat(a.spec), fp8Scale(a, amax));
}

std::vector<double> normalisedLevels(const SchemeAnalysis &a, std::int64_t g, double ratio) {
    if (g < 0 || g >= a.grid.groupCount())
        return {};
    switch (familyOf(a.spec)) {
    case FormatFamily::Integer: {
        std::vector<double> levels = unitLevels(a.spec, intParamsAtRatio(a, g, 1.0).zeroPoint);
        for (double &level : levels)
            level *= ratio;
        return levels;
    }
    case FormatFamily::Minifloat:
        return signedMiniFloatLevels(elementFormat(a.spec), ratio);
    case FormatFamily::Microscaling:
        return signedMiniFloatLevels(elementFormat(a.spec), 1.0);
    case FormatFamily::Codebook:
        return {nf4Codebook().begin(), nf4Codebook().end()};
    case FormatFamily::GgmlBlock: {
        const double s = normalisingScale(a, g);
        return s > 0.0 ? ggmlGroupLevels(a, g, s) : std::vector<double>{};
    }
    case FormatFamily::Cast:
        return groupLevels(a, g); // scale 1: the normalised view is the values themselves
    }
    return {};
}

bool takesClipRatio(const QuantSpec &spec) {
    return takesRatio(spec) && spec.method == CalibMethod::MinMax && spec.rangeMode != RangeMode::Saturating;
}

std::optional<std::pair<double, double>> ratioBase(const SchemeAnalysis &a, std::int64_t g) {
    if (g < 0 || g >= a.grid.groupCount() || !takesClipRatio(a.spec))
        return std::nullopt;
    if (familyOf(a.spec) == FormatFamily::Integer) {
        const QuantParams p = intParamsAtRatio(a, g, 1.0);
        return std::pair{p.clipMin, p.clipMax};
    }
    const double amax = groupAbsMax(a, g);
    return std::pair{-amax, amax};
}

Histogram groupHistogram(std::span<const float> values, const ParamGrid &grid, std::int64_t g, int bins) {
    if (g < 0 || g >= grid.groupCount())
        return {};
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i)
            if (std::isfinite(values[std::size_t(i)])) {
                lo = std::min(lo, double(values[std::size_t(i)]));
                hi = std::max(hi, double(values[std::size_t(i)]));
            }
    });
    if (!(lo <= hi))
        return {};
    if (!(hi > lo)) {
        const double pad = std::max(std::abs(lo) * 0.01, 1e-6);
        lo -= pad;
        hi += pad;
    }
    Histogram h = emptyHistogram(lo, hi, std::max(bins, 1));
    grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i)
            if (std::isfinite(values[std::size_t(i)]))
                count(h, double(values[std::size_t(i)]));
    });
    return h;
}

Result<std::shared_ptr<const SchemeAnalysis>> analyzeScheme(const TensorAnalysis &tensor,
                                                            const QuantSpec &spec, const RunControl &control,
                                                            std::span<const float> importance) {
    const std::vector<std::int64_t> &shape = tensor.info().shape;
    if (const Status ok = checkScheme(spec, shape); !ok)
        return Error{ok.error()};
    if (control.canceled())
        return cancelled();
    const std::span<const float> x = tensor.tensor->values();
    auto quantized = quantizeScheme(x, shape, spec, control, importance);
    if (control.canceled())
        return cancelled();
    if (!quantized)
        return Error{quantized.error()};
    control.report(0.5);
    auto a = std::make_shared<SchemeAnalysis>();
    a->spec = spec;
    a->shape = shape;
    a->importanceUsed = !importance.empty() && usesImportance(spec.format);
    a->quantization = std::move(quantized).value();
    auto grid = schemeGrid(spec, shape, a->quantization.paramShape);
    if (!grid)
        return Error{grid.error()};
    a->grid = std::move(grid).value();
    a->groupRanges = groupRanges(x, a->grid);
    a->error = compareValues(x, a->quantization.dequantized);
    GroupPass pass = groupPass(*a, x);
    const std::int64_t finite = tensor.stats.count;
    a->clippedFraction = finite > 0 ? double(pass.clipped) / double(finite) : 0.0;
    a->groupMse = std::move(pass.mse);
    if (!a->groupMse.empty())
        a->worstGroup = std::max_element(a->groupMse.begin(), a->groupMse.end()) - a->groupMse.begin();
    if (control.canceled())
        return cancelled();
    control.report(0.7);
    a->errorHistogram = errorHistogram(*a, x, pass.maxError);
    a->normalised = normalisedHistogram(*a, x);
    if (control.canceled())
        return cancelled();
    control.report(0.85);
    if (takesRatio(spec) && spec.rangeMode != RangeMode::Saturating) {
        QuantSpec gridSpec = spec;
        gridSpec.clipRatio = 1.0;
        a->estimator =
            groupedEstimateInput(x, a->grid, gridSpec, spec.scheme == Scheme::Symmetric ? 2048 : 512);
        sweepRatios(*a);
    }
    control.report(1.0);
    return std::shared_ptr<const SchemeAnalysis>(std::move(a));
}

} // namespace qs
