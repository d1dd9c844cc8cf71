#include "quant/valueerror.h"
#include "stats/weightederror.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace qs;

namespace {

struct Pair {
    std::vector<float> x;
    std::vector<float> xHat;
};

// x normal, x̂ x plus a small error of its own, both reproducible.
Pair randomPair(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> value(0.0f, 1.0f);
    std::normal_distribution<float> error(0.0f, 0.01f);
    Pair p;
    for (std::size_t i = 0; i < n; ++i) {
        p.x.push_back(value(rng));
        p.xHat.push_back(p.x.back() + error(rng));
    }
    return p;
}

std::vector<float> randomWeights(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> weight(0.0f, 5.0f);
    std::vector<float> w(n);
    for (float &v : w)
        v = weight(rng);
    return w;
}

bool sameBits(std::span<const double> a, std::span<const double> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

} // namespace

class TestWeightedError : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handComputed();
    void expertsHandComputed();
    void uniformWeightsGivePlainMse();
    void nonFiniteXSkipped();
    void sameBitsAnyChunkingAndThreads();
    void edgeCases();
    void sizeErrors();
};

void TestWeightedError::handComputed() {
    // x = [[1, 2, 3], [4, 5, 6]], x̂ = [[1, 1, 1], [4, 4, 7]]: errors [[0, 1, 2], [0, 1, -1]],
    // column sums S = [0, 2, 5]. With w = [1, 2, 3]: Σ w S = 0 + 4 + 15 = 19 and
    // rows · Σ w = 2 · 6 = 12, so the weighted MSE is 19 / 12.
    const std::vector<float> x{1, 2, 3, 4, 5, 6};
    const std::vector<float> xHat{1, 1, 1, 4, 4, 7};
    const std::vector<float> w{1, 2, 3};
    const auto mse = weightedMse(x, xHat, w, 3);
    QVERIFY2(mse, mse.error().c_str());
    QCOMPARE(mse.value(), 19.0 / 12.0);
    ColumnErrorSums sums(3);
    QVERIFY(sums.addRows(x, xHat));
    QCOMPARE(std::vector<double>(sums.sums().begin(), sums.sums().end()), (std::vector<double>{0, 2, 5}));
    QCOMPARE(sums.rows(0), std::int64_t(2));
    QCOMPARE(weightedMse(sums, w), 19.0 / 12.0);
}

void TestWeightedError::expertsHandComputed() {
    // Two experts of 2 rows × 2 columns. Expert 0: errors [[1, 0], [1, 0]] -> S0 = [2, 0];
    // expert 1: errors [[0, 2], [0, 0]] -> S1 = [0, 4]. Weights w0 = [1, 1], w1 = [0, 3]:
    // Σ w S = 1·2 + 1·0 + 0·0 + 3·4 = 14, Σ w · rows = 2 · (1 + 1 + 0 + 3) = 10 -> 1.4.
    const std::vector<float> x{1, 0, 1, 0, /* expert 1 */ 0, 2, 0, 0};
    const std::vector<float> xHat(8, 0.0f);
    const std::vector<float> w{1, 1, 0, 3};
    const auto mse = weightedMse(x, xHat, w, 2);
    QVERIFY2(mse, mse.error().c_str());
    QCOMPARE(mse.value(), 14.0 / 10.0);
    // The same through the accumulator, one expert's rows at a time, in either order.
    ColumnErrorSums sums(2, 2);
    QVERIFY(sums.addRows(std::span(x).subspan(4), std::span(xHat).subspan(4), 1));
    QVERIFY(sums.addRows(std::span(x).first(4), std::span(xHat).first(4), 0));
    QCOMPARE(std::vector<double>(sums.sums().begin(), sums.sums().end()), (std::vector<double>{2, 0, 0, 4}));
    QCOMPARE(weightedMse(sums, w), 1.4);
}

void TestWeightedError::uniformWeightsGivePlainMse() {
    // Equal weights reduce Σ w S / (rows Σ w) to Σ S / (rows · columns), the plain MSE.
    const Pair p = randomPair(50 * 70, 1);
    const auto mse = weightedMse(p.x, p.xHat, std::vector<float>(70, 2.5f), 70);
    QVERIFY(mse);
    const double plain = compareValues(p.x, p.xHat).mse;
    QVERIFY2(std::abs(mse.value() - plain) <= 1e-6 * plain,
             qPrintable(QStringLiteral("%1 vs %2").arg(mse.value(), 0, 'g', 17).arg(plain, 0, 'g', 17)));
}

void TestWeightedError::nonFiniteXSkipped() {
    // x = [[NaN, 1], [2, 3]], x̂ = 0: column 0 counts one row (S = 4), column 1 two (S = 1 + 9).
    // w = [1, 1]: (4 + 10) / (1 + 2) = 14 / 3, compareValues' MSE over the finite x.
    const std::vector<float> x{std::nanf(""), 1, 2, 3};
    const std::vector<float> xHat(4, 0.0f);
    ColumnErrorSums sums(2);
    QVERIFY(sums.addRows(x, xHat));
    QCOMPARE(sums.counted(0, 0), std::int64_t(1));
    QCOMPARE(sums.counted(0, 1), std::int64_t(2));
    QCOMPARE(weightedMse(sums, std::vector<float>{1, 1}), 14.0 / 3.0);
    QCOMPARE(compareValues(x, xHat).mse, 14.0 / 3.0);
    // An infinite error in a column of weight 0 does not matter.
    const std::vector<float> infiniteHat{std::numeric_limits<float>::infinity(), 0, 0, 0};
    const auto mse = weightedMse(std::vector<float>{1, 1, 2, 3}, infiniteHat, std::vector<float>{0, 1}, 2);
    QVERIFY(mse);
    QCOMPARE(mse.value(), 10.0 / 2.0);
}

void TestWeightedError::sameBitsAnyChunkingAndThreads() {
    // 300 columns span two column blocks of 256; row 7 has a NaN so one segment takes the
    // value-by-value path.
    constexpr std::size_t kRows = 37;
    constexpr std::size_t kColumns = 300;
    Pair p = randomPair(kRows * kColumns, 2);
    p.x[7 * kColumns + 260] = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> w = randomWeights(kColumns, 3);
    ColumnErrorSums whole(kColumns);
    RunControl one;
    one.threads = 1;
    QVERIFY(whole.addRows(p.x, p.xHat, 0, one));
    for (const std::size_t chunkRows : {std::size_t(1), std::size_t(5), std::size_t(16)}) {
        for (const int threads : {1, 2, 8}) {
            RunControl control;
            control.threads = threads;
            ColumnErrorSums chunked(kColumns);
            for (std::size_t r = 0; r < kRows; r += chunkRows) {
                const std::size_t n = std::min(chunkRows, kRows - r) * kColumns;
                QVERIFY(chunked.addRows(std::span(p.x).subspan(r * kColumns, n),
                                        std::span(p.xHat).subspan(r * kColumns, n), 0, control));
            }
            QVERIFY2(
                sameBits(whole.sums(), chunked.sums()),
                qPrintable(QStringLiteral("chunks of %1 rows on %2 threads").arg(chunkRows).arg(threads)));
            QCOMPARE(weightedMse(chunked, w), weightedMse(whole, w));
        }
    }
    QCOMPARE(whole.counted(0, 260), std::int64_t(kRows - 1));
    const auto direct = weightedMse(p.x, p.xHat, w, kColumns, one);
    QVERIFY(direct);
    QCOMPARE(direct.value(), weightedMse(whole, w));
}

void TestWeightedError::edgeCases() {
    // Nothing to weigh gives 0, as compareValues gives for an empty tensor.
    ColumnErrorSums empty(4);
    QVERIFY(empty.addRows({}, {}));
    QCOMPARE(weightedMse(empty, std::vector<float>(4, 1.0f)), 0.0);
    const auto zeroWeights =
        weightedMse(std::vector<float>{1, 2}, std::vector<float>{0, 0}, std::vector<float>{0, 0}, 2);
    QVERIFY(zeroWeights);
    QCOMPARE(zeroWeights.value(), 0.0);
    // Weights of the wrong length give NaN.
    QVERIFY(std::isnan(weightedMse(empty, std::vector<float>(3, 1.0f))));
    // Cancelled before any work.
    RunControl cancelled;
    cancelled.isCanceled = [] { return true; };
    const auto stopped = weightedMse(std::vector<float>{1, 2}, std::vector<float>{0, 0},
                                     std::vector<float>{1, 1}, 2, cancelled);
    QVERIFY(!stopped);
    QCOMPARE(stopped.error(), std::string("cancelled"));
}

void TestWeightedError::sizeErrors() {
    const std::vector<float> six(6, 1.0f);
    ColumnErrorSums sums(4, 2);
    QVERIFY(!sums.addRows(six, six));                                            // not whole rows of 4
    QVERIFY(!sums.addRows(std::span(six).first(4), std::span(six).first(3)));    // x and x̂ differ
    QVERIFY(!sums.addRows(std::span(six).first(4), std::span(six).first(4), 2)); // no expert 2
    QVERIFY(!sums.addRows(std::span(six).first(4), std::span(six).first(4), -1));
    QCOMPARE(sums.rows(0), std::int64_t(0));
    QVERIFY(!weightedMse(six, six, std::vector<float>(4, 1.0f), 3)); // weights not rows of 3
    QVERIFY(
        !weightedMse(six, six, std::vector<float>(4, 1.0f), 2)); // 6 values: not 2 equal slices of rows of 2
    QVERIFY(!weightedMse(six, std::vector<float>(5, 1.0f), std::vector<float>(3, 1.0f), 3));
    QVERIFY(!weightedMse(six, six, {}, 3));
    QVERIFY(!weightedMse(six, six, std::vector<float>(3, 1.0f), 0));
}

QTEST_GUILESS_MAIN(TestWeightedError)
#include "tst_weightederror.moc"
