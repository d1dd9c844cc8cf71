#include "quant/quantizer.h"
#include "quant/schemequant.h"
#include "stats/errorstats.h"
#include "stats/statsanderror.h"
#include "stats/tensorstats.h"
#include "util/parallel.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace qs;

Q_DECLARE_METATYPE(qs::QuantSpec)
Q_DECLARE_METATYPE(std::vector<float>)

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

QuantSpec makeSpec(int bits, Scheme scheme) {
    QuantSpec spec;
    spec.bits = bits;
    spec.scheme = scheme;
    return spec;
}

QuantSpec saturating(QuantSpec spec, double lo, double hi) {
    spec.rangeMode = RangeMode::Saturating;
    spec.clipLo = lo;
    spec.clipHi = hi;
    return spec;
}

TensorStats statsOf(const std::vector<float> &values) {
    return computeStats(values).value();
}

ErrorStats errorAt(const std::vector<float> &values, const QuantParams &p, int threads) {
    RunControl control;
    control.threads = threads;
    return computeError(values, p, statsOf(values), control).value();
}

bool sameBits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

bool identical(const ErrorStats &a, const ErrorStats &b) {
    return sameBits(a.mse, b.mse) && a.sqnrDb.has_value() == b.sqnrDb.has_value() &&
           (!a.sqnrDb || sameBits(*a.sqnrDb, *b.sqnrDb)) && sameBits(a.maxAbsError, b.maxAbsError) &&
           sameBits(a.cosine, b.cosine) && a.clippedCount == b.clippedCount &&
           sameBits(a.clippedFraction, b.clippedFraction) &&
           sameBits(a.errorHistogram.lo, b.errorHistogram.lo) &&
           a.errorHistogram.counts == b.errorHistogram.counts;
}

// The obvious per-value computation in double.
struct Reference {
    double mse = 0.0;
    double sqnrDb = 0.0;
    double maxAbsError = 0.0;
    double cosine = 0.0;
    std::int64_t clipped = 0;
};

Reference reference(const std::vector<float> &values, const QuantParams &p) {
    Reference r;
    double errors = 0.0;
    double signal = 0.0;
    double products = 0.0;
    double dequantizedSignal = 0.0;
    std::int64_t n = 0;
    for (float x : values) {
        if (!std::isfinite(x))
            continue;
        const double dequantized = fakeQuantize(x, p);
        const double e = double(x) - dequantized;
        errors += e * e;
        signal += double(x) * double(x);
        products += double(x) * dequantized;
        dequantizedSignal += dequantized * dequantized;
        r.maxAbsError = std::max(r.maxAbsError, std::abs(e));
        r.clipped += (x < p.clipMin || x > p.clipMax) ? 1 : 0;
        ++n;
    }
    r.mse = errors / double(n);
    r.sqnrDb = 10.0 * std::log10(signal / errors);
    r.cosine = products / std::sqrt(signal * dequantizedSignal);
    return r;
}

std::vector<float> laplaceValues(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::exponential_distribution<float> magnitude(30.0f);
    std::bernoulli_distribution sign(0.5);
    std::vector<float> values(n);
    for (float &v : values)
        v = sign(rng) ? magnitude(rng) : -magnitude(rng);
    return values;
}

bool close(double a, double b, double relative) {
    return std::abs(a - b) <= relative * std::max(std::abs(a), std::abs(b));
}

} // namespace

class TestErrorStats : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handComputed_data();
    void handComputed();
    void matchesReferenceAtAnyThreadCount_data();
    void matchesReferenceAtAnyThreadCount();
    void matchesCompareValuesBitForBit_data();
    void matchesCompareValuesBitForBit();
    void exactQuantizationHasNoSqnr_data();
    void exactQuantizationHasNoSqnr();
    void nonFiniteValuesAreSkipped();
    void histogramCoversEveryError();
    void hugeFiniteValuesAreCounted();
    void cancelReturnsNullopt();
    void oneReadEqualsBothPasses_data();
    void oneReadEqualsBothPasses();
    void oneReadCancelReturnsNullopt();
};

void TestErrorStats::handComputed_data() {
    QTest::addColumn<std::vector<float>>("values");
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    QTest::addColumn<double>("mse");
    QTest::addColumn<double>("sqnrDb");
    QTest::addColumn<double>("maxAbsError");
    QTest::addColumn<double>("cosine");
    QTest::addColumn<qint64>("clipped");
    // Asymmetric 2 bits on [0, 3]: scale 1, z 0, codes 0..3. 0 -> 0, 0.3 -> 0, 1 -> 1,
    // -2 -> clamped to 0. Errors 0, 0.3, 0, -2: Σe² = 0.09 + 4 = 4.09, mse = 4.09 / 4;
    // Σx² = 0.09 + 1 + 4 = 5.09, SQNR = 10·log10(5.09 / 4.09); -2 lies below clip_min 0.
    // x̂ = {0, 0, 1, 0}: Σx·x̂ = 1, Σx̂² = 1, cosine = 1 / √5.09.
    QTest::addRow("asym 2 bits") << std::vector<float>{0.0f, 0.3f, 1.0f, -2.0f}
                                 << makeSpec(2, Scheme::Asymmetric) << 0.0 << 3.0 << 4.09 / 4.0
                                 << 10.0 * std::log10(5.09 / 4.09) << 2.0 << 1.0 / std::sqrt(5.09)
                                 << qint64(1);
    // Symmetric 8 bits on ±63.75: scale = 63.75 / 127.5 = 0.5. 0.3 -> 0.6 -> 1 -> 0.5 (e -0.2),
    // 1 -> 2 -> 1, -2 -> -4 -> -2, 70 -> 140 -> clamped 127 -> 63.5 (e 6.5), 0 -> 0.
    // Σe² = 0.04 + 42.25 = 42.29 over 5 values; Σx² = 0.09 + 1 + 4 + 4900 = 4905.09.
    // Σx·x̂ = 0.15 + 1 + 4 + 4445 = 4450.15; Σx̂² = 0.25 + 1 + 4 + 4032.25 = 4037.5.
    QTest::addRow("sym 8 bits with outlier")
        << std::vector<float>{0.0f, 0.3f, 1.0f, -2.0f, 70.0f} << makeSpec(8, Scheme::Symmetric) << -63.75
        << 63.75 << 42.29 / 5.0 << 10.0 * std::log10(4905.09 / 42.29) << 6.5
        << 4450.15 / std::sqrt(4905.09 * 4037.5) << qint64(1);
}

void TestErrorStats::handComputed() {
    QFETCH(std::vector<float>, values);
    QFETCH(QuantSpec, spec);
    QFETCH(double, lo);
    QFETCH(double, hi);
    QFETCH(double, mse);
    QFETCH(double, sqnrDb);
    QFETCH(double, maxAbsError);
    QFETCH(double, cosine);
    QFETCH(qint64, clipped);
    const QuantParams p = computeParams(spec, lo, hi);
    const ErrorStats e = errorAt(values, p, 2);
    // float32 inputs (0.3f is not 0.3): agreement to 1e-6 relative.
    QVERIFY2(close(e.mse, mse, 1e-6), qPrintable(QString::number(e.mse, 'g', 17)));
    QVERIFY(e.sqnrDb.has_value());
    QVERIFY2(close(*e.sqnrDb, sqnrDb, 1e-6), qPrintable(QString::number(*e.sqnrDb, 'g', 17)));
    QVERIFY(close(e.maxAbsError, maxAbsError, 1e-6));
    QVERIFY2(close(e.cosine, cosine, 1e-6), qPrintable(QString::number(e.cosine, 'g', 17)));
    QCOMPARE(e.clippedCount, clipped);
    QCOMPARE(e.clippedFraction, double(clipped) / double(values.size()));
    QCOMPARE(e.errorHistogram.total(), qint64(values.size()));
}

void TestErrorStats::matchesReferenceAtAnyThreadCount_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<qsizetype>("size");
    QTest::addRow("sym 8 full range") << makeSpec(8, Scheme::Symmetric) << qsizetype(3 * kChunkSize + 11);
    QTest::addRow("asym 4 full range") << makeSpec(4, Scheme::Asymmetric) << qsizetype(2 * kChunkSize + 1);
    QTest::addRow("sym 4 clipped") << saturating(makeSpec(4, Scheme::Symmetric), -0.05, 0.05)
                                   << qsizetype(5 * kChunkSize + 7);
    QTest::addRow("asym 8 clipped") << saturating(makeSpec(8, Scheme::Asymmetric), -0.02, 0.1)
                                    << qsizetype(kChunkSize - 3);
    QTest::addRow("sym 16") << makeSpec(16, Scheme::Symmetric) << qsizetype(kChunkSize + 1000);
}

void TestErrorStats::matchesReferenceAtAnyThreadCount() {
    QFETCH(QuantSpec, spec);
    QFETCH(qsizetype, size);
    const std::vector<float> values = laplaceValues(std::size_t(size), 3);
    const TensorStats stats = statsOf(values);
    const QuantParams p = paramsForTensor(spec, stats.min, stats.max);
    const ErrorStats one = errorAt(values, p, 1);
    QVERIFY(identical(one, errorAt(values, p, 2)));
    QVERIFY(identical(one, errorAt(values, p, 8)));

    const Reference ref = reference(values, p);
    // The sums run in sixteen float lanes of 4 values each and in double across them
    // (compareValues' sums): float precision against the reference's value-by-value double sums.
    QVERIFY2(close(one.mse, ref.mse, 1e-6), qPrintable(QStringLiteral("%1 vs %2").arg(one.mse).arg(ref.mse)));
    QVERIFY(close(*one.sqnrDb, ref.sqnrDb, 1e-6));
    QVERIFY(close(one.maxAbsError, ref.maxAbsError, 1e-7)); // x - x̂ is taken in float
    QVERIFY(close(one.cosine, ref.cosine, 1e-6));
    // Below 1 where float sums can tell (at 16 bits 1 - cosine is about 1e-10, below their
    // precision), and never above it.
    QVERIFY(one.cosine <= 1.0);
    if (p.bits <= 8)
        QVERIFY(one.cosine < 1.0);
    // Clipping is decided exactly, value by value.
    QCOMPARE(one.clippedCount, ref.clipped);
    QCOMPARE(one.clippedFraction, double(ref.clipped) / double(values.size()));
    if (spec.rangeMode == RangeMode::Saturating)
        QVERIFY(one.clippedCount > 0);
    QCOMPARE(one.errorHistogram.total(), qint64(values.size()));
}

void TestErrorStats::matchesCompareValuesBitForBit_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<bool>("withSpecials");
    QTest::addRow("sym 8") << makeSpec(8, Scheme::Symmetric) << qsizetype(5000) << false;
    QTest::addRow("asym 3, NaN and Inf") << makeSpec(3, Scheme::Asymmetric) << qsizetype(3001) << true;
    QTest::addRow("sym 4 clipped") << saturating(makeSpec(4, Scheme::Symmetric), -0.02, 0.03)
                                   << qsizetype(kChunkSize) << false;
    QTest::addRow("asym 8, three chunks, NaN")
        << makeSpec(8, Scheme::Asymmetric) << qsizetype(2 * kChunkSize + 777) << true;
}

// The exact pass and compareValues (compare's figures) sum the same terms in the same blocks and
// chunks: a per-tensor analyze and compare's row print the same numbers.
void TestErrorStats::matchesCompareValuesBitForBit() {
    QFETCH(QuantSpec, spec);
    QFETCH(qsizetype, size);
    QFETCH(bool, withSpecials);
    std::vector<float> values = laplaceValues(std::size_t(size), 11);
    if (withSpecials) {
        values[7] = kNaN;
        values[1500] = kInf;
        values.back() = -kInf;
    }
    const TensorStats stats = statsOf(values);
    const QuantParams p = paramsForTensor(spec, stats.min, stats.max);
    std::vector<float> dequantized(values.size());
    fakeQuantize(values, dequantized, p);
    const ValueError expected = compareValues(values, dequantized);
    const ErrorStats e = errorAt(values, p, 2);
    QVERIFY2(sameBits(e.mse, expected.mse),
             qPrintable(QStringLiteral("%1 vs %2").arg(e.mse).arg(expected.mse)));
    QVERIFY(e.sqnrDb && expected.sqnrDb && sameBits(*e.sqnrDb, *expected.sqnrDb));
    QVERIFY(sameBits(e.maxAbsError, expected.maxAbsError));
    QVERIFY(sameBits(e.cosine, expected.cosine));
}

void TestErrorStats::exactQuantizationHasNoSqnr_data() {
    QTest::addColumn<std::vector<float>>("values");
    QTest::addColumn<double>("amax");
    // Every value on the grid of scale 0.5 (symmetric 8 bits over ±63.75): no error at all.
    QTest::addRow("on the grid") << std::vector<float>{0.0f, 0.5f, -1.0f, 63.5f, -5.0f} << 63.75;
    // All zero: scale floored at epsilon, zero maps to zero.
    QTest::addRow("all zero") << std::vector<float>(1000, 0.0f) << 0.0;
}

void TestErrorStats::exactQuantizationHasNoSqnr() {
    QFETCH(std::vector<float>, values);
    QFETCH(double, amax);
    const QuantParams p = computeParams(makeSpec(8, Scheme::Symmetric), -amax, amax);
    const ErrorStats e = errorAt(values, p, 2);
    QCOMPARE(e.mse, 0.0);
    QVERIFY(!e.sqnrDb.has_value());
    QCOMPARE(e.maxAbsError, 0.0);
    QCOMPARE(e.cosine, 1.0); // x̂ = x; all zero counts as parallel, as compareValues has it
    QCOMPARE(e.clippedCount, qint64(0));
}

void TestErrorStats::nonFiniteValuesAreSkipped() {
    std::vector<float> finite = laplaceValues(kChunkSize + 500, 5);
    std::vector<float> mixed = finite;
    mixed.insert(mixed.begin() + 10, kNaN);
    mixed.insert(mixed.begin() + 2000, kInf);
    mixed.push_back(-kInf);
    const QuantSpec spec = makeSpec(8, Scheme::Asymmetric);
    const TensorStats stats = statsOf(finite);
    const QuantParams p = paramsForTensor(spec, stats.min, stats.max);
    const ErrorStats clean = errorAt(finite, p, 2);
    const ErrorStats withSpecials = errorAt(mixed, p, 2);
    QVERIFY(close(withSpecials.mse, clean.mse, 1e-6));
    QCOMPARE(withSpecials.maxAbsError, clean.maxAbsError);
    QVERIFY(close(withSpecials.cosine, clean.cosine, 1e-6));
    QCOMPARE(withSpecials.clippedCount, clean.clippedCount);
    QVERIFY(close(*withSpecials.sqnrDb, *clean.sqnrDb, 1e-6));
    QCOMPARE(withSpecials.errorHistogram.total(), qint64(finite.size()));
}

void TestErrorStats::histogramCoversEveryError() {
    const std::vector<float> values = laplaceValues(100'000, 9);
    const TensorStats stats = statsOf(values);
    for (const QuantSpec &spec :
         {makeSpec(8, Scheme::Symmetric), saturating(makeSpec(4, Scheme::Asymmetric), -0.01, 0.03)}) {
        const QuantParams p = paramsForTensor(spec, stats.min, stats.max);
        const ErrorStats e = errorAt(values, p, 2);
        const Histogram &h = e.errorHistogram;
        QCOMPARE(h.lo, -h.hi);
        QCOMPARE(h.bins(), std::size_t(512));
        // No error reaches past the histogram, and the histogram is not needlessly wide:
        // non-saturating errors are at most s/2, clipped ones at most the distance to the range.
        QVERIFY(e.maxAbsError <= h.hi);
        QVERIFY(h.hi <= 1.01 * std::max(0.5 * p.scale, e.maxAbsError + 0.5 * p.scale));
        QCOMPARE(h.total(), qint64(values.size()));
        // Errors lie on both sides of zero.
        qint64 negative = 0;
        for (std::size_t i = 0; i < h.bins() / 2; ++i)
            negative += h.counts[i];
        QVERIFY(negative > 0 && negative < h.total());
    }
}

void TestErrorStats::hugeFiniteValuesAreCounted() {
    // x² overflows float32 for |x| > 1.8e19: such values are finite and must be counted, not
    // mistaken for Inf. Symmetric 8 bits over ±3e38: scale s = 3e38 / 127.5, so 1 and -2 map
    // to 0 and 3e38 = 127.5·s to 127·s, an error of s/2 (about 1.18e36), the largest.
    std::vector<float> values(3000, 1.0f);
    values[5] = 3e38f;
    values[2500] = -2.0f;
    const TensorStats stats = statsOf(values);
    QCOMPARE(stats.count, qint64(3000));
    const QuantParams p = paramsForTensor(makeSpec(8, Scheme::Symmetric), stats.min, stats.max);
    const ErrorStats e = errorAt(values, p, 2);
    QCOMPARE(e.errorHistogram.total(), qint64(3000));
    // x̂ = 127·s is rounded to float (one ulp of 3e38 is 2e31, 2e-5 of the error).
    QVERIFY(close(e.maxAbsError, 0.5 * double(p.scale), 1e-4));
    QVERIFY(std::isfinite(e.mse) && e.mse > 0.0);
}

void TestErrorStats::cancelReturnsNullopt() {
    const std::vector<float> values = laplaceValues(4 * kChunkSize, 1);
    const TensorStats stats = statsOf(values);
    RunControl control;
    control.isCanceled = [] { return true; };
    QVERIFY(!computeError(values, paramsForTensor(QuantSpec{}, stats.min, stats.max), stats, control)
                 .has_value());
}

void TestErrorStats::oneReadEqualsBothPasses_data() {
    QTest::addColumn<std::vector<float>>("values");
    QTest::addColumn<QuantSpec>("spec");
    // Several chunks, a ragged last piece and a tail shorter than a lane group.
    const std::vector<float> laplace = laplaceValues(3 * kChunkSize + 4096 + 13, 5);
    QTest::addRow("sym 8") << laplace << makeSpec(8, Scheme::Symmetric);
    QTest::addRow("asym 4 clipped") << laplace << saturating(makeSpec(4, Scheme::Asymmetric), -0.02, 0.03);
    // Chunks with a NaN or an Inf take the careful path in both passes; the others the kernels.
    std::vector<float> nonFinite = laplace;
    nonFinite[kChunkSize + 17] = kNaN;
    nonFinite[2 * kChunkSize + 4096 * 3 + 1] = -kInf;
    QTest::addRow("nan and inf") << nonFinite << saturating(makeSpec(4, Scheme::Symmetric), -0.05, 0.05);
    // x² overflows float in one piece: its float sums are taken again in double.
    std::vector<float> huge = laplace;
    for (std::size_t i = 5000; i < 5100; ++i)
        huge[i] = 3e30f;
    QTest::addRow("float sums overflow") << huge << makeSpec(8, Scheme::Symmetric);
    QTest::addRow("constant") << std::vector<float>(kChunkSize + 5, 0.25f) << makeSpec(8, Scheme::Asymmetric);
    // No finite value: no second pass to ride, the error pass runs alone.
    QTest::addRow("all nan") << std::vector<float>(1000, kNaN) << makeSpec(8, Scheme::Symmetric);
    QTest::addRow("empty") << std::vector<float>{} << makeSpec(4, Scheme::Asymmetric);
}

// computeStatsAndError reads each value twice instead of three times; its statistics and error
// must be computeStats' and computeError's to the bit and the count.
void TestErrorStats::oneReadEqualsBothPasses() {
    QFETCH(std::vector<float>, values);
    QFETCH(QuantSpec, spec);
    const TensorStats stats = statsOf(values);
    const QuantParams params = paramsForTensor(spec, stats.min, stats.max);
    for (int bins : {512, 0}) {
        RunControl one;
        one.threads = 1;
        const ErrorStats error = *computeError(values, params, stats, one, bins);
        for (int threads : {1, 2, 3}) {
            RunControl control;
            control.threads = threads;
            int calls = 0;
            const auto both = computeStatsAndError(
                values,
                [&](const TensorStats &scanned) {
                    ++calls;
                    return paramsForTensor(spec, scanned.min, scanned.max);
                },
                control, kFineBins, bins);
            QVERIFY(both.has_value());
            QCOMPARE(calls, 1);
            const TensorStats &s = both->stats;
            const QString where = QStringLiteral("%1 threads, %2 error bins").arg(threads).arg(bins);
            QVERIFY2(s.count == stats.count && s.nanCount == stats.nanCount && s.infCount == stats.infCount &&
                         sameBits(s.min, stats.min) && sameBits(s.max, stats.max) &&
                         sameBits(s.mean, stats.mean) && sameBits(s.std, stats.std) &&
                         sameBits(s.sumSquares, stats.sumSquares) &&
                         sameBits(s.histogram.lo, stats.histogram.lo) &&
                         sameBits(s.histogram.hi, stats.histogram.hi) &&
                         s.histogram.counts == stats.histogram.counts &&
                         s.distinctValues == stats.distinctValues,
                     qPrintable(where));
            QVERIFY2(identical(both->error, error), qPrintable(where));
            QCOMPARE(both->error.errorHistogram.counts.size(), std::size_t(bins));
        }
    }
}

void TestErrorStats::oneReadCancelReturnsNullopt() {
    const std::vector<float> values = laplaceValues(4 * kChunkSize, 1);
    RunControl control;
    control.isCanceled = [] { return true; };
    QVERIFY(
        !computeStatsAndError(
             values, [](const TensorStats &s) { return paramsForTensor(QuantSpec{}, s.min, s.max); }, control)
             .has_value());
}

QTEST_GUILESS_MAIN(TestErrorStats)
#include "tst_errorstats.moc"
