// quantscope-cli report: every tensor of a model under a plan, as JSON or CSV.

#include "clifixture.h"
#include "testimatrix.h"

#include "plan/planjson.h"
#include "testgguf.h"

#include "quant/ggmlencode.h"
#include "quant/schememeasure.h"
#include "stats/weightederror.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QtEndian>

using namespace qs;
using namespace qs::test;

namespace {

const QString kQ = QStringLiteral("model.layers.0.self_attn.q_proj.weight");
const QString kUp = QStringLiteral("model.layers.0.mlp.up_proj.weight");
const QString kDown = QStringLiteral("model.layers.0.mlp.down_proj.weight");
const QString kEmbed = QStringLiteral("model.embed_tokens.weight");
const QString kNorm = QStringLiteral("model.layers.0.input_layernorm.weight");
const QString kOdd = QStringLiteral("odd,name \"x\".bias");

const QStringList kKeys{QStringLiteral("name"),
                        QStringLiteral("shape"),
                        QStringLiteral("dtype"),
                        QStringLiteral("params"),
                        QStringLiteral("kept"),
                        QStringLiteral("format"),
                        QStringLiteral("bits"),
                        QStringLiteral("granularity"),
                        QStringLiteral("method"),
                        QStringLiteral("bits_per_weight"),
                        QStringLiteral("mse"),
                        QStringLiteral("sqnr_db"),
                        QStringLiteral("rel_rmse"),
                        QStringLiteral("max_abs_error"),
                        QStringLiteral("clipped_fraction"),
                        QStringLiteral("overflow_count"),
                        QStringLiteral("underflow_count"),
                        QStringLiteral("cosine"),
                        QStringLiteral("kurtosis"),
                        QStringLiteral("weighted_mse"),
                        QStringLiteral("reference_mse"),
                        QStringLiteral("reference_sqnr_db"),
                        QStringLiteral("reference_cosine"),
                        QStringLiteral("reference_max_abs_diff"),
                        QStringLiteral("reference_partner"),
                        QStringLiteral("reference_skipped"),
                        QStringLiteral("skipped")};

std::vector<float> wave(int n, double frequency, float amplitude) {
    std::vector<float> v;
    for (int i = 0; i < n; ++i)
        v.push_back(amplitude * float(std::sin(frequency * i) + 0.3 * std::cos(3.1 * frequency * i)));
    return v;
}

QByteArray le32(qint32 value) {
    QByteArray bytes(4, '\0');
    qToLittleEndian(value, bytes.data());
    return bytes;
}

// llama.cpp's imatrix.dat: int32 entry count; per entry int32 name length, name, int32 ncall,
// int32 nval, nval float32 values. ncall 1, so each weight is its value.
QByteArray legacyImatrix(const QList<QPair<QByteArray, std::vector<float>>> &entries) {
    QByteArray out = le32(qint32(entries.size()));
    for (const auto &[name, values] : entries) {
        out += le32(qint32(name.size())) + name + le32(1) + le32(qint32(values.size()));
        for (float v : values) {
            QByteArray bytes(4, '\0');
            qToLittleEndian(v, bytes.data());
            out += bytes;
        }
    }
    return out;
}

std::vector<float> columnWeights() {
    std::vector<float> w(256);
    for (std::size_t j = 0; j < w.size(); ++j)
        w[j] = float(1 + j % 5);
    return w;
}

QJsonObject byName(const QJsonObject &report, const QString &name) {
    for (const QJsonValue &t : report.value(QStringLiteral("tensors")).toArray())
        if (t.toObject().value(QStringLiteral("name")).toString() == name)
            return t.toObject();
    return {};
}

} // namespace

class TestCliReport : public CliTestBase {
    Q_OBJECT

private slots:
    void initTestCase();
    void jsonKeysInOrderWithNulls();
    void figuresEqualAnalyze();
    void summaryAddsUp();
    void planChangesOnlyMatchedTensors();
    void badPlanFile();
    void csvRows();
    void imatrixWeightedError();
    void imatrixUnmatchedNames();
    void imatrixRowLengthMismatch();
    void imatrixNothingMatches();
    void imatrixNeitherForm();
    void usageErrors();
    void budgetFitRaisesWithinBudget();
    void budgetOverFirstRungs();
    void budgetKeepsPlanIgnoreList();
    void budgetSavePlanRoundTrip();
    void budgetUsageErrors();
    void referenceFigures();
    void referenceUnpairedAndCsv();
    void referenceUnreadable();
    void scaleDtypeOption();

private:
    QString writeReference();
    QStringList report(const QStringList &extra) const {
        return QStringList{QStringLiteral("report"), file("llama.safetensors")} + extra;
    }
    QString writeFile(const char *name, const QByteArray &bytes) {
        QFile out(file(name));
        [&] { QVERIFY(out.open(QIODevice::WriteOnly)); }();
        out.write(bytes);
        return out.fileName();
    }
};

void TestCliReport::initTestCase() {
    prepare();
    const std::vector<TensorBlob> tensors{
        blob(kEmbed.toStdString(), DType::BF16, {16, 256}, wave(16 * 256, 0.11, 0.5f)),
        blob(kNorm.toStdString(), DType::F32, {256}, wave(256, 0.05, 1.0f)),
        blob(kQ.toStdString(), DType::F32, {8, 256}, wave(8 * 256, 0.37, 0.02f)),
        blob(kUp.toStdString(), DType::BF16, {16, 256}, wave(16 * 256, 0.23, 0.03f)),
        blob(kDown.toStdString(), DType::F32, {4, 200}, wave(800, 0.19, 0.02f)), // q4_k needs rows of 256
        blob(kOdd.toStdString(), DType::F32, {4}, {1, 2, 3, 4}),
    };
    const Status written = writeSafetensors(file("llama.safetensors").toStdString(), tensors);
    QVERIFY2(written.ok(), written.error().c_str());
}

void TestCliReport::jsonKeysInOrderWithNulls() {
    const Run r = run(report({QStringLiteral("--json"), QStringLiteral("--format"), QStringLiteral("q4_k")}));
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.err.isEmpty());
    // QJsonDocument sorts keys, so the order is read from the text: every tensor's keys in turn.
    QStringList keys;
    static const QRegularExpression key(QStringLiteral("^ {12}\"([a-z_]+)\": "),
                                        QRegularExpression::MultilineOption);
    for (auto it = key.globalMatch(QString::fromUtf8(r.out)); it.hasNext();)
        keys.append(it.next().captured(1));
    QCOMPARE(keys.size(), kKeys.size() * 6);
    for (qsizetype t = 0; t < 6; ++t)
        QCOMPARE(keys.mid(t * kKeys.size(), kKeys.size()), kKeys);

    const QJsonObject doc = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(doc.keys(), (QStringList{QStringLiteral("summary"), QStringLiteral("tensors")}));
    const QJsonObject embed = byName(doc, kEmbed);
    QCOMPARE(embed.value(QStringLiteral("kept")), QJsonValue(true));
    QCOMPARE(embed.value(QStringLiteral("bits_per_weight")).toDouble(), 16.0); // stored BF16
    QCOMPARE(embed.value(QStringLiteral("shape")).toArray(), (QJsonArray{16, 256}));
    for (const char *k : {"format", "bits", "granularity", "method", "mse", "sqnr_db", "cosine", "kurtosis",
                          "weighted_mse", "reference_mse", "skipped"})
        QVERIFY2(embed.value(QLatin1String(k)).isNull(), k);
    QCOMPARE(byName(doc, kNorm).value(QStringLiteral("kept")), QJsonValue(true));

    const QJsonObject down = byName(doc, kDown);
    QCOMPARE(down.value(QStringLiteral("kept")), QJsonValue(false));
    const QString reason = down.value(QStringLiteral("skipped")).toString();
    QVERIFY2(reason.contains(QStringLiteral("200")) && reason.contains(QStringLiteral("q4_k")),
             qPrintable(reason));
    QVERIFY(down.value(QStringLiteral("format")).isNull() && down.value(QStringLiteral("mse")).isNull());
    QCOMPARE(down.value(QStringLiteral("bits_per_weight")).toDouble(), 32.0);

    const QJsonObject q = byName(doc, kQ);
    QCOMPARE(q.value(QStringLiteral("format")).toString(), QStringLiteral("q4_k"));
    QVERIFY(q.value(QStringLiteral("bits")).isNull());        // q4_k has no bit width to choose
    QVERIFY(q.value(QStringLiteral("granularity")).isNull()); // nor a granularity
    QCOMPARE(q.value(QStringLiteral("method")).toString(), QStringLiteral("minmax"));
    QVERIFY(q.value(QStringLiteral("kurtosis")).isDouble() && q.value(QStringLiteral("rel_rmse")).isDouble());
    QVERIFY(q.value(QStringLiteral("skipped")).isNull() && q.value(QStringLiteral("reference_mse")).isNull());
}

void TestCliReport::figuresEqualAnalyze() {
    const QList<QStringList> schemes{
        {QStringLiteral("--format"), QStringLiteral("q4_k")},
        {QStringLiteral("--bits"), QStringLiteral("4"), QStringLiteral("--granularity"),
         QStringLiteral("group:32")},
        {}, // int8 per tensor: analyze takes its per-tensor path, report measureScheme's
    };
    for (const QStringList &scheme : schemes) {
        const QJsonObject doc = runJson(report(QStringList{QStringLiteral("--json")} + scheme));
        for (const QString &name : {kQ, kUp}) {
            const QJsonObject analyzed =
                runJson(QStringList{QStringLiteral("analyze"), file("llama.safetensors"),
                                    QStringLiteral("--tensor"), name, QStringLiteral("--json")} +
                        scheme);
            const QJsonObject row = byName(doc, name);
            for (const char *k : {"mse", "sqnr_db", "cosine", "max_abs_error", "bits_per_weight"}) {
                const QString what = scheme.join(QLatin1Char(' ')) + QLatin1Char(' ') + name +
                                     QLatin1Char(' ') + QLatin1String(k);
                QVERIFY2(row.value(QLatin1String(k)).isDouble(), qPrintable(what));
                QVERIFY2(row.value(QLatin1String(k)) == analyzed.value(QLatin1String(k)), qPrintable(what));
            }
        }
    }
}

void TestCliReport::summaryAddsUp() {
    const QJsonObject doc =
        runJson(report({QStringLiteral("--json"), QStringLiteral("--format"), QStringLiteral("q4_k")}));
    qint64 params = 0;
    int kept = 0;
    int skipped = 0;
    int quantized = 0;
    double bits = 0.0;
    for (const QJsonValue &v : doc.value(QStringLiteral("tensors")).toArray()) {
        const QJsonObject t = v.toObject();
        params += t.value(QStringLiteral("params")).toInteger();
        kept += t.value(QStringLiteral("kept")).toBool() ? 1 : 0;
        skipped += t.value(QStringLiteral("skipped")).isString() ? 1 : 0;
        quantized += t.value(QStringLiteral("mse")).isDouble() ? 1 : 0;
        bits += t.value(QStringLiteral("bits_per_weight")).toDouble() *
                double(t.value(QStringLiteral("params")).toInteger());
    }
    const QJsonObject s = doc.value(QStringLiteral("summary")).toObject();
    QCOMPARE(s.keys().size(), 8);
    QCOMPARE(s.value(QStringLiteral("tensors")).toInteger(), 6);
    QCOMPARE(s.value(QStringLiteral("kept")).toInteger(), kept);
    QCOMPARE(kept, 3); // embedding, norm, 1-D bias
    QCOMPARE(s.value(QStringLiteral("skipped")).toInteger(), skipped);
    QCOMPARE(skipped, 1);
    QCOMPARE(s.value(QStringLiteral("quantized")).toInteger(), quantized);
    QCOMPARE(quantized, 2);
    QCOMPARE(s.value(QStringLiteral("total_params")).toInteger(), params);
    QCOMPARE(params, qint64(16 * 256 + 256 + 8 * 256 + 16 * 256 + 800 + 4));
    // The same sum in the same order: the same bits.
    QCOMPARE(s.value(QStringLiteral("avg_bits_per_weight")).toDouble(), bits / double(params));
    QCOMPARE(s.value(QStringLiteral("total_bytes")).toDouble(), bits / 8.0);
    QVERIFY(s.value(QStringLiteral("seconds")).toDouble() >= 0.0);
}

void TestCliReport::planChangesOnlyMatchedTensors() {
    // The default int8 of the plain report, a rule for the MLP and an override for q_proj.
    const QString plan = writeFile(
        "plan.json", R"({"format": "quantscope-plan", "version": 1, "default": {"format": "int", "bits": 8},
            "rules": [{"match": "*.mlp.*", "scheme": {"format": "q8_0"}}],
            "overrides": {"model.layers.0.self_attn.q_proj.weight": {"bits": 4, "granularity": "group:32"}}})");
    const QJsonObject plain = runJson(report({QStringLiteral("--json")}));
    const QJsonObject planned = runJson(report({QStringLiteral("--json"), QStringLiteral("--plan"), plan}));
    const QJsonArray a = plain.value(QStringLiteral("tensors")).toArray();
    const QJsonArray b = planned.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(a.size(), b.size());
    QStringList changed;
    for (qsizetype i = 0; i < a.size(); ++i)
        if (a[i] != b[i])
            changed.append(b[i].toObject().value(QStringLiteral("name")).toString());
    QCOMPARE(changed, (QStringList{kQ, kUp, kDown}));
    const QJsonObject q = byName(planned, kQ);
    QCOMPARE(q.value(QStringLiteral("bits")).toInt(), 4);
    QCOMPARE(q.value(QStringLiteral("granularity")).toString(), QStringLiteral("group:32"));
    QCOMPARE(byName(planned, kUp).value(QStringLiteral("format")).toString(), QStringLiteral("q8_0"));
    // q8_0's blocks of 32 do not divide rows of 200.
    QVERIFY(
        byName(planned, kDown).value(QStringLiteral("skipped")).toString().contains(QStringLiteral("q8_0")));
}

void TestCliReport::badPlanFile() {
    const QString plan = writeFile("bad-plan.json", R"({"format": "quantscope-plan", "version": 1,
        "default": {"format": "q4_k", "bits": 4}})");
    const Run r = run(report({QStringLiteral("--json"), QStringLiteral("--plan"), plan}));
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.startsWith(QStringLiteral("error: %1: ").arg(plan).toUtf8()), r.err.constData());
    QVERIFY2(r.err.contains("bits"), r.err.constData());
}

void TestCliReport::csvRows() {
    const QStringList args{QStringLiteral("--format"), QStringLiteral("q4_k")};
    const Run r = run(report(QStringList{QStringLiteral("--csv")} + args));
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = QString::fromUtf8(r.out).split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 8); // header, six rows, the empty piece after the last newline
    QCOMPARE(lines[0], kKeys.join(QLatin1Char(',')));
    QVERIFY(lines.last().isEmpty());
    const QJsonObject doc = runJson(report(QStringList{QStringLiteral("--json")} + args));
    const QStringList q = lines[3].split(QLatin1Char(','));
    QCOMPARE(q.size(), kKeys.size());
    QCOMPARE(q[0], kQ);
    QCOMPARE(q[1], QStringLiteral("8x256"));
    QCOMPARE(q[4], QStringLiteral("false"));
    QCOMPARE(q[5], QStringLiteral("q4_k"));
    const auto at = [&q](const char *key) { return q[kKeys.indexOf(QLatin1String(key))]; };
    for (const char *key :
         {"bits", "overflow_count", "underflow_count", "weighted_mse", "reference_mse", "reference_sqnr_db"})
        QVERIFY2(at(key).isEmpty(), key);
    QCOMPARE(at("mse").toDouble(), byName(doc, kQ).value(QStringLiteral("mse")).toDouble());
    QCOMPARE(at("cosine").toDouble(), byName(doc, kQ).value(QStringLiteral("cosine")).toDouble());
    QVERIFY(lines[2].startsWith(kNorm + QStringLiteral(",256,F32,256,true,,,,,32,")));
    QVERIFY2(lines[5].endsWith(byName(doc, kDown).value(QStringLiteral("skipped")).toString()),
             qPrintable(lines[5]));
    QVERIFY2(lines[6].startsWith(QStringLiteral("\"odd,name \"\"x\"\".bias\",4,F32,")), qPrintable(lines[6]));
    // The summary is one line on stderr, so stdout stays pure CSV.
    QVERIFY2(r.err.startsWith("report: 6 tensors (2 quantized, 3 kept, 1 skipped), 11300 parameters"),
             r.err.constData());
    QCOMPARE(r.err.count('\n'), 1);
}

void TestCliReport::imatrixWeightedError() {
    const std::vector<float> weights = columnWeights();
    const QString dat = writeFile("imatrix.dat", legacyImatrix({{"blk.0.attn_q.weight", weights}}));
    const QJsonObject doc = runJson(report({QStringLiteral("--json"), QStringLiteral("--format"),
                                            QStringLiteral("q4_k"), QStringLiteral("--imatrix"), dat}));
    // q4_k quantizes with the weights, as llama-quantize --imatrix: the figures are measureScheme's
    // with them, and the weighted error is that x̂'s.
    const auto reader = openCheckpoint(file("llama.safetensors").toStdString());
    QVERIFY(reader);
    const auto x = reader.value()->loadFloat(2);
    QVERIFY(x);
    QuantSpec spec;
    spec.format = NumberFormat::Q4_K;
    std::vector<float> xHat(x.value()->values().size());
    const auto measured = measureScheme(x.value()->values(), {8, 256}, spec, {}, xHat, weights);
    QVERIFY(measured);
    const auto expected = weightedMse(x.value()->values(), xHat, weights, 256);
    QVERIFY(expected);
    const QJsonObject q = byName(doc, kQ);
    QCOMPARE(q.value(QStringLiteral("weighted_mse")).toDouble(), expected.value());
    QCOMPARE(q.value(QStringLiteral("mse")).toDouble(), measured->error.mse);
    QVERIFY(expected.value() != q.value(QStringLiteral("mse")).toDouble());
    QVERIFY(byName(doc, kUp).value(QStringLiteral("weighted_mse")).isNull()); // no entry
    QVERIFY(byName(doc, kEmbed).value(QStringLiteral("weighted_mse")).isNull());
    // Without --imatrix q_proj takes the plain path: other blocks.
    const QJsonObject plain =
        runJson(report({QStringLiteral("--json"), QStringLiteral("--format"), QStringLiteral("q4_k")}));
    QVERIFY(byName(plain, kQ).value(QStringLiteral("mse")).toDouble() != measured->error.mse);

    // The GGUF form of the same weights gives the same row.
    const QString gguf = writeFile("imatrix.gguf", imatrixGgufFile({{"blk.0.attn_q.weight", weights}}));
    const QJsonObject fromGguf = runJson(report({QStringLiteral("--json"), QStringLiteral("--format"),
                                                 QStringLiteral("q4_k"), QStringLiteral("--imatrix"), gguf}));
    QCOMPARE(byName(fromGguf, kQ), q);
}

// Entries that match no tensor are listed in a warning; the tensors that match are weighed.
void TestCliReport::imatrixUnmatchedNames() {
    const QString dat = writeFile("unmatched.dat", legacyImatrix({{"blk.0.attn_q.weight", columnWeights()},
                                                                  {"blk.5.attn_q.weight", {1.0f}},
                                                                  {"mystery", {1.0f}}}));
    const Run r = run(report({QStringLiteral("--json"), QStringLiteral("--imatrix"), dat}));
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.startsWith(QStringLiteral("warning: %1: 2 of 3").arg(dat).toUtf8()), r.err.constData());
    QVERIFY2(r.err.contains("'blk.5.attn_q.weight', 'mystery'"), r.err.constData());
    QCOMPARE(r.err.count('\n'), 1);
    const QJsonObject doc = QJsonDocument::fromJson(r.out).object();
    QVERIFY(byName(doc, kQ).value(QStringLiteral("weighted_mse")).isDouble());

    const Run missing =
        run(report({QStringLiteral("--json"), QStringLiteral("--imatrix"), file("none.dat")}));
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains(file("none.dat").toUtf8()), missing.err.constData());
}

void TestCliReport::imatrixRowLengthMismatch() {
    const QString dat = writeFile("short.dat", legacyImatrix({{"blk.0.attn_q.weight", {1.0f, 2.0f, 3.0f}}}));
    const Run r = run(report({QStringLiteral("--csv"), QStringLiteral("--imatrix"), dat}));
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty()); // refused before anything is measured
    QVERIFY2(r.err.contains("has 3 values") && r.err.contains(kQ.toUtf8()) && r.err.contains("256 columns"),
             r.err.constData());
}

// A matrix none of whose entries names a tensor was made for another model: an error, listing them.
void TestCliReport::imatrixNothingMatches() {
    const QString gguf = writeFile("other.gguf", imatrixGgufFile({{"blk.9.ffn_down.weight", columnWeights()},
                                                                  {"blk.9.attn_v.weight", columnWeights()}}));
    const Run r = run(report({QStringLiteral("--csv"), QStringLiteral("--imatrix"), gguf}));
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.startsWith(QStringLiteral("error: %1: 2 of 2").arg(gguf).toUtf8()), r.err.constData());
    QVERIFY2(r.err.contains("'blk.9.attn_v.weight', 'blk.9.ffn_down.weight'"), r.err.constData());
}

void TestCliReport::imatrixNeitherForm() {
    const QString text = writeFile("notes.imatrix", "some notes, not an importance matrix\n");
    const Run r = run(report({QStringLiteral("--json"), QStringLiteral("--imatrix"), text}));
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.contains(text.toUtf8()) && r.err.contains("not a recognised importance matrix"),
             r.err.constData());
    const Run empty = run(report({QStringLiteral("--json"), QStringLiteral("--imatrix=")}));
    QCOMPARE(empty.exitCode, 2);
    QVERIFY2(empty.err.contains("--imatrix needs a file name"), empty.err.constData());
}

void TestCliReport::usageErrors() {
    const QList<QPair<QStringList, QByteArray>> cases{
        {{QStringLiteral("--json"), QStringLiteral("--plan"), QStringLiteral("p.json"),
          QStringLiteral("--bits"), QStringLiteral("4")},
         "excludes --bits"},
        {{}, "report needs --json or --csv"},
        {{QStringLiteral("--json"), QStringLiteral("--csv")}, "not both"},
        {{QStringLiteral("--json"), QStringLiteral("--tensor"), kQ}, "unknown option"},
        {{QStringLiteral("--csv"), QStringLiteral("--params")}, "unknown option"},
        {{QStringLiteral("--csv"), QStringLiteral("--format"), QStringLiteral("q4_k"),
          QStringLiteral("--bits"), QStringLiteral("4")},
         "does not apply"},
    };
    for (const auto &[args, message] : cases) {
        const Run r = run(report(args));
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.contains(message), r.err.constData());
    }
    const Run missing =
        run({QStringLiteral("report"), file("nothing.safetensors"), QStringLiteral("--json")});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY(missing.out.isEmpty());
    const Run junk = run({QStringLiteral("report"), file("junk.safetensors"), QStringLiteral("--csv")});
    QCOMPARE(junk.exitCode, 1);
    QVERIFY(junk.out.isEmpty());
}

// The fixture's llama model at the ladder q4_k, q8_0, keep. Ignored: embedding (4096 BF16, 65536
// bits), norm (256 F32, 8192) and the 1-D bias (4 F32, 128): 73856 bits. down's rows of 200 take
// neither q4_k nor q8_0, so it starts on keep (800 F32, 25600 bits). q (2048) and up (4096) start
// on q4_k at 4.5 bits: 9216 and 18432. Start: 127104 bits of 11300 parameters. Raising q to q8_0
// costs 2048 · 4 = 8192 bits, up 4096 · 4 = 16384, to keep far more (48128 and 30720).
// At 12.5 bits per weight (141250 bits) only q's raise fits, whichever has the better ratio:
// 135296 bits, 11.973 bits per weight.
void TestCliReport::budgetFitRaisesWithinBudget() {
    const QStringList ladder{QStringLiteral("--ladder"), QStringLiteral("q4_k,q8_0,keep")};
    // 0.0000164 GiB = 140874.6 bits: the same single raise.
    for (const QStringList &budget :
         {QStringList{QStringLiteral("--budget-bpw"), QStringLiteral("12.5")},
          QStringList{QStringLiteral("--budget-gib"), QStringLiteral("0.0000164")}}) {
        const Run r = run(report(QStringList{QStringLiteral("--json")} + budget + ladder));
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.startsWith("budget: fitted 3 tensors to ") && r.err.contains("(raises: 1)"),
                 r.err.constData());
        const QJsonObject doc = QJsonDocument::fromJson(r.out).object();
        const QJsonObject summary = doc.value(QStringLiteral("summary")).toObject();
        const double bpw = summary.value(QStringLiteral("avg_bits_per_weight")).toDouble();
        QVERIFY2(bpw <= 12.5 && std::abs(bpw - 135296.0 / 11300.0) < 1e-12, qPrintable(QString::number(bpw)));
        QCOMPARE(summary.value(QStringLiteral("total_bytes")).toDouble(), 135296.0 / 8.0);
        QCOMPARE(byName(doc, kQ).value(QStringLiteral("format")).toString(), QStringLiteral("q8_0"));
        QCOMPARE(byName(doc, kUp).value(QStringLiteral("format")).toString(), QStringLiteral("q4_k"));
        QCOMPARE(byName(doc, kDown).value(QStringLiteral("kept")), QJsonValue(true));
        QCOMPARE(byName(doc, kDown).value(QStringLiteral("bits_per_weight")).toDouble(), 32.0);
        QCOMPARE(byName(doc, kEmbed).value(QStringLiteral("kept")), QJsonValue(true));
    }
    // 14 bits per weight (158200 bits): both q8_0 raises fit (127104 + 24576 = 151680), no keep.
    const QJsonObject roomy =
        QJsonDocument::fromJson(run(report(QStringList{QStringLiteral("--json"),
                                                       QStringLiteral("--budget-bpw"), QStringLiteral("14")} +
                                           ladder))
                                    .out)
            .object();
    QCOMPARE(byName(roomy, kQ).value(QStringLiteral("format")).toString(), QStringLiteral("q8_0"));
    QCOMPARE(byName(roomy, kUp).value(QStringLiteral("format")).toString(), QStringLiteral("q8_0"));
    QCOMPARE(
        roomy.value(QStringLiteral("summary")).toObject().value(QStringLiteral("total_bytes")).toDouble(),
        151680.0 / 8.0);
}

// 8 bits per weight is below the 11.25 the first rungs need: a warning, and the first rungs.
void TestCliReport::budgetOverFirstRungs() {
    const Run r = run(report({QStringLiteral("--csv"), QStringLiteral("--budget-bpw"), QStringLiteral("8"),
                              QStringLiteral("--ladder"), QStringLiteral("q4_k,q8_0,keep")}));
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.startsWith("warning: --budget-bpw 8: the first rungs alone need 11.2481 bits per weight"),
             r.err.constData());
    const QStringList lines = QString::fromUtf8(r.out).split(QLatin1Char('\n'));
    QVERIFY(lines[3].startsWith(kQ + QStringLiteral(",8x256,F32,2048,false,q4_k,")));
    QVERIFY(lines[4].startsWith(kUp + QStringLiteral(",16x256,BF16,4096,false,q4_k,")));
    QVERIFY2(
        r.err.contains("report: 6 tensors (2 quantized, 4 kept, 0 skipped), 11300 parameters, 15888 bytes"),
        r.err.constData());
}

// The plan's ignore list is the fit's: q ignored by the plan stays kept, up alone is fitted.
void TestCliReport::budgetKeepsPlanIgnoreList() {
    const QString plan = writeFile("ignore-q.json", R"({"format": "quantscope-plan", "version": 1,
        "ignore": ["*.q_proj.weight"]})");
    const Run r =
        run(report({QStringLiteral("--json"), QStringLiteral("--plan"), plan, QStringLiteral("--budget-bpw"),
                    QStringLiteral("20"), QStringLiteral("--ladder"), QStringLiteral("q4_k,q8_0")}));
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.startsWith("budget: fitted 2 tensors (1 could take no rung) to 20 bits per weight"),
             r.err.constData()); // up, and down
    const QJsonObject doc = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(byName(doc, kQ).value(QStringLiteral("kept")), QJsonValue(true));
    QCOMPARE(byName(doc, kUp).value(QStringLiteral("format")).toString(), QStringLiteral("q8_0"));
    // down takes neither rung: left to the plan's default (int8), which it can take.
    QCOMPARE(byName(doc, kDown).value(QStringLiteral("format")).toString(), QStringLiteral("int"));
}

void TestCliReport::budgetSavePlanRoundTrip() {
    const QString saved = file("fitted.json");
    const QStringList fit{QStringLiteral("--json"),
                          QStringLiteral("--budget-bpw"),
                          QStringLiteral("12.5"),
                          QStringLiteral("--ladder"),
                          QStringLiteral("q4_k → q8_0 → keep"),
                          QStringLiteral("--save-plan"),
                          saved};
    const Run fitted = run(report(fit));
    QCOMPARE(fitted.exitCode, 0);
    const auto plan = loadPlan(saved.toStdString());
    QVERIFY2(plan, plan.error().c_str());
    QCOMPARE(plan->overrides.size(), std::size_t(3));
    QCOMPARE(plan->overrides.at(kDown.toStdString()), PlanOverride::keepStored());
    QCOMPARE(*plan->overrides.at(kQ.toStdString()).scheme.format, NumberFormat::Q8_0);
    QCOMPARE(*plan->overrides.at(kUp.toStdString()).scheme.format, NumberFormat::Q4_K);
    // The saved plan reports what the fit reported, tensor for tensor.
    const QJsonObject again = runJson(report({QStringLiteral("--json"), QStringLiteral("--plan"), saved}));
    QCOMPARE(again.value(QStringLiteral("tensors")),
             QJsonDocument::fromJson(fitted.out).object().value(QStringLiteral("tensors")));
    // Never over an input: the plan read, or the model.
    const QByteArray before = fileHash(saved);
    for (const QString &input : {saved, file("llama.safetensors")}) {
        const Run refused = run(report({QStringLiteral("--json"), QStringLiteral("--plan"), saved,
                                        QStringLiteral("--save-plan"), input}));
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("--save-plan") && refused.err.contains("input file"),
                 refused.err.constData());
    }
    QCOMPARE(fileHash(saved), before);
}

void TestCliReport::budgetUsageErrors() {
    const QString bpw = QStringLiteral("--budget-bpw");
    const QString ladder = QStringLiteral("--ladder");
    const QString good = QStringLiteral("q4_k,keep");
    const QList<QPair<QStringList, QByteArray>> cases{
        {{ladder, good}, "--ladder needs a budget"},
        {{bpw, QStringLiteral("5")}, "--budget-bpw needs --ladder"},
        {{QStringLiteral("--budget-gib"), QStringLiteral("1")}, "--budget-gib needs --ladder"},
        {{bpw, QStringLiteral("5"), QStringLiteral("--budget-gib"), QStringLiteral("1"), ladder, good},
         "--budget-bpw and --budget-gib exclude each other"},
        {{bpw, QStringLiteral("abc"), ladder, good}, "--budget-bpw must be a positive number, not \"abc\""},
        {{bpw, QStringLiteral("0"), ladder, good}, "--budget-bpw must be a positive number"},
        {{bpw, QStringLiteral("inf"), ladder, good}, "--budget-bpw must be a positive number"},
        {{QStringLiteral("--budget-gib"), QStringLiteral("-1"), ladder, good},
         "--budget-gib must be a positive number"},
        {{bpw, QStringLiteral("5"), ladder, QStringLiteral("q4_k,int17")},
         "--ladder: ladder rung 2 \"int17\": bits must be"},
        {{bpw, QStringLiteral("5"), ladder, QStringLiteral("q4_k")},
         "--ladder: a ladder needs at least 2 rungs"},
        {{QStringLiteral("--save-plan=")}, "--save-plan needs a file name"},
    };
    for (const auto &[args, message] : cases) {
        const Run r = run(report(QStringList{QStringLiteral("--json")} + args));
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.contains(message), r.err.constData());
    }
}

// A GGUF copy of llama.safetensors in llama.cpp's names (no architecture, so no row order to
// undo): q_proj shifted by 0.25, the layer norm as Q8_0 blocks, up_proj transposed, no embedding.
QString TestCliReport::writeReference() {
    const auto reader = openCheckpoint(file("llama.safetensors").toStdString());
    [&] { QVERIFY(reader); }();
    std::vector<float> q(reader.value()->loadFloat(2).value()->values().begin(),
                         reader.value()->loadFloat(2).value()->values().end());
    for (float &v : q)
        v += 0.25f;
    const auto norm = reader.value()->loadFloat(1).value()->values();
    const auto blocks = quantizeGgmlTensor(GgmlType::Q8_0, norm, 1, 256);
    [&] { QVERIFY(blocks); }();
    GgufBuilder gguf;
    gguf.f32("blk.0.attn_q.weight", {256, 8}, q);
    gguf.tensor(
        "blk.0.attn_norm.weight", {256}, quint32(GgmlType::Q8_0),
        QByteArray(reinterpret_cast<const char *>(blocks.value().data()), qsizetype(blocks.value().size())));
    gguf.f32("blk.0.ffn_up.weight", {16, 256}, std::vector<float>(16 * 256, 0.0f));
    return writeFile("reference.gguf", gguf.build());
}

void TestCliReport::referenceFigures() {
    const QString ref = writeReference();
    const QJsonObject doc = runJson(report({QStringLiteral("--json"), QStringLiteral("--reference"), ref}));
    // q_proj against q_proj + 0.25: every difference is 0.25 (the values are near 0.02, where
    // float adds 0.25 exactly enough for 1e-6), so MSE = 0.0625 and max |diff| = 0.25; SQNR and
    // cosine from Σx², Σx·r and Σr² of the values, computed here in double.
    const QJsonObject q = byName(doc, kQ);
    QCOMPARE(q.value(QStringLiteral("reference_partner")).toString(), QStringLiteral("blk.0.attn_q.weight"));
    QVERIFY(q.value(QStringLiteral("reference_skipped")).isNull());
    QVERIFY(std::abs(q.value(QStringLiteral("reference_mse")).toDouble() - 0.0625) < 1e-6);
    QVERIFY(std::abs(q.value(QStringLiteral("reference_max_abs_diff")).toDouble() - 0.25) < 1e-6);
    double xx = 0.0, xr = 0.0, rr = 0.0;
    for (float x : wave(8 * 256, 0.37, 0.02f)) {
        const double r = double(x + 0.25f);
        xx += double(x) * x;
        xr += double(x) * r;
        rr += r * r;
    }
    // Float sums in lanes of four values: x·r takes both signs, so its sum carries float's
    // relative error of the terms, about 1e-8 of the cosine here.
    QVERIFY(std::abs(q.value(QStringLiteral("reference_cosine")).toDouble() - xr / std::sqrt(xx * rr)) <
            1e-8);
    QVERIFY(std::abs(q.value(QStringLiteral("reference_sqnr_db")).toDouble() -
                     10.0 * std::log10(xx / (0.0625 * 8 * 256))) < 1e-3);
    // The Q8_0 norm: the figures of its decoded blocks against the float values, kept or not.
    const auto model = openCheckpoint(file("llama.safetensors").toStdString());
    const auto reference = openCheckpoint(ref.toStdString());
    QVERIFY(model && reference);
    const ValueError expected = compareValues(model.value()->loadFloat(1).value()->values(),
                                              reference.value()->loadFloat(1).value()->values());
    const QJsonObject norm = byName(doc, kNorm);
    QCOMPARE(norm.value(QStringLiteral("kept")), QJsonValue(true));
    QCOMPARE(norm.value(QStringLiteral("reference_partner")).toString(),
             QStringLiteral("blk.0.attn_norm.weight"));
    QCOMPARE(norm.value(QStringLiteral("reference_mse")).toDouble(), expected.mse);
    QCOMPARE(norm.value(QStringLiteral("reference_max_abs_diff")).toDouble(), expected.maxAbsError);
    QVERIFY(expected.mse > 0.0);
}

void TestCliReport::referenceUnpairedAndCsv() {
    const QString ref = writeReference();
    const QJsonObject doc = runJson(report({QStringLiteral("--json"), QStringLiteral("--reference"), ref}));
    const QJsonObject up = byName(doc, kUp);
    QVERIFY(up.value(QStringLiteral("reference_partner")).isNull() &&
            up.value(QStringLiteral("reference_mse")).isNull());
    QCOMPARE(up.value(QStringLiteral("reference_skipped")).toString(),
             QStringLiteral("no partner: reference blk.0.ffn_up.weight has shape [256, 16], not [16, 256]"));
    QCOMPARE(
        byName(doc, kEmbed).value(QStringLiteral("reference_skipped")).toString(),
        QStringLiteral("no partner: no tensor named model.embed_tokens.weight or token_embd.weight in the "
                       "reference"));
    QVERIFY(byName(doc, kOdd)
                .value(QStringLiteral("reference_skipped"))
                .toString()
                .startsWith(QStringLiteral("no partner: no tensor named")));

    const Run r = run(report({QStringLiteral("--csv"), QStringLiteral("--reference"), ref}));
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = QString::fromUtf8(r.out).split(QLatin1Char('\n'));
    QCOMPARE(lines[0], kKeys.join(QLatin1Char(',')));
    const QStringList q = lines[3].split(QLatin1Char(','));
    QCOMPARE(q.size(), kKeys.size());
    QCOMPARE(q[kKeys.indexOf(QStringLiteral("reference_partner"))], QStringLiteral("blk.0.attn_q.weight"));
    QCOMPARE(q[kKeys.indexOf(QStringLiteral("reference_mse"))].toDouble(),
             byName(doc, kQ).value(QStringLiteral("reference_mse")).toDouble());
}

void TestCliReport::referenceUnreadable() {
    const Run missing =
        run(report({QStringLiteral("--json"), QStringLiteral("--reference"), file("none.gguf")}));
    QCOMPARE(missing.exitCode, 1);
    QVERIFY(missing.out.isEmpty());
    QVERIFY2(missing.err.startsWith(QStringLiteral("error: reference %1").arg(file("none.gguf")).toUtf8()),
             missing.err.constData());
    const Run junk =
        run(report({QStringLiteral("--csv"), QStringLiteral("--reference"), file("junk.safetensors")}));
    QCOMPARE(junk.exitCode, 1);
    QVERIFY(junk.out.isEmpty());
    QVERIFY2(junk.err.contains(file("junk.safetensors").toUtf8()), junk.err.constData());
}

void TestCliReport::scaleDtypeOption() {
    // --scale-dtype is a scheme option of report as of analyze: the same figures per tensor.
    const QStringList scheme{QStringLiteral("--bits"),        QStringLiteral("4"),
                             QStringLiteral("--granularity"), QStringLiteral("group:32"),
                             QStringLiteral("--scale-dtype"), QStringLiteral("bf16")};
    const QJsonObject doc = runJson(report(QStringList{QStringLiteral("--json")} + scheme));
    const QJsonObject f32 =
        runJson(report({QStringLiteral("--json"), QStringLiteral("--bits"), QStringLiteral("4"),
                        QStringLiteral("--granularity"), QStringLiteral("group:32")}));
    const QJsonObject analyzed =
        runJson(QStringList{QStringLiteral("analyze"), file("llama.safetensors"), QStringLiteral("--tensor"),
                            kQ, QStringLiteral("--json")} +
                scheme);
    QCOMPARE(byName(doc, kQ).value(QStringLiteral("mse")), analyzed.value(QStringLiteral("mse")));
    QVERIFY(byName(doc, kQ).value(QStringLiteral("mse")) != byName(f32, kQ).value(QStringLiteral("mse")));
    // A plan sets every scheme, scale_dtype included.
    const Run r = run(report({QStringLiteral("--json"), QStringLiteral("--plan"), QStringLiteral("p.json"),
                              QStringLiteral("--scale-dtype"), QStringLiteral("bf16")}));
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("excludes --scale-dtype"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestCliReport)
#include "tst_clireport.moc"
