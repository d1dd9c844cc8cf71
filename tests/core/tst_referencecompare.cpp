#include "analysis/referencecompare.h"
#include "io/safetensorswriter.h"
#include "quant/ggmlencode.h"
#include "testgguf.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>
#include <random>

using namespace qs;

namespace {

TensorInfo infoOf(const std::string &name, std::vector<std::int64_t> shape) {
    TensorInfo info;
    info.name = name;
    info.shape = std::move(shape);
    return info;
}

std::vector<float> normalValues(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> v(n);
    for (float &x : v)
        x = normal(rng);
    return v;
}

QString writeBytes(const QTemporaryDir &dir, const char *name, const QByteArray &bytes) {
    const QString path = dir.filePath(QLatin1String(name));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        return {};
    return path;
}

std::shared_ptr<const CheckpointReader> openOrFail(const QString &path) {
    auto reader = openCheckpoint(path.toStdString());
    if (!reader)
        qWarning("%s", reader.error().c_str());
    return reader ? reader.value() : nullptr;
}

QByteArray bytesOf(const std::vector<std::byte> &bytes) {
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

} // namespace

class TestReferenceCompare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void pairsByNameAsWritten();
    void pairsThroughTheNameMapping();
    void shapeMismatchIsNamed();
    void noPartnerNamesTheNamesTried();
    void figuresOfAShiftedTensor();
    void nonFiniteValuesAreCountedApart();
    void sameFiguresAtAnyThreadCount();
    void cancelled();
    void ropeRowsMatchLlamaCppPermutation();
    void q8ZeroGgufAgainstTheFloatOriginal();
    void llamaGgufQueryRowsAreUnpermuted();
    void countsInTheTensorsBins();
};

void TestReferenceCompare::pairsByNameAsWritten() {
    const auto pairs =
        pairTensors({infoOf("a", {2, 3}), infoOf("b", {4})}, {infoOf("b", {4}), infoOf("a", {2, 3})});
    QCOMPARE(pairs.size(), std::size_t(2));
    QCOMPARE(pairs[0].partner, std::optional<std::size_t>(1));
    QCOMPARE(pairs[0].partnerName, std::string("a"));
    QCOMPARE(pairs[1].partner, std::optional<std::size_t>(0));
    QVERIFY(!pairs[0].unpaired && !pairs[1].unpaired);
    QCOMPARE(pairs[0].rows.heads, std::int64_t(0));
}

void TestReferenceCompare::pairsThroughTheNameMapping() {
    // Hugging Face names against a GGUF's, and the other way round.
    const auto hfToGgufPairs = pairTensors({infoOf("model.layers.3.mlp.up_proj.weight", {8, 4})},
                                           {infoOf("blk.3.ffn_up.weight", {8, 4})});
    QCOMPARE(hfToGgufPairs[0].partner, std::optional<std::size_t>(0));
    QCOMPARE(hfToGgufPairs[0].partnerName, std::string("blk.3.ffn_up.weight"));
    const auto ggufToHfPairs = pairTensors({infoOf("token_embd.weight", {10, 4})},
                                           {infoOf("x", {1}), infoOf("model.embed_tokens.weight", {10, 4})});
    QCOMPARE(ggufToHfPairs[0].partner, std::optional<std::size_t>(1));
    QCOMPARE(ggufToHfPairs[0].partnerName, std::string("model.embed_tokens.weight"));
}

void TestReferenceCompare::shapeMismatchIsNamed() {
    const auto pairs = pairTensors({infoOf("model.layers.0.self_attn.o_proj.weight", {4, 8})},
                                   {infoOf("blk.0.attn_output.weight", {8, 4})});
    QVERIFY(!pairs[0].partner);
    QCOMPARE(pairs[0].unpaired.value_or(""),
             std::string("reference blk.0.attn_output.weight has shape [8, 4], not [4, 8]"));
}

void TestReferenceCompare::noPartnerNamesTheNamesTried() {
    const auto pairs =
        pairTensors({infoOf("extra", {2}), infoOf("model.norm.weight", {4})}, {infoOf("a", {2})});
    QCOMPARE(pairs[0].unpaired.value_or(""), std::string("no tensor named extra in the reference"));
    QCOMPARE(pairs[1].unpaired.value_or(""),
             std::string("no tensor named model.norm.weight or output_norm.weight in the reference"));
    QVERIFY(pairs[1].partnerName.empty());
}

void TestReferenceCompare::figuresOfAShiftedTensor() {
    // x = 1, 2, 3, 4 and r = x + 0.5. By hand: every difference is 0.5, so MSE = 0.25 and
    // max |diff| = 0.5; Σx² = 30 and Σ(x − r)² = 1, so SQNR = 10·log10(30) = 14.7712 dB;
    // Σx·r = 1.5 + 5 + 10.5 + 18 = 35 and Σr² = 2.25 + 6.25 + 12.25 + 20.25 = 41, so
    // cosine = 35 / sqrt(30 · 41) = 0.9979633.
    const std::vector<float> x{1, 2, 3, 4};
    const std::vector<float> r{1.5f, 2.5f, 3.5f, 4.5f};
    const auto d = compareWithReference(x, r);
    QVERIFY(d);
    QCOMPARE(d->compared, std::int64_t(4));
    QCOMPARE(d->nonFiniteMismatches, std::int64_t(0));
    QCOMPARE(d->error.mse, 0.25);
    QCOMPARE(d->error.maxAbsError, 0.5);
    QVERIFY(d->error.sqnrDb);
    QVERIFY(std::abs(*d->error.sqnrDb - 10.0 * std::log10(30.0)) < 1e-9);
    QVERIFY(std::abs(d->error.cosine - 35.0 / std::sqrt(30.0 * 41.0)) < 1e-12);

    // An identical reference: no error at all, cosine 1, SQNR infinite (nullopt).
    const auto same = compareWithReference(x, x);
    QCOMPARE(same->error.mse, 0.0);
    QVERIFY(!same->error.sqnrDb);
    QCOMPARE(same->error.cosine, 1.0);
}

void TestReferenceCompare::nonFiniteValuesAreCountedApart() {
    // Index 1: NaN against NaN agrees; index 2: Inf against 3 is a mismatch; index 4: -Inf
    // against -Inf agrees; index 5: 1 against NaN is a mismatch. Compared: indices 0 and 3,
    // differences 0 and 0.5: MSE = 0.25 / 2 = 0.125, max 0.5.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> x{1, nan, inf, 2, -inf, 1};
    const std::vector<float> r{1, nan, 3, 2.5f, -inf, nan};
    const auto d = compareWithReference(x, r);
    QVERIFY(d);
    QCOMPARE(d->compared, std::int64_t(2));
    QCOMPARE(d->nonFiniteMismatches, std::int64_t(2));
    QCOMPARE(d->error.mse, 0.125);
    QCOMPARE(d->error.maxAbsError, 0.5);
    QVERIFY(std::isfinite(d->error.cosine));
}

void TestReferenceCompare::sameFiguresAtAnyThreadCount() {
    std::vector<float> x = normalValues(300000, 1);
    std::vector<float> r = normalValues(300000, 2);
    r[70000] = std::numeric_limits<float>::quiet_NaN(); // one chunk takes the mixed path
    RunControl one;
    one.threads = 1;
    RunControl four;
    four.threads = 4;
    const auto a = compareWithReference(x, r, {}, {}, one);
    const auto b = compareWithReference(x, r, {}, {}, four);
    QVERIFY(a && b);
    QCOMPARE(a->error.mse, b->error.mse);
    QCOMPARE(a->error.sqnrDb, b->error.sqnrDb);
    QCOMPARE(a->error.cosine, b->error.cosine);
    QCOMPARE(a->error.maxAbsError, b->error.maxAbsError);
    QCOMPARE(a->compared, std::int64_t(299999));
    QCOMPARE(a->nonFiniteMismatches, std::int64_t(1));
}

void TestReferenceCompare::cancelled() {
    const std::vector<float> x = normalValues(200000, 3);
    RunControl control;
    control.isCanceled = [] { return true; };
    QVERIFY(!compareWithReference(x, x, {}, {}, control));
    QVERIFY(!countInBins(x, Histogram{-1.0, 1.0, std::vector<std::int64_t>(16)}, control));
}

void TestReferenceCompare::ropeRowsMatchLlamaCppPermutation() {
    // convert_hf_to_gguf.py's permute: w.reshape(heads, 2, d/2, ...).swapaxes(1, 2). With one
    // head of d = 4, Hugging Face rows [a0 a1 b0 b1] become [a0 b0 a1 b1]: HF row 1 (a1) is GGUF
    // row 2 and HF row 2 (b0) is GGUF row 1. Two heads of 4 repeat that within rows 4..7.
    const RopeRows toGguf{2, true};
    const RopeRows fromGguf{2, false};
    const std::vector<std::int64_t> expected{0, 2, 1, 3, 4, 6, 5, 7};
    for (std::int64_t row = 0; row < 8; ++row) {
        QCOMPARE(toGguf.referenceRow(row, 8), expected[std::size_t(row)]);
        QCOMPARE(fromGguf.referenceRow(toGguf.referenceRow(row, 8), 8), row);
    }
    // Heads that do not divide the rows evenly leave them as they are.
    QCOMPARE((RopeRows{3, true}.referenceRow(1, 8)), std::int64_t(1));
}

void TestReferenceCompare::q8ZeroGgufAgainstTheFloatOriginal() {
    QTemporaryDir dir;
    const std::vector<float> x = normalValues(4 * 64, 5);
    const Status written = writeSafetensors(
        dir.filePath(QStringLiteral("model.safetensors")).toStdString(),
        {{"model.layers.0.mlp.up_proj.weight", DType::F32, {4, 64}, encodeFloats(x, DType::F32)},
         {"model.layers.0.input_layernorm.weight",
          DType::F32,
          {64},
          encodeFloats(std::vector<float>(x.begin(), x.begin() + 64), DType::F32)}});
    QVERIFY2(written.ok(), written.error().c_str());
    const auto blocks = quantizeGgmlTensor(GgmlType::Q8_0, x, 4, 64);
    QVERIFY(blocks);
    test::GgufBuilder gguf;
    gguf.string("general.architecture", "llama");
    gguf.tensor("blk.0.ffn_up.weight", {64, 4}, quint32(GgmlType::Q8_0), bytesOf(blocks.value()));
    const auto model = openOrFail(dir.filePath(QStringLiteral("model.safetensors")));
    const auto reference = openOrFail(writeBytes(dir, "ref.gguf", gguf.build()));
    QVERIFY(model && reference);

    const auto pairs = pairWithReference(*model, *reference);
    QCOMPARE(pairs[0].partnerName, std::string("blk.0.ffn_up.weight"));
    QVERIFY(pairs[1].unpaired); // the layer norm has no partner
    const auto d = compareReferencePair(*model, *reference, pairs[0]);
    QVERIFY2(d, d.error().c_str());
    // The expected figures: the decoded Q8_0 values against x, as every other error is measured.
    const auto decoded = reference->loadFloat(0);
    const ValueError expected = compareValues(x, decoded.value()->values());
    QCOMPARE(d->error.mse, expected.mse);
    QCOMPARE(d->error.cosine, expected.cosine);
    QCOMPARE(d->error.maxAbsError, expected.maxAbsError);
    QVERIFY(d->error.mse > 0.0);
    // Q8_0 rounds to d/2 at most, d = max|x| / 127 of its block of 32 (plus d's f16 rounding).
    float maxAbs = 0.0f;
    for (float v : x)
        maxAbs = std::max(maxAbs, std::abs(v));
    QVERIFY(d->error.maxAbsError <= maxAbs / 127.0 * 0.51);
    QVERIFY(d->error.cosine > 0.9999);
    const auto unpaired = compareReferencePair(*model, *reference, pairs[1]);
    QVERIFY(!unpaired);
    QCOMPARE(unpaired.error(), *pairs[1].unpaired);
}

void TestReferenceCompare::llamaGgufQueryRowsAreUnpermuted() {
    // q_proj [4, 2] as one head of 4 rows (head_count 1): llama.cpp stores its rows
    // [a0 a1 b0 b1] as [a0 b0 a1 b1].
    QTemporaryDir dir;
    const std::vector<float> hf{1, 1, 2, 2, 3, 3, 4, 4};          // rows a0 a1 b0 b1
    const std::vector<float> interleaved{1, 1, 3, 3, 2, 2, 4, 4}; // rows a0 b0 a1 b1
    const Status written = writeSafetensors(
        dir.filePath(QStringLiteral("hf.safetensors")).toStdString(),
        {{"model.layers.0.self_attn.q_proj.weight", DType::F32, {4, 2}, encodeFloats(hf, DType::F32)},
         {"model.layers.0.mlp.up_proj.weight", DType::F32, {4, 2}, encodeFloats(hf, DType::F32)}});
    QVERIFY2(written.ok(), written.error().c_str());
    test::GgufBuilder gguf;
    gguf.string("general.architecture", "llama").u32("llama.attention.head_count", 1);
    gguf.f32("blk.0.attn_q.weight", {2, 4}, interleaved);
    gguf.f32("blk.0.ffn_up.weight", {2, 4}, interleaved); // not permuted by llama.cpp: differs
    const auto model = openOrFail(dir.filePath(QStringLiteral("hf.safetensors")));
    const auto reference = openOrFail(writeBytes(dir, "ref.gguf", gguf.build()));
    QVERIFY(model && reference);
    const auto pairs = pairWithReference(*model, *reference);
    QCOMPARE(pairs[0].rows.heads, std::int64_t(1));
    QCOMPARE(pairs[1].rows.heads, std::int64_t(0));
    QCOMPARE(compareReferencePair(*model, *reference, pairs[0])->error.mse, 0.0);
    // ffn_up compared row for row: rows 1 and 2 differ by 1 in both columns, 4 of 8 values.
    QCOMPARE(compareReferencePair(*model, *reference, pairs[1])->error.mse, 0.5);
    // The other way round: the GGUF as the checkpoint, the Hugging Face file as the reference.
    const auto reverse = pairWithReference(*reference, *model);
    QCOMPARE(reverse[0].rows.heads, std::int64_t(1));
    QVERIFY(!reverse[0].rows.referenceInterleaved);
    QCOMPARE(compareReferencePair(*reference, *model, reverse[0])->error.mse, 0.0);
}

void TestReferenceCompare::countsInTheTensorsBins() {
    // Bins of width 0.5 over [0, 2]: 0.1 and 0.4 in bin 0, 0.6 in bin 1, 2.0 (the top edge) in
    // bin 3; -1 below, 3 above, NaN non-finite.
    const Histogram bins{0.0, 2.0, std::vector<std::int64_t>(4, 99)};
    const std::vector<float> v{0.1f, 0.4f, 0.6f, 2.0f, -1.0f, 3.0f, std::numeric_limits<float>::quiet_NaN()};
    const auto counted = countInBins(v, bins);
    QVERIFY(counted);
    QCOMPARE(counted->histogram.counts, (std::vector<std::int64_t>{2, 1, 0, 1}));
    QCOMPARE(counted->histogram.lo, 0.0);
    QCOMPARE(counted->histogram.hi, 2.0);
    QCOMPARE(counted->below, std::int64_t(1));
    QCOMPARE(counted->above, std::int64_t(1));
    QCOMPARE(counted->nonFinite, std::int64_t(1));
}

QTEST_GUILESS_MAIN(TestReferenceCompare)
#include "tst_referencecompare.moc"
