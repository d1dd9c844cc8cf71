// The statistics, error and moment lane kernels (stats/statkernels.h) are built for SSE2, AVX2 and
// AVX-512 and the widest the processor runs is chosen at run time. Every lane does the same IEEE
// operations in every build, so each build must give the same bits: this runs every build this
// processor has through the passes that use the kernels and compares the results bit for bit.
#include "analysis/modelscan.h"
#include "quant/quantizer.h"
#include "quant/valueerror.h"
#include "stats/errorstats.h"
#include "stats/statkernels.h"
#include "stats/tensorstats.h"

#include <QTest>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace qs;

namespace {

// Normal values with a few wide ones, and a length that leaves a ragged last piece and a tail
// shorter than a lane group.
std::vector<float> sampleValues() {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> v(3 * detail::kLaneMaxPiece + 1000 + 13);
    for (float &x : v)
        x = normal(rng);
    for (std::size_t i = 0; i < v.size(); i += 1777)
        v[i] *= 40.0f;
    return v;
}

// Every double of a pass's result as its bits, and every count, in one list to compare.
struct Bits {
    std::vector<std::uint64_t> words;
    void add(double d) { words.push_back(std::bit_cast<std::uint64_t>(d)); }
    void add(std::int64_t n) { words.push_back(std::uint64_t(n)); }
};

Bits runPasses(const std::vector<float> &x) {
    Bits bits;
    RunControl one;
    one.threads = 1;
    const TensorStats stats = *computeStats(x, one);
    for (double d : {stats.min, stats.max, stats.mean, stats.std, stats.sumSquares})
        bits.add(d);
    for (std::int64_t c : stats.histogram.counts)
        bits.add(c);
    QuantSpec spec;
    spec.bits = 4;
    spec.rangeMode = RangeMode::Saturating;
    spec.clipLo = -0.05;
    spec.clipHi = 0.05;
    const QuantParams params = paramsForTensor(spec, stats.min, stats.max);
    const ErrorStats error = *computeError(x, params, stats, one);
    for (double d : {error.mse, error.sqnrDb.value_or(-1.0), error.maxAbsError, error.cosine})
        bits.add(d);
    bits.add(error.clippedCount);
    for (std::int64_t c : error.errorHistogram.counts)
        bits.add(c);
    std::vector<float> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        y[i] = x[i] * 0.99f + 1e-4f;
    const ValueError compared = compareValues(x, y, one);
    for (double d : {compared.mse, compared.sqnrDb.value_or(-1.0), compared.maxAbsError, compared.cosine})
        bits.add(d);
    const ValueMoments moments = *computeMoments(x, one);
    for (double d : {moments.mean, moments.std, moments.rms, moments.kurtosis, moments.maxAbs})
        bits.add(d);
    return bits;
}

} // namespace

class TestStatKernels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyBuildGivesTheSameBits();
    void unknownBuildRefused();
};

void TestStatKernels::everyBuildGivesTheSameBits() {
    const std::vector<float> x = sampleValues();
    const std::vector<std::string> isas = detail::laneKernelIsas();
    QVERIFY(!isas.empty());
    QCOMPARE(isas.front(), std::string("sse2"));
    QVERIFY(detail::setLaneKernelIsa(isas.front()));
    QCOMPARE(std::string(detail::laneKernelIsa()), isas.front());
    const Bits reference = runPasses(x);
    QVERIFY(reference.words.size() > 4096);
    for (std::size_t k = 1; k < isas.size(); ++k) {
        QVERIFY(detail::setLaneKernelIsa(isas[k]));
        QCOMPARE(std::string(detail::laneKernelIsa()), isas[k]);
        const Bits built = runPasses(x);
        QCOMPARE(built.words.size(), reference.words.size());
        for (std::size_t i = 0; i < built.words.size(); ++i)
            QVERIFY2(built.words[i] == reference.words[i],
                     qPrintable(QStringLiteral("%1 differs from sse2 at result word %2")
                                    .arg(QString::fromStdString(isas[k]))
                                    .arg(i)));
    }
    QVERIFY(detail::setLaneKernelIsa({}));
    QCOMPARE(std::string(detail::laneKernelIsa()), isas.back());
    qInfo("builds compared: %zu (widest %s)", isas.size(), isas.back().c_str());
}

void TestStatKernels::unknownBuildRefused() {
    QVERIFY(!detail::setLaneKernelIsa("neon"));
    QVERIFY(detail::setLaneKernelIsa({}));
}

QTEST_GUILESS_MAIN(TestStatKernels)
#include "tst_statkernels.moc"
