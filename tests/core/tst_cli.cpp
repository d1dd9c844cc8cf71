#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"
#include "quant/schemequant.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cmath>
#include <limits>

using namespace qs;

namespace {

struct Run {
    int exitCode = -1;
    bool crashed = true;
    QByteArray out;
    QByteArray err;
};

TensorBlob blob(std::string name, DType dtype, std::vector<std::int64_t> shape,
                const std::vector<float> &values) {
    return {std::move(name), dtype, std::move(shape), encodeFloats(values, dtype)};
}

// A bell of 10 000 values in [-1, 1] plus one outlier at 40: a saturating range pays off.
std::vector<float> wideValues() {
    std::vector<float> v;
    for (int i = 0; i < 10000; ++i) {
        const double u = (i + 0.5) / 10000.0;
        v.push_back(float((u - 0.5) * 2.0 * std::abs(u - 0.5) * 2.0));
    }
    v.push_back(40.0f);
    return v;
}

// Little-endian int16 values 0, 1, ..., n - 1, as safetensors stores I16.
std::vector<std::byte> int16Ramp(int n) {
    std::vector<std::byte> bytes;
    for (int i = 0; i < n; ++i) {
        bytes.push_back(std::byte(i & 0xFF));
        bytes.push_back(std::byte((i >> 8) & 0xFF));
    }
    return bytes;
}

// 1000 values on 16 levels (k - 8) / 8, k = 0..15: already fake-quantized to 4 bits.
std::vector<float> sixteenLevels() {
    std::vector<float> v;
    for (int i = 0; i < 1000; ++i)
        v.push_back(float((i % 16) - 8) * 0.125f);
    return v;
}

// 70 000 values 1 + i / 2^20: all distinct (2^-20 exceeds float's 2^-23 spacing there).
std::vector<float> denseValues() {
    std::vector<float> v;
    for (int i = 0; i < 70000; ++i)
        v.push_back(1.0f + float(i) / 1048576.0f);
    return v;
}

// Rows [8, 256] whose spread grows eightfold from the first row to the last.
std::vector<float> unevenRows() {
    std::vector<float> v;
    for (int r = 0; r < 8; ++r)
        for (int c = 0; c < 256; ++c)
            v.push_back(float(std::sin(0.7 * c + r)) * 0.01f * float(1 + r));
    return v;
}

// A [2, 4] tensor whose groups of 2 have the absolute maxima 0.75, 1.5, 3 and 7.5: symmetric int4
// scales of 0.1, 0.2, 0.4 and 1.
const std::vector<float> kTwoByFour{0.75f, -0.3f, 1.5f, 0.45f, -3.0f, 1.0f, 7.5f, -2.0f};

// [2, 32]: one ggml block of 32 per row.
std::vector<float> twoBlocks() {
    std::vector<float> v;
    for (int i = 0; i < 64; ++i)
        v.push_back(float(std::cos(0.37 * i)) * (i < 32 ? 0.5f : 2.0f));
    return v;
}

QByteArray fileHash(const QString &path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
}

bool sameFloats(std::span<const float> a, std::span<const float> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](float x, float y) {
        return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
    });
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void helpAndVersion();
    void listJson();
    void listText();
    void analyzeSymmetricGolden();
    void analyzeAsymmetricGolden();
    void analyzeClip_data();
    void analyzeClip();
    void analyzeNarrow();
    void analyzeNonFinite();
    void analyzeSuggest();
    void analyzeThreadsAgree();
    void analyzeText();
    void analyzeDistinctValues_data();
    void analyzeDistinctValues();
    void analyzeNewKeysPerTensor();
    void analyzeGroupedNulls_data();
    void analyzeGroupedNulls();
    void analyzeParamsByHand_data();
    void analyzeParamsByHand();
    void analyzeTextShowsNewFigures();
    void analyzeMethodOptions();
    void saveDequantized_data();
    void saveDequantized();
    void saveDequantizedNeverOverwritesInput();
    void analyzeMatchesEveryCompareRow();
    void demoWritesReadableFile();
    void compareEveryScheme();
    void compareSkipsWhatCannotApply();
    void errors_data();
    void errors();

private:
    Run run(const QStringList &args) const;
    QJsonObject runJson(const QStringList &args);
    QString file(const char *name) const { return m_dir.filePath(QLatin1String(name)); }
    QStringList analyzeSchemes(const char *tensor) const {
        return {QStringLiteral("analyze"), file("schemes.safetensors"), QStringLiteral("--tensor"),
                QLatin1String(tensor)};
    }

    QString m_cli;
    QTemporaryDir m_dir;
};

Run TestCli::run(const QStringList &args) const {
    QProcess process;
    process.start(m_cli, args);
    Run r;
    if (!process.waitForFinished(60000))
        return r;
    r.crashed = process.exitStatus() != QProcess::NormalExit;
    r.exitCode = process.exitCode();
    r.out = process.readAllStandardOutput();
    r.err = process.readAllStandardError();
    return r;
}

QJsonObject TestCli::runJson(const QStringList &args) {
    const Run r = run(args);
    [&] {
        QVERIFY2(!r.crashed && r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.isEmpty(), r.err.constData());
    }();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    [&] { QVERIFY2(error.error == QJsonParseError::NoError && doc.isObject(), r.out.constData()); }();
    return doc.object();
}

void TestCli::initTestCase() {
    m_cli = qEnvironmentVariable("QUANTSCOPE_CLI");
    QVERIFY2(!m_cli.isEmpty() && QFile::exists(m_cli), "QUANTSCOPE_CLI must name the quantscope-cli binary");
    QVERIFY(m_dir.isValid());
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<TensorBlob> tensors{
        blob("tiny", DType::F32, {5}, {-1.9921875f, -0.5f, 0.0f, 0.0078125f, 0.0234375f}),
        blob("asym", DType::F32, {5}, {-1.0f, 0.0f, 0.5f, 1.5f, 2.0f}),
        blob("model.layers.0.matrix", DType::BF16, {2, 3}, {1, 2, 3, 4, 5, 6}),
        blob("special", DType::F32, {4}, {1.0f, nan, inf, -2.0f}),
        blob("wide", DType::F32, {10001}, wideValues()),
    };
    const Status written = writeSafetensors(file("model.safetensors").toStdString(), tensors);
    QVERIFY2(written.ok(), written.error().c_str());
    const std::vector<TensorBlob> schemes{
        blob("w24", DType::F32, {2, 4}, kTwoByFour),
        blob("w232", DType::F32, {2, 32}, twoBlocks()),
        blob("rows", DType::F32, {8, 256}, unevenRows()),
    };
    const Status schemesWritten = writeSafetensors(file("schemes.safetensors").toStdString(), schemes);
    QVERIFY2(schemesWritten.ok(), schemesWritten.error().c_str());
    QFile junk(file("junk.safetensors"));
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write("this is not a checkpoint at all, just some text");
}

void TestCli::helpAndVersion() {
    const Run help = run({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("quantscope-cli analyze FILE --tensor NAME"));
    const Run version = run({QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QVERIFY2(version.out.startsWith("quantscope-cli 0."), version.out.constData());
}

void TestCli::listJson() {
    const QJsonObject root =
        runJson({QStringLiteral("list"), file("model.safetensors"), QStringLiteral("--json")});
    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), 5);
    QHash<QString, QJsonObject> byName;
    for (const QJsonValue &t : tensors)
        byName.insert(t.toObject().value(QStringLiteral("name")).toString(), t.toObject());
    // What the fixture wrote, in safetensors' dtype names.
    const QJsonObject matrix = byName.value(QStringLiteral("model.layers.0.matrix"));
    QCOMPARE(matrix.value(QStringLiteral("dtype")).toString(), QStringLiteral("BF16"));
    QCOMPARE(matrix.value(QStringLiteral("shape")).toArray(), (QJsonArray{2, 3}));
    QCOMPARE(byName.value(QStringLiteral("tiny")).value(QStringLiteral("dtype")).toString(),
             QStringLiteral("F32"));
    QCOMPARE(byName.value(QStringLiteral("wide")).value(QStringLiteral("shape")).toArray(),
             (QJsonArray{10001}));
}

void TestCli::listText() {
    const Run r = run({QStringLiteral("list"), file("model.safetensors")});
    QCOMPARE(r.exitCode, 0);
    const QString out = QString::fromUtf8(r.out);
    QVERIFY2(out.contains(QStringLiteral("NAME")) && out.contains(QStringLiteral("ELEMENTS")),
             r.out.constData());
    // The BF16 matrix row: name, dtype, shape and 2 x 3 = 6 elements.
    const QStringList lines = out.split(QLatin1Char('\n'));
    const auto row = std::find_if(lines.begin(), lines.end(), [](const QString &l) {
        return l.startsWith(QLatin1String("model.layers.0.matrix"));
    });
    QVERIFY(row != lines.end());
    QCOMPARE(row->simplified(), QStringLiteral("model.layers.0.matrix BF16 [2, 3] 6"));
}

void TestCli::analyzeSymmetricGolden() {
    const QJsonObject o =
        runJson({QStringLiteral("analyze"), file("model.safetensors"), QStringLiteral("--tensor"),
                 QStringLiteral("tiny"), QStringLiteral("--bits"), QStringLiteral("8"),
                 QStringLiteral("--scheme"), QStringLiteral("symmetric"), QStringLiteral("--json")});
    // x = {-255/128, -1/2, 0, 1/128, 3/128}. 8-bit symmetric: qmin = -128, qmax = 127,
    // amax = 255/128, scale = amax / ((127 + 128) / 2) = (255/128) / 127.5 = 1/64 exactly.
    QCOMPARE(o.value(QStringLiteral("tensor")).toString(), QStringLiteral("tiny"));
    QCOMPARE(o.value(QStringLiteral("dtype")).toString(), QStringLiteral("F32"));
    QCOMPARE(o.value(QStringLiteral("shape")).toArray(), (QJsonArray{5}));
    QCOMPARE(o.value(QStringLiteral("bits")).toInt(), 8);
    QCOMPARE(o.value(QStringLiteral("scheme")).toString(), QStringLiteral("symmetric"));
    QCOMPARE(o.value(QStringLiteral("narrow")).toBool(), false);
    QCOMPARE(o.value(QStringLiteral("range_mode")).toString(), QStringLiteral("non-saturating"));
    QCOMPARE(o.value(QStringLiteral("clip_min")).toDouble(), -1.9921875);
    QCOMPARE(o.value(QStringLiteral("clip_max")).toDouble(), 1.9921875);
    QCOMPARE(o.value(QStringLiteral("qmin")).toInt(), -128);
    QCOMPARE(o.value(QStringLiteral("qmax")).toInt(), 127);
    QCOMPARE(o.value(QStringLiteral("scale")).toDouble(), 0.015625);
    QCOMPARE(o.value(QStringLiteral("zero_point")).toInt(), 0);
    // x / scale = {-127.5, -32, 0, 0.5, 1.5}; round half to even = {-128, -32, 0, 0, 2};
    // x̂ = {-2, -0.5, 0, 0, 1/32}; x - x̂ = {1/128, 0, 0, 1/128, -1/128}.
    // MSE = 3 / 128² / 5 = 3.662109375e-05; max error 1/128 = 0.0078125.
    QCOMPARE(o.value(QStringLiteral("mse")).toDouble(), 3.662109375e-05);
    QCOMPARE(o.value(QStringLiteral("max_abs_error")).toDouble(), 0.0078125);
    // Σx² = 69131/16384, Σ(x - x̂)² = 3/16384: SQNR = 10·log10(69131/3) = 43.6255158 dB.
    QVERIFY(std::abs(o.value(QStringLiteral("sqnr_db")).toDouble() - 43.62551584404067) < 1e-9);
    QCOMPARE(o.value(QStringLiteral("clipped_fraction")).toDouble(), 0.0); // all inside ±amax
    const QJsonObject stats = o.value(QStringLiteral("stats")).toObject();
    QCOMPARE(stats.value(QStringLiteral("count")).toInt(), 5);
    QCOMPARE(stats.value(QStringLiteral("min")).toDouble(), -1.9921875);
    QCOMPARE(stats.value(QStringLiteral("max")).toDouble(), 0.0234375);
    // mean = (-255 - 64 + 0 + 1 + 3) / 128 / 5 = -63/128; variance = 24643/40960 (Σ(x - mean)² / 5).
    QVERIFY(std::abs(stats.value(QStringLiteral("mean")).toDouble() - (-0.4921875)) < 1e-12);
    QVERIFY(std::abs(stats.value(QStringLiteral("std")).toDouble() - std::sqrt(24643.0 / 40960.0)) < 1e-9);
    QCOMPARE(stats.value(QStringLiteral("nan_count")).toInt(), 0);
    QCOMPARE(stats.value(QStringLiteral("inf_count")).toInt(), 0);
}

void TestCli::analyzeAsymmetricGolden() {
    const QJsonObject o =
        runJson({QStringLiteral("analyze"), file("model.safetensors"), QStringLiteral("--tensor"),
                 QStringLiteral("asym"), QStringLiteral("--bits"), QStringLiteral("2"),
                 QStringLiteral("--scheme"), QStringLiteral("asymmetric"), QStringLiteral("--json")});
    // x = {-1, 0, 0.5, 1.5, 2}; 2-bit asymmetric: [0, 3], scale = (2 - (-1)) / 3 = 1,
    // zero point = 0 - round(-1 / 1) = 1.
    QCOMPARE(o.value(QStringLiteral("qmin")).toInt(), 0);
    QCOMPARE(o.value(QStringLiteral("qmax")).toInt(), 3);
    QCOMPARE(o.value(QStringLiteral("scale")).toDouble(), 1.0);
    QCOMPARE(o.value(QStringLiteral("zero_point")).toInt(), 1);
    QCOMPARE(o.value(QStringLiteral("clip_min")).toDouble(), -1.0);
    QCOMPARE(o.value(QStringLiteral("clip_max")).toDouble(), 2.0);
    // q = clamp(round_half_even(x) + 1, 0, 3) = {0, 1, 1, 3, 3}; x̂ = q - 1 = {-1, 0, 0, 2, 2};
    // x - x̂ = {0, 0, 0.5, -0.5, 0}: MSE = 0.5 / 5 = 0.1, SQNR = 10·log10(7.5 / 0.5) = 11.7609 dB.
    QVERIFY(std::abs(o.value(QStringLiteral("mse")).toDouble() - 0.1) < 1e-12);
    QCOMPARE(o.value(QStringLiteral("max_abs_error")).toDouble(), 0.5);
    QVERIFY(std::abs(o.value(QStringLiteral("sqnr_db")).toDouble() - 10.0 * std::log10(15.0)) < 1e-9);
}

void TestCli::analyzeClip_data() {
    QTest::addColumn<QStringList>("clipArgs");
    // Both spellings, with a negative first number that must not be taken for an option.
    QTest::addRow("--clip=LO,HI") << QStringList{QStringLiteral("--clip=-0.5,1")};
    QTest::addRow("--clip LO,HI") << QStringList{QStringLiteral("--clip"), QStringLiteral("-0.5,1")};
}

void TestCli::analyzeClip() {
    QFETCH(QStringList, clipArgs);
    const QJsonObject o =
        runJson(QStringList{QStringLiteral("analyze"), file("model.safetensors"),
                            QStringLiteral("--tensor=asym"), QStringLiteral("--bits=2"),
                            QStringLiteral("--scheme=asymmetric"), QStringLiteral("--json")} +
                clipArgs);
    // [-0.5, 1] at 2 bits: scale = 1.5 / 3 = 0.5, zero point = 0 - round(-0.5 / 0.5) = 1.
    QCOMPARE(o.value(QStringLiteral("range_mode")).toString(), QStringLiteral("saturating"));
    QCOMPARE(o.value(QStringLiteral("clip_min")).toDouble(), -0.5);
    QCOMPARE(o.value(QStringLiteral("clip_max")).toDouble(), 1.0);
    QCOMPARE(o.value(QStringLiteral("scale")).toDouble(), 0.5);
    QCOMPARE(o.value(QStringLiteral("zero_point")).toInt(), 1);
    // q = clamp(round(x / 0.5) + 1, 0, 3) = {0, 1, 2, 3, 3}; x̂ = (q - 1) · 0.5 = {-0.5, 0, 0.5, 1, 1};
    // x - x̂ = {-0.5, 0, 0, 0.5, 1}: MSE = 1.5 / 5 = 0.3; -1, 1.5 and 2 lie outside: 3/5 clipped.
    QVERIFY(std::abs(o.value(QStringLiteral("mse")).toDouble() - 0.3) < 1e-12);
    QCOMPARE(o.value(QStringLiteral("max_abs_error")).toDouble(), 1.0);
    QVERIFY(std::abs(o.value(QStringLiteral("clipped_fraction")).toDouble() - 0.6) < 1e-12);
}

void TestCli::analyzeNarrow() {
    const QJsonObject o =
        runJson({QStringLiteral("analyze"), file("model.safetensors"), QStringLiteral("--tensor"),
                 QStringLiteral("tiny"), QStringLiteral("--narrow"), QStringLiteral("--clip"),
                 QStringLiteral("-0.3,0.25"), QStringLiteral("--json")});
    // Defaults 8 bits, symmetric; narrow: [-127, 127], scale = amax / 127 with amax = max(0.3, 0.25).
    QCOMPARE(o.value(QStringLiteral("bits")).toInt(), 8);
    QCOMPARE(o.value(QStringLiteral("narrow")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("qmin")).toInt(), -127);
    QCOMPARE(o.value(QStringLiteral("qmax")).toInt(), 127);
    QCOMPARE(o.value(QStringLiteral("clip_min")).toDouble(), -0.3);
    QCOMPARE(o.value(QStringLiteral("clip_max")).toDouble(), 0.3); // symmetric: ±max(|lo|, |hi|)
    QCOMPARE(float(o.value(QStringLiteral("scale")).toDouble()), float(0.3 / 127.0));
    // -255/128 and -1/2 lie outside ±0.3: 2 of 5.
    QVERIFY(std::abs(o.value(QStringLiteral("clipped_fraction")).toDouble() - 0.4) < 1e-12);
}

void TestCli::analyzeNonFinite() {
    const QJsonObject o =
        runJson({QStringLiteral("analyze"), file("model.safetensors"), QStringLiteral("--tensor"),
                 QStringLiteral("special"), QStringLiteral("--json")});
    // {1, NaN, Inf, -2}: NaN and Inf are counted apart; the rest is {1, -2}.
    const QJsonObject stats = o.value(QStringLiteral("stats")).toObject();
    QCOMPARE(stats.value(QStringLiteral("count")).toInt(), 2);
    QCOMPARE(stats.value(QStringLiteral("nan_count")).toInt(), 1);
    QCOMPARE(stats.value(QStringLiteral("inf_count")).toInt(), 1);
    QCOMPARE(stats.value(QStringLiteral("min")).toDouble(), -2.0);
    QCOMPARE(stats.value(QStringLiteral("max")).toDouble(), 1.0);
    QVERIFY(o.value(QStringLiteral("mse")).isDouble());
}

void TestCli::analyzeSuggest() {
    const QStringList base{QStringLiteral("analyze"), file("model.safetensors"),
                           QStringLiteral("--tensor=wide"), QStringLiteral("--bits=4"),
                           QStringLiteral("--json")};
    const QJsonObject full = runJson(base);
    const QJsonObject suggested = runJson(base + QStringList{QStringLiteral("--suggest")});
    QCOMPARE(full.value(QStringLiteral("range_mode")).toString(), QStringLiteral("non-saturating"));
    QCOMPARE(full.value(QStringLiteral("clip_max")).toDouble(), 40.0); // amax: the outlier
    QCOMPARE(suggested.value(QStringLiteral("range_mode")).toString(), QStringLiteral("saturating"));
    const double clipMax = suggested.value(QStringLiteral("clip_max")).toDouble();
    // At 4 bits one outlier at 40 is not worth a scale of 40/8: the threshold moves inside.
    QVERIFY2(clipMax > 0.0 && clipMax < 40.0, qPrintable(QString::number(clipMax)));
    QCOMPARE(suggested.value(QStringLiteral("clip_min")).toDouble(), -clipMax);
    QVERIFY(suggested.value(QStringLiteral("mse")).toDouble() < full.value(QStringLiteral("mse")).toDouble());
    QVERIFY(suggested.value(QStringLiteral("clipped_fraction")).toDouble() > 0.0);
}

void TestCli::analyzeThreadsAgree() {
    const QStringList base{QStringLiteral("analyze"), file("model.safetensors"),
                           QStringLiteral("--tensor=wide"), QStringLiteral("--suggest"),
                           QStringLiteral("--json")};
    // Results do not depend on the thread count (issue 2, Core 4).
    const QJsonObject one = runJson(base + QStringList{QStringLiteral("--threads=1")});
    const QJsonObject three = runJson(base + QStringList{QStringLiteral("--threads"), QStringLiteral("3")});
    QVERIFY(!one.isEmpty());
    QCOMPARE(one, three);
}

void TestCli::analyzeText() {
    const Run r = run({QStringLiteral("analyze"), file("model.safetensors"), QStringLiteral("--tensor"),
                       QStringLiteral("tiny")});
    QCOMPARE(r.exitCode, 0);
    const QString out = QString::fromUtf8(r.out);
    QVERIFY2(out.contains(QStringLiteral("tiny")) && out.contains(QStringLiteral("0.015625")),
             r.out.constData());
    QVERIFY(!r.out.trimmed().startsWith('{'));
}

void TestCli::demoWritesReadableFile() {
    const QString demo = file("demo.safetensors");
    const Run r = run({QStringLiteral("demo"), demo});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(QFile::exists(demo));
    const QJsonObject root = runJson({QStringLiteral("list"), demo, QStringLiteral("--json")});
    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QVERIFY(tensors.size() >= 5);
    QSet<QString> dtypes;
    for (const QJsonValue &t : tensors)
        dtypes.insert(t.toObject().value(QStringLiteral("dtype")).toString());
    // The demo mixes F32, BF16 and F16 (democheckpoint.h).
    QVERIFY(dtypes.contains(QStringLiteral("BF16")) || dtypes.contains(QStringLiteral("F16")));
    const QString first = tensors[0].toObject().value(QStringLiteral("name")).toString();
    const QJsonObject analysis = runJson(
        {QStringLiteral("analyze"), demo, QStringLiteral("--tensor"), first, QStringLiteral("--json")});
    QVERIFY(analysis.value(QStringLiteral("stats")).toObject().value(QStringLiteral("count")).toInt() > 0);
}

void TestCli::errors_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("mentions");
    const QString model = file("model.safetensors");
    const QString analyze = QStringLiteral("analyze");
    const QString tensor = QStringLiteral("--tensor=tiny");
    QTest::addRow("no arguments") << QStringList{} << 2 << "command";
    QTest::addRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << 2 << "frobnicate";
    QTest::addRow("unknown option") << QStringList{QStringLiteral("list"), model, QStringLiteral("--bogus")}
                                    << 2 << "--bogus";
    QTest::addRow("option of another command")
        << QStringList{QStringLiteral("list"), model, QStringLiteral("--bits=4")} << 2 << "--bits";
    QTest::addRow("no file") << QStringList{QStringLiteral("list")} << 2 << "FILE";
    QTest::addRow("empty file name") << QStringList{QStringLiteral("list"), QString()} << 2 << "FILE";
    QTest::addRow("two files") << QStringList{QStringLiteral("list"), model, model} << 2 << "FILE";
    QTest::addRow("no tensor") << QStringList{analyze, model} << 2 << "--tensor";
    QTest::addRow("bits 1") << QStringList{analyze, model, tensor, QStringLiteral("--bits=1")} << 2
                            << "--bits";
    QTest::addRow("bits 17") << QStringList{analyze, model, tensor, QStringLiteral("--bits"),
                                            QStringLiteral("17")}
                             << 2 << "--bits";
    QTest::addRow("bits text") << QStringList{analyze, model, tensor, QStringLiteral("--bits=eight")} << 2
                               << "--bits";
    QTest::addRow("bits no value") << QStringList{analyze, model, tensor, QStringLiteral("--bits")} << 2
                                   << "--bits";
    QTest::addRow("scheme unknown") << QStringList{analyze, model, tensor, QStringLiteral("--scheme=affine")}
                                    << 2 << "--scheme";
    QTest::addRow("clip one number") << QStringList{analyze, model, tensor, QStringLiteral("--clip=0.5")} << 2
                                     << "--clip";
    QTest::addRow("clip text") << QStringList{analyze, model, tensor, QStringLiteral("--clip=a,b")} << 2
                               << "--clip";
    QTest::addRow("clip reversed") << QStringList{analyze, model, tensor, QStringLiteral("--clip=0.5,-0.5")}
                                   << 2 << "--clip";
    QTest::addRow("clip and suggest")
        << QStringList{analyze, model, tensor, QStringLiteral("--clip=-1,1"), QStringLiteral("--suggest")}
        << 2 << "--suggest";
    QTest::addRow("narrow asymmetric") << QStringList{analyze, model, tensor, QStringLiteral("--narrow"),
                                                      QStringLiteral("--scheme=asymmetric")}
                                       << 2 << "--narrow";
    QTest::addRow("flag with value") << QStringList{analyze, model, tensor, QStringLiteral("--narrow=yes")}
                                     << 2 << "--narrow";
    QTest::addRow("threads negative")
        << QStringList{analyze, model, tensor, QStringLiteral("--threads=-1")} << 2 << "--threads";
    // The scheme options: what each cannot be, and combinations that make no sense.
    const auto a = [&](std::initializer_list<const char *> options) {
        QStringList args{analyze, model, tensor};
        for (const char *option : options)
            args.append(QLatin1String(option));
        return args;
    };
    QTest::addRow("format unknown") << a({"--format=int3"}) << 2 << "--format must be one of int, fp8_e4m3";
    QTest::addRow("format upper case") << a({"--format", "Q4_0"}) << 2 << "not \"Q4_0\"";
    QTest::addRow("bits on q4_0") << a({"--format=q4_0", "--bits=4"}) << 2 << "bits does not apply to q4_0";
    QTest::addRow("scheme on nf4") << a({"--format=nf4", "--scheme=symmetric"}) << 2
                                   << "scheme does not apply to nf4";
    QTest::addRow("narrow on fp8") << a({"--format=fp8_e4m3", "--narrow"}) << 2
                                   << "narrow does not apply to fp8_e4m3";
    QTest::addRow("granularity unknown") << a({"--granularity=rows"}) << 2 << "granularity 'rows'";
    QTest::addRow("group size 0") << a({"--granularity=group:0"}) << 2 << "group size must be a whole number";
    QTest::addRow("groups on mxfp4") << a({"--format=mxfp4", "--granularity=group:128"}) << 2
                                     << "granularity group:128 does not apply to mxfp4";
    QTest::addRow("clip ratio on q4_k")
        << a({"--format=q4_k", "--clip-ratio=0.9"}) << 2 << "a clip range does not apply to q4_k";
    QTest::addRow("clip on fp8") << a({"--format=fp8_e4m3", "--clip=-1,1"}) << 2
                                 << "a fixed clip range does not apply to fp8_e4m3";
    QTest::addRow("clip on groups") << a({"--granularity=group:32", "--clip=-1,1"}) << 2
                                    << "a fixed clip range applies per tensor only";
    QTest::addRow("clip ratio 0") << a({"--clip-ratio=0"}) << 2 << "--clip-ratio must be a number in (0, 1]";
    QTest::addRow("clip ratio 1.5") << a({"--clip-ratio", "1.5"}) << 2 << "--clip-ratio must be a number";
    QTest::addRow("clip and clip ratio")
        << a({"--clip=-1,1", "--clip-ratio=0.5"}) << 2 << "--clip and --clip-ratio exclude each other";
    QTest::addRow("clip and method") << a({"--clip=-1,1", "--method=percentile:99"}) << 2
                                     << "--clip and --method percentile:99 exclude each other";
    QTest::addRow("clip ratio and method")
        << a({"--clip-ratio=0.5", "--method=mse"}) << 2 << "--clip-ratio and --method mse exclude each other";
    QTest::addRow("suggest and method") << a({"--suggest", "--method=entropy"}) << 2
                                        << "--suggest is --method mse and excludes --method entropy";
    QTest::addRow("method before suggest") << a({"--method=minmax", "--suggest"}) << 2
                                           << "--suggest is --method mse and excludes --method minmax";
    QTest::addRow("method unknown") << a({"--method=fastest"}) << 2 << "unknown method 'fastest'";
    QTest::addRow("method value") << a({"--method=mse:3"}) << 2 << "method mse takes no value";
    QTest::addRow("percentile 120") << a({"--method=percentile:120"}) << 2
                                    << "percentile 120 is outside (0, 100]";
    QTest::addRow("entropy asymmetric") << a({"--method=entropy", "--scheme=asymmetric"}) << 2
                                        << "method entropy applies to symmetric int only";
    QTest::addRow("hqq symmetric") << a({"--method=hqq", "--granularity=group:32"}) << 2
                                   << "method hqq applies to asymmetric int only";
    QTest::addRow("hqq on nf4") << a({"--format=nf4", "--method=hqq"}) << 2
                                << "method hqq does not apply to nf4";
    QTest::addRow("percentile on groups") << a({"--method=percentile", "--granularity=group:32"}) << 2
                                          << "method percentile applies per tensor only";
    QTest::addRow("mse on q4_0") << a({"--format=q4_0", "--method=mse"}) << 2
                                 << "method mse does not apply to q4_0";
    QTest::addRow("save not npy") << a({"--save-dequantized", "out.safetensors"}) << 2 << "must end in .npy";
    QTest::addRow("params on list") << QStringList{QStringLiteral("list"), model, QStringLiteral("--params")}
                                    << 2 << "--params";
    // Options that fit some tensor but not this one: a file error naming the file and the tensor.
    QTest::addRow("row not a multiple of the block")
        << a({"--format=q4_0"}) << 1
        << "model.safetensors: tensor \"tiny\": row length 5 is not a multiple of the block size 32 of q4_0";
    QTest::addRow("channel axis past the rank")
        << a({"--granularity=channel:1"}) << 1
        << "tensor \"tiny\": granularity channel:1 needs an axis below the tensor's rank 1";
    QTest::addRow("save into a missing folder")
        << a({"--save-dequantized", "/nonexistent-folder/out.npy"}) << 1 << "/nonexistent-folder/out.npy";
    QTest::addRow("missing file") << QStringList{QStringLiteral("list"), file("nowhere.safetensors")} << 1
                                  << "nowhere.safetensors";
    QTest::addRow("malformed file") << QStringList{QStringLiteral("list"), file("junk.safetensors")} << 1
                                    << "junk.safetensors";
    QTest::addRow("directory") << QStringList{QStringLiteral("list"), m_dir.path()} << 1 << m_dir.path();
    QTest::addRow("analyze malformed")
        << QStringList{analyze, file("junk.safetensors"), tensor} << 1 << "junk.safetensors";
    // A near miss is answered with the close name.
    QTest::addRow("unknown tensor") << QStringList{analyze, model, QStringLiteral("--tensor=tinny")} << 1
                                    << "did you mean \"tiny\"";
    QTest::addRow("demo unwritable") << QStringList{QStringLiteral("demo"),
                                                    file("junk.safetensors/demo.safetensors")}
                                     << 1 << "demo.safetensors";
}

void TestCli::errors() {
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, mentions);
    const Run r = run(args);
    QVERIFY(!r.crashed);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(r.out.isEmpty(), r.out.constData());
    // Exactly one line on stderr, beginning "error: " and saying what is wrong.
    QVERIFY2(r.err.startsWith("error: "), r.err.constData());
    QVERIFY2(r.err.endsWith('\n') && r.err.count('\n') == 1, r.err.constData());
    QVERIFY2(QString::fromUtf8(r.err).contains(mentions), r.err.constData());
}

void TestCli::analyzeDistinctValues_data() {
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<qint64>("distinct"); // -1: more than the cap, reported as null
    QTest::addColumn<bool>("quantized");
    // {-255/128, -1/2, 0, 1/128, 3/128}: five different values, but one value each is no sign of
    // quantization (the rule asks for 16 values per distinct value).
    QTest::addRow("five values") << QStringLiteral("tiny") << qint64(5) << false;
    // (i mod 16 - 8) / 8: 16 levels.
    QTest::addRow("sixteen levels") << QStringLiteral("levels") << qint64(16) << true;
    // 1 + i / 2^20 for i < 70 000: above the 65 536 cap.
    QTest::addRow("dense floats") << QStringLiteral("dense") << qint64(-1) << false;
    // 0..299 as int16: 300 values (more than 256) but an integer dtype is quantized data.
    QTest::addRow("int16 ramp") << QStringLiteral("ramp") << qint64(300) << true;
}

void TestCli::analyzeDistinctValues() {
    QFETCH(QString, tensor);
    QFETCH(qint64, distinct);
    QFETCH(bool, quantized);
    const QString path = file("levels.safetensors");
    if (!QFile::exists(path)) {
        const std::vector<TensorBlob> tensors{
            blob("tiny", DType::F32, {5}, {-1.9921875f, -0.5f, 0.0f, 0.0078125f, 0.0234375f}),
            blob("levels", DType::F32, {1000}, sixteenLevels()),
            blob("dense", DType::F32, {70000}, denseValues()),
            {"ramp", DType::I16, {300}, int16Ramp(300)},
        };
        const Status written = writeSafetensors(path.toStdString(), tensors);
        QVERIFY2(written.ok(), written.error().c_str());
    }
    const QJsonObject stats = runJson({QStringLiteral("analyze"), path, QStringLiteral("--tensor"), tensor,
                                       QStringLiteral("--json")})
                                  .value(QStringLiteral("stats"))
                                  .toObject();
    const QJsonValue count = stats.value(QStringLiteral("distinct_values"));
    if (distinct < 0)
        QVERIFY2(count.isNull(), qPrintable(count.toVariant().toString()));
    else
        QCOMPARE(count.toInteger(), distinct);
    QCOMPARE(stats.value(QStringLiteral("already_quantized")).toBool(), quantized);

    const Run text = run({QStringLiteral("analyze"), path, QStringLiteral("--tensor"), tensor});
    QCOMPARE(text.exitCode, 0);
    QCOMPARE(text.out.contains("(already quantized)"), quantized);
}

// The keys analyze gained, on the per-tensor int pass.
void TestCli::analyzeNewKeysPerTensor() {
    const QStringList args{QStringLiteral("analyze"), file("model.safetensors"),
                           QStringLiteral("--tensor=tiny"), QStringLiteral("--json")};
    const QJsonObject o = runJson(args);
    QCOMPARE(o.value(QStringLiteral("format")).toString(), QStringLiteral("int"));
    QCOMPARE(o.value(QStringLiteral("granularity")).toString(), QStringLiteral("tensor"));
    QCOMPARE(o.value(QStringLiteral("method")).toString(), QStringLiteral("minmax"));
    QCOMPARE(o.value(QStringLiteral("clip_ratio")).toDouble(), 1.0);
    QCOMPARE(o.value(QStringLiteral("bits_per_weight")).toDouble(), 8.0); // per tensor: parameters are free
    // x = {-255/128, -1/2, 0, 1/128, 3/128}, x̂ = {-2, -1/2, 0, 0, 1/32} (analyzeSymmetricGolden):
    // Σx·x̂ = 510/128 + 1/4 + 3/4096, Σx² = 69131/16384, Σx̂² = 4 + 1/4 + 1/1024.
    const double cosine =
        (510.0 / 128 + 0.25 + 3.0 / 4096) / std::sqrt(69131.0 / 16384 * (4.0 + 0.25 + 1.0 / 1024));
    QVERIFY(std::abs(o.value(QStringLiteral("cosine")).toDouble() - cosine) < 1e-12);
    for (const char *key : {"param_shape", "scales", "zero_points"})
        QVERIFY2(!o.contains(QLatin1String(key)), key); // only with --params
    const QJsonObject withParams = runJson(args + QStringList{QStringLiteral("--params")});
    QCOMPARE(withParams.value(QStringLiteral("param_shape")).toArray(), (QJsonArray{1}));
    QCOMPARE(withParams.value(QStringLiteral("scales")).toArray(), (QJsonArray{0.015625}));
    QCOMPARE(withParams.value(QStringLiteral("zero_points")).toArray(), (QJsonArray{0}));
}

void TestCli::analyzeGroupedNulls_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("nulls");
    QTest::addColumn<QStringList>("numbers");
    const QStringList figures{
        QStringLiteral("mse"),           QStringLiteral("sqnr_db"),         QStringLiteral("cosine"),
        QStringLiteral("max_abs_error"), QStringLiteral("bits_per_weight"), QStringLiteral("bits"),
        QStringLiteral("clip_ratio")};
    const QStringList mapping{QStringLiteral("scale"), QStringLiteral("zero_point"),
                              QStringLiteral("clip_min"), QStringLiteral("clip_max"),
                              QStringLiteral("clipped_fraction")};
    const QStringList intOnly{QStringLiteral("scheme"), QStringLiteral("narrow"),
                              QStringLiteral("range_mode"), QStringLiteral("qmin"), QStringLiteral("qmax")};
    const QStringList intRange{QStringLiteral("qmin"), QStringLiteral("qmax")};
    // Int in groups or channels: no single mapping, but one integer range.
    QTest::addRow("int group:2") << analyzeSchemes("w24") +
                                        QStringList{QStringLiteral("--granularity=group:2")}
                                 << mapping << figures + intRange;
    QTest::addRow("int channel") << analyzeSchemes("w24") +
                                        QStringList{QStringLiteral("--granularity=channel")}
                                 << mapping << figures + intRange;
    // A block type: nothing of int's mapping applies.
    QTest::addRow("q8_0") << analyzeSchemes("w232") + QStringList{QStringLiteral("--format=q8_0")}
                          << mapping + intOnly << figures;
    // FP8 per tensor has its one scale; nothing else of the mapping.
    QTest::addRow("fp8 per tensor") << analyzeSchemes("w24") +
                                           QStringList{QStringLiteral("--format=fp8_e4m3")}
                                    << mapping.mid(1) + intOnly
                                    << figures + QStringList{QStringLiteral("scale")};
}

void TestCli::analyzeGroupedNulls() {
    QFETCH(QStringList, args);
    QFETCH(QStringList, nulls);
    QFETCH(QStringList, numbers);
    const QJsonObject o = runJson(args + QStringList{QStringLiteral("--json")});
    for (const QString &key : nulls)
        QVERIFY2(o.contains(key) && o.value(key).isNull(), qPrintable(key));
    for (const QString &key : numbers)
        QVERIFY2(o.value(key).isDouble(), qPrintable(key));
}

void TestCli::analyzeParamsByHand_data() {
    QTest::addColumn<QString>("scheme");
    QTest::addColumn<QList<float>>("scales");
    QTest::addColumn<QList<qint64>>("zeroPoints");
    QTest::addColumn<double>("bitsPerWeight");
    // x = [[0.75, -0.3, 1.5, 0.45], [-3, 1, 7.5, -2]], groups of 2 along each row, row-major.
    // PyTorch's per-channel observer (torch.ao.quantization.PerChannelMinMaxObserver), in float32,
    // with quant_min, quant_max = -8, 7 (symmetric) or 0, 15 (affine):
    //  symmetric: scale = max(-min_neg, max_pos) / ((quant_max - quant_min) / 2) = amax / 7.5,
    //             zero_point = 0: amax 0.75, 1.5, 3, 7.5 give 0.1, 0.2, 0.4, 1 (rounded to float32);
    //  affine:    scale = (max_pos - min_neg) / (quant_max - quant_min) over the range widened to
    //             include 0, zero_point = quant_min - round(min_neg / scale):
    //             [-0.3, 0.75] -> 1.05 / 15 = 0.07, z = round(0.3 / 0.07) = round(4.29) = 4;
    //             [0, 1.5]     -> 0.1, z = 0;
    //             [-3, 1]      -> 4 / 15 = 0.2667, z = round(3 / 0.2667) = round(11.25) = 11;
    //             [-2, 7.5]    -> 9.5 / 15 = 0.6333, z = round(2 / 0.6333) = round(3.16) = 3.
    // Bits per weight: 4 + 16 / 2 for an F16 scale per group of 2, affine + 4 / 2 for the zero point.
    QTest::addRow("symmetric") << QStringLiteral("symmetric")
                               << QList<float>{0.75f / 7.5f, 1.5f / 7.5f, 3.0f / 7.5f, 7.5f / 7.5f}
                               << QList<qint64>{0, 0, 0, 0} << 12.0;
    QTest::addRow("asymmetric") << QStringLiteral("asymmetric")
                                << QList<float>{(0.75f + 0.3f) / 15.0f, 1.5f / 15.0f, 4.0f / 15.0f,
                                                9.5f / 15.0f}
                                << QList<qint64>{4, 0, 11, 3} << 14.0;
}

void TestCli::analyzeParamsByHand() {
    QFETCH(QString, scheme);
    QFETCH(QList<float>, scales);
    QFETCH(QList<qint64>, zeroPoints);
    QFETCH(double, bitsPerWeight);
    // The symmetric scales are the float32 roundings of 0.1, 0.2, 0.4 and 1 themselves.
    if (scheme == QLatin1String("symmetric"))
        QCOMPARE(scales, (QList<float>{0.1f, 0.2f, 0.4f, 1.0f}));
    const QJsonObject o = runJson(analyzeSchemes("w24") +
                                  QStringList{QStringLiteral("--granularity"), QStringLiteral("group:2"),
                                              QStringLiteral("--bits=4"), QStringLiteral("--scheme"), scheme,
                                              QStringLiteral("--params"), QStringLiteral("--json")});
    QCOMPARE(o.value(QStringLiteral("granularity")).toString(), QStringLiteral("group:2"));
    QCOMPARE(o.value(QStringLiteral("bits_per_weight")).toDouble(), bitsPerWeight);
    QCOMPARE(o.value(QStringLiteral("param_shape")).toArray(), (QJsonArray{2, 2}));
    const QJsonArray gotScales = o.value(QStringLiteral("scales")).toArray();
    const QJsonArray gotZeroPoints = o.value(QStringLiteral("zero_points")).toArray();
    QCOMPARE(gotScales.size(), scales.size());
    QCOMPARE(gotZeroPoints.size(), zeroPoints.size());
    for (qsizetype i = 0; i < scales.size(); ++i) {
        QCOMPARE(float(gotScales[i].toDouble()), scales[i]);
        QCOMPARE(gotZeroPoints[i].toInteger(), zeroPoints[i]);
    }
}

void TestCli::analyzeTextShowsNewFigures() {
    const Run r =
        run(analyzeSchemes("w24") + QStringList{QStringLiteral("--granularity=group:2"),
                                                QStringLiteral("--bits=4"), QStringLiteral("--params")});
    QCOMPARE(r.exitCode, 0);
    const QString out = QString::fromUtf8(r.out);
    const auto has = [&](const char *label, const char *value) {
        const QString pattern = QStringLiteral("^%1 +%2$")
                                    .arg(QRegularExpression::escape(QLatin1String(label)),
                                         QRegularExpression::escape(QLatin1String(value)));
        return out.contains(QRegularExpression(pattern, QRegularExpression::MultilineOption));
    };
    QVERIFY2(has("quantization", "int, 4 bits, symmetric, non-saturating"), r.out.constData());
    QVERIFY2(has("granularity", "group:2"), r.out.constData());
    QVERIFY2(has("method", "minmax"), r.out.constData());
    QVERIFY2(has("bits per weight", "12"), r.out.constData());
    QVERIFY2(has("integer range", "[-8, 7]"), r.out.constData());
    QVERIFY2(has("parameter grid", "[2, 2]"), r.out.constData());
    QVERIFY2(has("zero points", "0, 0, 0, 0"), r.out.constData());
    QVERIFY2(out.contains(
                 QRegularExpression(QStringLiteral("^cosine +0\\.9"), QRegularExpression::MultilineOption)),
             r.out.constData());
    // No single scale or clip range in groups, and no clipped share.
    QVERIFY(!out.contains(QRegularExpression(QStringLiteral("^(scale|clip range|clipped) "),
                                             QRegularExpression::MultilineOption)));
}

void TestCli::analyzeMethodOptions() {
    const QStringList wide{QStringLiteral("analyze"), file("model.safetensors"),
                           QStringLiteral("--tensor=wide"), QStringLiteral("--bits=4"),
                           QStringLiteral("--json")};
    // --suggest is --method mse, to the last key.
    const QJsonObject mse = runJson(wide + QStringList{QStringLiteral("--method=mse")});
    QCOMPARE(mse, runJson(wide + QStringList{QStringLiteral("--suggest")}));
    QCOMPARE(mse.value(QStringLiteral("method")).toString(), QStringLiteral("mse"));
    QCOMPARE(mse.value(QStringLiteral("range_mode")).toString(), QStringLiteral("saturating"));
    // The other methods reach the report under methodLabel's name (their numbers are calib's).
    const QList<std::pair<QStringList, QString>> labels{
        {{QStringLiteral("--method=percentile:99.9")}, QStringLiteral("percentile:99.9")},
        {{QStringLiteral("--method"), QStringLiteral("percentile")}, QStringLiteral("percentile:99.99")},
        {{QStringLiteral("--method=entropy")}, QStringLiteral("entropy")},
        {{QStringLiteral("--method=histogram-l2")}, QStringLiteral("histogram-l2")},
        {{QStringLiteral("--method=hqq"), QStringLiteral("--scheme=asymmetric"),
          QStringLiteral("--granularity=group:32")},
         QStringLiteral("hqq")},
        {{QStringLiteral("--method=minmax"), QStringLiteral("--clip-ratio=0.5")}, QStringLiteral("minmax")},
    };
    for (const auto &[options, label] : labels)
        QCOMPARE(runJson(wide + options).value(QStringLiteral("method")).toString(), label);
    const QJsonObject fp8 = runJson({QStringLiteral("analyze"), file("model.safetensors"),
                                     QStringLiteral("--tensor=wide"), QStringLiteral("--format=fp8_e4m3"),
                                     QStringLiteral("--method=mse"), QStringLiteral("--json")});
    QCOMPARE(fp8.value(QStringLiteral("method")).toString(), QStringLiteral("mse"));
    // A clip ratio per tensor scales both ends of the range: wide's [-1, 40] at r = 0.5.
    const QJsonObject ratio = runJson(
        wide + QStringList{QStringLiteral("--clip-ratio=0.5"), QStringLiteral("--scheme=asymmetric")});
    QCOMPARE(ratio.value(QStringLiteral("clip_ratio")).toDouble(), 0.5);
    QCOMPARE(ratio.value(QStringLiteral("range_mode")).toString(), QStringLiteral("saturating"));
    QCOMPARE(ratio.value(QStringLiteral("clip_max")).toDouble(), 20.0);
    QVERIFY(ratio.value(QStringLiteral("clipped_fraction")).toDouble() > 0.0);
}

void TestCli::saveDequantized_data() {
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<int>("bits");
    QTest::addColumn<QString>("scheme");
    QTest::addColumn<double>("clipRatio");
    const QString sym = QStringLiteral("symmetric");
    const QString asym = QStringLiteral("asymmetric");
    const QString whole = QStringLiteral("tensor");
    QTest::addRow("int group:2") << "w24"
                                 << "int"
                                 << "group:2" << 4 << sym << 1.0;
    QTest::addRow("int per tensor, clip ratio") << "rows"
                                                << "int" << whole << 3 << sym << 0.5;
    QTest::addRow("int per tensor asymmetric") << "rows"
                                               << "int" << whole << 5 << asym << 1.0;
    QTest::addRow("int block:3x100") << "rows"
                                     << "int"
                                     << "block:3x100" << 6 << asym << 0.8;
    QTest::addRow("fp8_e5m2 channel") << "rows"
                                      << "fp8_e5m2"
                                      << "channel" << 8 << sym << 1.0;
    QTest::addRow("nvfp4") << "w232"
                           << "nvfp4" << whole << 8 << sym << 1.0;
    QTest::addRow("nf4") << "rows"
                         << "nf4" << whole << 8 << sym << 1.0;
    QTest::addRow("q4_k") << "rows"
                          << "q4_k" << whole << 8 << sym << 1.0;
}

// x̂ written as .npy reads back, through the NumPy reader, as exactly quantizeScheme's x̂ in the
// tensor's shape; the report's figures are compareValues' on it.
void TestCli::saveDequantized() {
    QFETCH(QString, tensor);
    QFETCH(QString, format);
    QFETCH(QString, granularity);
    QFETCH(int, bits);
    QFETCH(QString, scheme);
    QFETCH(double, clipRatio);
    QuantSpec spec;
    spec.format = *formatFromName(format.toStdString());
    spec.granularity = parseGranularity(granularity.toStdString()).value();
    spec.bits = bits;
    spec.scheme = *schemeFromName(scheme.toStdString());
    spec.clipRatio = clipRatio;
    QStringList args{QStringLiteral("analyze"),  file("schemes.safetensors"),
                     QStringLiteral("--tensor"), tensor,
                     QStringLiteral("--format"), format,
                     QStringLiteral("--json")};
    if (format == QLatin1String("int") || format.startsWith(QLatin1String("fp8")))
        args << QStringLiteral("--granularity") << granularity << QStringLiteral("--clip-ratio")
             << QString::number(clipRatio);
    if (format == QLatin1String("int"))
        args << QStringLiteral("--bits") << QString::number(bits) << QStringLiteral("--scheme") << scheme;
    const QString out = file("dequantized.npy");
    QFile::remove(out);
    const QJsonObject report = runJson(args + QStringList{QStringLiteral("--save-dequantized"), out});

    auto source = openCheckpoint(file("schemes.safetensors").toStdString());
    QVERIFY(source.ok());
    const std::vector<TensorInfo> &tensors = source.value()->tensors();
    const auto found = std::find_if(tensors.begin(), tensors.end(),
                                    [&](const TensorInfo &t) { return t.name == tensor.toStdString(); });
    QVERIFY(found != tensors.end());
    auto x = source.value()->loadFloat(std::size_t(found - tensors.begin()));
    QVERIFY(x.ok());
    const auto expected = quantizeScheme(x.value()->values(), found->shape, spec);
    QVERIFY2(expected.ok(), expected.error().c_str());

    auto saved = openCheckpoint(out.toStdString());
    QVERIFY2(saved.ok(), saved.error().c_str());
    QCOMPARE(saved.value()->formatName(), std::string("NumPy"));
    QCOMPARE(saved.value()->tensors().front().dtype, DType::F32);
    QCOMPARE(saved.value()->tensors().front().shape, found->shape);
    auto xhat = saved.value()->loadFloat(0);
    QVERIFY2(xhat.ok(), xhat.error().c_str());
    QVERIFY(sameFloats(xhat.value()->values(), expected->dequantized));
    const ValueError error = compareValues(x.value()->values(), expected->dequantized);
    QCOMPARE(report.value(QStringLiteral("mse")).toDouble(), error.mse);
    QCOMPARE(report.value(QStringLiteral("cosine")).toDouble(), error.cosine);
}

void TestCli::saveDequantizedNeverOverwritesInput() {
    const QString npy = file("input.npy");
    QFile::remove(npy);
    runJson(analyzeSchemes("w24") +
            QStringList{QStringLiteral("--json"), QStringLiteral("--save-dequantized"), npy});
    const QByteArray before = fileHash(npy);
    QVERIFY(!before.isEmpty());
    // The input itself, spelled another way: refused before anything is read.
    const QString sameFile = m_dir.path() + QStringLiteral("/./input.npy");
    const Run same = run({QStringLiteral("analyze"), npy, QStringLiteral("--tensor=input"),
                          QStringLiteral("--save-dequantized"), sameFile});
    QCOMPARE(same.exitCode, 2);
    QVERIFY(same.out.isEmpty());
    QVERIFY2(same.err.contains("is the input file; refusing to overwrite it"), same.err.constData());
    QCOMPARE(fileHash(npy), before);
    // A scheme that fails on the tensor writes nothing over an existing output.
    const Run failed =
        run({QStringLiteral("analyze"), file("model.safetensors"), QStringLiteral("--tensor=tiny"),
             QStringLiteral("--format=q4_0"), QStringLiteral("--save-dequantized"), npy});
    QCOMPARE(failed.exitCode, 1);
    QCOMPARE(fileHash(npy), before);
}

// Every row of compare, asked for by itself: analyze prints the same figures to the last bit
// (int per tensor through the exact pass, everything else through quantizeScheme as compare does).
void TestCli::analyzeMatchesEveryCompareRow() {
    const QJsonObject report = runJson({QStringLiteral("compare"), file("schemes.safetensors"),
                                        QStringLiteral("--tensor=rows"), QStringLiteral("--json")});
    const QJsonArray rows = report.value(QStringLiteral("rows")).toArray();
    QCOMPARE(rows.size(), 43);
    for (const QJsonValue &value : rows) {
        const QJsonObject row = value.toObject();
        const QString format = row.value(QStringLiteral("format")).toString();
        QStringList args =
            analyzeSchemes("rows") +
            QStringList{QStringLiteral("--format"), format, QStringLiteral("--method"),
                        row.value(QStringLiteral("method")).toString(), QStringLiteral("--json")};
        if (format == QLatin1String("int") || format.startsWith(QLatin1String("fp8")))
            args << QStringLiteral("--granularity") << row.value(QStringLiteral("granularity")).toString();
        if (format == QLatin1String("int"))
            args << QStringLiteral("--bits") << QString::number(row.value(QStringLiteral("bits")).toInt())
                 << QStringLiteral("--scheme") << row.value(QStringLiteral("scheme")).toString();
        const QJsonObject analyzed = runJson(args);
        const QString name = args.mid(4).join(QLatin1Char(' '));
        for (const char *key :
             {"mse", "sqnr_db", "cosine", "bits_per_weight", "bits", "granularity", "method"})
            QVERIFY2(analyzed.value(QLatin1String(key)) == row.value(QLatin1String(key)),
                     qPrintable(name + QLatin1Char(' ') + QLatin1String(key)));
    }
}

// compare: every family and bit width of the bits-against-error chart, with the same figures
// analyze gives for the per-tensor int rows; rows of different spread gain from per-channel scales.
void TestCli::compareEveryScheme() {
    const QString path = file("compare.safetensors");
    QVERIFY(writeSafetensors(path.toStdString(), {blob("w", DType::F32, {8, 256}, unevenRows())}).ok());
    const QJsonObject report = runJson({QStringLiteral("compare"), path, QStringLiteral("--tensor"),
                                        QStringLiteral("w"), QStringLiteral("--json")});
    QCOMPARE(report.value(QStringLiteral("tensor")).toString(), QStringLiteral("w"));
    const QJsonArray rows = report.value(QStringLiteral("rows")).toArray();
    // int: 4 granularities x 7 bit widths; fp8 x2; mxfp4, nvfp4, nf4; 10 ggml types.
    QCOMPARE(rows.size(), 28 + 2 + 3 + 10);
    QVERIFY(report.value(QStringLiteral("skipped")).toArray().isEmpty());
    QHash<QString, QJsonObject> byKey;
    for (const QJsonValue &value : rows) {
        const QJsonObject row = value.toObject();
        for (const char *key : {"format", "bits", "scheme", "granularity", "method", "bits_per_weight", "mse",
                                "sqnr_db", "cosine"})
            QVERIFY2(row.contains(QLatin1String(key)), key);
        byKey.insert(row.value(QStringLiteral("format")).toString() + QLatin1Char(' ') +
                         row.value(QStringLiteral("granularity")).toString() + QLatin1Char(' ') +
                         QString::number(row.value(QStringLiteral("bits")).toInt()),
                     row);
    }
    // ggml's own bits per weight (block bytes x 8 / values): q8_0 34 bytes per 32, q6_k 210 per 256.
    QCOMPARE(byKey.value(QStringLiteral("q8_0 tensor 8")).value(QStringLiteral("bits_per_weight")).toDouble(),
             8.5);
    QCOMPARE(byKey.value(QStringLiteral("q6_k tensor 6")).value(QStringLiteral("bits_per_weight")).toDouble(),
             6.5625);
    QVERIFY(byKey.value(QStringLiteral("nf4 tensor 4")).value(QStringLiteral("scheme")).isNull());
    for (int bits = 2; bits <= 8; ++bits) {
        const auto sqnr = [&](const char *granularity) {
            return byKey.value(QStringLiteral("int %1 %2").arg(QLatin1String(granularity)).arg(bits))
                .value(QStringLiteral("sqnr_db"))
                .toDouble();
        };
        QVERIFY2(sqnr("channel") > sqnr("tensor"), qPrintable(QString::number(bits)));
        const QJsonObject analyzed =
            runJson({QStringLiteral("analyze"), path, QStringLiteral("--tensor"), QStringLiteral("w"),
                     QStringLiteral("--bits"), QString::number(bits), QStringLiteral("--json")});
        // The same x̂, and on a tensor of one chunk the same sums in the same order: the same MSE.
        QCOMPARE(
            analyzed.value(QStringLiteral("mse")).toDouble(),
            byKey.value(QStringLiteral("int tensor %1").arg(bits)).value(QStringLiteral("mse")).toDouble());
    }
}

// A row length of 96 fits blocks of 32 and 16 but not 256: the K types are skipped with the reason.
void TestCli::compareSkipsWhatCannotApply() {
    const QString path = file("compare96.safetensors");
    std::vector<float> values(4 * 96);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = float(std::cos(0.3 * double(i))) * 0.02f;
    QVERIFY(writeSafetensors(path.toStdString(), {blob("w", DType::F32, {4, 96}, values)}).ok());
    const QJsonObject report = runJson({QStringLiteral("compare"), path, QStringLiteral("--tensor"),
                                        QStringLiteral("w"), QStringLiteral("--json")});
    const QJsonArray skipped = report.value(QStringLiteral("skipped")).toArray();
    QCOMPARE(skipped.size(), 5);
    for (const QJsonValue &value : skipped)
        QVERIFY2(value.toObject()
                     .value(QStringLiteral("reason"))
                     .toString()
                     .contains(QStringLiteral("row length 96 is not a multiple of the block size 256")),
                 qPrintable(value.toObject().value(QStringLiteral("reason")).toString()));
    const Run usage = run({QStringLiteral("compare"), path});
    QCOMPARE(usage.exitCode, 2); // usage error
    QVERIFY(usage.err.contains("compare needs --tensor NAME"));
    const Run missing =
        run({QStringLiteral("compare"), path, QStringLiteral("--tensor"), QStringLiteral("nope")});
    QCOMPARE(missing.exitCode, 1); // file error
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
