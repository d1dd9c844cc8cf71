// quantize --to gguf, read back through GgufReader: metadata kept pair for pair (general.file_type
// set), the input's alignment on every offset, planned tensors as llama.cpp's quantizer encodes
// them and as quantizeScheme decodes them, the rest byte for byte; and the refusals.

#include "export/ggufwriter.h"
#include "io/ggufreader.h"
#include "io/imatrix.h"
#include "io/safetensorswriter.h"
#include "quant/formatkernels.h"
#include "quant/ggmlencode.h"
#include "quant/schemequant.h"

#include "clifixture.h"
#include "testgguf.h"
#include "testimatrix.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace qs;
using qs::test::GgufBuilder;

namespace {

constexpr quint32 kAlignment = 64;
constexpr quint32 kF32Type = 6, kBoolType = 7, kI32Type = 5;

// Deterministic values with a spread that differs per tensor and per row.
std::vector<float> wave(std::size_t n, double seed) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = float(std::sin(0.731 * double(i) + seed) * (1.0 + double(i % 7)) * 0.02 + 0.001 * seed);
    return v;
}

QByteArray encoded(const std::vector<float> &values, DType dtype) {
    const std::vector<std::byte> bytes = encodeFloats(values, dtype);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

struct Fixture {
    const char *name;
    std::vector<quint64> dims; // GGUF order: row length first
    DType dtype;
    std::optional<NumberFormat> format; // the override; none: outside the plan
};

// attn_norm and rope_freqs are 1-D (kept by the default ignore list); the rest are planned. The
// F16 [96, 2] tensor leaves Q4_0 data that is not a multiple of 64 bytes, so padding shows.
const std::vector<Fixture> &fixtures() {
    static const std::vector<Fixture> all{
        {"blk.0.attn_norm.weight", {256}, DType::F32, std::nullopt},
        {"blk.0.attn_q.weight", {256, 4}, DType::F32, NumberFormat::Q4_K},
        {"blk.0.attn_k.weight", {256, 3}, DType::F16, NumberFormat::Q6_K},
        {"rope_freqs.weight", {5}, DType::F16, std::nullopt},
        {"blk.0.ffn_up.weight", {64, 5}, DType::BF16, NumberFormat::Q8_0},
        {"blk.0.ffn_down.weight", {96, 2}, DType::F16, NumberFormat::Q4_0},
        {"blk.0.ffn_gate_exps.weight", {64, 2, 2}, DType::F32, NumberFormat::Q4_0},
    };
    return all;
}

quint32 ggmlTypeOf(DType dtype) {
    return dtype == DType::F32   ? GgufBuilder::kF32
           : dtype == DType::F16 ? GgufBuilder::kF16
                                 : GgufBuilder::kBF16;
}

QByteArray inputGguf(bool withFileType) {
    GgufBuilder builder;
    builder.string("general.architecture", "llama").alignment(kAlignment);
    if (withFileType)
        builder.u32("general.file_type", 1);
    builder.strings("tokenizer.ggml.tokens", {"<s>", "</s>", "hello"})
        .raw("llama.rope.freq_base", kF32Type, GgufBuilder::floats({10000.0f}))
        .raw("tokenizer.ggml.add_bos_token", kBoolType, QByteArray(1, '\1'))
        .raw("tokenizer.ggml.token_type", GgufBuilder::kArray,
             GgufBuilder::le32(kI32Type) + GgufBuilder::le64(3) + GgufBuilder::le32(1) +
                 GgufBuilder::le32(3) + GgufBuilder::le32(quint32(-1)))
        .string("general.name", "tiny");
    double seed = 0.0;
    for (const Fixture &f : fixtures()) {
        std::size_t n = 1;
        for (quint64 d : f.dims)
            n *= std::size_t(d);
        builder.tensor(f.name, f.dims, ggmlTypeOf(f.dtype), encoded(wave(n, seed += 1.0), f.dtype));
    }
    return builder.build();
}

PlanOverride quantizeAs(NumberFormat format) {
    PlanOverride o;
    o.scheme.format = format;
    return o;
}

QuantPlan mixedPlan() {
    QuantPlan plan;
    plan.defaults.format = NumberFormat::Q4_K;
    for (const Fixture &f : fixtures())
        if (f.format)
            plan.overrides[f.name] = quantizeAs(*f.format);
    return plan;
}

// Weights for attn_q (one row), ffn_down, and the expert tensor (a row per expert).
QByteArray imatrix() {
    auto weights = [](std::size_t n, float base) {
        std::vector<float> w;
        for (std::size_t i = 0; i < n; ++i)
            w.push_back(base + float(i % 5) * 0.25f);
        return w;
    };
    return test::imatrixDat({{"blk.0.attn_q.weight", weights(256, 0.5f)},
                             {"blk.0.ffn_down.weight", weights(96, 1.0f)},
                             {"blk.0.ffn_gate_exps.weight", weights(128, 0.25f), 2}});
}

bool writeFile(const QString &path, const QByteArray &bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

std::span<const std::byte> tensorBytes(const GgufReader &reader, std::size_t i) {
    const TensorInfo &info = reader.tensors()[i];
    return reader.fileBytes().subspan(info.byteOffset, info.byteSize);
}

std::span<const std::byte> pairBytes(const GgufReader &reader, const GgufReader::RawPair &pair) {
    return reader.fileBytes().subspan(pair.begin, pair.end - pair.begin);
}

bool sameBytes(std::span<const std::byte> a, std::span<const std::byte> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// What llama-quantize writes for a planned tensor: each expert slice with its own weights.
std::vector<std::byte> referenceBlocks(GgmlType type, std::span<const float> values, const TensorInfo &info,
                                       const std::optional<TensorImportance> &importance) {
    const auto cols = std::size_t(info.shape.back());
    const std::size_t runs = importance ? std::size_t(importance->experts) : 1;
    const std::size_t runRows = values.size() / cols / runs;
    std::vector<std::byte> out;
    for (std::size_t e = 0; e < runs; ++e) {
        const auto blocks =
            quantizeGgmlTensor(type, values.subspan(e * runRows * cols, runRows * cols), runRows, cols, {},
                               importance ? importance->expert(std::int64_t(e)) : std::span<const float>());
        if (!blocks)
            return {};
        out.insert(out.end(), blocks->begin(), blocks->end());
    }
    return out;
}

} // namespace

class TestGgufWriter : public test::CliTestBase {
    Q_OBJECT

private:
    QString path(const QString &name) const { return m_tmp.filePath(name); }
    ExportJob job(const CheckpointReader &reader, const QString &output) const {
        ExportJob j;
        j.reader = &reader;
        j.plan = mixedPlan();
        j.output = output.toStdString();
        j.importance = m_matrix.get();
        j.control.threads = 2;
        return j;
    }
    std::shared_ptr<const GgufReader> openGguf(const QString &file) {
        auto reader = GgufReader::open(file.toStdString());
        [&] { QVERIFY2(reader.ok(), reader.ok() ? "" : reader.error().c_str()); }();
        return reader.ok() ? reader.value() : nullptr;
    }
    QStringList entries() const { return QDir(m_tmp.path()).entryList(QDir::Files | QDir::NoDotAndDotDot); }

    QTemporaryDir m_tmp;
    std::shared_ptr<const ImportanceMatrix> m_matrix;

private slots:
    void initTestCase() {
        prepare();
        QVERIFY(m_tmp.isValid());
        QVERIFY(writeFile(path(QStringLiteral("in.gguf")), inputGguf(false)));
        QVERIFY(writeFile(path(QStringLiteral("in-ft.gguf")), inputGguf(true)));
        QVERIFY(writeFile(path(QStringLiteral("imatrix.dat")), imatrix()));
        auto matrix = loadImportanceMatrix(path(QStringLiteral("imatrix.dat")).toStdString());
        QVERIFY2(matrix.ok(), matrix.ok() ? "" : matrix.error().c_str());
        m_matrix = matrix.value();
    }

    void fileTypes() {
        // llama.h: Q4_0 2, Q8_0 7, Q2_K 10, Q3_K_S 11, Q3_K_M 12, Q4_K_S 14, Q4_K_M 15, Q6_K 18.
        QCOMPARE(llamaFileType(GgmlType::Q4_0, true), 2u);
        QCOMPARE(llamaFileType(GgmlType::Q8_0, false), 7u);
        QCOMPARE(llamaFileType(GgmlType::Q2_K, true), 10u);
        QCOMPARE(llamaFileType(GgmlType::Q3_K, false), 11u);
        QCOMPARE(llamaFileType(GgmlType::Q3_K, true), 12u);
        QCOMPARE(llamaFileType(GgmlType::Q4_K, false), 14u);
        QCOMPARE(llamaFileType(GgmlType::Q4_K, true), 15u);
        QCOMPARE(llamaFileType(GgmlType::Q6_K, true), 18u);
        QVERIFY(!llamaFileType(GgmlType::IQ4_XS, false));
    }

    void readBack_data() {
        QTest::addColumn<QString>("input");
        QTest::addRow("file_type absent") << QStringLiteral("in.gguf");
        QTest::addRow("file_type present") << QStringLiteral("in-ft.gguf");
    }
    void readBack() {
        QFETCH(QString, input);
        const auto in = openGguf(path(input));
        QVERIFY(in);
        const QString outPath = path(QStringLiteral("out-") + input);
        const ExportJob j = job(*in, outPath);
        const Status checked = ggufExporter().check(j);
        QVERIFY2(checked.ok(), checked.error().c_str());
        std::vector<std::size_t> done;
        ExportJob counted = j;
        counted.tensorDone = [&](std::size_t i) { done.push_back(i); };
        const auto outcome = ggufExporter().write(counted);
        QVERIFY2(outcome.ok(), outcome.ok() ? "" : outcome.error().c_str());
        QCOMPARE(outcome->quantized, 5);
        QCOMPARE(outcome->copied, 2);
        QCOMPARE(done.size(), fixtures().size());
        const auto out = openGguf(outPath);
        QVERIFY(out);
        checkMetadata(*in, *out);
        checkTensors(*in, *out);
    }

    void refusals() {
        const auto in = openGguf(path(QStringLiteral("in.gguf")));
        QVERIFY(in);
        // Output over the input.
        Status checked = ggufExporter().check(job(*in, path(QStringLiteral("in.gguf"))));
        QVERIFY(!checked.ok());
        QVERIFY2(checked.error().find("refusing to overwrite") != std::string::npos, checked.error().c_str());
        // A format with no ggml form, named with its tensor.
        ExportJob intJob = job(*in, path(QStringLiteral("int.gguf")));
        intJob.plan.overrides["blk.0.attn_k.weight"] = quantizeAs(NumberFormat::Int);
        checked = ggufExporter().check(intJob);
        QVERIFY(!checked.ok());
        QVERIFY2(checked.error().find("int is not a ggml block type") != std::string::npos &&
                     checked.error().find("blk.0.attn_k.weight") != std::string::npos,
                 checked.error().c_str());
    }

    void refusesBlockInput() {
        const std::vector<float> values = wave(64, 9.0);
        const auto blocks = quantizeGgmlTensor(GgmlType::Q8_0, values, 2, 32);
        QVERIFY(blocks.ok());
        GgufBuilder builder;
        builder.string("general.architecture", "llama")
            .tensor("blk.0.attn_v.weight", {32, 2}, GgufBuilder::kQ8_0,
                    QByteArray(reinterpret_cast<const char *>(blocks->data()), qsizetype(blocks->size())));
        QVERIFY(writeFile(path(QStringLiteral("q8.gguf")), builder.build()));
        const auto in = openGguf(path(QStringLiteral("q8.gguf")));
        QVERIFY(in);
        ExportJob j = job(*in, path(QStringLiteral("q8-out.gguf")));
        j.plan.overrides["blk.0.attn_v.weight"] = quantizeAs(NumberFormat::Q4_0);
        const Status checked = ggufExporter().check(j);
        QVERIFY(!checked.ok());
        QVERIFY2(checked.error().find("stored as Q8_0") != std::string::npos &&
                     checked.error().find("blk.0.attn_v.weight") != std::string::npos,
                 checked.error().c_str());
    }

    void refusesOtherFormats() {
        const auto reader = openCheckpoint(file("schemes.safetensors").toStdString());
        QVERIFY(reader.ok());
        const Status checked = ggufExporter().check(job(*reader.value(), path(QStringLiteral("st.gguf"))));
        QVERIFY(!checked.ok());
        QVERIFY2(checked.error().find("architecture metadata only a GGUF input carries") != std::string::npos,
                 checked.error().c_str());
    }

    void failuresLeaveNothing() {
        const auto in = openGguf(path(QStringLiteral("in.gguf")));
        QVERIFY(in);
        const QStringList before = entries();
        // A folder that cannot be created: a regular file stands where it would be.
        const QString blocked = path(QStringLiteral("imatrix.dat/out.gguf"));
        const auto unwritable = ggufExporter().write(job(*in, blocked));
        QVERIFY(!unwritable.ok());
        QVERIFY2(unwritable.error().find("imatrix.dat/out.gguf") != std::string::npos,
                 unwritable.error().c_str());
        // Cancelled after the first tensors are written: the temporary file goes too.
        ExportJob cancelled = job(*in, path(QStringLiteral("cancelled.gguf")));
        int written = 0;
        cancelled.tensorDone = [&](std::size_t) { ++written; };
        cancelled.control.isCanceled = [&] { return written >= 2; };
        const auto outcome = ggufExporter().write(cancelled);
        QVERIFY(!outcome.ok());
        QCOMPARE(outcome.error(), std::string("cancelled"));
        QCOMPARE(entries(), before);
    }

    void cli() {
        const QString out = path(QStringLiteral("cli.gguf"));
        test::Run r =
            run({QStringLiteral("quantize"), path(QStringLiteral("in-ft.gguf")), QStringLiteral("--to"),
                 QStringLiteral("gguf"), QStringLiteral("-o"), out, QStringLiteral("--format"),
                 QStringLiteral("q4_k"), QStringLiteral("--imatrix"), path(QStringLiteral("imatrix.dat"))});
        QVERIFY2(!r.crashed && r.exitCode == 0, r.err.constData());
        const auto written = openGguf(out);
        QVERIFY(written);
        // Q4_K alone: rows of 64 and 96 are skipped, so only attn_q and attn_k (256) are planned.
        QCOMPARE(written->metadata().at("general.file_type"), std::string("14 (Q4_K_S)"));
        QCOMPARE(written->tensors()[1].storageType, std::string("Q4_K"));

        r = run({QStringLiteral("quantize"), file("schemes.safetensors"), QStringLiteral("--to"),
                 QStringLiteral("gguf"), QStringLiteral("-o"), path(QStringLiteral("cli2.gguf")),
                 QStringLiteral("--format"), QStringLiteral("q4_k")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("error:") && r.err.contains("GGUF"), r.err.constData());
        QVERIFY(!QFile::exists(path(QStringLiteral("cli2.gguf"))));
    }

    // A cast writes each planned tensor as F16 (BF16) codes of castSaturating's x̂, with
    // general.file_type llama.h's MOSTLY_F16 = 1 (MOSTLY_BF16 = 32); the rest is copied.
    void casts_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<QString>("dtype");
        QTest::addColumn<QString>("fileType");
        QTest::addRow("f16") << int(NumberFormat::F16) << QStringLiteral("F16") << QStringLiteral("1 ");
        QTest::addRow("bf16") << int(NumberFormat::BF16) << QStringLiteral("BF16") << QStringLiteral("32 ");
    }
    void casts() {
        QFETCH(int, format);
        QFETCH(QString, dtype);
        QFETCH(QString, fileType);
        const auto in = openGguf(path(QStringLiteral("in.gguf")));
        QVERIFY(in);
        const QString outPath = path(QStringLiteral("cast-") + dtype + QStringLiteral(".gguf"));
        ExportJob j = job(*in, outPath);
        j.plan = QuantPlan{};
        j.plan.defaults.format = NumberFormat(format);
        QVERIFY(ggufExporter().check(j).ok());
        const auto outcome = ggufExporter().write(j);
        QVERIFY2(outcome.ok(), outcome.ok() ? "" : outcome.error().c_str());
        QVERIFY(outcome->quantized > 0);
        const auto out = openGguf(outPath);
        QVERIFY(out);
        QVERIFY(QString::fromStdString(out->metadata().at("general.file_type")).startsWith(fileType));
        int cast = 0;
        for (std::size_t i = 0; i < in->tensors().size(); ++i) {
            const TensorInfo &info = in->tensors()[i];
            if (!resolve(j.plan, info.name, info.shape).quantized())
                continue;
            ++cast;
            QCOMPARE(QString::fromStdString(out->tensors()[i].typeName()), dtype);
            const auto before = in->loadFloat(i);
            const auto after = out->loadFloat(i);
            QVERIFY(before.ok() && after.ok());
            const std::span<const float> x = before.value()->values();
            std::vector<float> expected(x.size());
            CastCounts counts;
            castSaturating(format == int(NumberFormat::F16) ? HalfFormat::F16 : HalfFormat::BF16, x, expected,
                           counts);
            QVERIFY(test::sameFloats(after.value()->values(), expected));
        }
        QCOMPARE(cast, outcome->quantized);
    }

private:
    void checkMetadata(const GgufReader &in, const GgufReader &out) {
        // Every pair but general.file_type byte for byte, in order; general.file_type in its place
        // or at the end, as uint32 15: Q4_K has the most parameters and other types are mixed in.
        const auto &inPairs = in.rawPairs();
        const auto &outPairs = out.rawPairs();
        const bool had = in.metadata().count("general.file_type") > 0;
        QCOMPARE(outPairs.size(), inPairs.size() + (had ? 0 : 1));
        for (std::size_t i = 0; i < inPairs.size(); ++i) {
            QCOMPARE(outPairs[i].key, inPairs[i].key);
            if (inPairs[i].key != "general.file_type")
                QVERIFY2(sameBytes(pairBytes(in, inPairs[i]), pairBytes(out, outPairs[i])),
                         inPairs[i].key.c_str());
        }
        QCOMPARE(outPairs[had ? 2 : inPairs.size()].key, std::string("general.file_type"));
        QCOMPARE(outPairs[had ? 2 : inPairs.size()].valueType, 4u);
        auto expected = in.metadata();
        expected["general.file_type"] = "15 (Q4_K_M)";
        QCOMPARE(out.metadata(), expected);
        QCOMPARE(out.alignment(), std::uint64_t(kAlignment));
    }

    void checkTensors(const GgufReader &in, const GgufReader &out) {
        QCOMPARE(out.tensors().size(), in.tensors().size());
        const QuantPlan plan = mixedPlan();
        for (std::size_t i = 0; i < in.tensors().size(); ++i) {
            const TensorInfo &info = in.tensors()[i];
            const TensorInfo &written = out.tensors()[i];
            QCOMPARE(written.name, info.name);
            QCOMPARE(written.shape, info.shape);
            QCOMPARE(written.byteOffset % kAlignment, 0u);
            const TensorResolution r = resolve(plan, info.name, info.shape);
            QCOMPARE(r.quantized(), fixtures()[i].format.has_value());
            if (!r.quantized()) {
                QCOMPARE(written.typeName(), info.typeName());
                QVERIFY2(sameBytes(tensorBytes(in, i), tensorBytes(out, i)), info.name.c_str());
                continue;
            }
            checkQuantized(in, out, i, r.spec);
        }
    }

    void checkQuantized(const GgufReader &in, const GgufReader &out, std::size_t i, const QuantSpec &spec) {
        const TensorInfo &info = in.tensors()[i];
        const GgmlType type = qs::ggmlTypeOf(spec.format);
        QCOMPARE(out.ggmlType(i), std::uint32_t(type));
        std::optional<TensorImportance> importance;
        if (usesImportance(spec.format) && m_matrix->find(info.name))
            importance = m_matrix->lookup(info.name, info.shape).value();
        const auto values = in.loadFloat(i);
        QVERIFY(values.ok());
        const std::span<const float> x = values.value()->values();
        const std::vector<std::byte> blocks = referenceBlocks(type, x, info, importance);
        QVERIFY(!blocks.empty());
        QVERIFY2(sameBytes(tensorBytes(out, i), blocks), info.name.c_str());
        const auto q = quantizeScheme(x, info.shape, spec, {},
                                      importance ? importance->weights : std::span<const float>());
        QVERIFY(q.ok());
        const auto decoded = out.loadFloat(i);
        QVERIFY(decoded.ok());
        QVERIFY2(test::sameFloats(decoded.value()->values(), q->dequantized), info.name.c_str());
    }
};

QTEST_GUILESS_MAIN(TestGgufWriter)
#include "tst_ggufwriter.moc"
