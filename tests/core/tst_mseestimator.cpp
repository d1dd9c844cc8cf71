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

QTEST_GUILESS_MAIN(TestMseEstimator)
#include "tst_mseestimator.moc"
