// Importance matrices in the scheme passes: with per-column weights, quantizeScheme and
// measureScheme give llama.cpp's quant_weights path (quantizeGgmlTensor with the weights, the
// path golden-tested against llama.cpp in tst_ggmlencode) bit for bit, each expert slice with its
// own weights, as llama-quantize --imatrix loops over a tensor's experts; the other formats
// ignore the weights.

#include "analysis/modelimportance.h"
#include "io/ggmlblocks.h"
#include "quant/formatkernels.h"
#include "quant/ggmlencode.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"

#include <QTest>

#include <bit>
#include <limits>
#include <random>

using namespace qs;

Q_DECLARE_METATYPE(qs::QuantSpec)

namespace {

std::vector<float> normalValues(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> v(n);
    for (float &x : v)
        x = normal(rng);
    return v;
}

// Weights spread over four decades, different for every expert, as real imatrix columns are.
std::vector<float> unevenWeights(std::size_t experts, std::size_t cols) {
    std::vector<float> w(experts * cols);
    for (std::size_t e = 0; e < experts; ++e)
        for (std::size_t j = 0; j < cols; ++j)
            w[e * cols + j] = std::pow(10.0f, float((j * 7 + e * 13) % 17) / 4.0f - 2.0f);
    return w;
}

QuantSpec specOf(NumberFormat format) {
    QuantSpec spec;
    spec.format = format;
    return spec;
}

bool sameBits(std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i]))
            return false;
    return true;
}

// The reference: each expert slice through the encoder with its own weights, then decoded.
std::vector<float> encoderWithImportance(GgmlType type, std::span<const float> values, std::size_t experts,
                                         std::size_t cols, std::span<const float> weights) {
    const std::size_t slice = values.size() / experts;
    std::vector<float> out(values.size());
    for (std::size_t e = 0; e < experts; ++e) {
        auto blocks = quantizeGgmlTensor(type, values.subspan(e * slice, slice), slice / cols, cols, {},
                                         weights.subspan(e * cols, cols));
        if (!blocks || !dequantizeGgml(type, blocks.value(), std::span(out).subspan(e * slice, slice)))
            return {};
    }
    return out;
}

ImportanceMatrix matrixOf(std::map<std::string, ImportanceEntry> entries) {
    return ImportanceMatrix("test.imatrix", ImportanceForm::LegacyDat, std::move(entries), {});
}

TensorInfo infoOf(const std::string &name, std::vector<std::int64_t> shape) {
    TensorInfo info;
    info.name = name;
    info.shape = std::move(shape);
    info.dtype = DType::F32;
    return info;
}

} // namespace

class TestSchemeImportance : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesEncoderPerExpert_data();
    void matchesEncoderPerExpert();
    void othersIgnoreImportance_data();
    void othersIgnoreImportance();
    void importanceMustFitShape();
    void fitChecksNamesAndLengths();
    void decisionTakesFittingWeights();
};

void TestSchemeImportance::matchesEncoderPerExpert_data() {
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("experts");
    for (NumberFormat f :
         {NumberFormat::Q4_0, NumberFormat::Q4_1, NumberFormat::Q5_0, NumberFormat::Q5_1, NumberFormat::Q2_K,
          NumberFormat::Q3_K, NumberFormat::Q4_K, NumberFormat::Q5_K, NumberFormat::Q6_K}) {
        const std::string name(formatTraits(f).name);
        QTest::addRow("%s", name.c_str()) << int(f) << 1;
        QTest::addRow("%s 3 experts", name.c_str()) << int(f) << 3;
    }
}

// 3 experts of 100 rows of 256: measureScheme's chunks of 256 rows straddle the experts, so a
// chunk must switch weights mid-way.
void TestSchemeImportance::matchesEncoderPerExpert() {
    QFETCH(int, format);
    QFETCH(int, experts);
    const auto f = NumberFormat(format);
    QVERIFY(usesImportance(f));
    const std::size_t cols = 256;
    const std::size_t rows = 100;
    const std::vector<std::int64_t> shape =
        experts == 1 ? std::vector<std::int64_t>{std::int64_t(rows * 3), std::int64_t(cols)}
                     : std::vector<std::int64_t>{experts, std::int64_t(rows), std::int64_t(cols)};
    const std::vector<float> x = normalValues(3 * rows * cols, 11);
    const std::vector<float> w = unevenWeights(std::size_t(experts), cols);
    const std::vector<float> expected =
        encoderWithImportance(ggmlTypeOf(f), x, std::size_t(experts), cols, w);
    QVERIFY(!expected.empty());

    RunControl one;
    one.threads = 1;
    RunControl four;
    four.threads = 4;
    std::vector<float> measured1(x.size());
    std::vector<float> measured4(x.size());
    const auto m1 = measureScheme(x, shape, specOf(f), one, measured1, w);
    const auto m4 = measureScheme(x, shape, specOf(f), four, measured4, w);
    QVERIFY2(m1 && m4, m1 ? "" : m1.error().c_str());
    QVERIFY(sameBits(measured1, expected));
    QVERIFY(sameBits(measured4, expected)); // whatever the thread count
    const ValueError error = compareValues(x, expected);
    QCOMPARE(m1->error.mse, error.mse);
    QCOMPARE(m4->error.mse, error.mse);

    const auto whole = quantizeScheme(x, shape, specOf(f), four, w);
    QVERIFY(whole);
    QVERIFY(sameBits(whole->dequantized, expected));
    QVERIFY(sameBits(whole->scales, m1->quantization.scales));

    // The weights matter: the plain path gives other blocks.
    std::vector<float> plain(x.size());
    QVERIFY(measureScheme(x, shape, specOf(f), four, plain));
    QVERIFY(!sameBits(plain, expected));
    // And each expert's own: expert 0's weights everywhere give other blocks too.
    if (experts > 1) {
        std::vector<float> sameForAll;
        for (int e = 0; e < experts; ++e)
            sameForAll.insert(sameForAll.end(), w.begin(), w.begin() + std::ptrdiff_t(cols));
        std::vector<float> other(x.size());
        QVERIFY(measureScheme(x, shape, specOf(f), four, other, sameForAll));
        QVERIFY(!sameBits(other, expected));
    }
}

void TestSchemeImportance::othersIgnoreImportance_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addRow("q8_0") << specOf(NumberFormat::Q8_0);
    QuantSpec intGroup = intSpec(4, Scheme::Asymmetric);
    intGroup.granularity = parseGranularity("group:128").value();
    QTest::addRow("int4 g128") << intGroup;
    QTest::addRow("int8 tensor") << intSpec(8, Scheme::Symmetric);
    QTest::addRow("fp8") << specOf(NumberFormat::Fp8E4M3);
    QTest::addRow("mxfp4") << specOf(NumberFormat::MxFp4);
    QTest::addRow("nf4") << specOf(NumberFormat::Nf4);
}

void TestSchemeImportance::othersIgnoreImportance() {
    QFETCH(QuantSpec, spec);
    QVERIFY(!usesImportance(spec.format));
    const std::vector<std::int64_t> shape{2, 64, 256};
    const std::vector<float> x = normalValues(2 * 64 * 256, 5);
    const std::vector<float> w = unevenWeights(2, 256);
    std::vector<float> with(x.size());
    std::vector<float> without(x.size());
    const auto a = measureScheme(x, shape, spec, {}, with, w);
    const auto b = measureScheme(x, shape, spec, {}, without);
    QVERIFY(a && b);
    QVERIFY(sameBits(with, without));
    QCOMPARE(a->error.mse, b->error.mse);
    const auto whole = quantizeScheme(x, shape, spec, {}, w);
    QVERIFY(whole);
    QVERIFY(sameBits(whole->dequantized, without));
}

void TestSchemeImportance::importanceMustFitShape() {
    const std::vector<float> x = normalValues(4 * 256, 2);
    const std::vector<float> three(3, 1.0f);
    const auto wrong = measureScheme(x, {4, 256}, specOf(NumberFormat::Q4_K), {}, {}, three);
    QVERIFY(!wrong);
    QCOMPARE(
        QString::fromStdString(wrong.error()),
        QStringLiteral("3 importance weights do not fit a tensor of 4 rows of 256 columns (one weight per "
                       "column, for each of its expert slices)"));
    // Three slices of weights cannot split 4 rows.
    const std::vector<float> threeExperts(3 * 256, 1.0f);
    QVERIFY(!quantizeScheme(x, {4, 256}, specOf(NumberFormat::Q4_0), {}, threeExperts));
    QVERIFY(checkImportance({}, {4, 256}));
    QVERIFY(checkImportance(std::vector<float>(2 * 256, 1.0f), {4, 256}));
    // A non-finite weight is the encoder's error, whichever pass meets it.
    std::vector<float> infinite(256, 1.0f);
    infinite[7] = std::numeric_limits<float>::infinity();
    QVERIFY(!quantizeScheme(x, {4, 256}, specOf(NumberFormat::Q4_K), {}, infinite));
    const auto measured = measureScheme(x, {4, 256}, specOf(NumberFormat::Q4_K), {}, {}, infinite);
    QVERIFY(!measured);
    QVERIFY2(QString::fromStdString(measured.error()).contains(QStringLiteral("importance weight 7 is +inf")),
             measured.error().c_str());
}

void TestSchemeImportance::fitChecksNamesAndLengths() {
    const std::vector<TensorInfo> tensors{infoOf("blk.0.attn_q.weight", {8, 256}),
                                          infoOf("blk.0.ffn_up_exps.weight", {2, 8, 256}),
                                          infoOf("blk.0.attn_norm.weight", {256})};
    const QuantPlan plan;
    ImportanceEntry q{std::vector<float>(256, 1.0f), 1};
    ImportanceEntry experts{std::vector<float>(512, 2.0f), 1};
    ImportanceEntry stray{{1.0f}, 1};
    ImportanceEntry norm{{1.0f, 2.0f}, 1}; // does not fit, but the plan keeps 1-D tensors

    const ImportanceFit all = checkImportanceFit(matrixOf({{"blk.0.attn_q.weight", q},
                                                           {"blk.0.ffn_up_exps.weight", experts},
                                                           {"blk.0.attn_norm.weight", norm}}),
                                                 tensors, plan);
    QVERIFY2(all.status, all.status ? "" : all.status.error().c_str());
    QVERIFY(all.warning.empty());
    QCOMPARE(all.weightedTensors, std::size_t(2));

    const ImportanceFit some =
        checkImportanceFit(matrixOf({{"blk.0.attn_q.weight", q}, {"mystery", stray}}), tensors, plan);
    QVERIFY(some.status);
    QVERIFY2(QString::fromStdString(some.warning)
                 .contains(QStringLiteral("1 of 2 importance entries match no tensor: 'mystery'")),
             some.warning.c_str());

    const ImportanceFit none = checkImportanceFit(matrixOf({{"mystery", stray}}), tensors, plan);
    QVERIFY(!none.status);
    QVERIFY2(QString::fromStdString(none.status.error()).contains(QStringLiteral("'mystery'")),
             none.status.error().c_str());

    const ImportanceFit length = checkImportanceFit(
        matrixOf({{"blk.0.attn_q.weight", ImportanceEntry{std::vector<float>(100, 1.0f), 1}}}), tensors,
        plan);
    QVERIFY(!length.status);
    const QString text = QString::fromStdString(length.status.error());
    QVERIFY2(text.contains(QStringLiteral("test.imatrix")) &&
                 text.contains(QStringLiteral("blk.0.attn_q.weight")) &&
                 text.contains(QStringLiteral("100")) && text.contains(QStringLiteral("256")),
             qPrintable(text));
}

void TestSchemeImportance::decisionTakesFittingWeights() {
    const ImportanceMatrix matrix =
        matrixOf({{"blk.0.ffn_up_exps.weight", {std::vector<float>(512, 2.0f), 1}},
                  {"blk.0.attn_k.weight", {std::vector<float>(3, 1.0f), 1}}});
    TensorDecision d;
    d.spec = specOf(NumberFormat::Q4_K);
    const TensorDecision experts =
        withImportance(d, &matrix, infoOf("blk.0.ffn_up_exps.weight", {2, 8, 256}));
    QVERIFY(experts.importance);
    QCOMPARE(experts.importance->experts, std::int64_t(2));
    QCOMPARE(experts.importance->weights.size(), std::size_t(512));
    QVERIFY(!withImportance(d, &matrix, infoOf("blk.0.attn_k.weight", {8, 256})).importance); // does not fit
    QVERIFY(!withImportance(d, &matrix, infoOf("blk.0.attn_v.weight", {8, 256})).importance); // no entry
    QVERIFY(!withImportance(d, nullptr, infoOf("blk.0.ffn_up_exps.weight", {2, 8, 256})).importance);
    TensorDecision kept = d;
    kept.keep = true;
    QVERIFY(!withImportance(kept, &matrix, infoOf("blk.0.ffn_up_exps.weight", {2, 8, 256})).importance);
}

QTEST_GUILESS_MAIN(TestSchemeImportance)
#include "tst_schemeimportance.moc"
