#include "analysis/methodcomparison.h"
#include "analysis/schemeanalysis.h"
#include "analysis/tensoranalyzer.h"
#include "calib/calibmethods.h"
#include "quant/quantizer.h"
#include "quant/schemequant.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace qs;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::shared_ptr<const TensorAnalysis> analysisOf(std::vector<float> values,
                                                 std::vector<std::int64_t> shape = {}) {
    TensorInfo info;
    info.name = "w";
    info.shape = shape.empty() ? std::vector<std::int64_t>{std::int64_t(values.size())} : std::move(shape);
    auto analysis = std::make_shared<TensorAnalysis>();
    analysis->tensor = FloatTensor::fromVector(info, std::move(values));
    analysis->stats = *computeStats(analysis->tensor->values());
    return analysis;
}

// A normal bulk whose spread grows along the rows, a positive skew and a few outliers: every
// method has something to clip and the groups differ.
std::vector<float> weights(std::size_t n, unsigned seed = 11) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = 0.02f * normal(rng) * (1.0f + float(i % 7)) + 0.005f;
    for (std::size_t i = 0; i < n; i += 997)
        v[i] = (i % 2 ? 0.4f : -0.3f) * (1.0f + float(i % 5) / 10.0f);
    return v;
}

QuantSpec specOf(const char *method, int bits = 8, Scheme scheme = Scheme::Symmetric,
                 const char *granularity = "tensor", NumberFormat format = NumberFormat::Int) {
    QuantSpec spec;
    const auto choice = parseMethod(method).value();
    spec.method = choice.method;
    spec.percentile = choice.percentile;
    spec.bits = bits;
    spec.scheme = scheme;
    spec.format = format;
    spec.granularity = parseGranularity(granularity).value();
    return spec;
}

bool sameFloats(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void compareRelative(double actual, double expected, double tolerance = 1e-9) {
    QVERIFY2(std::abs(actual - expected) <= tolerance * std::max(std::abs(expected), 1e-300),
             qPrintable(QStringLiteral("%1 vs %2").arg(actual, 0, 'g', 17).arg(expected, 0, 'g', 17)));
}

RunControl threads(int n) {
    RunControl control;
    control.threads = n;
    return control;
}

// HQQ's x̂ for one value, written out again here: q = clamp(round(x·inverse + z), 0, qmax),
// x̂ = (q - z)·scale.
float hqqValue(float x, float inverse, float scale, float zero, float qmax) {
    const float q = std::clamp(std::nearbyint(x * inverse + zero), 0.0f, qmax);
    return (q - zero) * scale;
}

// Mean |x - x̂| over a [rows, cols] tensor quantized per row with HQQ's min-max inverse scales and
// the given zero points.
double hqqMeanAbsError(const std::vector<float> &x, std::int64_t cols, const std::vector<float> &inverse,
                       const std::vector<float> &zeros, float qmax) {
    double sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t row = i / std::size_t(cols);
        sum += std::abs(double(x[i]) -
                        double(hqqValue(x[i], inverse[row], 1.0f / inverse[row], zeros[row], qmax)));
    }
    return sum / double(x.size());
}

} // namespace

class TestCalibMethods : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void percentileByHand_data();
    void percentileByHand();
    void percentileClipByHand();
    void percentileMatchesSortedCopy();
    void entropyOnCraftedHistogram();
    void entropyTiesTakeTheLargestThreshold();
    void histogramL2ByHand();
    void histcBinsAsTorch();
    void mseShrinkMatchesBruteForce_data();
    void mseShrinkMatchesBruteForce();
    void mseTensorIsTheSuggestedThreshold();
    void hqqLowersMeanAbsError();
    void hqqQuantizeSchemeFollowsHqq();
    void analyzeEqualsQuantizeScheme_data();
    void analyzeEqualsQuantizeScheme();
    void statsAndQuantInOneCallEqualTwo_data();
    void statsAndQuantInOneCallEqualTwo();
    void methodTableRows_data();
    void methodTableRows();
    void methodTableMatchesAnalyze();
    void methodRowsCarryGroupRanges_data();
    void methodRowsCarryGroupRanges();
    void sameAtAnyThreadCount_data();
    void sameAtAnyThreadCount();
    void cancels_data();
    void cancels();
    void degenerateTensors_data();
    void degenerateTensors();
};

// The 10-value tensor x = {0.5, -1, 2, -3, 4, -5, 6, -7, 8, -20}.
// Sorted |x|: 0.5 1 2 3 4 5 6 7 8 20; sorted x: -20 -7 -5 -3 -1 0.5 2 4 6 8.
// numpy's linear rule: h = (n - 1)·P/100 = 9·P/100, x[⌊h⌋] + (h - ⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]).
const std::vector<float> kTen{0.5f, -1.0f, 2.0f, -3.0f, 4.0f, -5.0f, 6.0f, -7.0f, 8.0f, -20.0f};

void TestCalibMethods::percentileByHand_data() {
    QTest::addColumn<double>("percentile");
    QTest::addColumn<bool>("absolute");
    QTest::addColumn<double>("expected");
    QTest::addRow("|x| P90: h = 8.1, 8 + 0.1·12") << 90.0 << true << 9.2;
    QTest::addRow("|x| P50: h = 4.5, 4 + 0.5·1") << 50.0 << true << 4.5;
    QTest::addRow("|x| P100: the largest") << 100.0 << true << 20.0;
    QTest::addRow("|x| P0: the smallest") << 0.0 << true << 0.5;
    QTest::addRow("x P10: h = 0.9, -20 + 0.9·13") << 10.0 << false << -8.3;
    QTest::addRow("x P90: h = 8.1, 6 + 0.1·2") << 90.0 << false << 6.2;
    QTest::addRow("x P99.99: h = 8.9991, 6 + 0.9991·2") << 99.99 << false << 7.9982;
}

void TestCalibMethods::percentileByHand() {
    QFETCH(double, percentile);
    QFETCH(bool, absolute);
    QFETCH(double, expected);
    compareRelative(percentileOf(kTen, percentile, absolute).value(), expected, 1e-12);
    // Non-finite values are not part of the tensor's distribution.
    std::vector<float> withNaN = kTen;
    withNaN.insert(withNaN.begin() + 3, {kNaN, kInf, -kInf});
    compareRelative(percentileOf(withNaN, percentile, absolute).value(), expected, 1e-12);
}

void TestCalibMethods::percentileClipByHand() {
    const auto tensor = analysisOf(kTen);
    const auto symmetric = percentileClip(kTen, tensor->stats, specOf("percentile:90"), {});
    compareRelative(symmetric->lo, -9.2, 1e-12);
    compareRelative(symmetric->hi, 9.2, 1e-12);
    const auto asymmetric =
        percentileClip(kTen, tensor->stats, specOf("percentile:90", 8, Scheme::Asymmetric), {});
    compareRelative(asymmetric->lo, -8.3, 1e-12);
    compareRelative(asymmetric->hi, 6.2, 1e-12);
}

// Past a million values the selection narrows by histogram passes before it sorts; it must still
// give the order statistics a full sort gives.
void TestCalibMethods::percentileMatchesSortedCopy() {
    std::vector<float> values = weights(1500000);
    values[17] = kNaN;
    values[1000] = 1000.0f; // an outlier that puts almost everything in one first-pass bin
    std::vector<float> sorted;
    std::vector<float> magnitudes;
    for (float v : values)
        if (std::isfinite(v)) {
            sorted.push_back(v);
            magnitudes.push_back(std::abs(v));
        }
    std::sort(sorted.begin(), sorted.end());
    std::sort(magnitudes.begin(), magnitudes.end());
    const auto reference = [](const std::vector<float> &s, double p) {
        const double h = double(s.size() - 1) * p / 100.0;
        const auto i = std::size_t(std::floor(h));
        const double t = h - double(i);
        return i + 1 < s.size() ? double(s[i]) + (double(s[i + 1]) - double(s[i])) * t : double(s[i]);
    };
    for (double p : {0.0, 0.1, 50.0, 99.9, 99.99, 100.0}) {
        compareRelative(percentileOf(values, p, false).value(), reference(sorted, p), 1e-12);
        compareRelative(percentileOf(values, p, true).value(), reference(magnitudes, p), 1e-12);
    }
}

// counts = [4, 4, 2, 2, 0, 0, 0, 1], 2 levels, candidates i = 2..8, by hand (natural log):
//  i=2: P = (4, 4+5)/13, Q = (4, 4)/8               KL = 0.0759
//  i=3: runs {0,1}{2}; P = (4, 4, 2+3)/13, Q = (4, 4, 2)/10   KL = 0.0901
//  i=4: runs {0,1}{2,3}; P = (4, 4, 2, 2+1)/13, Q = (4, 4, 2, 2)/12
//       KL = 10/13·ln(12/13) + 3/13·ln(18/13) = 0.0135
//  i=5..7: the folded tail lands on an empty bin, where Q is 0: KL = ∞
//  i=8: runs {0..3}{4..7}; P = (4, 4, 2, 2, 0, 0, 0, 1)/13, Q = (3, 3, 3, 3, 0, 0, 0, 1)/13
//       KL = 8/13·ln(4/3) + 4/13·ln(2/3) = 0.0523
// The minimum is i = 4.
void TestCalibMethods::entropyOnCraftedHistogram() {
    std::vector<std::int64_t> counts{4, 4, 2, 2, 0, 0, 0, 1};
    QCOMPARE(entropyThresholdBin(counts, 2, 2), std::size_t(4));
    // TensorRT replaces bin 0's count by bin 1's: a pile of zeros changes nothing.
    counts[0] = 100;
    QCOMPARE(entropyThresholdBin(counts, 2, 2), std::size_t(4));
}

void TestCalibMethods::entropyTiesTakeTheLargestThreshold() {
    // Mass in bins 0..3 only: for every i >= 4 nothing is folded and Q equals P (each run's mass
    // spread over its non-empty bins, all equal): KL = 0 from i = 4 to 8, and upstream's argmin
    // over the reversed list takes the last of them.
    const std::vector<std::int64_t> counts{5, 5, 5, 5, 0, 0, 0, 0};
    QCOMPARE(entropyThresholdBin(counts, 2, 2), std::size_t(8));
    // Below 4 the folded tail makes the last bin heavier than Q's: never chosen.
    QCOMPARE(entropyThresholdBin(counts, 2, 1), std::size_t(8));
    // The end to end clip is symmetric and within max|x|.
    const auto tensor = analysisOf(weights(20000));
    const auto clip = entropyClip(tensor->tensor->values(), tensor->stats, specOf("entropy"), {}).value();
    const double amax = std::max(-tensor->stats.min, tensor->stats.max);
    QCOMPARE(clip.lo, -clip.hi);
    QVERIFY(clip.hi > 0.0 && clip.hi <= amax);
}

// counts [10, 10, 0, 1] over [0, 4] (bin width 1), 2 destination bins:
//  step 1: the top 1e-5 quantile frees bin 3 (cumulative 21 > 0.99999·21), the bottom nothing:
//          end 3 -> 2. Error with [0, 3] cut in two bins of 1.5 (centres 0.75, 2.25):
//          bin 0: 10·∫_{-0.75}^{0.25} t² = 1.4583; bin 1: 10·(∫_{0.25}^{0.75} + ∫_{-0.75}^{-0.25}) = 2.7083;
//          bin 3 (clipped to 2.25): 1·∫_{0.75}^{1.75} t² = 1.6458; total 5.8125 < ∞: taken.
//  the end next moves once β < 20/21, to bin 0 (bins 1 and 2 add nothing); with [0, 1] in bins of
//  0.5 bin 1 alone costs 10·∫_{0.25}^{1.25} t² ≈ 6.46 > 5.8125: the search stops at [0, 3].
void TestCalibMethods::histogramL2ByHand() {
    const std::vector<std::int64_t> counts{10, 10, 0, 1};
    const ClipRange clip = histogramL2Search(counts, 0.0, 4.0, 2);
    QCOMPARE(clip.lo, 0.0);
    QCOMPARE(clip.hi, 3.0);
    // Shifted and scaled, the same bins give the same cut.
    const ClipRange shifted = histogramL2Search(counts, -2.0, 6.0, 2);
    QCOMPARE(shifted.lo, -2.0);
    QCOMPARE(shifted.hi, 4.0);
}

void TestCalibMethods::histcBinsAsTorch() {
    // torch.histc(x, bins=4, min=0, max=2): edges 0, .5, 1, 1.5, 2, the maximum in the last bin,
    // values outside and NaN skipped.
    const std::vector<float> x{0.0f, 0.49f, 0.5f, 1.0f, 1.99f, 2.0f, 2.5f, -0.1f, kNaN};
    QCOMPARE(*histcCounts(x, 0.0, 2.0, 4, false), (std::vector<std::int64_t>{2, 1, 1, 2}));
    // Of |x|: -0.1 now counts in the first bin.
    QCOMPARE(*histcCounts(x, 0.0, 2.0, 4, true), (std::vector<std::int64_t>{3, 1, 1, 2}));
}

void TestCalibMethods::mseShrinkMatchesBruteForce_data() {
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("bits");
    QTest::addColumn<bool>("asymmetric");
    QTest::addRow("int8 channel") << "channel" << int(NumberFormat::Int) << 8 << false;
    QTest::addRow("int4 channel asymmetric") << "channel" << int(NumberFormat::Int) << 4 << true;
    QTest::addRow("int3 group:16") << "group:16" << int(NumberFormat::Int) << 3 << false;
    QTest::addRow("fp8 e4m3 group:32") << "group:32" << int(NumberFormat::Fp8E4M3) << 8 << false;
    QTest::addRow("fp8 e5m2 tensor") << "tensor" << int(NumberFormat::Fp8E5M2) << 8 << false;
}

// The brute force: every candidate p as a clip ratio on the whole tensor, each group's squared
// error summed here, each group's best p (the larger on ties) taken; the method's x̂ must be
// exactly those groups' x̂.
void TestCalibMethods::mseShrinkMatchesBruteForce() {
    QFETCH(QString, granularity);
    QFETCH(int, format);
    QFETCH(int, bits);
    QFETCH(bool, asymmetric);
    const std::vector<std::int64_t> shape{12, 64};
    const std::vector<float> x = weights(12 * 64, 5);
    QuantSpec spec = specOf("minmax", bits, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric,
                            granularity.toLatin1().constData(), NumberFormat(format));
    const ParamGrid grid = ParamGrid::make(shape, spec.granularity).value();
    std::vector<double> bestError(std::size_t(grid.groupCount()), std::numeric_limits<double>::infinity());
    std::vector<float> expected(x.size());
    for (double p : mseShrinkCandidates()) {
        spec.clipRatio = p;
        const auto q = quantizeScheme(x, shape, spec).value();
        for (std::int64_t g = 0; g < grid.groupCount(); ++g) {
            double error = 0.0;
            grid.forEachRun(g, [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i)
                    error += std::pow(double(x[std::size_t(i)]) - double(q.dequantized[std::size_t(i)]), 2);
            });
            if (error < bestError[std::size_t(g)]) {
                bestError[std::size_t(g)] = error;
                grid.forEachRun(g, [&](std::int64_t b, std::int64_t e) {
                    std::copy(q.dequantized.begin() + b, q.dequantized.begin() + e, expected.begin() + b);
                });
            }
        }
    }
    spec.clipRatio = 1.0;
    spec.method = CalibMethod::Mse;
    const auto searched = quantizeScheme(x, shape, spec).value();
    QVERIFY(sameFloats(searched.dequantized, expected));
    // At int widths the search does clip somewhere, or the test shows nothing (fp8's relative
    // precision often leaves p = 1 the best).
    spec.method = CalibMethod::MinMax;
    if (NumberFormat(format) == NumberFormat::Int)
        QVERIFY(!sameFloats(quantizeScheme(x, shape, spec).value().dequantized, expected));
}

void TestCalibMethods::mseTensorIsTheSuggestedThreshold() {
    const auto tensor = analysisOf(weights(50000));
    for (Scheme scheme : {Scheme::Symmetric, Scheme::Asymmetric}) {
        const QuantSpec minMax = specOf("minmax", 4, scheme);
        const auto suggested = analyzeQuant(*tensor, minMax, true).value();
        const auto mse = analyzeQuant(*tensor, specOf("mse", 4, scheme)).value();
        const ThresholdPoint best = sweepThresholds(tensor->stats, minMax).best;
        QCOMPARE(mse->spec.clipLo, best.clipLo);
        QCOMPARE(mse->spec.clipHi, best.clipHi);
        QCOMPARE(mse->spec.rangeMode, RangeMode::Saturating);
        QCOMPARE(mse->spec.method, CalibMethod::Mse);
        // suggest is the same thing under its old name.
        QCOMPARE(suggested->spec, mse->spec);
        QCOMPARE(suggested->params, mse->params);
        QCOMPARE(suggested->error.mse, mse->error.mse);
    }
}

// A skewed row (most values low, a long upper tail) at 3 bits: the min-max zero point wastes
// levels, HQQ's solver moves it and the mean |x - x̂| falls.
void TestCalibMethods::hqqLowersMeanAbsError() {
    const std::int64_t rows = 6;
    const std::int64_t cols = 256;
    std::mt19937 rng(3);
    std::exponential_distribution<float> tail(8.0f);
    std::vector<float> x(std::size_t(rows * cols));
    for (float &v : x)
        v = tail(rng) - 0.05f;
    const std::vector<std::int64_t> shape{rows, cols};
    const ParamGrid grid = ParamGrid::make(shape, parseGranularity("channel").value()).value();
    const float qmax = 7.0f;
    const HqqParams params = solveHqq(x, grid, 3).value();
    QVERIFY(params.iterations >= 1);
    QVERIFY(params.iterations <= 20);
    QVERIFY(params.meanAbsError < params.initialMeanAbsError);

    // HQQ's min-max start, computed here: inverse = 7 / (max - min), zero = -min·inverse.
    std::vector<float> inverse(static_cast<std::size_t>(rows));
    std::vector<float> start(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto first = x.begin() + r * cols;
        const auto [lo, hi] = std::minmax_element(first, first + cols);
        inverse[std::size_t(r)] = std::min(qmax / (*hi - *lo), 2e4f);
        start[std::size_t(r)] = -*lo * inverse[std::size_t(r)];
        QCOMPARE(params.inverseScales[std::size_t(r)], inverse[std::size_t(r)]);
    }
    const double before = hqqMeanAbsError(x, cols, inverse, start, qmax);
    const double after = hqqMeanAbsError(x, cols, inverse, params.zeroPoints, qmax);
    QVERIFY2(after < before, qPrintable(QStringLiteral("%1 vs %2").arg(after).arg(before)));
    // Each zero point moved, and half the way back is between the two errors' sides: the move
    // went downhill from the start.
    std::vector<float> halfway(static_cast<std::size_t>(rows));
    for (std::size_t r = 0; r < halfway.size(); ++r) {
        QVERIFY(params.zeroPoints[r] != start[r]);
        halfway[r] = start[r] + 0.5f * (params.zeroPoints[r] - start[r]);
    }
    QVERIFY(hqqMeanAbsError(x, cols, inverse, halfway, qmax) < before);
}

void TestCalibMethods::hqqQuantizeSchemeFollowsHqq() {
    const std::vector<std::int64_t> shape{8, 64};
    std::vector<float> x = weights(8 * 64, 9);
    x[5] = kNaN;
    const QuantSpec spec = specOf("hqq", 4, Scheme::Asymmetric, "group:32");
    const auto q = quantizeScheme(x, shape, spec).value();
    const ParamGrid grid = ParamGrid::make(shape, spec.granularity).value();
    const HqqParams params = solveHqq(x, grid, 4).value();
    QCOMPARE(q.zeroPointsFloat, params.zeroPoints);
    QCOMPARE(q.scales, params.scales);
    QVERIFY(q.zeroPoints.empty());
    QCOMPARE(q.paramShape, (std::vector<std::int64_t>{8, 2}));
    QVERIFY(std::isnan(q.dequantized[5]));
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (i == 5)
            continue;
        const auto g = std::size_t(grid.groupOf(std::int64_t(i)));
        QCOMPARE(q.dequantized[i],
                 hqqValue(x[i], params.inverseScales[g], params.scales[g], params.zeroPoints[g], 15.0f));
    }
    // Some zero point is not an integer, or the float zero points show nothing.
    QVERIFY(std::any_of(q.zeroPointsFloat.begin(), q.zeroPointsFloat.end(),
                        [](float z) { return z != std::round(z); }));
}

void TestCalibMethods::analyzeEqualsQuantizeScheme_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<int>("bits");
    QTest::addColumn<bool>("asymmetric");
    for (const char *method : {"minmax", "mse", "percentile:99.9", "entropy", "histogram-l2"})
        for (int bits : {4, 8})
            for (bool asymmetric : {false, true})
                if (!(asymmetric && std::string_view(method) == "entropy"))
                    QTest::addRow("%s int%d %s", method, bits, asymmetric ? "asym" : "sym")
                        << method << bits << asymmetric;
}

void TestCalibMethods::analyzeEqualsQuantizeScheme() {
    QFETCH(QString, method);
    QFETCH(int, bits);
    QFETCH(bool, asymmetric);
    const auto tensor = analysisOf(weights(100000));
    const QuantSpec spec =
        specOf(method.toLatin1().constData(), bits, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric);
    const auto analysis = analyzeQuant(*tensor, spec).value();
    const auto q = quantizeScheme(tensor->tensor->values(), tensor->info().shape, spec).value();
    QCOMPARE(analysis->spec.method, spec.method);
    QCOMPARE(q.scales.front(), analysis->params.scale);
    QCOMPARE(q.zeroPoints.front(), analysis->params.zeroPoint);
    QCOMPARE(q.clipMin.front(), analysis->params.clipMin);
    QCOMPARE(q.clipMax.front(), analysis->params.clipMax);
    // The same x̂ bit for bit; the figures then differ only by the exact pass keeping x - x̂ in
    // float32 where compareValues subtracts in double.
    std::vector<float> analyzed(q.dequantized.size());
    fakeQuantize(tensor->tensor->values(), analyzed, analysis->params);
    QVERIFY(sameFloats(q.dequantized, analyzed));
    const ValueError error = compareValues(tensor->tensor->values(), q.dequantized);
    compareRelative(error.mse, analysis->error.mse, 1e-6);
    compareRelative(error.sqnrDb.value(), analysis->error.sqnrDb.value(), 1e-6);
    if (spec.method != CalibMethod::MinMax) {
        QCOMPARE(analysis->spec.rangeMode, RangeMode::Saturating);
        // A clipping method clips something on this outlier-heavy tensor.
        QVERIFY(analysis->error.clippedFraction > 0.0);
    }
}

void TestCalibMethods::statsAndQuantInOneCallEqualTwo_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<bool>("suggest");
    QTest::addColumn<bool>("asymmetric");
    QTest::addColumn<bool>("full");
    // minmax and hqq take the error pass along the statistics' read; the others look at values.
    for (const char *method : {"minmax", "hqq", "mse", "percentile:99.9"})
        for (bool asymmetric : {false, true})
            for (bool full : {false, true})
                QTest::addRow("%s %s %s", method, asymmetric ? "asym" : "sym", full ? "full" : "figures")
                    << method << false << asymmetric << full;
    QTest::addRow("minmax suggested") << "minmax" << true << false << true;
}

// analyzeTensorAndQuant against analyzeLoadedTensor + analyzeQuant, with a spec that depends on
// the scanned range (a clip ratio of 0.9, as the command line's --clip-ratio): every figure,
// count and curve the same.
void TestCalibMethods::statsAndQuantInOneCallEqualTwo() {
    QFETCH(QString, method);
    QFETCH(bool, suggest);
    QFETCH(bool, asymmetric);
    QFETCH(bool, full);
    std::vector<float> values = weights(3 * 65536 + 333);
    values[70000] = kNaN;
    TensorInfo info;
    info.name = "w";
    info.shape = {std::int64_t(values.size())};
    const auto tensor = FloatTensor::fromVector(info, std::move(values));
    const QuantSpec base =
        specOf(method.toLatin1().constData(), 4, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric);
    const SpecFromScan specFor = [&](const TensorStats &stats) {
        QuantSpec spec = base;
        if (spec.method == CalibMethod::MinMax || spec.method == CalibMethod::Hqq) {
            spec.rangeMode = RangeMode::Saturating;
            spec.clipLo = stats.min * 0.9;
            spec.clipHi = stats.max * 0.9;
        }
        return spec;
    };
    const QuantDetail detail = full ? QuantDetail::Full : QuantDetail::FiguresOnly;
    RunControl two;
    two.threads = 2;
    const auto separate = analyzeLoadedTensor(tensor, 3, two).value();
    const auto quant = analyzeQuant(*separate, specFor(separate->stats), suggest, two, detail).value();
    const auto both = analyzeTensorAndQuant(tensor, 3, base.method, specFor, suggest, two, detail).value();

    QCOMPARE(both.tensor->index, std::size_t(3));
    const TensorStats &a = both.tensor->stats, &b = separate->stats;
    QCOMPARE(a.nanCount, 1);
    QVERIFY(a.count == b.count && a.min == b.min && a.max == b.max && a.mean == b.mean && a.std == b.std &&
            a.sumSquares == b.sumSquares && a.histogram.counts == b.histogram.counts &&
            a.distinctValues == b.distinctValues);
    const QuantAnalysis &q = *both.quant;
    QCOMPARE(q.spec.method, quant->spec.method);
    QCOMPARE(q.spec.clipLo, quant->spec.clipLo);
    QCOMPARE(q.spec.clipHi, quant->spec.clipHi);
    QCOMPARE(q.params.scale, quant->params.scale);
    QCOMPARE(q.params.zeroPoint, quant->params.zeroPoint);
    QCOMPARE(q.params.clipMin, quant->params.clipMin);
    QCOMPARE(q.params.clipMax, quant->params.clipMax);
    QCOMPARE(q.error.mse, quant->error.mse);
    QCOMPARE(q.error.sqnrDb, quant->error.sqnrDb);
    QCOMPARE(q.error.maxAbsError, quant->error.maxAbsError);
    QCOMPARE(q.error.cosine, quant->error.cosine);
    QCOMPARE(q.error.clippedCount, quant->error.clippedCount);
    QVERIFY(q.error.clippedCount > 0);
    QCOMPARE(q.error.errorHistogram.counts, quant->error.errorHistogram.counts);
    QCOMPARE(q.error.errorHistogram.counts.empty(), !full);
    QCOMPARE(q.sweep.points.size(), quant->sweep.points.size());
    QCOMPARE(q.sweep.points.empty(), !full && !suggest && base.method != CalibMethod::Mse);
    for (std::size_t i = 0; i < q.sweep.points.size(); ++i)
        QCOMPARE(q.sweep.points[i].mse, quant->sweep.points[i].mse);
    QCOMPARE(q.sweep.best.fraction, quant->sweep.best.fraction);
    QCOMPARE(q.sweep.heldEnds.lower.size(), quant->sweep.heldEnds.lower.size());
}

void TestCalibMethods::methodTableRows_data() {
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<int>("format");
    QTest::addColumn<bool>("asymmetric");
    QTest::addColumn<QStringList>("labels");
    QTest::addRow("int tensor symmetric")
        << "tensor" << int(NumberFormat::Int) << false
        << QStringList{"minmax", "mse", "percentile:99.9", "percentile:99.99", "entropy", "histogram-l2"};
    QTest::addRow("int tensor asymmetric")
        << "tensor" << int(NumberFormat::Int) << true
        << QStringList{"minmax", "mse", "percentile:99.9", "percentile:99.99", "histogram-l2"};
    QTest::addRow("int channel asymmetric")
        << "channel" << int(NumberFormat::Int) << true << QStringList{"minmax", "mse", "hqq"};
    QTest::addRow("int group symmetric")
        << "group:32" << int(NumberFormat::Int) << false << QStringList{"minmax", "mse"};
    QTest::addRow("fp8 group") << "group:32" << int(NumberFormat::Fp8E4M3) << false
                               << QStringList{"minmax", "mse"};
    QTest::addRow("nf4") << "tensor" << int(NumberFormat::Nf4) << false << QStringList{"minmax"};
}

void TestCalibMethods::methodTableRows() {
    QFETCH(QString, granularity);
    QFETCH(int, format);
    QFETCH(bool, asymmetric);
    QFETCH(QStringList, labels);
    const auto tensor = analysisOf(weights(16 * 128), {16, 128});
    QuantSpec spec = specOf("minmax", 4, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric,
                            granularity.toLatin1().constData(), NumberFormat(format));
    spec.clipRatio = 0.5; // the table resets the range rule
    const auto rows = compareMethods(*tensor, spec).value();
    QStringList actual;
    for (const MethodRow &row : rows) {
        actual << QString::fromStdString(row.label);
        QVERIFY(row.mse > 0.0);
        QVERIFY(row.clipLo <= row.clipHi);
        QVERIFY(row.clippedFraction >= 0.0 && row.clippedFraction <= 1.0);
    }
    QCOMPARE(actual, labels);
    // mse is never worse than min-max: p = 1 is among its candidates (groups) or the sweep
    // includes the full range (per tensor, estimated; the exact figures agree on this tensor).
    if (rows.size() > 1)
        QVERIFY(rows[1].mse <= rows[0].mse);
    QCOMPARE(rows[0].clippedFraction, 0.0);
}

void TestCalibMethods::methodTableMatchesAnalyze() {
    const auto tensor = analysisOf(weights(30000));
    const auto rows = compareMethods(*tensor, specOf("minmax", 4, Scheme::Asymmetric)).value();
    QCOMPARE(rows.size(), std::size_t(5));
    for (const MethodRow &row : rows) {
        const auto analysis = analyzeQuant(*tensor, row.spec).value();
        QCOMPARE(row.clipLo, analysis->params.clipMin);
        QCOMPARE(row.clipHi, analysis->params.clipMax);
        QCOMPARE(row.mse, analysis->error.mse);
        QCOMPARE(row.sqnrDb, analysis->error.sqnrDb);
        QCOMPARE(row.clippedFraction, analysis->error.clippedFraction);
    }
}

void TestCalibMethods::methodRowsCarryGroupRanges_data() {
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<int>("format");
    QTest::addColumn<bool>("asymmetric");
    QTest::addColumn<int>("groups");
    QTest::addRow("int group symmetric") << "group:32" << int(NumberFormat::Int) << false << 16 * 4;
    QTest::addRow("int channel asymmetric (hqq)") << "channel" << int(NumberFormat::Int) << true << 16;
    QTest::addRow("fp8 group") << "group:64" << int(NumberFormat::Fp8E4M3) << false << 16 * 2;
    QTest::addRow("fp8 tensor") << "tensor" << int(NumberFormat::Fp8E4M3) << false << 1;
}

// Grouped rows keep each group's range: the very ranges the window's scheme analysis of the
// row's spec quantizes with (what the histogram draws for the selected group), in its grid's
// order; clipLo / clipHi stay their lowest and highest. Per-tensor int rows keep none.
void TestCalibMethods::methodRowsCarryGroupRanges() {
    QFETCH(QString, granularity);
    QFETCH(int, format);
    QFETCH(bool, asymmetric);
    QFETCH(int, groups);
    const auto tensor = analysisOf(weights(16 * 128), {16, 128});
    const QuantSpec spec = specOf("minmax", 4, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric,
                                  granularity.toLatin1().constData(), NumberFormat(format));
    const auto rows = compareMethods(*tensor, spec).value();
    QVERIFY(rows.size() >= 2);
    for (const MethodRow &row : rows) {
        const auto scheme = analyzeScheme(*tensor, row.spec).value();
        QCOMPARE(scheme->grid.groupCount(), std::int64_t(groups));
        QCOMPARE(row.groupClipLo, scheme->quantization.clipMin);
        QCOMPARE(row.groupClipHi, scheme->quantization.clipMax);
        QCOMPARE(row.groupClipLo.size(), std::size_t(groups));
        QCOMPARE(row.clipLo, *std::min_element(row.groupClipLo.begin(), row.groupClipLo.end()));
        QCOMPARE(row.clipHi, *std::max_element(row.groupClipHi.begin(), row.groupClipHi.end()));
        for (std::size_t g = 0; g < row.groupClipLo.size(); ++g)
            QVERIFY(row.groupClipLo[g] <= row.groupClipHi[g]);
    }
    // The methods differ group by group: mse narrows some group's range below min-max's.
    QVERIFY(rows[1].groupClipHi != rows[0].groupClipHi);

    const auto perTensor = compareMethods(*tensor, specOf("minmax", 4)).value();
    for (const MethodRow &row : perTensor) {
        QVERIFY(row.groupClipLo.empty());
        QVERIFY(row.groupClipHi.empty());
    }
}

void TestCalibMethods::sameAtAnyThreadCount_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<int>("format");
    QTest::addColumn<bool>("asymmetric");
    QTest::addRow("percentile") << "percentile:99.9"
                                << "tensor" << int(NumberFormat::Int) << true;
    QTest::addRow("entropy") << "entropy"
                             << "tensor" << int(NumberFormat::Int) << false;
    QTest::addRow("histogram-l2") << "histogram-l2"
                                  << "tensor" << int(NumberFormat::Int) << true;
    QTest::addRow("mse tensor") << "mse"
                                << "tensor" << int(NumberFormat::Int) << false;
    QTest::addRow("mse channel") << "mse"
                                 << "channel" << int(NumberFormat::Int) << true;
    QTest::addRow("mse fp8 group") << "mse"
                                   << "group:64" << int(NumberFormat::Fp8E4M3) << false;
    QTest::addRow("hqq group") << "hqq"
                               << "group:64" << int(NumberFormat::Int) << true;
}

void TestCalibMethods::sameAtAnyThreadCount() {
    QFETCH(QString, method);
    QFETCH(QString, granularity);
    QFETCH(int, format);
    QFETCH(bool, asymmetric);
    // Several chunks of 2^16 values, so that threads really split the work.
    const std::vector<std::int64_t> shape{512, 640};
    const std::vector<float> x = weights(512 * 640);
    const QuantSpec spec =
        specOf(method.toLatin1().constData(), 4, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric,
               granularity.toLatin1().constData(), NumberFormat(format));
    const auto one = quantizeScheme(x, shape, spec, threads(1)).value();
    const auto four = quantizeScheme(x, shape, spec, threads(4)).value();
    QVERIFY(sameFloats(one.dequantized, four.dequantized));
    QVERIFY(sameFloats(one.scales, four.scales));
    QCOMPARE(one.zeroPoints, four.zeroPoints);
    QVERIFY(sameFloats(one.zeroPointsFloat, four.zeroPointsFloat));
    const auto tensor = analysisOf(x, shape);
    const auto rowsOne = compareMethods(*tensor, spec, threads(1)).value();
    const auto rowsThree = compareMethods(*tensor, spec, threads(3)).value();
    QCOMPARE(rowsOne.size(), rowsThree.size());
    for (std::size_t i = 0; i < rowsOne.size(); ++i) {
        QCOMPARE(rowsOne[i].label, rowsThree[i].label);
        QCOMPARE(rowsOne[i].clipLo, rowsThree[i].clipLo);
        QCOMPARE(rowsOne[i].mse, rowsThree[i].mse);
        QCOMPARE(rowsOne[i].clippedFraction, rowsThree[i].clippedFraction);
    }
}

void TestCalibMethods::cancels_data() {
    sameAtAnyThreadCount_data();
}

void TestCalibMethods::cancels() {
    QFETCH(QString, method);
    QFETCH(QString, granularity);
    QFETCH(int, format);
    QFETCH(bool, asymmetric);
    const std::vector<std::int64_t> shape{256, 512};
    const std::vector<float> x = weights(256 * 512);
    const QuantSpec spec =
        specOf(method.toLatin1().constData(), 4, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric,
               granularity.toLatin1().constData(), NumberFormat(format));
    RunControl now;
    now.isCanceled = [] { return true; };
    QCOMPARE(quantizeScheme(x, shape, spec, now).error(), std::string("cancelled"));
    const auto tensor = analysisOf(x, shape);
    QCOMPARE(compareMethods(*tensor, spec, now).error(), std::string("cancelled"));
    QCOMPARE(analyzeQuant(*tensor, spec, false, now).error(), std::string("cancelled"));
    // Cancelled part way, after the first few checks: still a clean "cancelled".
    std::atomic<int> checks{0};
    RunControl later;
    later.threads = 2;
    later.isCanceled = [&checks] { return ++checks > 3; };
    QCOMPARE(quantizeScheme(x, shape, spec, later).error(), std::string("cancelled"));
}

void TestCalibMethods::degenerateTensors_data() {
    QTest::addColumn<std::vector<float>>("values");
    QTest::addColumn<std::vector<std::int64_t>>("shape");
    QTest::addRow("empty") << std::vector<float>{} << std::vector<std::int64_t>{0, 8};
    QTest::addRow("constant") << std::vector<float>(64, 0.25f) << std::vector<std::int64_t>{4, 16};
    QTest::addRow("zeros") << std::vector<float>(64, 0.0f) << std::vector<std::int64_t>{4, 16};
    QTest::addRow("negative constant") << std::vector<float>(64, -3.0f) << std::vector<std::int64_t>{4, 16};
    QTest::addRow("all NaN") << std::vector<float>(64, kNaN) << std::vector<std::int64_t>{4, 16};
    std::vector<float> mixed = weights(64);
    mixed[0] = kNaN;
    mixed[17] = kInf;
    mixed[40] = -kInf;
    for (std::size_t i = 48; i < 64; ++i)
        mixed[i] = kNaN; // a whole row without a finite value
    QTest::addRow("NaN and Inf") << mixed << std::vector<std::int64_t>{4, 16};
    QTest::addRow("one value") << std::vector<float>{0.7f} << std::vector<std::int64_t>{1, 1};
}

void TestCalibMethods::degenerateTensors() {
    QFETCH(std::vector<float>, values);
    QFETCH(std::vector<std::int64_t>, shape);
    const auto tensor = analysisOf(values, shape);
    for (const char *granularity : {"tensor", "channel", "group:8"}) {
        for (NumberFormat format : {NumberFormat::Int, NumberFormat::Fp8E4M3}) {
            for (Scheme scheme : {Scheme::Symmetric, Scheme::Asymmetric}) {
                QuantSpec spec = specOf("minmax", 4, scheme, granularity, format);
                for (const QuantSpec &candidate : methodCandidates(spec, shape)) {
                    const auto q = quantizeScheme(values, shape, candidate);
                    QVERIFY2(q.ok(), q.error().c_str());
                    QCOMPARE(q->dequantized.size(), values.size());
                    for (std::size_t i = 0; i < values.size(); ++i)
                        if (std::isfinite(values[i]))
                            QVERIFY2(std::isfinite(q->dequantized[i]), methodLabel(candidate).c_str());
                }
                const auto rows = compareMethods(*tensor, spec);
                QVERIFY2(rows.ok(), rows.error().c_str());
                for (const MethodRow &row : rows.value())
                    QVERIFY(std::isfinite(row.mse));
            }
        }
    }
    for (const char *method : {"mse", "percentile:99", "entropy", "histogram-l2"}) {
        const auto analysis = analyzeQuant(*tensor, specOf(method));
        QVERIFY(analysis.ok());
        QVERIFY(std::isfinite(analysis.value()->params.scale));
        QVERIFY(std::isfinite(analysis.value()->error.mse));
    }
}

QTEST_GUILESS_MAIN(TestCalibMethods)
#include "tst_calibmethods.moc"
