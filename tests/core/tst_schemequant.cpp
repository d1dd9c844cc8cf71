#include "analysis/schemecomparison.h"
#include "io/ggmlblocks.h"
#include "quant/blocklayout.h"
#include "quant/ggmlencode.h"
#include "quant/groupquant.h"
#include "quant/minifloat.h"
#include "quant/schemequant.h"

#include "schemefixtures.h"

#include <QTest>

#include <limits>

#include <cmath>
#include <random>

using namespace qs;
using qs::test::schemeOf;

namespace {

// Weight-like rows: a normal bulk whose spread grows tenfold from the first row to the last, so
// per-channel scales matter.
std::vector<float> weights(std::int64_t rows, std::int64_t cols, unsigned seed = 3) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> v;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            v.push_back(normal(rng) * 0.01f * (1.0f + 9.0f * float(r) / float(rows)));
    return v;
}

} // namespace

// One entry point for every format and granularity: parameters, bits per weight, usage errors.
class TestSchemeQuant : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bitsPerWeight_data();
    void bitsPerWeight();
    void usageErrors_data();
    void usageErrors();
    void methodCombinations_data();
    void methodCombinations();
    void parsesMethods();
    void intChannelMatchesGroupParams();
    void channelsBeatTensorOnUnevenRows();
    void fp8PerChannelScalesEachRow();
    void nvfp4ReportsEffectiveScales();
    void compareByHand();
    void compareSameAtAnyThreadCount();
    void ggmlDecodesWhatItEncodes();
    void comparisonSameAtAnyThreadCount();
};

void TestSchemeQuant::bitsPerWeight_data() {
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<int>("bits");
    QTest::addColumn<bool>("asymmetric");
    QTest::addColumn<double>("expected");
    // Element bits + an F16 scale per group (+ a b-bit zero point when asymmetric); per tensor
    // the parameters are free. The tensor is [4, 256].
    QTest::addRow("int8 per tensor") << int(NumberFormat::Int) << "tensor" << 8 << false << 8.0;
    QTest::addRow("int8 per channel") << int(NumberFormat::Int) << "channel" << 8 << false << 8 + 16 / 256.0;
    QTest::addRow("int4 g128 symmetric") << int(NumberFormat::Int) << "group:128" << 4 << false << 4.125;
    QTest::addRow("int4 g128 asymmetric")
        << int(NumberFormat::Int) << "group:128" << 4 << true << 4 + 20 / 128.0;
    QTest::addRow("fp8 per tensor") << int(NumberFormat::Fp8E4M3) << "tensor" << 8 << false << 8.0;
    QTest::addRow("fp8 per channel") << int(NumberFormat::Fp8E4M3) << "channel" << 8 << false
                                     << 8 + 16 / 256.0;
    // Fixed by the format: an 8-bit shared scale per 32 (MX) or 16 (NVFP4) values, a float32
    // absmax per 64 (NF4).
    QTest::addRow("mxfp4") << int(NumberFormat::MxFp4) << "tensor" << 8 << false << 4.25;
    QTest::addRow("nvfp4") << int(NumberFormat::NvFp4) << "tensor" << 8 << false << 4.5;
    QTest::addRow("nf4") << int(NumberFormat::Nf4) << "tensor" << 8 << false << 4.5;
    // ggml's own figures: block bytes · 8 / block values (Q4_K 144 / 256, Q6_K 210 / 256).
    QTest::addRow("q4_k") << int(NumberFormat::Q4_K) << "tensor" << 8 << false << 4.5;
    QTest::addRow("q6_k") << int(NumberFormat::Q6_K) << "tensor" << 8 << false << 6.5625;
    QTest::addRow("q8_0") << int(NumberFormat::Q8_0) << "tensor" << 8 << false << 8.5;
}

void TestSchemeQuant::bitsPerWeight() {
    QFETCH(int, format);
    QFETCH(QString, granularity);
    QFETCH(int, bits);
    QFETCH(bool, asymmetric);
    QFETCH(double, expected);
    const QuantSpec spec = schemeOf(NumberFormat(format), qPrintable(granularity), bits,
                                    asymmetric ? Scheme::Asymmetric : Scheme::Symmetric);
    QCOMPARE(schemeBitsPerWeight(spec, {4, 256}), expected);
    const auto quantized = quantizeScheme(weights(4, 256), {4, 256}, spec);
    QVERIFY2(quantized.ok(), quantized.error().c_str());
    QCOMPARE(quantized->bitsPerWeight, expected);
}

void TestSchemeQuant::usageErrors_data() {
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<double>("ratio");
    QTest::addColumn<QString>("says");
    QTest::addRow("group on mxfp4")
        << int(NumberFormat::MxFp4) << "group:32" << 1.0
        << "granularity group:32 does not apply to mxfp4: it carries its own blocks of 32";
    QTest::addRow("channel on nf4") << int(NumberFormat::Nf4) << "channel" << 1.0 << "does not apply to nf4";
    QTest::addRow("ratio on nvfp4") << int(NumberFormat::NvFp4) << "tensor" << 0.5
                                    << "does not apply to nvfp4";
    QTest::addRow("ratio zero") << int(NumberFormat::Int) << "channel" << 0.0 << "outside (0, 1]";
    QTest::addRow("axis past rank") << int(NumberFormat::Int) << "channel:2" << 1.0 << "rank 2";
    QTest::addRow("q4_k row of 64") << int(NumberFormat::Q4_K) << "tensor" << 1.0
                                    << "row length 64 is not a multiple of the block size 256 of q4_k";
}

void TestSchemeQuant::usageErrors() {
    QFETCH(int, format);
    QFETCH(QString, granularity);
    QFETCH(double, ratio);
    QFETCH(QString, says);
    QuantSpec spec = schemeOf(NumberFormat(format), qPrintable(granularity));
    spec.clipRatio = ratio;
    const Status status = checkScheme(spec, {4, 64});
    QVERIFY(!status.ok());
    QVERIFY2(QString::fromStdString(status.error()).contains(says), status.error().c_str());
    QVERIFY(!quantizeScheme(weights(4, 64), {4, 64}, spec).ok());
}

void TestSchemeQuant::methodCombinations_data() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("scheme");
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<QString>("says"); // empty: the combination is valid
    const int sym = int(Scheme::Symmetric);
    const int asym = int(Scheme::Asymmetric);
    const int intFormat = int(NumberFormat::Int);
    QTest::addRow("entropy asymmetric") << "entropy" << intFormat << asym << "tensor"
                                        << "entropy applies to symmetric int only";
    QTest::addRow("entropy symmetric") << "entropy" << intFormat << sym << "tensor"
                                       << "";
    QTest::addRow("hqq nf4") << "hqq" << int(NumberFormat::Nf4) << asym << "tensor"
                             << "method hqq does not apply to nf4";
    QTest::addRow("hqq symmetric") << "hqq" << intFormat << sym << "group:32"
                                   << "hqq applies to asymmetric int only";
    QTest::addRow("hqq per tensor") << "hqq" << intFormat << asym << "tensor"
                                    << "hqq applies to channel or group granularity only";
    QTest::addRow("hqq group") << "hqq" << intFormat << asym << "group:32"
                               << "";
    QTest::addRow("percentile channel") << "percentile:99.9" << intFormat << sym << "channel"
                                        << "percentile applies per tensor only";
    QTest::addRow("histogram-l2 fp8") << "histogram-l2" << int(NumberFormat::Fp8E4M3) << sym << "tensor"
                                      << "does not apply to fp8_e4m3";
    QTest::addRow("mse q4_k") << "mse" << int(NumberFormat::Q4_K) << sym << "tensor"
                              << "method mse does not apply to q4_k";
    QTest::addRow("mse fp8 channel") << "mse" << int(NumberFormat::Fp8E4M3) << sym << "channel"
                                     << "";
    QTest::addRow("mse int group") << "mse" << intFormat << asym << "group:16"
                                   << "";
}

void TestSchemeQuant::methodCombinations() {
    QFETCH(QString, method);
    QFETCH(int, format);
    QFETCH(int, scheme);
    QFETCH(QString, granularity);
    QFETCH(QString, says);
    QuantSpec spec = schemeOf(NumberFormat(format), qPrintable(granularity), 4, Scheme(scheme));
    const auto choice = parseMethod(method.toStdString());
    QVERIFY2(choice.ok(), choice.ok() ? "" : choice.error().c_str());
    spec.method = choice->method;
    spec.percentile = choice->percentile;
    const Status status = checkScheme(spec, {4, 256});
    if (says.isEmpty()) {
        QVERIFY2(status.ok(), status.ok() ? "" : status.error().c_str());
        return;
    }
    QVERIFY(!status.ok());
    QVERIFY2(QString::fromStdString(status.error()).contains(says), status.error().c_str());
}

void TestSchemeQuant::parsesMethods() {
    QCOMPARE(parseMethod("percentile:99.9")->percentile, 99.9);
    QCOMPARE(parseMethod("percentile")->percentile, kDefaultPercentile);
    QCOMPARE(int(parseMethod("histogram-l2")->method), int(CalibMethod::HistogramL2));
    QVERIFY(!parseMethod("percentile:0").ok());
    QVERIFY(!parseMethod("percentile:101").ok());
    QVERIFY(!parseMethod("percentile:abc").ok());
    QVERIFY(!parseMethod("mse:3").ok());
    QVERIFY(QString::fromStdString(parseMethod("kl").error()).contains("unknown method 'kl'"));
    for (const CalibMethod method : calibMethods())
        QCOMPARE(int(parseMethod(methodName(method))->method), int(method));
    QuantSpec spec;
    spec.method = CalibMethod::Percentile;
    spec.percentile = 99.9;
    QCOMPARE(methodLabel(spec), std::string("percentile:99.9"));
    spec.rangeMode = RangeMode::Saturating;
    QVERIFY(QString::fromStdString(checkScheme(spec, {4, 64}).error()).contains("both set the range"));
}

void TestSchemeQuant::intChannelMatchesGroupParams() {
    const std::vector<float> values = weights(6, 40);
    const QuantSpec spec = schemeOf(NumberFormat::Int, "channel", 4, Scheme::Asymmetric);
    const auto quantized = quantizeScheme(values, {6, 40}, spec);
    QVERIFY(quantized.ok());
    const GroupParams params =
        intGroupParams(values, ParamGrid::make({6, 40}, spec.granularity).value(), spec);
    std::vector<float> expected(values.size());
    fakeQuantizeGroups(values, params, expected);
    QCOMPARE(quantized->dequantized, expected);
    QCOMPARE(quantized->paramShape, std::vector<std::int64_t>{6});
    for (std::size_t g = 0; g < 6; ++g) {
        QCOMPARE(quantized->scales[g], params.groups[g].scale);
        QCOMPARE(quantized->zeroPoints[g], params.groups[g].zeroPoint);
    }
}

// Rows whose spread differs tenfold: one scale per row fits each, one per tensor fits the widest.
void TestSchemeQuant::channelsBeatTensorOnUnevenRows() {
    const std::vector<float> values = weights(16, 256);
    const auto tensor = quantizeScheme(values, {16, 256}, schemeOf(NumberFormat::Int, "tensor", 4));
    const auto channel = quantizeScheme(values, {16, 256}, schemeOf(NumberFormat::Int, "channel", 4));
    const auto group = quantizeScheme(values, {16, 256}, schemeOf(NumberFormat::Int, "group:32", 4));
    QVERIFY(tensor.ok() && channel.ok() && group.ok());
    const double tensorDb = *compareValues(values, tensor->dequantized).sqnrDb;
    const double channelDb = *compareValues(values, channel->dequantized).sqnrDb;
    const double groupDb = *compareValues(values, group->dequantized).sqnrDb;
    QVERIFY2(channelDb > tensorDb + 1.0, qPrintable(QStringLiteral("%1 vs %2").arg(channelDb).arg(tensorDb)));
    QVERIFY2(groupDb > channelDb, qPrintable(QStringLiteral("%1 vs %2").arg(groupDb).arg(channelDb)));
}

void TestSchemeQuant::fp8PerChannelScalesEachRow() {
    const std::vector<float> values = weights(3, 20);
    const auto quantized = quantizeScheme(values, {3, 20}, schemeOf(NumberFormat::Fp8E4M3, "channel"));
    QVERIFY(quantized.ok());
    for (std::size_t r = 0; r < 3; ++r) {
        const std::span<const float> row(values.data() + r * 20, 20);
        // s = amax / 448 for the row, x̂ = s · e4m3(x / s).
        QCOMPARE(quantized->scales[r], finiteAbsMax(row) / 448.0f);
        std::vector<float> expected(20);
        fakeQuantizeScaled(MiniFloat::E4M3, row, expected, quantized->scales[r]);
        QCOMPARE(std::vector<float>(quantized->dequantized.begin() + std::ptrdiff_t(r * 20),
                                    quantized->dequantized.begin() + std::ptrdiff_t(r * 20 + 20)),
                 expected);
    }
}

// NVFP4's effective block scale is s_b / g: with amax 6 the global scale is g = 448, and a block
// whose amax is 3 gets s_b = e4m3(448 · 3 / 6) = 224, an effective 224 / 448 = 0.5.
void TestSchemeQuant::nvfp4ReportsEffectiveScales() {
    std::vector<float> values(32, 0.0f);
    values[0] = 6.0f;
    values[16] = 3.0f;
    const auto quantized = quantizeScheme(values, {1, 32}, schemeOf(NumberFormat::NvFp4));
    QVERIFY2(quantized.ok(), quantized.error().c_str());
    QCOMPARE(quantized->paramShape, (std::vector<std::int64_t>{1, 2}));
    QCOMPARE(quantized->scales[0], 1.0f);
    QCOMPARE(quantized->scales[1], 0.5f);
    QCOMPARE(quantized->dequantized[0], 6.0f);
    QCOMPARE(quantized->dequantized[16], 3.0f);
}

// x = [1, 2], x̂ = [1, 1]: MSE 1/2, SQNR 10·log10(5 / 1), max error 1, cosine 3 / √10.
void TestSchemeQuant::compareByHand() {
    const std::vector<float> x{1.0f, 2.0f, std::nanf("")};
    const std::vector<float> xhat{1.0f, 1.0f, 0.0f};
    const ValueError e = compareValues(x, xhat);
    QCOMPARE(e.mse, 0.5);
    QVERIFY(e.sqnrDb && std::abs(*e.sqnrDb - 10.0 * std::log10(5.0)) < 1e-12);
    QCOMPARE(e.maxAbsError, 1.0);
    QVERIFY(std::abs(e.cosine - 3.0 / std::sqrt(10.0)) < 1e-12);
    QVERIFY(!compareValues(x, x).sqnrDb);
    QCOMPARE(compareValues(x, x).cosine, 1.0);
}

// Several chunks, non-finite values in some blocks: the figures are identical at 1 and 2 threads
// and agree with a plain double loop to float precision.
void TestSchemeQuant::compareSameAtAnyThreadCount() {
    std::vector<float> x = weights(3, 100'000);
    std::vector<float> xhat(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        xhat[i] = std::round(x[i] * 64.0f) / 64.0f;
    x[70'000] = std::nanf("");
    x[200'001] = std::numeric_limits<float>::infinity();
    RunControl one;
    one.threads = 1;
    RunControl two;
    two.threads = 2;
    const ValueError a = compareValues(x, xhat, one);
    const ValueError b = compareValues(x, xhat, two);
    QCOMPARE(a.mse, b.mse);
    QCOMPARE(*a.sqnrDb, *b.sqnrDb);
    QCOMPARE(a.cosine, b.cosine);
    QCOMPARE(a.maxAbsError, b.maxAbsError);
    double errors = 0.0, squares = 0.0, products = 0.0, hatSquares = 0.0, maxError = 0.0;
    std::int64_t count = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const double e = double(x[i]) - double(xhat[i]);
        errors += e * e;
        squares += double(x[i]) * x[i];
        products += double(x[i]) * xhat[i];
        hatSquares += double(xhat[i]) * xhat[i];
        maxError = std::max(maxError, std::abs(e));
        ++count;
    }
    QVERIFY(std::abs(a.mse / (errors / double(count)) - 1.0) < 1e-6);
    QVERIFY(std::abs(*a.sqnrDb - 10.0 * std::log10(squares / errors)) < 1e-5);
    QVERIFY(std::abs(a.cosine - products / std::sqrt(squares * hatSquares)) < 1e-6);
    QCOMPARE(a.maxAbsError, maxError);
}

// x̂ of a block type is llama.cpp's dequantization of its own blocks: the same as encoding with
// the encoder and decoding with the GGUF reader's decoder by hand.
void TestSchemeQuant::ggmlDecodesWhatItEncodes() {
    const std::vector<float> values = weights(2, 256);
    const auto quantized = quantizeScheme(values, {2, 256}, schemeOf(NumberFormat::Q4_K));
    QVERIFY2(quantized.ok(), quantized.error().c_str());
    const auto blocks = quantizeGgmlTensor(GgmlType::Q4_K, values, 2, 256);
    QVERIFY(blocks.ok());
    std::vector<float> expected(values.size());
    QVERIFY(dequantizeGgml(GgmlType::Q4_K, blocks.value(), expected).ok());
    QCOMPARE(quantized->dequantized, expected);
    // Q4_K: a scale per 32-value sub-block.
    QCOMPARE(quantized->paramShape, (std::vector<std::int64_t>{2, 8}));
    QVERIFY(*compareValues(values, quantized->dequantized).sqnrDb > 15.0);
}

void TestSchemeQuant::comparisonSameAtAnyThreadCount() {
    const std::vector<float> values = weights(4, 256);
    RunControl one;
    one.threads = 1;
    RunControl two;
    two.threads = 2;
    const std::vector<ComparisonRow> a = compareSchemes(values, {4, 256}, one);
    const std::vector<ComparisonRow> b = compareSchemes(values, {4, 256}, two);
    QCOMPARE(a.size(), comparisonSchemes().size());
    QCOMPARE(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        QVERIFY(a[i].spec == comparisonSchemes()[i] && a[i].skipped.empty());
        QCOMPARE(a[i].error.mse, b[i].error.mse);
        QCOMPARE(a[i].error.cosine, b[i].error.cosine);
    }
    RunControl cancelled;
    cancelled.isCanceled = [] { return true; };
    QVERIFY(compareSchemes(values, {4, 256}, cancelled).empty());
}

QTEST_GUILESS_MAIN(TestSchemeQuant)
#include "tst_schemequant.moc"
