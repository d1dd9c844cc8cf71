#include "clifixture.h"
#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"
#include "stats/weightederror.h"
#include "testimatrix.h"

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

// quantscope-cli's schemes: analyze with every format, granularity and method, its parameters,
// x̂ saved as .npy, and compare.
class TestCliSchemes : public CliTestBase {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
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
    void compareEveryScheme();
    void compareSkipsWhatCannotApply();
    void analyzeImatrix_data();
    void analyzeImatrix();
    void compareImatrix();
    void imatrixErrors();
    void analyzeScaleDtype();

private:
    // imatrix.safetensors: q_proj [8, 256] (blk.0.attn_q.weight by the name mapping), an expert
    // tensor [2, 8, 256] and up_proj, which the matrices have no entry for.
    void writeImatrixModel();
    std::vector<float> loadValues(const char *tensor) const;
    QStringList analyzeImatrixModel(const char *tensor, const char *format, const QString &imatrix) const {
        return {QStringLiteral("analyze"),   file("imatrix.safetensors"),
                QStringLiteral("--tensor"),  QLatin1String(tensor),
                QStringLiteral("--format"),  QLatin1String(format),
                QStringLiteral("--imatrix"), imatrix,
                QStringLiteral("--json")};
    }
    QString writeFile(const char *name, const QByteArray &bytes) const {
        QFile out(file(name));
        if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size())
            qFatal("cannot write %s", name);
        return out.fileName();
    }
};

namespace {

const char *const kImatrixQ = "model.layers.0.self_attn.q_proj.weight";
const char *const kImatrixExperts = "blk.0.ffn_up_exps.weight";
const char *const kImatrixUp = "model.layers.0.mlp.up_proj.weight";

// Per column, spread over three decades; the experts' rows differ.
std::vector<float> imatrixWeights(int rows) {
    std::vector<float> w;
    for (int r = 0; r < rows; ++r)
        for (int j = 0; j < 256; ++j)
            w.push_back(std::pow(2.0f, float((j * 5 + r * 3) % 11) - 5.0f));
    return w;
}

QList<ImatrixEntry> imatrixEntries() {
    return {{"blk.0.attn_q.weight", imatrixWeights(1), 1},
            {"blk.0.ffn_up_exps.weight", imatrixWeights(2), 2}};
}

} // namespace

void TestCliSchemes::initTestCase() {
    prepare();
}

void TestCliSchemes::analyzeNewKeysPerTensor() {
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

void TestCliSchemes::analyzeGroupedNulls_data() {
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

void TestCliSchemes::analyzeGroupedNulls() {
    QFETCH(QStringList, args);
    QFETCH(QStringList, nulls);
    QFETCH(QStringList, numbers);
    const QJsonObject o = runJson(args + QStringList{QStringLiteral("--json")});
    for (const QString &key : nulls)
        QVERIFY2(o.contains(key) && o.value(key).isNull(), qPrintable(key));
    for (const QString &key : numbers)
        QVERIFY2(o.value(key).isDouble(), qPrintable(key));
}

void TestCliSchemes::analyzeParamsByHand_data() {
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

void TestCliSchemes::analyzeParamsByHand() {
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

void TestCliSchemes::analyzeTextShowsNewFigures() {
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

void TestCliSchemes::analyzeMethodOptions() {
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

void TestCliSchemes::saveDequantized_data() {
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
void TestCliSchemes::saveDequantized() {
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

void TestCliSchemes::saveDequantizedNeverOverwritesInput() {
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
void TestCliSchemes::analyzeMatchesEveryCompareRow() {
    const QJsonObject report = runJson({QStringLiteral("compare"), file("schemes.safetensors"),
                                        QStringLiteral("--tensor=rows"), QStringLiteral("--json")});
    const QJsonArray rows = report.value(QStringLiteral("rows")).toArray();
    QCOMPARE(rows.size(), 45); // 28 int, f16, bf16, 2 fp8, mxfp4, nvfp4, nf4, 10 ggml
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
void TestCliSchemes::compareEveryScheme() {
    const QString path = file("compare.safetensors");
    QVERIFY(writeSafetensors(path.toStdString(), {blob("w", DType::F32, {8, 256}, unevenRows())}).ok());
    const QJsonObject report = runJson({QStringLiteral("compare"), path, QStringLiteral("--tensor"),
                                        QStringLiteral("w"), QStringLiteral("--json")});
    QCOMPARE(report.value(QStringLiteral("tensor")).toString(), QStringLiteral("w"));
    const QJsonArray rows = report.value(QStringLiteral("rows")).toArray();
    // int: 4 granularities x 7 bit widths; the casts f16, bf16; fp8 x2; mxfp4, nvfp4, nf4; 10 ggml
    // types.
    QCOMPARE(rows.size(), 28 + 2 + 2 + 3 + 10);
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
void TestCliSchemes::compareSkipsWhatCannotApply() {
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

void TestCliSchemes::writeImatrixModel() {
    if (QFile::exists(file("imatrix.safetensors")))
        return;
    std::vector<float> experts = unevenRows();
    for (float v : unevenRows())
        experts.push_back(-2.0f * v);
    const std::vector<TensorBlob> tensors{blob(kImatrixQ, DType::F32, {8, 256}, unevenRows()),
                                          blob(kImatrixExperts, DType::F32, {2, 8, 256}, experts),
                                          blob(kImatrixUp, DType::F32, {8, 256}, unevenRows())};
    QVERIFY(writeSafetensors(file("imatrix.safetensors").toStdString(), tensors).ok());
    writeFile("imatrix.dat", imatrixDat(imatrixEntries()));
    writeFile("imatrix.gguf", imatrixGgufFile(imatrixEntries()));
}

std::vector<float> TestCliSchemes::loadValues(const char *tensor) const {
    const auto reader = openCheckpoint(file("imatrix.safetensors").toStdString());
    if (!reader)
        return {};
    const std::vector<TensorInfo> &tensors = reader.value()->tensors();
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (tensors[i].name != tensor)
            continue;
        const auto loaded = reader.value()->loadFloat(i);
        return loaded ? std::vector<float>(loaded.value()->values().begin(), loaded.value()->values().end())
                      : std::vector<float>();
    }
    return {};
}

void TestCliSchemes::analyzeImatrix_data() {
    QTest::addColumn<QString>("imatrix");
    QTest::addRow("imatrix.dat") << QStringLiteral("imatrix.dat");
    QTest::addRow("GGUF") << QStringLiteral("imatrix.gguf");
}

// analyze --imatrix: q4_k and q5_0 quantize with the tensor's weights (each expert its own), as
// measureScheme does with them; q8_0 ignores them; every scheme gets the weighted error.
void TestCliSchemes::analyzeImatrix() {
    QFETCH(QString, imatrix);
    writeImatrixModel();
    const QString path = file(imatrix.toLatin1().constData());
    const std::vector<float> q = loadValues(kImatrixQ);
    const std::vector<float> experts = loadValues(kImatrixExperts);
    QVERIFY(!q.empty() && !experts.empty());
    QuantSpec q4k;
    q4k.format = NumberFormat::Q4_K;
    const std::vector<float> w = imatrixWeights(1);
    std::vector<float> xHat(q.size());
    const auto measured = measureScheme(q, {8, 256}, q4k, {}, xHat, w);
    QVERIFY(measured);
    const QJsonObject o = runJson(analyzeImatrixModel(kImatrixQ, "q4_k", path));
    QCOMPARE(o.value(QStringLiteral("mse")).toDouble(), measured->error.mse);
    QCOMPARE(o.value(QStringLiteral("weighted_mse")).toDouble(), weightedMse(q, xHat, w, 256).value());
    QCOMPARE(o.value(QStringLiteral("importance_entry")).toString(), QStringLiteral("blk.0.attn_q.weight"));
    const QJsonObject plain = runJson(analyzeImatrixModel(kImatrixQ, "q4_k", path).mid(0, 6) +
                                      QStringList{QStringLiteral("--json")});
    QVERIFY(plain.value(QStringLiteral("mse")).toDouble() != measured->error.mse);
    QVERIFY(!plain.contains(QStringLiteral("weighted_mse")));

    QuantSpec q50;
    q50.format = NumberFormat::Q5_0;
    const std::vector<float> we = imatrixWeights(2);
    std::vector<float> expertsHat(experts.size());
    const auto perExpert = measureScheme(experts, {2, 8, 256}, q50, {}, expertsHat, we);
    QVERIFY(perExpert);
    const QJsonObject e = runJson(analyzeImatrixModel(kImatrixExperts, "q5_0", path));
    QCOMPARE(e.value(QStringLiteral("mse")).toDouble(), perExpert->error.mse);
    QCOMPARE(e.value(QStringLiteral("weighted_mse")).toDouble(),
             weightedMse(experts, expertsHat, we, 256).value());

    const QJsonObject q80 = runJson(analyzeImatrixModel(kImatrixQ, "q8_0", path));
    const QJsonObject q80Plain = runJson(analyzeImatrixModel(kImatrixQ, "q8_0", path).mid(0, 6) +
                                         QStringList{QStringLiteral("--json")});
    QCOMPARE(q80.value(QStringLiteral("mse")).toDouble(), q80Plain.value(QStringLiteral("mse")).toDouble());
    QVERIFY(q80.value(QStringLiteral("weighted_mse")).isDouble());
}

// compare --imatrix: the block types that take weights change, int does not; its q4_k row is
// analyze's.
void TestCliSchemes::compareImatrix() {
    writeImatrixModel();
    const QStringList args{QStringLiteral("compare"), file("imatrix.safetensors"), QStringLiteral("--tensor"),
                           QLatin1String(kImatrixQ), QStringLiteral("--json")};
    const auto rowsOf = [](const QJsonObject &report) {
        QHash<QString, double> mse;
        for (const QJsonValue &value : report.value(QStringLiteral("rows")).toArray()) {
            const QJsonObject row = value.toObject();
            mse.insert(row.value(QStringLiteral("format")).toString() + QLatin1Char(' ') +
                           row.value(QStringLiteral("granularity")).toString() + QLatin1Char(' ') +
                           QString::number(row.value(QStringLiteral("bits")).toInt()),
                       row.value(QStringLiteral("mse")).toDouble());
        }
        return mse;
    };
    const auto plain = rowsOf(runJson(args));
    const auto weighted =
        rowsOf(runJson(args + QStringList{QStringLiteral("--imatrix"), file("imatrix.dat")}));
    const QJsonObject analyzed = runJson(analyzeImatrixModel(kImatrixQ, "q4_k", file("imatrix.dat")));
    QCOMPARE(weighted.value(QStringLiteral("q4_k tensor 4")),
             analyzed.value(QStringLiteral("mse")).toDouble());
    QVERIFY(weighted.value(QStringLiteral("q4_k tensor 4")) != plain.value(QStringLiteral("q4_k tensor 4")));
    QCOMPARE(weighted.value(QStringLiteral("q8_0 tensor 8")), plain.value(QStringLiteral("q8_0 tensor 8")));
    QCOMPARE(weighted.value(QStringLiteral("int channel 4")), plain.value(QStringLiteral("int channel 4")));
}

void TestCliSchemes::imatrixErrors() {
    writeImatrixModel();
    const QString notes = writeFile("notes.imatrix", "these are notes, not an importance matrix\n");
    const Run neither = run(analyzeImatrixModel(kImatrixQ, "q4_k", notes));
    QCOMPARE(neither.exitCode, 1);
    QVERIFY2(neither.err.contains(notes.toUtf8()) &&
                 neither.err.contains("not a recognised importance matrix"),
             neither.err.constData());

    const Run noEntry = run(analyzeImatrixModel(kImatrixUp, "q4_k", file("imatrix.dat")));
    QCOMPARE(noEntry.exitCode, 1);
    QVERIFY2(noEntry.err.contains("no importance entry for tensor") &&
                 noEntry.err.contains("blk.0.ffn_up.weight"),
             noEntry.err.constData());

    const QString shortRow =
        writeFile("short.gguf", imatrixGgufFile({{"blk.0.attn_q.weight", std::vector<float>(100, 1.0f), 1}}));
    for (const char *command : {"analyze", "compare"}) {
        QStringList args = analyzeImatrixModel(kImatrixQ, "q4_k", shortRow);
        args[0] = QLatin1String(command);
        if (args[0] == QLatin1String("compare"))
            args.erase(args.begin() + 4, args.begin() + 6); // compare has no --format
        const Run mismatch = run(args);
        QCOMPARE(mismatch.exitCode, 1);
        QVERIFY(mismatch.out.isEmpty());
        QVERIFY2(mismatch.err.contains(shortRow.toUtf8()) && mismatch.err.contains(kImatrixQ) &&
                     mismatch.err.contains("100") && mismatch.err.contains("256"),
                 mismatch.err.constData());
    }
}

void TestCliSchemes::analyzeScaleDtype() {
    // w24 in groups of 2, int4 symmetric: the float32 scales are 0.1, 0.2, 0.4 and 1
    // (analyzeParamsByHand). In BF16 (8 significant bits, nearest even): 0.1f = 0x3DCCCCCD keeps
    // 0x3DCD = 2^-4 · 205/128 = 0.10009765625; 0.2 → 0x3E4D = 0.2001953125; 0.4 → 0x3ECD =
    // 0.400390625; 1 stays 1.
    const QStringList args =
        analyzeSchemes("w24") + QStringList{QStringLiteral("--granularity=group:2"),
                                            QStringLiteral("--bits=4"), QStringLiteral("--params")};
    const QJsonObject f32 = runJson(args + QStringList{QStringLiteral("--json")});
    QCOMPARE(f32.value(QStringLiteral("scale_dtype")).toString(), QStringLiteral("f32")); // the default
    const QJsonObject bf16 = runJson(args + QStringList{QStringLiteral("--scale-dtype"),
                                                        QStringLiteral("bf16"), QStringLiteral("--json")});
    QCOMPARE(bf16.value(QStringLiteral("scale_dtype")).toString(), QStringLiteral("bf16"));
    QCOMPARE(bf16.value(QStringLiteral("scales")).toArray(),
             (QJsonArray{0.10009765625, 0.2001953125, 0.400390625, 1.0}));
    // The figures include the scale's rounding.
    QVERIFY(bf16.value(QStringLiteral("mse")).toDouble() != f32.value(QStringLiteral("mse")).toDouble());
    const Run text = run(args + QStringList{QStringLiteral("--scale-dtype=f16")});
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(QString::fromUtf8(text.out).contains(QRegularExpression(
                 QStringLiteral("^scales stored as +f16$"), QRegularExpression::MultilineOption)),
             text.out.constData());
    // Formats with their own block scales have no scale dtype: null in JSON, refused when given.
    const QJsonObject q8 = runJson(analyzeSchemes("w232") +
                                   QStringList{QStringLiteral("--format=q8_0"), QStringLiteral("--json")});
    QVERIFY(q8.value(QStringLiteral("scale_dtype")).isNull());
    const QList<QPair<QStringList, QByteArray>> refused{
        {{QStringLiteral("--format=q4_k"), QStringLiteral("--scale-dtype=bf16")},
         "scale_dtype does not apply to q4_k"},
        {{QStringLiteral("--format=nf4"), QStringLiteral("--scale-dtype=f32")},
         "scale_dtype does not apply to nf4"},
        {{QStringLiteral("--scale-dtype=fp16")}, "--scale-dtype must be f32, f16 or bf16"},
        {{QStringLiteral("--granularity=group:2"), QStringLiteral("--scheme=asymmetric"),
          QStringLiteral("--method=hqq"), QStringLiteral("--scale-dtype=bf16")},
         "scale_dtype does not apply to method hqq"},
    };
    for (const auto &[options, message] : refused) {
        const Run r = run(analyzeSchemes("w24") + options);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), r.err.constData());
    }
}

QTEST_GUILESS_MAIN(TestCliSchemes)
#include "tst_clischemes.moc"
