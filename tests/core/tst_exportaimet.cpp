// AIMET encodings (1.0.0 and 0.6.1) and the CSV model table as export targets: the files are read
// back and every value compared with figures computed here by hand.

#include "clifixture.h"

#include "analysis/modelscan.h"
#include "export/aimetencodings.h"
#include "export/csvtable.h"
#include "plan/quantplan.h"

#include <QJsonArray>
#include <QTextStream>

#include <atomic>

using namespace qs;
using namespace qs::test;

namespace {

// [2, 4]: row maxima |x| 2 and 3, range [-3, 2].
const std::vector<float> kRows{0.5f, -1.0f, 0.25f, 2.0f, -3.0f, 1.5f, 0.75f, -0.5f};

QuantSpec int8(Scheme scheme, Granularity::Kind kind = Granularity::Kind::Tensor) {
    QuantSpec spec = intSpec(8, scheme);
    spec.granularity.kind = kind;
    return spec;
}

QuantSpec int4Groups(std::int64_t size) {
    QuantSpec spec = intSpec(4, Scheme::Symmetric);
    spec.granularity.kind = Granularity::Kind::Group;
    spec.granularity.size = size;
    return spec;
}

QuantPlan planOf(const QuantSpec &spec) {
    QuantPlan plan;
    plan.defaults = planSchemeFromSpec(spec);
    return plan;
}

QJsonObject readJson(const QString &path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

QJsonObject entryV1(const QJsonObject &doc, const QString &name) {
    for (const QJsonValue &entry : doc.value(QStringLiteral("param_encodings")).toArray())
        if (entry.toObject().value(QStringLiteral("name")).toString() == name)
            return entry.toObject();
    return {};
}

std::vector<double> numbers(const QJsonValue &list) {
    std::vector<double> out;
    for (const QJsonValue &v : list.toArray())
        out.push_back(v.toDouble());
    return out;
}

std::vector<double> doubles(const std::vector<float> &values) {
    return {values.begin(), values.end()};
}

} // namespace

class TestExportAimet : public CliTestBase {
    Q_OBJECT

private slots:
    void initTestCase();
    void registered();
    void symmetricPerTensor();
    void symmetricPerChannel();
    void asymmetricPerTensor();
    void perBlock();
    void legacyRefusesBlocks();
    void refusals_data();
    void refusals();
    void refusalNamesTensors();
    void cancelLeavesNoFile();
    void unwritableOutput();
    void csvRowsMatchScan();
    void csvCancelMidway();
    void cliAimet();
    void cliCsvEqualsReport();

private:
    Result<ExportOutcome> exportTo(const Exporter &exporter, const QuantPlan &plan, const QString &out,
                                   std::function<bool()> cancel = {});

    std::shared_ptr<const CheckpointReader> m_reader;
};

void TestExportAimet::initTestCase() {
    prepare();
    const std::vector<TensorBlob> tensors{
        blob("a.weight", DType::F32, {2, 4}, kRows),
        blob("norm.weight", DType::F32, {4}, {1.0f, 1.0f, 1.0f, 1.0f}),
        blob("b.weight", DType::F32, {2, 4}, kTwoByFour),
    };
    QVERIFY(writeSafetensors(file("aimet.safetensors").toStdString(), tensors).ok());
    auto reader = openCheckpoint(file("aimet.safetensors").toStdString());
    QVERIFY(reader);
    m_reader = reader.value();
}

Result<ExportOutcome> TestExportAimet::exportTo(const Exporter &exporter, const QuantPlan &plan,
                                                const QString &out, std::function<bool()> cancel) {
    ExportJob job;
    job.reader = m_reader.get();
    job.plan = plan;
    job.output = out.toStdString();
    job.control.isCanceled = std::move(cancel);
    int done = 0;
    job.tensorDone = [&done](std::size_t) { ++done; };
    if (const Status checked = exporter.check(job); !checked)
        return Error{checked.error()};
    auto outcome = exporter.write(job);
    if (outcome && done != 3)
        return Error{"tensorDone called " + std::to_string(done) + " times"};
    return outcome;
}

void TestExportAimet::registered() {
    QCOMPARE(findExporter("aimet", false), &aimetEncodingsExporter());
    QCOMPARE(findExporter("aimet-0.6.1", false), &aimetLegacyEncodingsExporter());
    QCOMPARE(findExporter("csv", false), &csvTableExporter());
    QCOMPARE(csvTableExporter().capability(), ExportCapability::Table);
    QCOMPARE(aimetEncodingsExporter().capability(), ExportCapability::Config);
}

// Quantscope's symmetric int8 (quantizer.cpp, PyTorch's observer): scale = amax / ((qmax − qmin) / 2)
// = amax / 127.5 in float32, codes [-128, 127], zero point 0. AIMET's unsigned grid [0, 255] puts
// code -128 at 0: offset −128, min = −128·s, max = 127·s.
void TestExportAimet::symmetricPerTensor() {
    const QString v1 = file("sym.json");
    const auto outcome = exportTo(aimetEncodingsExporter(), planOf(int8(Scheme::Symmetric)), v1);
    QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
    QCOMPARE(outcome->quantized, 2);
    QCOMPARE(outcome->copied, 1); // the norm is 1-D: kept
    const QJsonObject doc = readJson(v1);
    QCOMPARE(doc.value(QStringLiteral("version")).toString(), QStringLiteral("1.0.0"));
    QVERIFY(doc.value(QStringLiteral("activation_encodings")).toArray().isEmpty());
    QCOMPARE(doc.value(QStringLiteral("param_encodings")).toArray().size(), 2);
    const QJsonObject a = entryV1(doc, QStringLiteral("a.weight"));
    const float scale = 3.0f / 127.5f;
    QCOMPARE(a.value(QStringLiteral("dtype")).toString(), QStringLiteral("INT"));
    QCOMPARE(a.value(QStringLiteral("enc_type")).toString(), QStringLiteral("PER_TENSOR"));
    QCOMPARE(a.value(QStringLiteral("bw")).toInt(), 8);
    QCOMPARE(a.value(QStringLiteral("is_sym")), QJsonValue(true));
    QCOMPARE(numbers(a.value(QStringLiteral("scale"))), std::vector<double>{scale}); // bit for bit
    QCOMPARE(numbers(a.value(QStringLiteral("offset"))), std::vector<double>{-128.0});
    QVERIFY(!a.contains(QStringLiteral("block_size")));
    QVERIFY(entryV1(doc, QStringLiteral("norm.weight")).isEmpty());

    const QString legacy = file("sym061.json");
    QVERIFY(exportTo(aimetLegacyEncodingsExporter(), planOf(int8(Scheme::Symmetric)), legacy));
    const QJsonObject old = readJson(legacy);
    QCOMPARE(old.value(QStringLiteral("version")).toString(), QStringLiteral("0.6.1"));
    QVERIFY(old.value(QStringLiteral("activation_encodings")).isObject());
    const QJsonObject params = old.value(QStringLiteral("param_encodings")).toObject();
    QCOMPARE(params.keys(), (QStringList{QStringLiteral("a.weight"), QStringLiteral("b.weight")}));
    const QJsonArray list = params.value(QStringLiteral("a.weight")).toArray();
    QCOMPARE(list.size(), 1);
    const QJsonObject e = list[0].toObject();
    QCOMPARE(e.value(QStringLiteral("bitwidth")).toInt(), 8);
    QCOMPARE(e.value(QStringLiteral("dtype")).toString(), QStringLiteral("int"));
    QCOMPARE(e.value(QStringLiteral("is_symmetric")).toString(), QStringLiteral("True"));
    QCOMPARE(e.value(QStringLiteral("offset")).toInt(), -128);
    QCOMPARE(e.value(QStringLiteral("scale")).toDouble(), double(scale));
    QCOMPARE(e.value(QStringLiteral("min")).toDouble(), -128.0 * double(scale));
    QCOMPARE(e.value(QStringLiteral("max")).toDouble(), 127.0 * double(scale));
}

// Per channel (axis 0): each row's own amax, 2 and 3, over 127.5.
void TestExportAimet::symmetricPerChannel() {
    const QuantPlan plan = planOf(int8(Scheme::Symmetric, Granularity::Kind::Channel));
    QVERIFY(exportTo(aimetEncodingsExporter(), plan, file("chan.json")));
    const QJsonObject a = entryV1(readJson(file("chan.json")), QStringLiteral("a.weight"));
    QCOMPARE(a.value(QStringLiteral("enc_type")).toString(), QStringLiteral("PER_CHANNEL"));
    const std::vector<float> scales{2.0f / 127.5f, 3.0f / 127.5f};
    QCOMPARE(numbers(a.value(QStringLiteral("scale"))), doubles(scales));
    QCOMPARE(numbers(a.value(QStringLiteral("offset"))), (std::vector<double>{-128.0, -128.0}));

    QVERIFY(exportTo(aimetLegacyEncodingsExporter(), plan, file("chan061.json")));
    const QJsonArray list = readJson(file("chan061.json"))
                                .value(QStringLiteral("param_encodings"))
                                .toObject()
                                .value(QStringLiteral("a.weight"))
                                .toArray();
    QCOMPARE(list.size(), 2); // one encoding per channel
    for (int c = 0; c < 2; ++c) {
        const QJsonObject e = list[c].toObject();
        QCOMPARE(e.value(QStringLiteral("scale")).toDouble(), double(scales[c]));
        QCOMPARE(e.value(QStringLiteral("offset")).toInt(), -128);
        QCOMPARE(e.value(QStringLiteral("min")).toDouble(), -128.0 * double(scales[c]));
        QCOMPARE(e.value(QStringLiteral("max")).toDouble(), 127.0 * double(scales[c]));
    }
}

// Asymmetric int8 over [-3, 2]: scale = (2 − (−3)) / 255 in float32; zero point = 0 − round(−3 / s)
// = 153 on [0, 255] (−3 / s is −153 up to rounding). AIMET's offset is −153: min = −153·s = −3,
// max = (255 − 153)·s = 102·s = 2.
void TestExportAimet::asymmetricPerTensor() {
    const QuantPlan plan = planOf(int8(Scheme::Asymmetric));
    QVERIFY(exportTo(aimetEncodingsExporter(), plan, file("asym.json")));
    const float scale = 5.0f / 255.0f;
    QCOMPARE(std::nearbyint(-3.0f / scale), -153.0f);
    const QJsonObject a = entryV1(readJson(file("asym.json")), QStringLiteral("a.weight"));
    QCOMPARE(a.value(QStringLiteral("is_sym")), QJsonValue(false));
    QCOMPARE(numbers(a.value(QStringLiteral("scale"))), std::vector<double>{scale});
    QCOMPARE(numbers(a.value(QStringLiteral("offset"))), std::vector<double>{-153.0});

    QVERIFY(exportTo(aimetLegacyEncodingsExporter(), plan, file("asym061.json")));
    const QJsonObject e = readJson(file("asym061.json"))
                              .value(QStringLiteral("param_encodings"))
                              .toObject()
                              .value(QStringLiteral("a.weight"))
                              .toArray()[0]
                              .toObject();
    QCOMPARE(e.value(QStringLiteral("is_symmetric")).toString(), QStringLiteral("False"));
    QCOMPARE(e.value(QStringLiteral("offset")).toInt(), -153);
    QCOMPARE(e.value(QStringLiteral("scale")).toDouble(), double(scale));
    QCOMPARE(e.value(QStringLiteral("min")).toDouble(), -153.0 * double(scale));
    QCOMPARE(e.value(QStringLiteral("max")).toDouble(), 102.0 * double(scale));
}

// group:2 int4 symmetric on b.weight: the groups' maxima 0.75, 1.5, 3 and 7.5 over (7 − (−8)) / 2
// = 7.5, row-major over [rows, groups per row]; AIMET's offset −8, block_size 2.
void TestExportAimet::perBlock() {
    QVERIFY(exportTo(aimetEncodingsExporter(), planOf(int4Groups(2)), file("block.json")));
    const QJsonObject b = entryV1(readJson(file("block.json")), QStringLiteral("b.weight"));
    QCOMPARE(b.value(QStringLiteral("enc_type")).toString(), QStringLiteral("PER_BLOCK"));
    QCOMPARE(b.value(QStringLiteral("bw")).toInt(), 4);
    QCOMPARE(b.value(QStringLiteral("block_size")).toInt(), 2);
    const std::vector<float> scales{0.75f / 7.5f, 1.5f / 7.5f, 3.0f / 7.5f, 7.5f / 7.5f};
    QCOMPARE(numbers(b.value(QStringLiteral("scale"))), doubles(scales));
    QCOMPARE(numbers(b.value(QStringLiteral("offset"))), std::vector<double>(4, -8.0));
}

void TestExportAimet::legacyRefusesBlocks() {
    ExportJob job;
    job.reader = m_reader.get();
    job.plan = planOf(int4Groups(2));
    job.output = file("never.json").toStdString();
    const Status checked = aimetLegacyEncodingsExporter().check(job);
    QVERIFY(!checked);
    QVERIFY2(checked.error().find("group:2 has no AIMET 0.6.1 encoding") != std::string::npos,
             checked.error().c_str());
    QVERIFY(aimetEncodingsExporter().check(job));
}

void TestExportAimet::refusals_data() {
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("reason");
    QTest::addRow("q4_k") << "q4_k"
                          << "q4_k has no AIMET encoding: it is a llama.cpp block type";
    QTest::addRow("nf4") << "nf4"
                         << "nf4 has no AIMET encoding: its levels are a codebook";
    QTest::addRow("fp8") << "fp8_e4m3"
                         << "fp8_e4m3 has no AIMET encoding";
    QTest::addRow("mxfp4") << "mxfp4"
                           << "mxfp4 has no AIMET encoding";
    QTest::addRow("nvfp4") << "nvfp4"
                           << "nvfp4 has no AIMET encoding";
    QTest::addRow("hqq") << "hqq"
                         << "method hqq has no AIMET encoding";
    QTest::addRow("int3") << "int3"
                          << "int3 has no AIMET encoding";
    QTest::addRow("narrow") << "narrow"
                            << "narrow symmetric has no AIMET encoding";
    QTest::addRow("channel:1") << "channel:1"
                               << "channel:1 has no AIMET encoding";
    QTest::addRow("block:2x2") << "block:2x2"
                               << "block:2x2 has no AIMET encoding";
    QTest::addRow("group:4") << "group:4"
                             << "group:4 has no AIMET encoding where a row is not";
}

void TestExportAimet::refusals() {
    QFETCH(QString, spec);
    QFETCH(QString, reason);
    QuantSpec s = intSpec(8, Scheme::Symmetric);
    if (const auto format = formatFromName(spec.toStdString()))
        s.format = *format;
    else if (spec == QLatin1String("hqq")) {
        s = int4Groups(2);
        s.scheme = Scheme::Asymmetric;
        s.method = CalibMethod::Hqq;
    } else if (spec == QLatin1String("int3"))
        s.bits = 3;
    else if (spec == QLatin1String("narrow"))
        s.narrow = true;
    else
        s.granularity = parseGranularity(spec.toStdString()).value();
    const auto why = aimetEncodingsExporter().cannotExpress(s, {4, 6});
    QVERIFY(why);
    QVERIFY2(why->starts_with(reason.toStdString()), why->c_str());
    QVERIFY(aimetLegacyEncodingsExporter().cannotExpress(s, {4, 6}));
    // Rank 4 (a convolution): AIMET's blocks run along dimension 1, Quantscope's along the rows.
    QVERIFY(aimetEncodingsExporter().cannotExpress(int4Groups(2), {4, 2, 3, 3}));
    QVERIFY(!aimetEncodingsExporter().cannotExpress(int4Groups(2), {4, 6, 1, 1}));
}

// schemes.safetensors: rows [8, 256] fits q4_k's rows of 256, which w24 [2, 4] and w232 [2, 32]
// do not (they are skipped, not refused); nf4's blocks run over the flattened tensor and fit all.
void TestExportAimet::refusalNamesTensors() {
    const auto reader = openCheckpoint(file("schemes.safetensors").toStdString());
    QVERIFY(reader);
    for (const auto &[format, names] : {std::pair("q4_k", "(rows)"), std::pair("nf4", "(w24, w232, rows)")}) {
        QuantSpec spec;
        spec.format = formatFromName(format).value();
        ExportJob job;
        job.reader = reader.value().get();
        job.plan = planOf(spec);
        job.output = file("never.json").toStdString();
        const Status checked = aimetEncodingsExporter().check(job);
        QVERIFY(!checked);
        QVERIFY2(checked.error().starts_with("AIMET encodings 1.0.0 cannot express the plan: " +
                                             std::string(format) + " has no AIMET encoding"),
                 checked.error().c_str());
        QVERIFY2(checked.error().ends_with(names), checked.error().c_str());
    }
    QVERIFY(!QFile::exists(file("never.json")));
}

void TestExportAimet::cancelLeavesNoFile() {
    const QString out = file("cancelled.json");
    const auto outcome =
        exportTo(aimetEncodingsExporter(), planOf(int8(Scheme::Symmetric)), out, [] { return true; });
    QVERIFY(!outcome);
    QCOMPARE(outcome.error(), std::string("cancelled"));
    QVERIFY(!QFile::exists(out));
    const auto csv = exportTo(csvTableExporter(), planOf(int8(Scheme::Symmetric)), file("cancelled.csv"),
                              [] { return true; });
    QVERIFY(!csv);
    QVERIFY(!QFile::exists(file("cancelled.csv")));
}

void TestExportAimet::unwritableOutput() {
    const QString out = file("no/such/folder/out.json");
    const auto outcome = exportTo(aimetEncodingsExporter(), planOf(int8(Scheme::Symmetric)), out);
    QVERIFY(!outcome);
    QVERIFY2(outcome.error().starts_with(out.toStdString() + ": cannot write"), outcome.error().c_str());
    const auto csv = exportTo(csvTableExporter(), planOf(int8(Scheme::Symmetric)), out);
    QVERIFY(!csv);
    QVERIFY2(csv.error().starts_with(out.toStdString() + ": cannot write"), csv.error().c_str());
    // The input itself is refused before anything is written.
    ExportJob job;
    job.reader = m_reader.get();
    job.output = file("aimet.safetensors").toStdString();
    QVERIFY(!csvTableExporter().check(job));
}

// Each row's figures are scanTensor's for the same tensor and decision.
void TestExportAimet::csvRowsMatchScan() {
    const QuantPlan plan = planOf(int4Groups(2));
    const auto outcome = exportTo(csvTableExporter(), plan, file("table.csv"));
    QVERIFY2(outcome, outcome ? "" : outcome.error().c_str());
    QCOMPARE(outcome->quantized, 2);
    QCOMPARE(outcome->copied, 1);
    QFile csv(file("table.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 5); // header, three rows, the empty piece after the last newline
    QStringList header;
    for (const char *name : tableColumnNames())
        header.append(QLatin1String(name));
    QCOMPARE(lines[0], header.join(QLatin1Char(',')));
    for (std::size_t i = 0; i < 3; ++i) {
        const TensorInfo &info = m_reader->tensors()[i];
        const TensorSummary s = scanTensor(*m_reader, i, planDecision(plan, info));
        const QStringList cells = lines[int(i) + 1].split(QLatin1Char(','));
        QCOMPARE(cells.size(), qsizetype(kTableColumnCount));
        QCOMPARE(cells[0], QString::fromStdString(info.name));
        QCOMPARE(cells[1], i == 1 ? QStringLiteral("4") : QStringLiteral("2x4"));
        QCOMPARE(cells[4], s.kept ? QStringLiteral("true") : QStringLiteral("false"));
        QCOMPARE(cells[9].toDouble(), s.bitsPerWeight);
        if (s.kept) {
            QVERIFY(cells[10].isEmpty() && cells[5].isEmpty());
            continue;
        }
        QCOMPARE(cells[5], QStringLiteral("int"));
        QCOMPARE(cells[6], QStringLiteral("4"));
        QCOMPARE(cells[7], QStringLiteral("group:2"));
        QCOMPARE(cells[10].toDouble(), s.error->mse);
        QCOMPARE(cells[11].toDouble(), s.error->sqnrDb);
        QCOMPARE(cells[qsizetype(TableColumn::Cosine)].toDouble(), s.error->cosine);
    }
}

// Cancelled once the first row is written: the scan stops and nothing is left at the path.
void TestExportAimet::csvCancelMidway() {
    std::atomic<bool> cancel = false;
    ExportJob job;
    job.reader = m_reader.get();
    job.plan = planOf(int8(Scheme::Symmetric));
    job.output = file("half.csv").toStdString();
    job.control.isCanceled = [&cancel] { return cancel.load(); };
    job.tensorDone = [&cancel](std::size_t) { cancel = true; };
    const auto outcome = csvTableExporter().write(job);
    QVERIFY(!outcome);
    QCOMPARE(outcome.error(), std::string("cancelled"));
    QVERIFY(!QFile::exists(file("half.csv")));
}

void TestExportAimet::cliAimet() {
    const QString model = file("aimet.safetensors");
    const QString out = file("cli.encodings");
    const Run r = run({QStringLiteral("export"), model, QStringLiteral("--to"), QStringLiteral("aimet"),
                       QStringLiteral("-o"), out, QStringLiteral("--scheme"), QStringLiteral("asymmetric")});
    QVERIFY2(r.exitCode == 0 && !r.crashed, r.err.constData());
    QVERIFY2(r.out.contains("2 tensors quantized, 1 copied"), r.out.constData());
    const QJsonObject a = entryV1(readJson(out), QStringLiteral("a.weight"));
    QCOMPARE(numbers(a.value(QStringLiteral("offset"))), std::vector<double>{-153.0});
    QCOMPARE(numbers(a.value(QStringLiteral("scale"))), std::vector<double>{5.0f / 255.0f});

    const QString refused = file("refused.json");
    const Run q4k = run({QStringLiteral("export"), file("schemes.safetensors"), QStringLiteral("--to"),
                         QStringLiteral("aimet-0.6.1"), QStringLiteral("-o"), refused,
                         QStringLiteral("--format"), QStringLiteral("q4_k")});
    QCOMPARE(q4k.exitCode, 2);
    QVERIFY2(q4k.err.startsWith("error: AIMET encodings 0.6.1 cannot express the plan: q4_k"),
             q4k.err.constData());
    QVERIFY2(q4k.err.contains("(rows)"), q4k.err.constData());
    QVERIFY(!QFile::exists(refused));
}

// export --to csv writes exactly what report --csv prints for the same scheme options.
void TestExportAimet::cliCsvEqualsReport() {
    const QString model = file("schemes.safetensors");
    const QStringList scheme{QStringLiteral("--bits"), QStringLiteral("4"), QStringLiteral("--granularity"),
                             QStringLiteral("group:32")};
    const QString out = file("cli.csv");
    const Run r = run(QStringList{QStringLiteral("export"), model, QStringLiteral("--to"),
                                  QStringLiteral("csv"), QStringLiteral("-o"), out} +
                      scheme);
    QVERIFY2(r.exitCode == 0 && !r.crashed, r.err.constData());
    const Run report = run(QStringList{QStringLiteral("report"), model, QStringLiteral("--csv")} + scheme);
    QCOMPARE(report.exitCode, 0);
    QFile csv(out);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QByteArray written = csv.readAll();
    QVERIFY(written.startsWith(report.out.left(report.out.indexOf('\n') + 1)));
    QCOMPARE(written.count('\n'), 4); // header and three tensors
    QCOMPARE(written, report.out);
}

QTEST_GUILESS_MAIN(TestExportAimet)
#include "tst_exportaimet.moc"
