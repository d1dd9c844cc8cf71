// Values read a piece at a time (DESIGN.md §3, issue "analysis at memory speed"): a tensor stored
// as BF16, F16 or FP8 stays encoded in the mapped file, the statistics and error passes decode it
// piece by piece, and every figure equals the one computed from a full float32 decode.
#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"
#include "quant/quantizer.h"
#include "quant/schememeasure.h"
#include "schemefixtures.h"
#include "stats/errorstats.h"
#include "stats/statsanderror.h"
#include "stats/tensorstats.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>

using namespace qs;

Q_DECLARE_METATYPE(qs::QuantSpec)

namespace {

constexpr std::int64_t kRows = 300;
constexpr std::int64_t kCols = 768; // 230,400 values: several chunks and a ragged last piece

std::vector<float> normalValues(std::size_t n, bool nonFinite) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> v(n);
    for (float &x : v)
        x = normal(rng);
    if (nonFinite) {
        v[5] = std::numeric_limits<float>::quiet_NaN();
        v[70'000] = std::numeric_limits<float>::infinity();
        v[n - 3] = -std::numeric_limits<float>::infinity();
    }
    return v;
}

std::shared_ptr<const CheckpointReader> writeAndOpen(const QTemporaryDir &dir, DType dtype, bool nonFinite) {
    const std::vector<float> values = normalValues(std::size_t(kRows * kCols), nonFinite);
    const std::string path = dir.filePath(QStringLiteral("t.safetensors")).toStdString();
    std::vector<std::byte> bytes = encodeFloats(values, dtype);
    if (dtype == DType::F8_E4M3) { // no FP8 encoder here: random codes, the NaN codes (S.1111.111) left out
        std::mt19937 rng(3);
        bytes.resize(values.size());
        for (std::byte &b : bytes) {
            const auto code = std::uint8_t(rng());
            b = std::byte((code & 0x7F) == 0x7F ? code & 0xF0 : code);
        }
    }
    const Status written = writeSafetensors(path, {{"w", dtype, {kRows, kCols}, std::move(bytes)}});
    if (!written)
        return nullptr;
    auto reader = openCheckpoint(path);
    return reader ? reader.value() : nullptr;
}

bool sameStats(const TensorStats &a, const TensorStats &b) {
    return a.count == b.count && a.nanCount == b.nanCount && a.infCount == b.infCount && a.min == b.min &&
           a.max == b.max && a.mean == b.mean && a.std == b.std && a.sumSquares == b.sumSquares &&
           a.histogram.counts == b.histogram.counts && a.distinctValues == b.distinctValues;
}

bool sameError(const ErrorStats &a, const ErrorStats &b) {
    return a.mse == b.mse && a.sqnrDb == b.sqnrDb && a.maxAbsError == b.maxAbsError && a.cosine == b.cosine &&
           a.clippedCount == b.clippedCount && a.errorHistogram.counts == b.errorHistogram.counts;
}

RunControl threads(int n) {
    RunControl c;
    c.threads = n;
    return c;
}

} // namespace

class TestChunkedValues : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void passesEqualFullDecode_data();
    void passesEqualFullDecode();
    void schemesEqualFullDecode_data();
    void schemesEqualFullDecode();
    void float32StaysAView();
    void valuesDecodeOnDemand();
    void analyzeHoldsNoFloatCopy();
    void savedDequantizedHeldOnce();
};

void TestChunkedValues::passesEqualFullDecode_data() {
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<bool>("nonFinite");
    QTest::addRow("bf16") << DType::BF16 << false;
    QTest::addRow("bf16 with nan and inf") << DType::BF16 << true;
    QTest::addRow("f16") << DType::F16 << false;
    QTest::addRow("fp8 e4m3") << DType::F8_E4M3 << false;
}

void TestChunkedValues::passesEqualFullDecode() {
    QFETCH(DType, dtype);
    QFETCH(bool, nonFinite);
    QTemporaryDir dir;
    const auto reader = writeAndOpen(dir, dtype, nonFinite);
    QVERIFY(reader);
    const auto chunked = reader->loadChunked(0);
    const auto decoded = reader->loadFloat(0);
    QVERIFY(chunked && decoded);
    // The chunked tensor is not decoded; the decoded one is float32 in memory.
    QVERIFY(!chunked.value()->isFloat32());
    QVERIFY(decoded.value()->isFloat32());

    const TensorStats reference = *computeStats(decoded.value()->values(), threads(1));
    QCOMPARE(reference.nanCount, nonFinite ? 1 : 0);
    QCOMPARE(reference.infCount, nonFinite ? 2 : 0);
    QuantSpec spec;
    spec.bits = 4;
    const QuantParams params = paramsForTensor(spec, reference.min, reference.max);
    const ErrorStats referenceError = *computeError(decoded.value()->values(), params, reference, threads(1));
    QVERIFY(referenceError.mse > 0.0);
    for (int n : {1, 2, 8}) {
        QVERIFY2(sameStats(*computeStats(*chunked.value(), threads(n)), reference),
                 qPrintable(QString::number(n)));
        QVERIFY2(sameError(*computeError(*chunked.value(), params, reference, threads(n)), referenceError),
                 qPrintable(QString::number(n)));
        // Both passes from one read of the encoded values.
        const auto both = computeStatsAndError(
            *chunked.value(), [&](const TensorStats &s) { return paramsForTensor(spec, s.min, s.max); },
            threads(n));
        QVERIFY(both.has_value());
        QVERIFY2(sameStats(both->stats, reference) && sameError(both->error, referenceError),
                 qPrintable(QString::number(n)));
    }
    // The passes left it encoded: nothing decoded the whole tensor on the way.
    QVERIFY(!chunked.value()->isFloat32());
}

void TestChunkedValues::schemesEqualFullDecode_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addRow("int4 group 111") << test::schemeOf(NumberFormat::Int, "group:111", 4);
    QTest::addRow("int8 channel") << test::schemeOf(NumberFormat::Int, "channel");
    // Channels along axis 1 quantize the tensor whole: the tensor is decoded once.
    QTest::addRow("int8 channel axis 1") << test::schemeOf(NumberFormat::Int, "channel:1");
    QTest::addRow("fp8 per tensor") << test::schemeOf(NumberFormat::Fp8E4M3);
    QTest::addRow("nf4") << test::schemeOf(NumberFormat::Nf4);
    QTest::addRow("q4_k") << test::schemeOf(NumberFormat::Q4_K);
    QTest::addRow("bf16 cast") << test::schemeOf(NumberFormat::BF16);
}

// The whole-model sweep and analyze measure every scheme over the encoded tensor, chunk by chunk:
// the same parameters and figures as over its full decode.
void TestChunkedValues::schemesEqualFullDecode() {
    QFETCH(QuantSpec, spec);
    QTemporaryDir dir;
    const auto reader = writeAndOpen(dir, DType::BF16, false);
    QVERIFY(reader);
    const auto chunked = reader->loadChunked(0);
    const auto decoded = reader->loadFloat(0);
    QVERIFY(chunked && decoded);
    const std::vector<std::int64_t> shape{kRows, kCols};
    const auto want = measureScheme(decoded.value()->values(), shape, spec, threads(2));
    QVERIFY2(want.ok(), want.ok() ? "" : want.error().c_str());
    for (int n : {1, 2}) {
        const auto got = measureScheme(*chunked.value(), shape, spec, threads(n));
        QVERIFY2(got.ok(), got.ok() ? "" : got.error().c_str());
        QCOMPARE(got->error.mse, want->error.mse);
        QCOMPARE(got->error.sqnrDb, want->error.sqnrDb);
        QCOMPARE(got->error.maxAbsError, want->error.maxAbsError);
        QCOMPARE(got->error.cosine, want->error.cosine);
        QCOMPARE(got->quantization.scales, want->quantization.scales);
        QCOMPARE(clippedFraction(*chunked.value(), shape, spec, got->quantization),
                 clippedFraction(decoded.value()->values(), shape, spec, want->quantization));
    }
}

void TestChunkedValues::float32StaysAView() {
    QTemporaryDir dir;
    const auto reader = writeAndOpen(dir, DType::F32, false);
    QVERIFY(reader);
    const auto chunked = reader->loadChunked(0);
    QVERIFY(chunked);
    QVERIFY(chunked.value()->isFloat32());
    // readValues hands out the mapped values themselves, without touching the scratch.
    float scratch[4] = {};
    QCOMPARE(chunked.value()->readValues(10, 4, scratch), chunked.value()->values().data() + 10);
    // What a pass reads for values [10, 14): those floats where they lie.
    const auto [bytes, size] = chunked.value()->storedBytes(10, 4);
    QCOMPARE(static_cast<const void *>(bytes),
             static_cast<const void *>(chunked.value()->values().data() + 10));
    QCOMPARE(size, 4 * sizeof(float));
}

void TestChunkedValues::valuesDecodeOnDemand() {
    QTemporaryDir dir;
    const auto reader = writeAndOpen(dir, DType::BF16, true);
    QVERIFY(reader);
    const auto chunked = reader->loadChunked(0);
    const auto decoded = reader->loadFloat(0);
    QVERIFY(chunked && decoded);
    const std::span<const float> want = decoded.value()->values();
    QCOMPARE(chunked.value()->size(), want.size());
    // A piece decoded into scratch equals the same values of the full decode, bit for bit.
    std::vector<float> piece(1000);
    // What a pass reads for them: the stored BF16 elements, two bytes each, consecutive.
    const auto [first, firstSize] = chunked.value()->storedBytes(69'500, piece.size());
    const auto [next, nextSize] = chunked.value()->storedBytes(70'500, 1);
    QCOMPARE(firstSize, 2 * piece.size());
    QCOMPARE(nextSize, std::size_t(2));
    QCOMPARE(static_cast<const void *>(first + firstSize), static_cast<const void *>(next));
    const float *got = chunked.value()->readValues(69'500, piece.size(), piece.data());
    QCOMPARE(got, piece.data());
    for (std::size_t i = 0; i < piece.size(); ++i)
        QCOMPARE(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(want[69'500 + i]));
    // values() decodes the whole tensor once, on demand, to the same bits.
    QVERIFY(chunked.value()->decodeAll().ok());
    const std::span<const float> all = chunked.value()->values();
    QCOMPARE(all.size(), want.size());
    QVERIFY(std::memcmp(all.data(), want.data(), want.size_bytes()) == 0);
    QCOMPARE(chunked.value()->values().data(), all.data()); // decoded once, kept
}

namespace {

// Peak resident memory of `quantscope-cli analyze FILE --tensor w ARGS` in MiB, measured by
// /usr/bin/time (GNU time, Debian package "time"), whose child starts from a small process;
// nullopt (with a failed check) when it cannot be measured.
std::optional<double> analyzePeakMiB(const QTemporaryDir &dir, const QString &path, const QStringList &args) {
    const QString cli = qEnvironmentVariable("QUANTSCOPE_CLI");
    if (!QFile::exists(cli)) {
        QTest::qFail("QUANTSCOPE_CLI must name the quantscope-cli binary", __FILE__, __LINE__);
        return std::nullopt;
    }
    const QString peakFile = dir.filePath(QStringLiteral("peak.txt"));
    QProcess process;
    process.start(QStringLiteral("/usr/bin/time"),
                  QStringList{QStringLiteral("-f"), QStringLiteral("%M"), QStringLiteral("-o"), peakFile, cli,
                              QStringLiteral("analyze"), path, QStringLiteral("--tensor"),
                              QStringLiteral("w")} +
                      args);
    if (!process.waitForFinished(120'000) || process.exitCode() != 0) {
        QTest::qFail(qPrintable(QStringLiteral("analyze failed: ") + process.readAllStandardError()),
                     __FILE__, __LINE__);
        return std::nullopt;
    }
    QFile peak(peakFile);
    const QList<QByteArray> words =
        peak.open(QIODevice::ReadOnly) ? peak.readAll().split('\n') : QList<QByteArray>{};
    bool ok = false;
    const double kib = words.value(words.size() >= 2 ? words.size() - 2 : 0).trimmed().toDouble(&ok);
    if (!ok) {
        QTest::qFail("cannot read /usr/bin/time's output", __FILE__, __LINE__);
        return std::nullopt;
    }
    return kib / 1024.0;
}

// A 4096 × 4096 BF16 tensor of Gaussian values in dir, for the memory checks.
QString writeBf16Tensor(const QTemporaryDir &dir) {
    constexpr std::int64_t kSide = 4096;
    const std::vector<float> values = normalValues(std::size_t(kSide * kSide), false);
    const QString path = dir.filePath(QStringLiteral("bf16.safetensors"));
    if (!writeSafetensors(path.toStdString(),
                          {{"w", DType::BF16, {kSide, kSide}, encodeFloats(values, DType::BF16)}})
             .ok())
        return {};
    return path;
}

// A peak of at most the mapped size of path plus allowanceMiB.
void verifyPeakWithin(double peakMiB, const QString &path, double allowanceMiB) {
    const double mappedMiB = double(QFileInfo(path).size()) / (1024.0 * 1024.0);
    QVERIFY2(peakMiB <= mappedMiB + allowanceMiB,
             qPrintable(QStringLiteral("peak %1 MiB, mapped %2 MiB").arg(peakMiB).arg(mappedMiB)));
}

} // namespace

// The memory target: analyze of a BF16 tensor peaks at no more than its mapped size plus
// 40 MiB, so it holds no float32 copy (a copy alone would be twice the mapped size).
void TestChunkedValues::analyzeHoldsNoFloatCopy() {
    if (!QFile::exists(QStringLiteral("/usr/bin/time")))
        QSKIP("needs /usr/bin/time (Debian package time)");
    QTemporaryDir dir;
    const QString path = writeBf16Tensor(dir);
    QVERIFY(!path.isEmpty());
    const std::optional<double> peakMiB = analyzePeakMiB(dir, path, {});
    QVERIFY(peakMiB);
    verifyPeakWithin(*peakMiB, path, 40.0);
}

// --save-dequantized on a scheme quantized whole (channels along axis 1) needs the values as
// float32 (64 MiB) and x̂ (64 MiB), once each: at most mapped + 128 + 40 MiB. It held x̂ twice
// (quantizeScheme's and a copy for the file), 238 MiB against this bound's 200.
void TestChunkedValues::savedDequantizedHeldOnce() {
    if (!QFile::exists(QStringLiteral("/usr/bin/time")))
        QSKIP("needs /usr/bin/time (Debian package time)");
    QTemporaryDir dir;
    const QString path = writeBf16Tensor(dir);
    QVERIFY(!path.isEmpty());
    const QString out = dir.filePath(QStringLiteral("xhat.npy"));
    const std::optional<double> peakMiB =
        analyzePeakMiB(dir, path,
                       {QStringLiteral("--granularity"), QStringLiteral("channel:1"),
                        QStringLiteral("--save-dequantized"), out});
    QVERIFY(peakMiB);
    QCOMPARE(QFileInfo(out).size(), qint64(4096) * 4096 * 4 + 128); // the .npy: a 128-byte header, then x̂
    verifyPeakWithin(*peakMiB, path, 128.0 + 40.0);
}

QTEST_GUILESS_MAIN(TestChunkedValues)
#include "tst_chunkedvalues.moc"
