// An export as a job, beside the layouts tst_weightexport reads back: the fake-quant output
// (x̂ in the input's own dtypes, sharded too), inputs other than safetensors, what both
// exporters refuse, and that a failed or cancelled export leaves nothing behind; then the CLI.

#include "export/compressedtensorsweights.h"
#include "export/fakequant.h"
#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"
#include "quant/schemequant.h"
#include "testgguf.h"
#include "weightexportfixture.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTest>

#include <bit>
#include <string>
#include <vector>

using namespace qs;
using namespace qs::test;

class TestWeightExportJob : public QObject, public WeightExportFixture {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void fakeQuantEqualsDequantized();
    void fakeQuantSharded();
    void refusesInput();
    void failureLeavesNothing();
    void cancelLeavesNothing();
    void otherInputs();
    void cli();
};

void TestWeightExportJob::initTestCase() {
    writeInput();
}

void TestWeightExportJob::fakeQuantEqualsDequantized() {
    const QString path = m_dir.filePath(QStringLiteral("fake.safetensors"));
    const QuantSpec q4 = intGroup(4, Scheme::Asymmetric, 128);
    ExportJob job;
    job.reader = m_reader.get();
    job.plan = planOf(
        {{kUp, q4}, {kQ, formatSpec(NumberFormat::Q4_K)}, {kV, channelSpec(NumberFormat::Fp8E4M3, 8)}});
    job.output = path.toStdString();
    QVERIFY(fakeQuantExporter().check(job).ok());
    const auto outcome = fakeQuantExporter().write(job);
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    QCOMPARE(outcome->quantized, 3);
    const Output out = openOutput(path);
    const Output in = openOutput(m_input);
    for (const TensorInfo &info : m_reader->tensors()) {
        const TensorInfo *written = out.find(info.name);
        QVERIFY(written);
        QCOMPARE(written->dtype, info.dtype);
        QCOMPARE(written->shape, info.shape);
        const auto bytes = out.bytes(*written);
        std::vector<std::byte> want(in.bytes(info).begin(), in.bytes(info).end());
        const auto rule = job.plan.overrides.find(info.name);
        if (rule != job.plan.overrides.end()) {
            // x̂ with float32 scales (no scale dtype in the plan), rounded to the tensor's dtype.
            QuantSpec spec = mergeScheme(QuantSpec{}, rule->second.scheme).value();
            const auto values = m_reader->loadFloat(std::size_t(&info - m_reader->tensors().data()));
            want = encodeFloats(
                quantizeScheme(values.value()->values(), info.shape, spec).value().dequantized, info.dtype);
            QVERIFY(!std::equal(want.begin(), want.end(), in.bytes(info).begin(), in.bytes(info).end()));
        }
        QVERIFY2(std::equal(bytes.begin(), bytes.end(), want.begin(), want.end()), info.name.c_str());
    }
}

void TestWeightExportJob::fakeQuantSharded() {
    const QString path = m_dir.filePath(QStringLiteral("fakeshards/out.safetensors"));
    QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("fakeshards"))));
    ExportJob job;
    job.reader = m_reader.get();
    job.plan = planOf({{kQ, intGroup(8, Scheme::Symmetric, 64)}});
    job.output = path.toStdString();
    const auto outcome = writeFakeQuant(job, 2048);
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    QVERIFY(!QFile::exists(path));
    QVERIFY(QFile::exists(path + QStringLiteral(".index.json")));
    QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("fakeshards/out-00001-of-%1.safetensors")
                                             .arg(outcome->written.size() - 1, 5, 10, QLatin1Char('0')))));
    const auto whole = openCheckpoint(path.toStdString() + ".index.json");
    QVERIFY2(whole.ok(), whole.error().c_str());
    QCOMPARE(whole.value()->tensors().size(), m_reader->tensors().size());
}

void TestWeightExportJob::refusesInput() {
    const QByteArray before = [&] {
        QFile f(m_input);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }();
    ExportJob job;
    job.reader = m_reader.get();
    job.plan = planOf({{kQ, intGroup(4, Scheme::Symmetric, 128)}});
    job.output = m_input.toStdString();
    const Status fake = fakeQuantExporter().check(job);
    QVERIFY(!fake.ok());
    QVERIFY2(QString::fromStdString(fake.error()).contains(QStringLiteral("refusing to overwrite")),
             fake.error().c_str());
    // The input's own folder would overwrite model.safetensors.
    job.output = m_dir.filePath(QStringLiteral("in")).toStdString();
    const Status ct = compressedTensorsWeightsExporter().check(job);
    QVERIFY(!ct.ok());
    const auto written = writeCompressedTensors(job); // refused by write() too, without check()
    QVERIFY(!written.ok());
    QFile f(m_input);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
    QCOMPARE(QDir(m_dir.filePath(QStringLiteral("in"))).entryList(QDir::Files | QDir::Hidden),
             QStringList{QStringLiteral("model.safetensors")});
}

void TestWeightExportJob::failureLeavesNothing() {
    // A folder that cannot be created: its parent is a file.
    QFile blocker(m_dir.filePath(QStringLiteral("blocker")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const QString under = m_dir.filePath(QStringLiteral("blocker/out"));
    QVERIFY(!exportCt(planOf({{kQ, channelSpec(NumberFormat::Int, 8)}}), under).ok());
    QVERIFY(!QFileInfo::exists(under));
    // A failure after the first tensors were written (a NaN has no int code): nothing stays,
    // not even the folder the export created.
    const QString folder = m_dir.filePath(QStringLiteral("failed/deeper"));
    const auto failed = exportCt(planOf({{kQ, channelSpec(NumberFormat::Int, 8)},
                                         {"model.layers.0.bad.weight", channelSpec(NumberFormat::Int, 8)}}),
                                 folder);
    QVERIFY(!failed.ok());
    QVERIFY2(QString::fromStdString(failed.error()).contains(QStringLiteral("bad.weight")),
             failed.error().c_str());
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("failed"))));
    // An existing output folder keeps what it had and gets nothing new.
    const QString existing = m_dir.filePath(QStringLiteral("existing"));
    QVERIFY(QDir().mkpath(existing));
    QFile old(existing + QStringLiteral("/model.safetensors"));
    QVERIFY(old.open(QIODevice::WriteOnly));
    old.write("old");
    old.close();
    QVERIFY(
        !exportCt(planOf({{"model.layers.0.bad.weight", channelSpec(NumberFormat::Int, 8)}}), existing).ok());
    QCOMPARE(QDir(existing).entryList(QDir::Files | QDir::Hidden),
             QStringList{QStringLiteral("model.safetensors")});
    QVERIFY(old.open(QIODevice::ReadOnly));
    QCOMPARE(old.readAll(), QByteArray("old"));
}

void TestWeightExportJob::cancelLeavesNothing() {
    const QString folder = m_dir.filePath(QStringLiteral("cancel"));
    QVERIFY(QDir().mkpath(folder));
    for (const bool compressed : {true, false}) {
        ExportJob job;
        job.reader = m_reader.get();
        job.plan = planOf({{kQ, channelSpec(NumberFormat::Int, 8)}});
        job.output = (compressed ? folder : folder + QStringLiteral("/fake.safetensors")).toStdString();
        bool cancel = false;
        int done = 0;
        job.control.isCanceled = [&cancel] { return cancel; };
        job.tensorDone = [&](std::size_t) { cancel = ++done >= 3; };
        const auto outcome =
            (compressed ? compressedTensorsWeightsExporter() : fakeQuantExporter()).write(job);
        QVERIFY(!outcome.ok());
        QCOMPARE(outcome.error(), std::string("cancelled"));
        QCOMPARE(done, 3);
        QCOMPARE(QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList());
    }
}

// npy: "\x93NUMPY", version 1.0, the header dict padded with spaces to a multiple of 64 bytes.
static QByteArray npy(const QByteArray &descr, const QByteArray &shape, const QByteArray &data) {
    QByteArray header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    const auto length = quint16(header.size());
    return QByteArray("\x93NUMPY\x01\x00", 8) + char(length & 0xFF) + char(length >> 8) + header + data;
}

static bool writeFile(const QString &path, const QByteArray &bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

void TestWeightExportJob::otherInputs() {
    // A big-endian npy array: copied by decoding and re-encoding, lossless for F32.
    const std::vector<float> values = wave(4, 64, 0.4);
    QByteArray bigEndian;
    for (float v : values)
        for (int b = 3; b >= 0; --b)
            bigEndian += char((std::bit_cast<std::uint32_t>(v) >> (8 * b)) & 0xFF);
    const QString npyPath = m_dir.filePath(QStringLiteral("w.npy"));
    QVERIFY(writeFile(npyPath, npy(">f4", "(4, 64)", bigEndian)));
    const auto npyReader = openCheckpoint(npyPath.toStdString());
    QVERIFY2(npyReader.ok(), npyReader.error().c_str());
    ExportJob job;
    job.reader = npyReader.value().get();
    job.plan = planOf({});
    job.output = m_dir.filePath(QStringLiteral("npy.safetensors")).toStdString();
    QVERIFY(fakeQuantExporter().write(job).ok());
    const Output copied = openOutput(QString::fromStdString(job.output));
    const auto bytes = copied.bytes(*copied.find("w"));
    const std::vector<std::byte> want = encodeFloats(values, DType::F32);
    QVERIFY(std::equal(bytes.begin(), bytes.end(), want.begin(), want.end()));
    // An int64 array cannot come back from float32: refused, nothing written.
    const QString intPath = m_dir.filePath(QStringLiteral("ids.npy"));
    QVERIFY(writeFile(intPath, npy("<i8", "(3,)", QByteArray(24, '\1'))));
    const auto intReader = openCheckpoint(intPath.toStdString());
    job.reader = intReader.value().get();
    job.output = m_dir.filePath(QStringLiteral("ids.safetensors")).toStdString();
    const auto refused = fakeQuantExporter().write(job);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().find("I64 from a NumPy checkpoint") != std::string::npos,
             refused.error().c_str());
    QVERIFY(!QFile::exists(QString::fromStdString(job.output)));

    // GGUF: plain tensors are copied byte for byte; a block type cannot be copied into safetensors.
    using test::GgufBuilder;
    QByteArray q8(68, '\0'); // two Q8_0 blocks: an F16 scale and 32 int8 codes each
    const QString ggufPath = m_dir.filePath(QStringLiteral("model.gguf"));
    QVERIFY(writeFile(ggufPath, GgufBuilder()
                                    .string("general.architecture", "llama")
                                    .f32("blk.0.attn_q.weight", {64, 4}, values)
                                    .f32("blk.0.attn_norm.weight", {64}, wave(1, 64, 0.6))
                                    .tensor("blk.0.ffn_up.weight", {32, 2}, 8, q8)
                                    .build()));
    const auto gguf = openCheckpoint(ggufPath.toStdString());
    QVERIFY2(gguf.ok(), gguf.error().c_str());
    job.reader = gguf.value().get();
    job.plan = planOf({{"blk.0.attn_q.weight", channelSpec(NumberFormat::Int, 8)}});
    job.output = m_dir.filePath(QStringLiteral("gguf-ct")).toStdString();
    const auto blockType = compressedTensorsWeightsExporter().write(job);
    QVERIFY(!blockType.ok());
    QVERIFY2(blockType.error().find("stored as Q8_0") != std::string::npos, blockType.error().c_str());
    QVERIFY(!QFileInfo::exists(QString::fromStdString(job.output)));
    // Planned, the block type is fake-quantized into F32, the type it decodes to.
    job.plan = planOf({{"blk.0.attn_q.weight", channelSpec(NumberFormat::Int, 8)},
                       {"blk.0.ffn_up.weight", formatSpec(NumberFormat::Q8_0)}});
    job.output = m_dir.filePath(QStringLiteral("gguf-fake.safetensors")).toStdString();
    const auto fake = fakeQuantExporter().write(job);
    QVERIFY2(fake.ok(), fake.error().c_str());
    const Output out = openOutput(QString::fromStdString(job.output));
    QCOMPARE(out.find("blk.0.ffn_up.weight")->dtype, DType::F32);
    QCOMPARE(out.find("blk.0.ffn_up.weight")->shape, (Shape{2, 32}));
    const Output in = openOutput(ggufPath);
    const TensorInfo &norm = *in.find("blk.0.attn_norm.weight");
    const auto a = in.bytes(norm);
    const auto b = out.bytes(*out.find("blk.0.attn_norm.weight"));
    QVERIFY(std::equal(a.begin(), a.end(), b.begin(), b.end()));
}

void TestWeightExportJob::cli() {
    const QString cliPath = qEnvironmentVariable("QUANTSCOPE_CLI");
    QVERIFY2(QFile::exists(cliPath), "QUANTSCOPE_CLI must name the quantscope-cli binary");
    const auto run = [&](const QStringList &args) {
        QProcess process;
        process.start(cliPath, args);
        process.waitForFinished(60000);
        return std::make_pair(process.exitCode(), process.readAllStandardError());
    };
    // F32 weights only (their scales need no rounding), int8 per channel for what the default
    // ignore list leaves.
    const QString input = m_dir.filePath(QStringLiteral("cli.safetensors"));
    QVERIFY(writeSafetensors(input.toStdString(), {blob(kQ, DType::F32, {8, 256}, wave(8, 256, 0.5)),
                                                   blob(kNorm, DType::F32, {256}, wave(1, 256, 0.2))})
                .ok());
    const QString folder = m_dir.filePath(QStringLiteral("cli-ct"));
    const auto ct =
        run({QStringLiteral("quantize"), input, QStringLiteral("--to"), QStringLiteral("compressed-tensors"),
             QStringLiteral("-o"), folder, QStringLiteral("--granularity"), QStringLiteral("channel")});
    QVERIFY2(ct.first == 0, ct.second.constData());
    const Output out = openOutput(folder + QStringLiteral("/model.safetensors"));
    QVERIFY(out.find("model.layers.0.self_attn.q_proj.weight_packed"));
    QVERIFY(out.find(kNorm));
    QVERIFY(QFile::exists(folder + QStringLiteral("/config.json")));
    const QString fake = m_dir.filePath(QStringLiteral("cli-fake.safetensors"));
    const auto fq =
        run({QStringLiteral("quantize"), input, QStringLiteral("--to"), QStringLiteral("fake-quant"),
             QStringLiteral("-o"), fake, QStringLiteral("--format"), QStringLiteral("nvfp4")});
    QVERIFY2(fq.first == 0, fq.second.constData());
    QCOMPARE(openOutput(fake).reader->tensors().size(), std::size_t(2));
    const auto refused =
        run({QStringLiteral("quantize"), input, QStringLiteral("--to"), QStringLiteral("compressed-tensors"),
             QStringLiteral("-o"), m_dir.filePath(QStringLiteral("cli-q4k")), QStringLiteral("--format"),
             QStringLiteral("q4_k")});
    QCOMPARE(refused.first, 2);
    QVERIFY2(refused.second.contains("q4_k has no compressed-tensors form"), refused.second.constData());
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("cli-q4k"))));
}
QTEST_GUILESS_MAIN(TestWeightExportJob)
#include "tst_weightexportjob.moc"
