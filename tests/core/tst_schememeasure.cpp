#include "exactfloat.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"

#include "schemefixtures.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <random>

using namespace qs;
using qs::test::identical;
using qs::test::schemeOf;

namespace {

// Rows whose spread grows along the tensor, so every group's parameters differ.
std::vector<float> weights(std::int64_t rows, std::int64_t cols) {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> v;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            v.push_back(normal(rng) * 0.01f * (1.0f + 4.0f * float(r) / float(rows)));
    return v;
}

// 300 rows of 512: 153 600 values, three chunks and a short one, whatever the granularity.
const std::vector<std::int64_t> kShape = {300, 512};

RunControl threads(int n) {
    RunControl control;
    control.threads = n;
    return control;
}

} // namespace

// measureScheme quantizes chunk by chunk what quantizeScheme quantizes whole: the same x̂ and
// parameters bit for bit, and the same figures as compareValues up to the order of the sums.
class TestSchemeMeasure : public QObject {
    Q_OBJECT

private slots:
    void sameAsQuantizeScheme_data();
    void sameAsQuantizeScheme();
    void rowsOfOddLength();
    void failsAsQuantizeSchemeFails();
    void cancels();
};

void TestSchemeMeasure::sameAsQuantizeScheme_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<bool>("withNan"); // block types refuse non-finite values
    QTest::addRow("int8 tensor") << schemeOf(NumberFormat::Int) << true;
    QTest::addRow("int4 tensor asym") << schemeOf(NumberFormat::Int, "tensor", 4, Scheme::Asymmetric) << true;
    QuantSpec clipped = schemeOf(NumberFormat::Int, "tensor", 4);
    clipped.rangeMode = RangeMode::Saturating;
    clipped.clipLo = -0.02;
    clipped.clipHi = 0.03;
    QTest::addRow("int4 fixed clip") << clipped << true;
    QuantSpec ratio = schemeOf(NumberFormat::Int, "group:128", 4, Scheme::Asymmetric);
    ratio.clipRatio = 0.8;
    QTest::addRow("int4 g128 ratio") << ratio << true;
    QTest::addRow("int8 channel") << schemeOf(NumberFormat::Int, "channel") << true;
    QTest::addRow("int4 channel:1") << schemeOf(NumberFormat::Int, "channel:1", 4) << true;
    QTest::addRow("int4 g32") << schemeOf(NumberFormat::Int, "group:32", 4) << true;
    QTest::addRow("int4 g100 short") << schemeOf(NumberFormat::Int, "group:100", 4) << true;
    QTest::addRow("int4 block 7x64") << schemeOf(NumberFormat::Int, "block:7x64", 4) << true;
    QTest::addRow("fp8 tensor") << schemeOf(NumberFormat::Fp8E4M3) << true;
    QTest::addRow("fp8 channel") << schemeOf(NumberFormat::Fp8E4M3, "channel") << true;
    QTest::addRow("fp8 e5m2 g128") << schemeOf(NumberFormat::Fp8E5M2, "group:128") << true;
    QTest::addRow("mxfp4") << schemeOf(NumberFormat::MxFp4) << true;
    QTest::addRow("mxfp8") << schemeOf(NumberFormat::MxFp8) << true;
    QTest::addRow("nvfp4") << schemeOf(NumberFormat::NvFp4) << true;
    QTest::addRow("nf4") << schemeOf(NumberFormat::Nf4) << true;
    QTest::addRow("q4_0") << schemeOf(NumberFormat::Q4_0) << false;
    QTest::addRow("q8_0") << schemeOf(NumberFormat::Q8_0) << false;
    QTest::addRow("q4_k") << schemeOf(NumberFormat::Q4_K) << false;
    QTest::addRow("q6_k") << schemeOf(NumberFormat::Q6_K) << false;
}

void TestSchemeMeasure::sameAsQuantizeScheme() {
    QFETCH(QuantSpec, spec);
    QFETCH(bool, withNan);
    std::vector<float> values = weights(kShape[0], kShape[1]);
    if (withNan) {
        values[70'001] = std::numeric_limits<float>::quiet_NaN();
        values[140'000] = -std::numeric_limits<float>::infinity();
    }
    const auto whole = quantizeScheme(values, kShape, spec, threads(1));
    QVERIFY2(whole.ok(), whole.ok() ? "" : whole.error().c_str());
    std::vector<float> dequantized(values.size());
    const auto one = measureScheme(values, kShape, spec, threads(1), dequantized);
    QVERIFY2(one.ok(), one.ok() ? "" : one.error().c_str());
    for (std::size_t i = 0; i < values.size(); ++i)
        QVERIFY2(identical(dequantized[i], whole->dequantized[i]), qPrintable(QString::number(i)));
    QCOMPARE(one->quantization.paramShape, whole->paramShape);
    QCOMPARE(one->quantization.scales.size(), whole->scales.size());
    for (std::size_t g = 0; g < whole->scales.size(); ++g)
        QVERIFY(identical(one->quantization.scales[g], whole->scales[g]));
    QCOMPARE(one->quantization.zeroPoints, whole->zeroPoints);
    QCOMPARE(one->quantization.clipMin, whole->clipMin);
    QCOMPARE(one->quantization.clipMax, whole->clipMax);
    QCOMPARE(one->quantization.bitsPerWeight, whole->bitsPerWeight);
    QVERIFY(one->quantization.dequantized.empty());

    const ValueError reference = compareValues(values, whole->dequantized);
    // The sums agree to float-sum precision: a scheme measured strip by strip (block:7x64) adds
    // its float lanes over other pieces than compareValues' chunks.
    QVERIFY(std::abs(one->error.mse / reference.mse - 1.0) < 1e-8);
    QVERIFY(std::abs(*one->error.sqnrDb - *reference.sqnrDb) < 1e-7);
    QVERIFY(std::abs(one->error.cosine - reference.cosine) < 1e-10);
    QCOMPARE(one->error.maxAbsError, reference.maxAbsError);

    // Two threads, and no x̂ asked for: the same figures exactly.
    const auto two = measureScheme(values, kShape, spec, threads(2));
    QVERIFY(two.ok());
    QCOMPARE(two->error.mse, one->error.mse);
    QCOMPARE(*two->error.sqnrDb, *one->error.sqnrDb);
    QCOMPARE(two->error.cosine, one->error.cosine);
    QCOMPARE(two->error.maxAbsError, one->error.maxAbsError);
    QCOMPARE(two->quantization.scales.size(), one->quantization.scales.size());
}

// Rows longer than a chunk, and a 3-D tensor whose groups run over the product of the inner
// dimensions: still quantizeScheme's results.
void TestSchemeMeasure::rowsOfOddLength() {
    const std::vector<std::int64_t> shape = {3, 5, 20'000};
    const std::vector<float> values = weights(15, 20'000);
    for (const QuantSpec &spec : {schemeOf(NumberFormat::Int, "group:128", 4), schemeOf(NumberFormat::Q4_0),
                                  schemeOf(NumberFormat::Int, "channel", 4), schemeOf(NumberFormat::Nf4)}) {
        const auto whole = quantizeScheme(values, shape, spec);
        QVERIFY(whole.ok());
        std::vector<float> dequantized(values.size());
        const auto measured = measureScheme(values, shape, spec, threads(2), dequantized);
        QVERIFY(measured.ok());
        QVERIFY(std::equal(dequantized.begin(), dequantized.end(), whole->dequantized.begin(),
                           [](float a, float b) { return identical(a, b); }));
        QCOMPARE(measured->quantization.scales.size(), whole->scales.size());
    }
}

void TestSchemeMeasure::failsAsQuantizeSchemeFails() {
    std::vector<float> values = weights(kShape[0], kShape[1]);
    values[100'000] = std::numeric_limits<float>::quiet_NaN();
    const QuantSpec q4k = schemeOf(NumberFormat::Q4_K);
    const auto whole = quantizeScheme(values, kShape, q4k);
    const auto measured = measureScheme(values, kShape, q4k, threads(2));
    QVERIFY(!whole.ok());
    QVERIFY(!measured.ok());
    QCOMPARE(measured.error(), whole.error());
    const auto shape = measureScheme(std::vector<float>(300), {3, 100}, schemeOf(NumberFormat::Q4_0));
    QVERIFY(!shape.ok());
    QVERIFY(QString::fromStdString(shape.error()).contains("row length 100"));
    QVERIFY(!measureScheme(std::vector<float>(10), {3, 4}, schemeOf(NumberFormat::Int)).ok());
}

void TestSchemeMeasure::cancels() {
    const std::vector<float> values = weights(kShape[0], kShape[1]);
    RunControl control;
    control.isCanceled = [] { return true; };
    const auto measured = measureScheme(values, kShape, schemeOf(NumberFormat::Int, "group:32", 4), control);
    QVERIFY(!measured.ok());
    QCOMPARE(measured.error(), std::string("cancelled"));
}

QTEST_GUILESS_MAIN(TestSchemeMeasure)
#include "tst_schememeasure.moc"
