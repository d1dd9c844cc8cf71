// quantscope-cli with the casts: analyze --format f16 reports the overflow and underflow counts
// on a tensor with values above 65504, compare lists f16 and bf16 at 16 bits per weight, a plan
// rule may choose a cast under a grouped default, and llama.cpp tensor types name it.

#include "clifixture.h"

#include <QJsonArray>

using namespace qs;
using namespace qs::test;

namespace {

// 1000 values in (-2, 2), three beyond F16's range (|x| ≥ 65520), one rounding to 65504
// without overflowing, and four that F16 makes subnormal or zero (|x| < 2^-14 = 6.1e-5).
std::vector<float> castValues() {
    std::vector<float> v;
    for (int i = 0; i < 1000; ++i)
        v.push_back(float(std::sin(i * 0.7) * 1.9));
    for (float x : {70000.0f, -65520.0f, 1e6f, 65519.0f, 1e-30f, -3e-5f, 1e-6f, 6e-5f})
        v.push_back(x);
    return v;
}

} // namespace

class TestCliCast : public CliTestBase {
    Q_OBJECT

private slots:
    void initTestCase();
    void analyzeF16CountsOverflow();
    void analyzeBf16KeepsTheRange();
    void castRefusesGranularity();
    void compareListsCasts();
    void planRuleChoosesCast();
    void reportCountsOverAndUnderflow();
    void llamaCppTypesNameCasts();
};

void TestCliCast::initTestCase() {
    prepare();
    const Status written =
        writeSafetensors(file("cast.safetensors").toStdString(),
                         {blob("model.layers.0.mlp.up_proj.weight", DType::F32, {2, 504}, castValues())});
    QVERIFY2(written.ok(), written.error().c_str());
    const Run r = run({QStringLiteral("demo"), file("demo.safetensors")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
}

void TestCliCast::analyzeF16CountsOverflow() {
    const QJsonObject o =
        runJson({QStringLiteral("analyze"), file("cast.safetensors"), QStringLiteral("--tensor"),
                 QStringLiteral("model.layers.0.mlp.up_proj.weight"), QStringLiteral("--format"),
                 QStringLiteral("f16"), QStringLiteral("--json")});
    QCOMPARE(o.value(QStringLiteral("format")).toString(), QStringLiteral("f16"));
    QCOMPARE(o.value(QStringLiteral("bits_per_weight")).toDouble(), 16.0);
    QCOMPARE(o.value(QStringLiteral("overflow_count")).toInteger(), 3);
    QCOMPARE(o.value(QStringLiteral("underflow_count")).toInteger(), 4);
    // Clipped is exactly the overflow: 65519 rounds to 65504 without overflowing.
    QCOMPARE(o.value(QStringLiteral("clipped_fraction")).toDouble(), 3.0 / 1008.0);
    // The worst error is 1e6 counted at 65504.
    QCOMPARE(o.value(QStringLiteral("max_abs_error")).toDouble(), 1e6 - 65504.0);
    QVERIFY(o.value(QStringLiteral("scale")).isNull());
}

void TestCliCast::analyzeBf16KeepsTheRange() {
    const QJsonObject o =
        runJson({QStringLiteral("analyze"), file("cast.safetensors"), QStringLiteral("--tensor"),
                 QStringLiteral("model.layers.0.mlp.up_proj.weight"), QStringLiteral("--format"),
                 QStringLiteral("bf16"), QStringLiteral("--json")});
    QCOMPARE(o.value(QStringLiteral("overflow_count")).toInteger(), 0);
    QCOMPARE(o.value(QStringLiteral("underflow_count")).toInteger(), 0);
    QCOMPARE(o.value(QStringLiteral("clipped_fraction")).toDouble(), 0.0);
    // Other formats keep their keys: no cast counts.
    const QJsonObject intReport =
        runJson({QStringLiteral("analyze"), file("cast.safetensors"), QStringLiteral("--tensor"),
                 QStringLiteral("model.layers.0.mlp.up_proj.weight"), QStringLiteral("--json")});
    QVERIFY(!intReport.contains(QStringLiteral("overflow_count")));
}

void TestCliCast::castRefusesGranularity() {
    const Run r = run({QStringLiteral("analyze"), file("cast.safetensors"), QStringLiteral("--tensor"),
                       QStringLiteral("model.layers.0.mlp.up_proj.weight"), QStringLiteral("--format"),
                       QStringLiteral("f16"), QStringLiteral("--granularity"), QStringLiteral("channel")});
    QVERIFY(!r.crashed);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("granularity channel does not apply to f16: a cast has no scale"),
             r.err.constData());
}

// The ladder on an F32 tensor: f16 and bf16 at 16 bits, above fp8 and int8 in SQNR.
void TestCliCast::compareListsCasts() {
    const QJsonObject o =
        runJson({QStringLiteral("compare"), file("demo.safetensors"), QStringLiteral("--tensor"),
                 QStringLiteral("model.layers.0.self_attn.q_proj.weight"), QStringLiteral("--json")});
    std::map<QString, double> sqnr;
    for (const QJsonValue &value : o.value(QStringLiteral("rows")).toArray()) {
        const QJsonObject row = value.toObject();
        const QString format = row.value(QStringLiteral("format")).toString();
        if (format == QStringLiteral("f16") || format == QStringLiteral("bf16"))
            QCOMPARE(row.value(QStringLiteral("bits_per_weight")).toDouble(), 16.0);
        if (row.value(QStringLiteral("granularity")).toString() == QStringLiteral("tensor"))
            sqnr[format + QString::number(row.value(QStringLiteral("bits")).toInt())] =
                row.value(QStringLiteral("sqnr_db")).toDouble();
    }
    QVERIFY(sqnr.count(QStringLiteral("f1616")) && sqnr.count(QStringLiteral("bf1616")));
    // F16 keeps 11 significant bits, BF16 8: about 18 dB apart on values well inside F16's range.
    QVERIFY(sqnr[QStringLiteral("f1616")] > sqnr[QStringLiteral("bf1616")] + 12.0);
    QVERIFY(sqnr[QStringLiteral("bf1616")] > sqnr[QStringLiteral("fp8_e4m38")]);
    QVERIFY(sqnr[QStringLiteral("fp8_e4m38")] > sqnr[QStringLiteral("int4")]);
}

// A rule's cast drops the default's group:128 and mse, which do not apply to it; the same keys
// written on the rule are errors naming them.
void TestCliCast::planRuleChoosesCast() {
    const QString plan = file("cast-plan.json");
    QFile out(plan);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(R"({"format": "quantscope-plan", "version": 1,
        "default": {"format": "int", "bits": 4, "granularity": "group:128", "method": "mse"},
        "rules": [{"match": "*.q_proj.weight", "scheme": {"format": "f16"}}]})");
    out.close();
    const QJsonObject o = runJson({QStringLiteral("report"), file("demo.safetensors"),
                                   QStringLiteral("--plan"), plan, QStringLiteral("--json")});
    int casts = 0;
    for (const QJsonValue &value : o.value(QStringLiteral("tensors")).toArray()) {
        const QJsonObject t = value.toObject();
        if (!t.value(QStringLiteral("name")).toString().endsWith(QStringLiteral("q_proj.weight")))
            continue;
        ++casts;
        QCOMPARE(t.value(QStringLiteral("format")).toString(), QStringLiteral("f16"));
        QCOMPARE(t.value(QStringLiteral("granularity")).toString(), QStringLiteral("tensor"));
        QCOMPARE(t.value(QStringLiteral("method")).toString(), QStringLiteral("minmax"));
        QCOMPARE(t.value(QStringLiteral("bits_per_weight")).toDouble(), 16.0);
    }
    QCOMPARE(casts, 4);
    QFile bad(file("bad-plan.json"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write(R"({"format": "quantscope-plan", "version": 1,
        "default": {"format": "bf16", "granularity": "channel"}})");
    bad.close();
    const Run r = run({QStringLiteral("report"), file("demo.safetensors"), QStringLiteral("--plan"),
                       file("bad-plan.json"), QStringLiteral("--json")});
    QVERIFY(!r.crashed);
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("granularity does not apply to bf16: a cast has no scale"), r.err.constData());
}

// The model table counts a cast's overflow and underflow as analyze does (castValues: 3 and 4),
// and leaves both null for any other scheme.
void TestCliCast::reportCountsOverAndUnderflow() {
    const auto tensorOf = [this](const QString &format) {
        const QJsonObject o = runJson({QStringLiteral("report"), file("cast.safetensors"),
                                       QStringLiteral("--format"), format, QStringLiteral("--json")});
        return o.value(QStringLiteral("tensors")).toArray().at(0).toObject();
    };
    const QJsonObject f16 = tensorOf(QStringLiteral("f16"));
    QCOMPARE(f16.value(QStringLiteral("overflow_count")).toInteger(), 3);
    QCOMPARE(f16.value(QStringLiteral("underflow_count")).toInteger(), 4);
    QCOMPARE(f16.value(QStringLiteral("clipped_fraction")).toDouble(), 3.0 / 1008.0);
    // BF16 keeps F32's range: 1e-30 is a normal BF16 number, so nothing overflows or underflows.
    const QJsonObject bf16 = tensorOf(QStringLiteral("bf16"));
    QCOMPARE(bf16.value(QStringLiteral("overflow_count")).toInteger(), 0);
    QCOMPARE(bf16.value(QStringLiteral("underflow_count")).toInteger(), 0);
    const QJsonObject int8 = tensorOf(QStringLiteral("int"));
    QVERIFY(int8.value(QStringLiteral("overflow_count")).isNull());
    QVERIFY(int8.value(QStringLiteral("underflow_count")).isNull());
    const Run csv = run({QStringLiteral("report"), file("cast.safetensors"), QStringLiteral("--format"),
                         QStringLiteral("f16"), QStringLiteral("--csv")});
    QCOMPARE(csv.exitCode, 0);
    const QStringList lines = QString::fromUtf8(csv.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const QStringList header = lines.at(0).split(QLatin1Char(','));
    const QStringList row = lines.at(1).split(QLatin1Char(','));
    QCOMPARE(row.at(header.indexOf(QStringLiteral("overflow_count"))), QStringLiteral("3"));
    QCOMPARE(row.at(header.indexOf(QStringLiteral("underflow_count"))), QStringLiteral("4"));
}

// llama-quantize takes ggml's type names, which spell the casts f16 and bf16.
void TestCliCast::llamaCppTypesNameCasts() {
    const QString out = file("types.txt");
    const Run r = run({QStringLiteral("export"), file("demo.safetensors"), QStringLiteral("--to"),
                       QStringLiteral("llama-cpp-types"), QStringLiteral("-o"), out,
                       QStringLiteral("--format"), QStringLiteral("bf16")});
    QVERIFY2(!r.crashed && r.exitCode == 0, r.err.constData());
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(file.readAll());
    QVERIFY2(text.contains(QStringLiteral("^blk\\.0\\.attn_q\\.weight$=bf16")), qPrintable(text));
}

QTEST_GUILESS_MAIN(TestCliCast)
#include "tst_clicast.moc"
