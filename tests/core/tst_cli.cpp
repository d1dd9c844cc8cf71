#include "clifixture.h"
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
using namespace qs::test;

// quantscope-cli as a user runs it: list, analyze per tensor, demo, and every usage error.
class TestCli : public CliTestBase {
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
    void demoWritesReadableFile();
    void errors_data();
    void errors();
};

void TestCli::initTestCase() {
    prepare();
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
    QTest::addRow("format unknown") << a({"--format=int3"}) << 2
                                    << "--format must be one of int, f16, bf16, fp8_e4m3";
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
    // 1 + i / 2^20 for i < 70 000: above the cap of 256.
    QTest::addRow("dense floats") << QStringLiteral("dense") << qint64(-1) << false;
    // 0..299 as int16: 300 values, above the cap (null), but an integer dtype is quantized data.
    QTest::addRow("int16 ramp") << QStringLiteral("ramp") << qint64(-1) << true;
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

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
