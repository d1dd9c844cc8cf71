#include "analysis/modelscan.h"
#include "io/safetensorswriter.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"
#include "stats/weightederror.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>
#include <random>

using namespace qs;

namespace {

std::vector<float> normalValues(std::size_t n, std::uint32_t seed, float sigma = 0.02f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<float> v(n);
    for (float &x : v)
        x = normal(rng);
    return v;
}

// The mean and the central sums Σd², Σd⁴ of x by two passes in double: the reference the
// moments are held to.
struct ReferenceMoments {
    double mean = 0.0;
    double m2 = 0.0;
    double m4 = 0.0;
};
ReferenceMoments referenceMoments(const std::vector<float> &x) {
    ReferenceMoments r;
    double sum = 0.0;
    for (float v : x)
        sum += v;
    r.mean = sum / double(x.size());
    for (float v : x) {
        const double d = double(v) - r.mean;
        r.m2 += d * d;
        r.m4 += d * d * d * d;
    }
    return r;
}

TensorBlob blobOf(const std::string &name, const std::vector<std::int64_t> &shape,
                  const std::vector<float> &values, DType dtype = DType::F32) {
    return {name, dtype, shape, encodeFloats(values, dtype)};
}

QuantSpec int4Group128() {
    QuantSpec spec = intSpec(4, Scheme::Symmetric);
    spec.granularity = parseGranularity("group:128").value();
    return spec;
}

QuantSpec q4k() {
    QuantSpec spec;
    spec.format = NumberFormat::Q4_K;
    return spec;
}

} // namespace

// The whole-model sweep's core: moments of each tensor, and a scan that measures every tensor
// under its decided scheme one at a time.
class TestModelScan : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void momentsByHand();
    void momentsIgnoreNonFinite();
    void momentsSameAtAnyThreadCount();
    void momentsOfConstantTensor();
    void momentsWhereverTheMeanLies_data();
    void momentsWhereverTheMeanLies();
    void scanMeasuresKeepsAndSkips();
    void scanCancels();
    void scanWeighsByImportance();
    void clippedFractionAtAnyThreadCount();
    void scanReadsOnceWithTheSeparatePassesFigures_data();
    void scanReadsOnceWithTheSeparatePassesFigures();
};

// 1, 2, 3, 4: mean 2.5, deviations ±0.5 and ±1.5, so Σd² = 5 and Σd⁴ = 2 · (0.0625 + 5.0625) =
// 10.25; std = sqrt(5 / 4); excess kurtosis = 4 · 10.25 / 5² − 3 = −1.36; rms = sqrt(30 / 4).
void TestModelScan::momentsByHand() {
    const std::vector<float> x{1.0f, 2.0f, 3.0f, 4.0f};
    const auto m = computeMoments(x);
    QVERIFY(m);
    QCOMPARE(m->count, std::int64_t(4));
    QCOMPARE(m->mean, 2.5);
    QCOMPARE(m->std, std::sqrt(1.25));
    QVERIFY(std::abs(m->kurtosis - (-1.36)) < 1e-12);
    QCOMPARE(m->rms, std::sqrt(7.5));
    QCOMPARE(m->maxAbs, 4.0);
    QCOMPARE(m->maxOverStd().value(), 4.0 / std::sqrt(1.25));
}

void TestModelScan::momentsIgnoreNonFinite() {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> x{nan, 1.0f, -inf, 2.0f, 3.0f, inf, 4.0f};
    const auto m = computeMoments(x);
    QCOMPARE(m->count, std::int64_t(4));
    QCOMPARE(m->mean, 2.5);
    QCOMPARE(m->maxAbs, 4.0);
    // Non-finite values among the lanes' values (not only in the tail): 1 ... 1000 with three
    // replaced leaves 997 values whose sums are exact in double.
    std::vector<float> many(1000);
    double sum = 0.0;
    double squares = 0.0;
    for (std::size_t i = 0; i < many.size(); ++i) {
        many[i] = float(i + 1);
        if (i == 9 || i == 499 || i == 776) {
            many[i] = i == 9 ? nan : (i == 499 ? inf : -inf);
            continue;
        }
        sum += double(i + 1);
        squares += double(i + 1) * double(i + 1);
    }
    const auto big = computeMoments(many);
    QCOMPARE(big->count, std::int64_t(997));
    QCOMPARE(big->mean, sum / 997.0);
    QCOMPARE(big->rms, std::sqrt(squares / 997.0));
    QCOMPARE(big->maxAbs, 1000.0);
}

// Several chunks: the pairwise merge in chunk order gives the same bits at 1 and 3 threads, and
// agrees with a direct two-pass computation in double to rounding.
void TestModelScan::momentsSameAtAnyThreadCount() {
    std::vector<float> x = normalValues(300'001, 3, 1.0f);
    for (std::size_t i = 0; i < x.size(); i += 997)
        x[i] *= 9.0f; // heavy tails: positive excess kurtosis
    RunControl one;
    one.threads = 1;
    RunControl three;
    three.threads = 3;
    const auto a = computeMoments(x, one);
    const auto b = computeMoments(x, three);
    QCOMPARE(a->mean, b->mean);
    QCOMPARE(a->std, b->std);
    QCOMPARE(a->kurtosis, b->kurtosis);
    const auto [mean, m2, m4] = referenceMoments(x);
    QVERIFY(std::abs(a->mean - mean) < 1e-12);
    QVERIFY(std::abs(a->std - std::sqrt(m2 / double(x.size()))) < 1e-9);
    const double kurtosis = double(x.size()) * m4 / (m2 * m2) - 3.0;
    QVERIFY2(std::abs(a->kurtosis - kurtosis) < 1e-8 * std::abs(kurtosis),
             qPrintable(QString::number(kurtosis)));
    QVERIFY(a->kurtosis > 1.0);
}

// A chunk's central sums come from its power sums while its mean lies within a standard
// deviation of zero, and from a second pass about the mean beyond: either way they must agree
// with a direct two-pass computation in double. Means on both sides of the switch, and far out,
// where the power sums alone would lose most of Σd⁴ (a mean of 1000 σ cancels about 12 of its
// 16 digits); one chunk and several.
void TestModelScan::momentsWhereverTheMeanLies_data() {
    QTest::addColumn<double>("meanInStd");
    QTest::addColumn<int>("count");
    for (const int count : {50'000, 300'001})
        for (const double mean : {0.0, -0.5, 0.99, 1.01, -3.0, 1000.0})
            QTest::addRow("mean %g std, %d values", mean, count) << mean << count;
}

void TestModelScan::momentsWhereverTheMeanLies() {
    QFETCH(double, meanInStd);
    QFETCH(int, count);
    std::vector<float> x = normalValues(std::size_t(count), 5, 1.0f);
    for (std::size_t i = 0; i < x.size(); i += 101)
        x[i] *= 6.0f; // heavy tails: kurtosis well away from 0
    for (float &v : x)
        v += float(meanInStd);
    const auto m = computeMoments(x);
    QVERIFY(m);
    const auto [mean, m2, m4] = referenceMoments(x);
    const double std = std::sqrt(m2 / double(x.size()));
    const double kurtosis = double(x.size()) * m4 / (m2 * m2) - 3.0;
    QVERIFY(std::abs(m->mean - mean) <= 1e-12 * std::max(1.0, std::abs(mean)));
    QVERIFY2(std::abs(m->std / std - 1.0) < 1e-12, qPrintable(QString::number(m->std / std - 1.0)));
    QVERIFY2(std::abs(m->kurtosis / kurtosis - 1.0) < 1e-10,
             qPrintable(QString::number(m->kurtosis / kurtosis - 1.0)));
    QVERIFY(kurtosis > 1.0);
}

void TestModelScan::momentsOfConstantTensor() {
    const std::vector<float> x(1000, 0.5f);
    const auto m = computeMoments(x);
    QCOMPARE(m->std, 0.0);
    QCOMPARE(m->kurtosis, 0.0);
    QVERIFY(!m->maxOverStd());
    const auto empty = computeMoments(std::span<const float>());
    QCOMPARE(empty->count, std::int64_t(0));
}

// A small model: a norm (kept), two projections quantized int4 g128 (one stored as BF16), and
// one whose rows of 200 cannot take Q4_K's 256-value blocks (skipped with the reason). Each
// measured tensor's figures are what measureScheme gives that tensor alone.
void TestModelScan::scanMeasuresKeepsAndSkips() {
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("model.safetensors")).toStdString();
    const auto q = normalValues(64 * 256, 1);
    const auto up = normalValues(32 * 512, 2);
    const auto odd = normalValues(8 * 200, 3);
    const auto norm = normalValues(256, 4, 1.0f);
    QVERIFY(writeSafetensors(path, {blobOf("layers.0.q_proj.weight", {64, 256}, q),
                                    blobOf("layers.0.norm.weight", {256}, norm),
                                    blobOf("layers.0.up_proj.weight", {32, 512}, up, DType::BF16),
                                    blobOf("layers.0.odd_proj.weight", {8, 200}, odd)}));
    const auto reader = openCheckpoint(path);
    QVERIFY(reader);
    const auto decide = [](const TensorInfo &info) {
        TensorDecision d;
        if (info.shape.size() == 1) {
            d.keep = true;
            d.keptBecause = "1-D tensor";
        } else if (info.name.find("odd") != std::string::npos) {
            d.spec = q4k();
        } else {
            d.spec = int4Group128();
        }
        return d;
    };
    std::vector<TensorSummary> seen;
    std::vector<double> progress;
    RunControl control;
    control.progress = [&progress](double p) { progress.push_back(p); };
    const auto totals = scanModel(
        *reader.value(), decide, [&seen](TensorSummary &&s) { seen.push_back(std::move(s)); }, control);
    QVERIFY(totals);
    QCOMPARE(seen.size(), std::size_t(4));
    for (std::size_t i = 0; i < seen.size(); ++i)
        QCOMPARE(seen[i].index, i);
    QCOMPARE(progress.size(), std::size_t(4));
    QCOMPARE(progress.back(), 1.0);

    const TensorSummary &norms = seen[1];
    QVERIFY(norms.kept);
    QCOMPARE(norms.keptBecause, std::string("1-D tensor"));
    QCOMPARE(norms.bitsPerWeight, 32.0);
    QVERIFY(!norms.error);

    const TensorSummary &skipped = seen[3];
    QVERIFY(skipped.skipped);
    QVERIFY2(skipped.skipped->find("200") != std::string::npos &&
                 skipped.skipped->find("256") != std::string::npos,
             skipped.skipped->c_str());
    QVERIFY(!skipped.error);

    for (const std::size_t i : {std::size_t(0), std::size_t(2)}) {
        const TensorSummary &s = seen[i];
        QVERIFY(!s.kept && !s.skipped && s.error);
        const auto tensor = reader.value()->loadFloat(i);
        const auto direct = measureScheme(tensor.value()->values(), s.shape, int4Group128());
        QCOMPARE(s.error->mse, direct->error.mse);
        QCOMPARE(s.error->cosine, direct->error.cosine);
        QCOMPARE(s.bitsPerWeight, direct->quantization.bitsPerWeight);
        QCOMPARE(s.clippedFraction.value(), 0.0); // min-max ranges clip nothing
        QVERIFY(s.relRmse && *s.relRmse > 0.0 && *s.relRmse < 0.5);
        QCOMPARE(s.relRmse.value(), std::sqrt(s.error->mse) / s.moments->rms);
    }
    QCOMPARE(seen[2].dtype, std::string("BF16"));

    QCOMPARE(totals->tensors, std::int64_t(4));
    QCOMPARE(totals->kept, std::int64_t(1));
    QCOMPARE(totals->skipped, std::int64_t(1));
    QCOMPARE(totals->quantized, std::int64_t(2));
    QCOMPARE(totals->totalParams, std::int64_t(64 * 256 + 256 + 32 * 512 + 8 * 200));
    // Bits: the two measured tensors at their scheme's bits, the norm at 32, the skipped one at
    // its stored 32.
    const double bits =
        seen[0].bitsPerWeight * 64 * 256 + 32.0 * 256 + seen[2].bitsPerWeight * 32 * 512 + 32.0 * 8 * 200;
    QCOMPARE(totals->avgBitsPerWeight, bits / double(totals->totalParams));
    QCOMPARE(totals->totalBytes, bits / 8.0);
}

void TestModelScan::scanCancels() {
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("model.safetensors")).toStdString();
    QVERIFY(writeSafetensors(path, {blobOf("a.weight", {16, 128}, normalValues(2048, 5)),
                                    blobOf("b.weight", {16, 128}, normalValues(2048, 6))}));
    const auto reader = openCheckpoint(path);
    int sunk = 0;
    RunControl control;
    control.isCanceled = [&sunk] { return sunk >= 1; };
    const auto decide = [](const TensorInfo &) { return TensorDecision{false, {}, int4Group128(), {}}; };
    const auto totals = scanModel(
        *reader.value(), decide, [&sunk](TensorSummary &&) { ++sunk; }, control);
    QVERIFY(!totals);
    QCOMPARE(QString::fromStdString(totals.error()), QStringLiteral("cancelled"));
    QCOMPARE(sunk, 1);
}

void TestModelScan::scanWeighsByImportance() {
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("model.safetensors")).toStdString();
    const auto values = normalValues(16 * 256, 7);
    QVERIFY(writeSafetensors(path, {blobOf("a.weight", {16, 256}, values)}));
    const auto reader = openCheckpoint(path);
    QVERIFY(reader);
    std::vector<float> weights(256);
    for (std::size_t j = 0; j < weights.size(); ++j)
        weights[j] = float(1 + j % 7); // uneven, so the weighted error differs from the plain one
    TensorDecision decision{false, {}, q4k(), {}};
    const TensorSummary plain = scanTensor(*reader.value(), 0, decision);
    QVERIFY(plain.error && !plain.weightedMse);
    decision.importance = TensorImportance{"a.weight", weights, 1, 256};
    const TensorSummary weighted = scanTensor(*reader.value(), 0, decision);
    QVERIFY(weighted.error && weighted.weightedMse);
    // q4_k takes llama.cpp's importance path: x̂ is measureScheme's with the weights, and both the
    // plain and the weighted error are that x̂'s.
    std::vector<float> xHat(values.size());
    const auto imatrixPath = measureScheme(values, {16, 256}, q4k(), {}, xHat, weights);
    QVERIFY(imatrixPath);
    QCOMPARE(weighted.error->mse, imatrixPath->error.mse);
    QVERIFY(weighted.error->mse != plain.error->mse);
    QCOMPARE(weighted.bitsPerWeight, plain.bitsPerWeight);
    const auto expected = weightedMse(values, xHat, weights, 256);
    QVERIFY(expected);
    QCOMPARE(*weighted.weightedMse, expected.value());
    // What the weights are for: less weighted error than the plain path's x̂ has.
    std::vector<float> plainHat(values.size());
    QVERIFY(measureScheme(values, {16, 256}, q4k(), {}, plainHat));
    QVERIFY(*weighted.weightedMse < weightedMse(values, plainHat, weights, 256).value());

    // int ignores the weights when quantizing: the same x̂, now also weighed.
    TensorDecision intDecision{false, {}, int4Group128(), {}};
    const TensorSummary intPlain = scanTensor(*reader.value(), 0, intDecision);
    intDecision.importance = decision.importance;
    const TensorSummary intWeighted = scanTensor(*reader.value(), 0, intDecision);
    QVERIFY(intPlain.error && intWeighted.error && intWeighted.weightedMse);
    QCOMPARE(intWeighted.error->mse, intPlain.error->mse);
}

// Hand-counted clipping, the same at 1, 2 and 8 threads: by channel on a 3 x 4 tensor, per
// tensor over several chunks, and by channel over several chunks of rows.
void TestModelScan::clippedFractionAtAnyThreadCount() {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // Row 0 in [-1, 2] clips nothing; row 1 in [-2, 2] clips -3 (NaN not counted); row 2 in
    // [-1, 1] clips 5 and -5: 3 of 11 finite values.
    const std::vector<float> small{-1, 0, 1, 2, -3, 0, 1, nan, 5, -5, 0, 1};
    QuantSpec channel = intSpec(8, Scheme::Symmetric);
    channel.granularity.kind = Granularity::Kind::Channel;
    SchemeQuantization byRow;
    byRow.clipMin = {-1.0, -2.0, -1.0};
    byRow.clipMax = {2.0, 2.0, 1.0};
    // 300000 values of 0.25, every tenth 0.75, against [-0.5, 0.5]: a tenth clipped.
    std::vector<float> flat(300000, 0.25f);
    for (std::size_t i = 0; i < flat.size(); i += 10)
        flat[i] = 0.75f;
    SchemeQuantization whole;
    whole.clipMin = {-0.5};
    whole.clipMax = {0.5};
    // 3000 rows of 100 zeros with one 2 each, every row in [-1, 1]: one in a hundred clipped.
    std::vector<float> rows(300000, 0.0f);
    SchemeQuantization perRow;
    for (std::size_t r = 0; r < 3000; ++r) {
        rows[r * 100 + r % 100] = 2.0f;
        perRow.clipMin.push_back(-1.0);
        perRow.clipMax.push_back(1.0);
    }
    // Limits a float cannot hold (0.1 in double), compared as the double comparison would: the
    // float 0.1f is just above 0.1 and -0.1f just below -0.1, so both clip; the floats on the
    // inside do not, nor do values at exactly representable limits (row of [-0.5, 0.5]); ±inf
    // and NaN among the first sixteen count neither way. 32 values, so all go through the lanes:
    // 2 + 2 clipped of 29 finite.
    std::vector<float> edges(32, 0.0f);
    edges[1] = 0.1f;
    edges[2] = -0.1f;
    edges[3] = std::nextafter(0.1f, 0.0f);
    edges[4] = std::nextafter(-0.1f, 0.0f);
    edges[5] = std::numeric_limits<float>::infinity();
    edges[6] = -std::numeric_limits<float>::infinity();
    edges[7] = nan;
    edges[20] = 0.5f;
    edges[21] = -0.5f;
    edges[22] = std::nextafter(0.5f, 1.0f);
    edges[23] = std::nextafter(-0.5f, -1.0f);
    SchemeQuantization twoRows;
    twoRows.clipMin = {-0.1, -0.5};
    twoRows.clipMax = {0.1, 0.5};
    for (const int threads : {1, 2, 8}) {
        RunControl control;
        control.threads = threads;
        QCOMPARE(clippedFraction(edges, {2, 16}, channel, twoRows, control).value(), 4.0 / 29.0);
        QCOMPARE(clippedFraction(small, {3, 4}, channel, byRow, control).value(), 3.0 / 11.0);
        QCOMPARE(clippedFraction(flat, {300, 1000}, intSpec(8, Scheme::Symmetric), whole, control).value(),
                 30000.0 / 300000.0);
        QCOMPARE(clippedFraction(rows, {3000, 100}, channel, perRow, control).value(), 3000.0 / 300000.0);
    }
}

Q_DECLARE_METATYPE(qs::QuantSpec)

void TestModelScan::scanReadsOnceWithTheSeparatePassesFigures_data() {
    QTest::addColumn<QuantSpec>("spec");
    QuantSpec perChannel = intSpec(8, Scheme::Symmetric);
    perChannel.granularity = parseGranularity("channel").value();
    QuantSpec clippedChannels = perChannel; // every row's range cut to 60 %: each row clips
    clippedChannels.clipRatio = 0.6;
    QuantSpec tile = intSpec(4, Scheme::Asymmetric);
    tile.granularity = parseGranularity("block:4x64").value();
    tile.clipRatio = 0.7;
    QuantSpec fixedRange = intSpec(4, Scheme::Symmetric, false, RangeMode::Saturating, -0.03, 0.03);
    QuantSpec fp8 = QuantSpec{};
    fp8.format = NumberFormat::Fp8E4M3;
    fp8.clipRatio = 0.5;
    QuantSpec fp8Groups = fp8;
    fp8Groups.granularity = parseGranularity("group:64").value();
    QuantSpec half = QuantSpec{};
    half.format = NumberFormat::F16; // the wide values overflow it
    QuantSpec percentile = intSpec(8, Scheme::Symmetric);
    percentile.method = CalibMethod::Percentile; // quantized whole, not by chunks
    percentile.percentile = 99.0;
    QTest::addRow("int8 per channel") << perChannel;
    QTest::addRow("int8 per channel, ratio 0.6") << clippedChannels;
    QTest::addRow("int4 4x64 tiles, ratio 0.7") << tile;
    QTest::addRow("int4 per tensor, fixed range") << fixedRange;
    QTest::addRow("fp8 per tensor, ratio 0.5") << fp8;
    QTest::addRow("fp8 group 64, ratio 0.5") << fp8Groups;
    QTest::addRow("f16 cast") << half;
    QTest::addRow("int8 percentile 99") << percentile;
    QTest::addRow("q4_k (no clip ranges)") << q4k();
}

// The scan takes a tensor's moments and clipped count on measureScheme's read of its values
// (MeasureExtras) instead of two more passes: its figures must be those passes' figures, for every
// way a chunk finds its clip ranges (per tensor, per row, per tile, a cast's limit, none) and for
// the whole-tensor path. A BF16 tensor, so each chunk is decoded once for all three.
void TestModelScan::scanReadsOnceWithTheSeparatePassesFigures() {
    QFETCH(QuantSpec, spec);
    std::vector<float> values = normalValues(600 * 256, 29, 0.01f);
    for (std::size_t i = 0; i < values.size(); i += 997)
        values[i] = (i % 2 == 0 ? 1.0f : -1.0f) * 70000.0f; // beyond f16's 65504
    if (spec.format != NumberFormat::Q4_K)                  // ggml's quantizers refuse a NaN
        values[5] = std::numeric_limits<float>::quiet_NaN();
    const std::vector<std::int64_t> shape{600, 256};
    QTemporaryDir dir;
    const std::string path = dir.filePath("m.safetensors").toStdString();
    QVERIFY(writeSafetensors(path, {blobOf("w", shape, values, DType::BF16)}));
    const auto reader = openCheckpoint(path);
    QVERIFY(reader);
    const auto decoded = reader.value()->loadFloat(0);
    QVERIFY(decoded);
    const std::span<const float> x = decoded.value()->values();

    const auto direct = measureScheme(x, shape, spec);
    QVERIFY2(direct, direct ? "" : direct.error().c_str());
    const std::optional<double> clipped = clippedFraction(x, shape, spec, direct->quantization);
    const ValueMoments moments = computeMoments(x).value();
    for (const int threads : {1, 3}) {
        RunControl control;
        control.threads = threads;
        std::vector<TensorSummary> seen;
        const auto decide = [&spec](const TensorInfo &) {
            TensorDecision d;
            d.spec = spec;
            return d;
        };
        QVERIFY(scanModel(
            *reader.value(), decide, [&seen](TensorSummary &&s) { seen.push_back(std::move(s)); }, control));
        QCOMPARE(seen.size(), std::size_t(1));
        const TensorSummary &s = seen[0];
        QVERIFY2(s.error, s.skipped ? s.skipped->c_str() : "");
        QCOMPARE(s.error->mse, direct->error.mse);
        QCOMPARE(s.clippedFraction.has_value(), clipped.has_value());
        if (clipped)
            QCOMPARE(*s.clippedFraction, *clipped); // integer counts: exact
        // Merged over other chunks than computeMoments' (whole rows): equal to rounding.
        QVERIFY(s.moments);
        QCOMPARE(s.moments->count, moments.count);
        QCOMPARE(s.moments->maxAbs, moments.maxAbs);
        QVERIFY(std::abs(s.moments->mean - moments.mean) <= 1e-12 * moments.rms);
        QVERIFY(std::abs(s.moments->std / moments.std - 1.0) <= 1e-12);
        QVERIFY(std::abs(s.moments->rms / moments.rms - 1.0) <= 1e-12);
        QVERIFY(std::abs(s.moments->kurtosis / moments.kurtosis - 1.0) <= 1e-10);
    }
    if (spec.format == NumberFormat::Q4_K)
        QVERIFY(!clipped);
    else if (spec.clipRatio < 1.0 || spec.rangeMode == RangeMode::Saturating ||
             spec.format == NumberFormat::F16 || spec.method != CalibMethod::MinMax)
        QVERIFY(clipped && *clipped > 0.0); // the case counts something
}

QTEST_GUILESS_MAIN(TestModelScan)
#include "tst_modelscan.moc"
