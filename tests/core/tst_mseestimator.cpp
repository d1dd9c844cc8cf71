#include "calib/mseestimator.h"
#include "quant/quantizer.h"
#include "stats/errorstats.h"
#include "stats/tensorstats.h"

#include <QTest>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace qs;

Q_DECLARE_METATYPE(qs::Scheme)

namespace {

constexpr std::size_t kValues = 1'000'000;
// Stated tolerance of the O(bins) estimate against the exact pass: 1 % (the rows below agree
// to about 0.1 %; the brief allowed 5 %).
constexpr double kMseTolerance = 0.01;

// Weight-like tensors: normal, Laplace (heavier tails) and normal with a few outlier channels.
std::vector<float> makeTensor(const std::string &kind) {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::exponential_distribution<float> exponential(50.0f);
    std::bernoulli_distribution coin(0.5);
    std::vector<float> values(kValues);
    for (float &v : values) {
        if (kind == "laplace")
            v = coin(rng) ? exponential(rng) : -exponential(rng);
        else
            v = normal(rng) + 0.001f;
    }
    if (kind == "outliers")
        for (std::size_t i = 0; i < values.size(); i += 997) // 0.1 % at up to 40 sigma
            values[i] = (i % 2 ? 0.8f : -0.5f) * float(i % 7 + 1) / 7.0f;
    return values;
}

const std::vector<float> &tensor(const std::string &kind) {
    static std::map<std::string, std::vector<float>> cache;
    auto it = cache.find(kind);
    if (it == cache.end())
        it = cache.emplace(kind, makeTensor(kind)).first;
    return it->second;
}

const TensorStats &statsOf(const std::string &kind) {
    static std::map<std::string, TensorStats> cache;
    auto it = cache.find(kind);
    if (it == cache.end())
        it = cache.emplace(kind, computeStats(tensor(kind)).value()).first;
    return it->second;
}

QuantSpec makeSpec(int bits, Scheme scheme) {
    QuantSpec spec;
    spec.bits = bits;
    spec.scheme = scheme;
    return spec;
}

QuantSpec withThreshold(QuantSpec spec, const TensorStats &stats, double fraction) {
    spec.rangeMode = RangeMode::Saturating;
    if (spec.scheme == Scheme::Symmetric) {
        const double amax = std::max(std::abs(stats.min), std::abs(stats.max));
        spec.clipLo = -fraction * amax;
        spec.clipHi = fraction * amax;
    } else {
        spec.clipLo = fraction * stats.min;
        spec.clipHi = fraction * stats.max;
    }
    return spec;
}

double exactMse(const std::vector<float> &values, const TensorStats &stats, const QuantSpec &spec) {
    return computeError(values, paramsForTensor(spec, stats.min, stats.max), stats)->mse;
}

// Share of a histogram's values in bins lying wholly inside [-halfStep, halfStep] (inside) and
// wholly outside it (beyond); bins straddling ±s/2 count in neither.
struct ErrorShares {
    double inside = 0.0;
    double beyond = 0.0;
};

ErrorShares errorShares(const Histogram &h, double halfStep) {
    ErrorShares shares;
    const double total = double(std::max<std::int64_t>(h.total(), 1));
    for (std::size_t i = 0; i < h.bins(); ++i) {
        const double a = h.binLow(i);
        const double b = a + h.binWidth();
        if (a >= -halfStep && b <= halfStep)
            shares.inside += double(h.counts[i]) / total;
        else if (b <= -halfStep || a >= halfStep)
            shares.beyond += double(h.counts[i]) / total;
    }
    return shares;
}

// Σ|p - q| of the two histograms' shares after merging runs of `merge` bins: 0 for the same
// shape, 2 for disjoint ones.
double shapeDistance(const Histogram &a, const Histogram &b, std::size_t merge) {
    double distance = 0.0;
    const double na = double(a.total());
    const double nb = double(b.total());
    for (std::size_t i = 0; i < a.bins(); i += merge) {
        double pa = 0.0;
        double pb = 0.0;
        for (std::size_t j = i; j < std::min(i + merge, a.bins()); ++j) {
            pa += double(a.counts[j]) / na;
            pb += double(b.counts[j]) / nb;
        }
        distance += std::abs(pa - pb);
    }
    return distance;
}

// A bulk (normal, σ = 0.02) with outliers only above it: 21 values (0.01 %) at up to +0.8.
std::vector<float> makeSkewedTensor() {
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> values(200'000);
    for (float &v : values)
        v = normal(rng);
    for (std::size_t i = 0; i < values.size(); i += 9973)
        values[i] = 0.8f * float(i % 7 + 1) / 7.0f;
    return values;
}

QuantSpec saturating(QuantSpec spec, double lo, double hi) {
    spec.rangeMode = RangeMode::Saturating;
    spec.clipLo = lo;
    spec.clipHi = hi;
    return spec;
}

} // namespace

class TestMseEstimator : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void estimateMatchesExactPass_data();
    void estimateMatchesExactPass();
    void constantTensorIsExact();
    void emptyTensor();
    void sweepShape();
    void sweepFindsBetterThresholdForHeavyTails_data();
    void sweepFindsBetterThresholdForHeavyTails();
    void sweepKeepsFullRangeWhenClippingOnlyHurts();
    void errorHistogramEstimate_data();
    void errorHistogramEstimate();
    void errorHistogramEstimateEdgeCases();
    void asymmetricBestMovesEndsIndependently();
    void heldEndCurvesPassThroughCurrent_data();
    void heldEndCurvesPassThroughCurrent();
    void symmetricSweepIsTheJointMinimum();
};

void TestMseEstimator::estimateMatchesExactPass_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("bits");
    QTest::addColumn<Scheme>("scheme");
    QTest::addColumn<double>("fraction");
    for (const char *kind : {"normal", "laplace", "outliers"})
        for (int bits : {4, 8})
            for (Scheme scheme : {Scheme::Symmetric, Scheme::Asymmetric})
                for (double fraction : {1.0, 0.5, 0.1})
                    QTest::addRow("%s %d-bit %s f=%g", kind, bits,
                                  scheme == Scheme::Symmetric ? "sym" : "asym", fraction)
                        << QString::fromLatin1(kind) << bits << scheme << fraction;
}

void TestMseEstimator::estimateMatchesExactPass() {
    QFETCH(QString, kind);
    QFETCH(int, bits);
    QFETCH(Scheme, scheme);
    QFETCH(double, fraction);
    const std::vector<float> &values = tensor(kind.toStdString());
    const TensorStats &stats = statsOf(kind.toStdString());
    QuantSpec spec = makeSpec(bits, scheme);
    if (fraction < 1.0)
        spec = withThreshold(spec, stats, fraction);
    const QuantParams p = paramsForTensor(spec, stats.min, stats.max);
    const ErrorStats exact = computeError(values, p, stats).value();
    const ErrorEstimate estimate = estimateError(stats, p);

    QVERIFY2(std::abs(estimate.mse - exact.mse) <= kMseTolerance * exact.mse,
             qPrintable(QStringLiteral("estimate %1, exact %2").arg(estimate.mse).arg(exact.mse)));
    // 1 % in MSE is 10·log10(1.01) = 0.043 dB of SQNR.
    QVERIFY(estimate.sqnrDb.has_value());
    QVERIFY(std::abs(*estimate.sqnrDb - *exact.sqnrDb) <= 0.044);
    // Clipped fraction from bins (partial bins interpolated): within a bin's worth of values.
    const double binShare =
        2.0 * double(*std::max_element(stats.histogram.counts.begin(), stats.histogram.counts.end())) /
        double(stats.count);
    QVERIFY2(std::abs(estimate.clippedFraction - exact.clippedFraction) <= binShare,
             qPrintable(QStringLiteral("estimate %1, exact %2")
                            .arg(estimate.clippedFraction)
                            .arg(exact.clippedFraction)));
    if (fraction == 1.0 && scheme == Scheme::Symmetric)
        QCOMPARE(estimate.clippedFraction, 0.0);
}

void TestMseEstimator::constantTensorIsExact() {
    // Constant 0.7, symmetric 8 bits: scale = 0.7/127.5, 0.7/scale = 127.5 (or just below) so
    // the value maps to 127 and x̂ = 127·scale: error about scale/2. Estimate = exact pass.
    const std::vector<float> values(1000, 0.7f);
    const TensorStats stats = computeStats(values).value();
    const QuantParams p = paramsForTensor(makeSpec(8, Scheme::Symmetric), stats.min, stats.max);
    const ErrorStats exact = computeError(values, p, stats).value();
    const ErrorEstimate estimate = estimateError(stats, p);
    QVERIFY(std::abs(estimate.mse - exact.mse) <= 1e-6 * exact.mse);
    QCOMPARE(estimate.clippedFraction, exact.clippedFraction);
    // All zero: exact, so no SQNR.
    const TensorStats zeros = computeStats(std::vector<float>(10, 0.0f)).value();
    const ErrorEstimate zero =
        estimateError(zeros, paramsForTensor(makeSpec(4, Scheme::Asymmetric), 0.0, 0.0));
    QCOMPARE(zero.mse, 0.0);
    QVERIFY(!zero.sqnrDb.has_value());
}

void TestMseEstimator::emptyTensor() {
    const TensorStats empty;
    const ErrorEstimate estimate = estimateError(empty, paramsForTensor(QuantSpec{}, 0.0, 0.0));
    QCOMPARE(estimate.mse, 0.0);
    QVERIFY(!estimate.sqnrDb.has_value());
    const ThresholdSweep sweep = sweepThresholds(empty, QuantSpec{});
    QVERIFY(sweep.points.empty());
    QCOMPARE(sweep.best.fraction, 1.0);
}

void TestMseEstimator::sweepShape() {
    const TensorStats &stats = statsOf("normal");
    const ThresholdSweep sweep = sweepThresholds(stats, makeSpec(8, Scheme::Asymmetric), 120);
    QCOMPARE(sweep.points.size(), std::size_t(120));
    // Increasing fractions, ending at the full range, small thresholds covered.
    for (std::size_t i = 1; i < sweep.points.size(); ++i)
        QVERIFY(sweep.points[i].fraction > sweep.points[i - 1].fraction);
    QCOMPARE(sweep.points.back().fraction, 1.0);
    QVERIFY(sweep.points.front().fraction <= 1e-3);
    // Asymmetric thresholds are [f·min, f·max].
    const ThresholdPoint &mid = sweep.points[80];
    QCOMPARE(mid.clipLo, mid.fraction * stats.min);
    QCOMPARE(mid.clipHi, mid.fraction * stats.max);
    // The best point is the minimum of the curve.
    for (const ThresholdPoint &point : sweep.points)
        QVERIFY(sweep.best.mse <= point.mse);
}

void TestMseEstimator::sweepFindsBetterThresholdForHeavyTails_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("bits");
    QTest::addColumn<Scheme>("scheme");
    QTest::addRow("outliers 4-bit sym") << QStringLiteral("outliers") << 4 << Scheme::Symmetric;
    QTest::addRow("outliers 8-bit asym") << QStringLiteral("outliers") << 8 << Scheme::Asymmetric;
    QTest::addRow("laplace 4-bit sym") << QStringLiteral("laplace") << 4 << Scheme::Symmetric;
}

void TestMseEstimator::sweepFindsBetterThresholdForHeavyTails() {
    QFETCH(QString, kind);
    QFETCH(int, bits);
    QFETCH(Scheme, scheme);
    const std::vector<float> &values = tensor(kind.toStdString());
    const TensorStats &stats = statsOf(kind.toStdString());
    const QuantSpec spec = makeSpec(bits, scheme);
    const ThresholdSweep sweep = sweepThresholds(stats, spec);
    QVERIFY(sweep.best.fraction < 1.0);
    QuantSpec best = spec;
    best.rangeMode = RangeMode::Saturating;
    best.clipLo = sweep.best.clipLo;
    best.clipHi = sweep.best.clipHi;
    // The suggested threshold beats min-max on the exact pass, not only on the estimate.
    const double minMax = exactMse(values, stats, spec);
    const double suggested = exactMse(values, stats, best);
    QVERIFY2(suggested < minMax, qPrintable(QStringLiteral("%1 vs %2").arg(suggested).arg(minMax)));
}

void TestMseEstimator::sweepKeepsFullRangeWhenClippingOnlyHurts() {
    // Uniform values at 8 bits: every clip adds saturation error larger than the rounding it
    // saves, so the best threshold is (close to) the full range.
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> values(200'000);
    for (float &v : values)
        v = dist(rng);
    const TensorStats stats = computeStats(values).value();
    const ThresholdSweep sweep = sweepThresholds(stats, makeSpec(8, Scheme::Symmetric));
    QVERIFY2(sweep.best.fraction >= 0.99, qPrintable(QString::number(sweep.best.fraction)));
}

void TestMseEstimator::errorHistogramEstimate_data() {
    estimateMatchesExactPass_data();
}

// The O(bins) error histogram drawn while dragging, against the exact pass's.
void TestMseEstimator::errorHistogramEstimate() {
    QFETCH(QString, kind);
    QFETCH(int, bits);
    QFETCH(Scheme, scheme);
    QFETCH(double, fraction);
    const std::vector<float> &values = tensor(kind.toStdString());
    const TensorStats &stats = statsOf(kind.toStdString());
    QuantSpec spec = makeSpec(bits, scheme);
    if (fraction < 1.0)
        spec = withThreshold(spec, stats, fraction);
    const QuantParams p = paramsForTensor(spec, stats.min, stats.max);
    const Histogram exact = computeError(values, p, stats).value().errorHistogram;
    const Histogram estimate = estimateErrorHistogram(stats, p);

    // The same bins as the exact pass, and every value counted once.
    QCOMPARE(estimate.lo, exact.lo);
    QCOMPARE(estimate.hi, exact.hi);
    QCOMPARE(estimate.bins(), exact.bins());
    QCOMPARE(estimate.total(), stats.count);
    const double halfStep = 0.5 * double(p.scale);
    const ErrorShares want = errorShares(exact, halfStep);
    const ErrorShares got = errorShares(estimate, halfStep);
    // The clipped tails hold the same share within two fine bins' worth of values (where the
    // clip threshold cuts a fine bin, its values are split by interpolation).
    const double binShare =
        2.0 * double(*std::max_element(stats.histogram.counts.begin(), stats.histogram.counts.end())) /
        double(stats.count);
    QVERIFY2(
        std::abs(got.beyond - want.beyond) <= binShare,
        qPrintable(QStringLiteral("beyond ±s/2: estimate %1, exact %2").arg(got.beyond).arg(want.beyond)));
    // The rounding bulk inside ±s/2 within 3 %.
    QVERIFY2(
        std::abs(got.inside - want.inside) <= 0.03 * want.inside,
        qPrintable(QStringLiteral("inside ±s/2: estimate %1, exact %2").arg(got.inside).arg(want.inside)));
    // The shape at 16 coarse bins: the rows here differ by at most ~0.02 (measured); 0.05
    // leaves room for sampling noise and still fails for a shifted or mirrored histogram.
    const double distance = shapeDistance(estimate, exact, 32);
    QVERIFY2(distance <= 0.05, qPrintable(QString::number(distance)));
}

void TestMseEstimator::errorHistogramEstimateEdgeCases() {
    const QuantParams p8 = paramsForTensor(makeSpec(8, Scheme::Symmetric), -1.0, 1.0);
    const Histogram empty = estimateErrorHistogram(TensorStats{}, p8);
    QCOMPARE(empty.bins(), std::size_t(512));
    QCOMPARE(empty.total(), std::int64_t(0));
    QVERIFY(empty.hi > empty.lo);
    // A constant tensor: all values in the bin of their one (exact) error.
    const std::vector<float> values(1000, 0.7f);
    const TensorStats stats = computeStats(values).value();
    const QuantParams p = paramsForTensor(makeSpec(8, Scheme::Symmetric), stats.min, stats.max);
    const Histogram exact = computeError(values, p, stats).value().errorHistogram;
    const Histogram estimate = estimateErrorHistogram(stats, p);
    QCOMPARE(estimate.counts, exact.counts);
    // NaN and Inf are not values of the histogram.
    const std::vector<float> odd{0.5f, std::nanf(""), -0.25f, INFINITY, 0.1f};
    const TensorStats oddStats = computeStats(odd).value();
    const Histogram oddEstimate =
        estimateErrorHistogram(oddStats, paramsForTensor(makeSpec(4, Scheme::Asymmetric), -0.25, 0.5));
    QCOMPARE(oddEstimate.total(), std::int64_t(3));
}

void TestMseEstimator::asymmetricBestMovesEndsIndependently() {
    const std::vector<float> values = makeSkewedTensor();
    const TensorStats stats = computeStats(values).value();
    const QuantSpec spec = makeSpec(4, Scheme::Asymmetric);
    const ThresholdSweep sweep = sweepThresholds(stats, spec);
    // The old suggestion: the minimum over both ends scaled together.
    const ThresholdPoint joint = *std::min_element(
        sweep.points.begin(), sweep.points.end(), [](const auto &a, const auto &b) { return a.mse < b.mse; });
    // (At 4 bits the two-end search lowers the estimate from 3.9e-5 to 2.7e-5, lo at 0.55·min
    // and hi at 0.09·max, where the joint search clips both ends to 0.27.)
    QVERIFY(sweep.best.mse <= joint.mse);
    // Outliers only above: the upper end clips far more than the lower one.
    QVERIFY2(
        sweep.best.fractionHi < 0.5 * sweep.best.fractionLo,
        qPrintable(QStringLiteral("lo %1, hi %2").arg(sweep.best.fractionLo).arg(sweep.best.fractionHi)));
    QCOMPARE(sweep.best.clipLo, sweep.best.fractionLo * stats.min);
    QCOMPARE(sweep.best.clipHi, sweep.best.fractionHi * stats.max);
    // Its estimate is its thresholds' estimate, and it beats the joint one on the exact pass too.
    const QuantSpec best = saturating(spec, sweep.best.clipLo, sweep.best.clipHi);
    QCOMPARE(sweep.best.mse, estimateError(stats, paramsForTensor(best, stats.min, stats.max)).mse);
    const double jointExact = exactMse(values, stats, saturating(spec, joint.clipLo, joint.clipHi));
    QVERIFY2(exactMse(values, stats, best) < jointExact,
             qPrintable(QStringLiteral("%1 vs %2").arg(exactMse(values, stats, best)).arg(jointExact)));
    // Neither end alone improves on it (the descent stopped at a minimum on each grid).
    for (const auto *curve : {&sweep.heldEnds.lower, &sweep.heldEnds.upper})
        QVERIFY(!curve->empty());
    const ThresholdSweep atBest = sweepThresholds(stats, best);
    for (const auto *curve : {&atBest.heldEnds.lower, &atBest.heldEnds.upper})
        for (const ThresholdPoint &point : *curve)
            QVERIFY2(point.mse >= sweep.best.mse, qPrintable(QString::number(point.clipLo)));
    // The same answer every time (single-threaded, no state).
    const ThresholdSweep again = sweepThresholds(stats, spec);
    QCOMPARE(again.best.clipLo, sweep.best.clipLo);
    QCOMPARE(again.best.clipHi, sweep.best.clipHi);
}

void TestMseEstimator::heldEndCurvesPassThroughCurrent_data() {
    QTest::addColumn<bool>("saturate");
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    QTest::addColumn<int>("points");
    // 200 fractions of the end, plus the current threshold unless it is one of them (f = 1).
    QTest::addRow("non-saturating") << false << 0.0 << 0.0 << 200;
    QTest::addRow("both ends clipped") << true << -0.05 << 0.12 << 201;
    QTest::addRow("beyond the range") << true << -0.2 << 1.1 << 201;
}

void TestMseEstimator::heldEndCurvesPassThroughCurrent() {
    QFETCH(bool, saturate);
    QFETCH(double, lo);
    QFETCH(double, hi);
    QFETCH(int, points);
    const TensorStats &stats = statsOf("outliers");
    QuantSpec spec = makeSpec(4, Scheme::Asymmetric);
    if (saturate)
        spec = saturating(spec, lo, hi);
    else
        std::tie(lo, hi) = std::pair(stats.min, stats.max);
    const double current = estimateError(stats, paramsForTensor(spec, stats.min, stats.max)).mse;
    const ThresholdSweep sweep = sweepThresholds(stats, spec);
    const HeldEndCurves &curves = sweep.heldEnds;
    QCOMPARE(curves.clipLo, lo);
    QCOMPARE(curves.clipHi, hi);
    QCOMPARE(int(curves.lower.size()), points);
    QCOMPARE(int(curves.upper.size()), points);
    int throughLower = 0;
    for (std::size_t i = 0; i < curves.lower.size(); ++i) {
        const ThresholdPoint &point = curves.lower[i];
        QCOMPARE(point.clipHi, hi);
        QVERIFY(i == 0 || point.clipLo > curves.lower[i - 1].clipLo);
        if (point.clipLo == lo) {
            QCOMPARE(point.mse, current);
            ++throughLower;
        }
    }
    int throughUpper = 0;
    for (std::size_t i = 0; i < curves.upper.size(); ++i) {
        const ThresholdPoint &point = curves.upper[i];
        QCOMPARE(point.clipLo, lo);
        QVERIFY(i == 0 || point.clipHi > curves.upper[i - 1].clipHi);
        if (point.clipHi == hi) {
            QCOMPARE(point.mse, current);
            ++throughUpper;
        }
    }
    QCOMPARE(throughLower, 1);
    QCOMPARE(throughUpper, 1);
    // Symmetric mode has no held ends; an all-positive tensor no lower curve.
    QVERIFY(sweepThresholds(stats, makeSpec(4, Scheme::Symmetric)).heldEnds.lower.empty());
    const TensorStats positive = computeStats(std::vector<float>{0.1f, 0.2f, 0.9f}).value();
    const HeldEndCurves positiveCurves = heldEndCurves(positive, makeSpec(4, Scheme::Asymmetric));
    QVERIFY(positiveCurves.lower.empty());
    QCOMPARE(positiveCurves.upper.size(), std::size_t(200)); // the current end, max, is f = 1
}

void TestMseEstimator::symmetricSweepIsTheJointMinimum() {
    // Symmetric mode keeps the joint search: each point is ±f·amax, best the smallest MSE (ties
    // to the larger threshold), its fractions all f.
    const TensorStats &stats = statsOf("outliers");
    const QuantSpec spec = makeSpec(4, Scheme::Symmetric);
    const ThresholdSweep sweep = sweepThresholds(stats, spec);
    const double amax = std::max(std::abs(stats.min), std::abs(stats.max));
    ThresholdPoint expected = sweep.points.back();
    for (auto it = sweep.points.rbegin(); it != sweep.points.rend(); ++it) {
        QCOMPARE(it->clipHi, it->fraction * amax);
        QCOMPARE(it->clipLo, -it->fraction * amax);
        QCOMPARE(it->mse, estimateError(stats, paramsForTensor(saturating(spec, it->clipLo, it->clipHi),
                                                               stats.min, stats.max))
                              .mse);
        if (it->mse < expected.mse)
            expected = *it;
    }
    QCOMPARE(sweep.best.clipHi, expected.clipHi);
    QCOMPARE(sweep.best.fractionLo, sweep.best.fraction);
    QCOMPARE(sweep.best.fractionHi, sweep.best.fraction);
    QVERIFY(sweep.heldEnds.lower.empty() && sweep.heldEnds.upper.empty());
}

QTEST_GUILESS_MAIN(TestMseEstimator)
#include "tst_mseestimator.moc"
