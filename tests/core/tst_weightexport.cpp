// The weight exporters read back by an independent path: Quantscope's safetensors reader for
// the headers, and the packing, the E2M1 table and the dequantization written here from the
// compressed-tensors conventions (pack_to_int32, the NVFP4 compressor), compared bit for bit
// with quantizeScheme's x̂.

#include "export/compressedtensorsweights.h"
#include "export/fakequant.h"
#include "io/checkpointreader.h"
#include "io/mappedfile.h"
#include "io/safetensorswriter.h"
#include "quant/schemequant.h"
#include "testgguf.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

using namespace qs;

Q_DECLARE_METATYPE(qs::QuantSpec)

namespace {

using Shape = std::vector<std::int64_t>;

const char *const kUp = "model.layers.0.mlp.up_proj.weight";     // BF16 [8, 256]
const char *const kQ = "model.layers.0.self_attn.q_proj.weight"; // F32 [8, 256]
const char *const kK = "model.layers.0.self_attn.k_proj.weight"; // F32 [6, 102]
const char *const kV = "model.layers.0.self_attn.v_proj.weight"; // F16 [4, 64]
const char *const kO = "model.layers.0.self_attn.o_proj.weight"; // F32 [4, 64]
const char *const kNorm = "model.norm.weight";                   // F32 [256], kept
const char *const kEmbed = "model.embed_tokens.weight";          // BF16 [16, 8], kept
const char *const kIds = "position_ids";                         // I64 [3], kept

// A wavy ramp with a different spread per row, so groups and channels get distinct scales.
std::vector<float> wave(std::int64_t rows, std::int64_t cols, double phase) {
    std::vector<float> v;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            v.push_back(float(std::sin(0.37 * double(c) + phase * double(r + 1)) * 0.02 * double(r + 1) +
                              0.001 * double(c % 7)));
    return v;
}

TensorBlob blob(const char *name, DType dtype, Shape shape, const std::vector<float> &values) {
    return {name, dtype, std::move(shape), encodeFloats(values, dtype)};
}

QuantSpec intGroup(int bits, Scheme scheme, std::int64_t group) {
    QuantSpec spec = intSpec(bits, scheme);
    spec.granularity = {Granularity::Kind::Group, 0, group, 0, 0};
    return spec;
}

QuantSpec channelSpec(NumberFormat format, int bits) {
    QuantSpec spec = intSpec(bits, Scheme::Symmetric);
    spec.format = format;
    spec.granularity.kind = Granularity::Kind::Channel;
    return spec;
}

QuantSpec formatSpec(NumberFormat format) {
    QuantSpec spec;
    spec.format = format;
    return spec;
}

ScaleDtype scaleDtypeOf(DType dtype) {
    return dtype == DType::BF16 ? ScaleDtype::BF16 : dtype == DType::F16 ? ScaleDtype::F16 : ScaleDtype::F32;
}

// Quantizes only the named tensors: everything else is ignored ("re:.*"), and overrides win.
QuantPlan planOf(const std::vector<std::pair<std::string, QuantSpec>> &specs) {
    QuantPlan plan;
    plan.ignore.push_back(NamePattern::parse("re:.*").value());
    for (const auto &[name, spec] : specs)
        plan.overrides[name] = PlanOverride{false, planSchemeFromSpec(spec)};
    return plan;
}

// One safetensors output opened with Quantscope's reader: headers, raw bytes and decoded floats.
struct Output {
    std::shared_ptr<const CheckpointReader> reader;
    std::shared_ptr<const MappedFile> file;

    const TensorInfo *find(const std::string &name) const {
        for (const TensorInfo &t : reader->tensors())
            if (t.name == name)
                return &t;
        return nullptr;
    }
    std::span<const std::byte> bytes(const TensorInfo &t) const {
        return file->bytes().subspan(std::size_t(t.byteOffset), std::size_t(t.byteSize));
    }
    std::vector<float> floats(const std::string &name) const {
        const TensorInfo *t = find(name);
        const auto index = std::size_t(t - reader->tensors().data());
        const auto loaded = reader->loadFloat(index);
        return {loaded.value()->values().begin(), loaded.value()->values().end()};
    }
    template <typename T>
    std::vector<T> ints(const std::string &name) const {
        const auto raw = bytes(*find(name));
        std::vector<T> out(raw.size() / sizeof(T));
        std::memcpy(out.data(), raw.data(), raw.size()); // the test machine is little-endian
        return out;
    }
};

Output openOutput(const QString &path) {
    Output out;
    auto reader = openCheckpoint(path.toStdString());
    if (!reader)
        qFatal("cannot open %s: %s", qPrintable(path), reader.error().c_str());
    out.reader = reader.value();
    out.file = MappedFile::open(path.toStdString()).value();
    return out;
}

// compressed-tensors' unpack: element k of a word in bits [k·b, (k+1)·b), along the rows.
std::vector<std::uint32_t> unpackRows(const std::vector<std::int32_t> &words, std::int64_t rows,
                                      std::int64_t cols, int bits) {
    const int factor = 32 / bits;
    const std::int64_t perRow = (cols + factor - 1) / factor;
    std::vector<std::uint32_t> codes;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            const auto word = std::uint32_t(words[std::size_t(r * perRow + c / factor)]);
            codes.push_back((word >> (bits * (c % factor))) & ((1u << bits) - 1));
        }
    return codes;
}

// The same along dimension 0.
std::vector<std::uint32_t> unpackColumns(const std::vector<std::int32_t> &words, std::int64_t rows,
                                         std::int64_t cols, int bits) {
    const int factor = 32 / bits;
    std::vector<std::uint32_t> codes;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            const auto word = std::uint32_t(words[std::size_t((r / factor) * cols + c)]);
            codes.push_back((word >> (bits * (r % factor))) & ((1u << bits) - 1));
        }
    return codes;
}

float e2m1(std::uint8_t nibble) {
    static const float magnitudes[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    return (nibble & 0x8 ? -1.0f : 1.0f) * magnitudes[nibble & 0x7];
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i]) &&
            !(std::isnan(a[i]) && std::isnan(b[i])))
            return false;
    return true;
}

QJsonObject readJson(const QString &path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

} // namespace

class TestWeightExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void packedInt_data();
    void packedInt();
    void int8ChannelPadding();
    void int8PerTensor();
    void fp8Channel();
    void nvfp4();
    void unplannedByteIdentical();
    void configMerged();
    void sharded();
    void fakeQuantEqualsDequantized();
    void fakeQuantSharded();
    void refusesSchemes_data();
    void refusesSchemes();
    void refusesInput();
    void failureLeavesNothing();
    void cancelLeavesNothing();
    void otherInputs();
    void cli();

private:
    // Quantizes input tensor name with spec and its dtype's scale type, as the exporter must.
    SchemeQuantization expected(const std::string &name, QuantSpec spec) const;
    Result<ExportOutcome> exportCt(const QuantPlan &plan, const QString &folder,
                                   std::uint64_t shardBytes = kDefaultShardBytes) const;
    bool scaleDtypeApplied() const;

    QTemporaryDir m_dir;
    QString m_input;
    std::shared_ptr<const CheckpointReader> m_reader;
};

void TestWeightExport::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_input = m_dir.filePath(QStringLiteral("in/model.safetensors"));
    QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("in"))));
    std::vector<float> withNan = wave(4, 64, 0.9);
    withNan[5] = std::numeric_limits<float>::quiet_NaN();
    const std::vector<TensorBlob> tensors{
        blob(kEmbed, DType::BF16, {16, 8}, wave(16, 8, 0.1)),
        blob(kUp, DType::BF16, {8, 256}, wave(8, 256, 0.3)),
        blob(kQ, DType::F32, {8, 256}, wave(8, 256, 0.5)),
        blob(kK, DType::F32, {6, 102}, wave(6, 102, 0.7)),
        blob(kV, DType::F16, {4, 64}, wave(4, 64, 1.1)),
        blob(kO, DType::F32, {4, 64}, wave(4, 64, 1.3)),
        blob("model.layers.0.bad.weight", DType::F32, {4, 64}, withNan),
        blob(kNorm, DType::F32, {256}, wave(1, 256, 0.2)),
        {kIds, DType::I64, {3}, std::vector<std::byte>(24, std::byte{7})},
    };
    QVERIFY(writeSafetensors(m_input.toStdString(), tensors).ok());
    auto reader = openCheckpoint(m_input.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    m_reader = reader.value();
}

SchemeQuantization TestWeightExport::expected(const std::string &name, QuantSpec spec) const {
    for (std::size_t i = 0; i < m_reader->tensors().size(); ++i) {
        const TensorInfo &info = m_reader->tensors()[i];
        if (info.name != name)
            continue;
        if (spec.format == NumberFormat::Int || spec.format == NumberFormat::Fp8E4M3)
            spec.scaleDtype = scaleDtypeOf(info.dtype);
        const auto values = m_reader->loadFloat(i);
        return quantizeScheme(values.value()->values(), info.shape, spec).value();
    }
    qFatal("no tensor %s", name.c_str());
}

Result<ExportOutcome> TestWeightExport::exportCt(const QuantPlan &plan, const QString &folder,
                                                 std::uint64_t shardBytes) const {
    ExportJob job;
    job.reader = m_reader.get();
    job.plan = plan;
    job.output = folder.toStdString();
    if (const Status checked = compressedTensorsWeightsExporter().check(job); !checked)
        return Error{checked.error()};
    return writeCompressedTensors(job, shardBytes);
}

// Whether quantizeScheme rounds scales to QuantSpec::scaleDtype (the scale-dtype work); without
// it a BF16 weight's scales are not BF16 values and the exporter refuses to write them.
bool TestWeightExport::scaleDtypeApplied() const {
    const SchemeQuantization q = expected(kUp, intGroup(4, Scheme::Symmetric, 128));
    const std::vector<std::byte> stored = encodeFloats(q.scales, DType::BF16);
    for (std::size_t i = 0; i < q.scales.size(); ++i) {
        std::uint16_t half = 0;
        std::memcpy(&half, stored.data() + 2 * i, 2);
        if (std::bit_cast<float>(std::uint32_t(half) << 16) != q.scales[i])
            return false;
    }
    return true;
}

void TestWeightExport::packedInt_data() {
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<bool>("asymmetric");
    QTest::addColumn<QString>("scaleDtype");
    QTest::addRow("bf16 int4 group:128 symmetric")
        << QString::fromLatin1(kUp) << false << QStringLiteral("BF16");
    QTest::addRow("bf16 int4 group:128 asymmetric")
        << QString::fromLatin1(kUp) << true << QStringLiteral("BF16");
    QTest::addRow("f32 int4 group:128 symmetric")
        << QString::fromLatin1(kQ) << false << QStringLiteral("F32");
    QTest::addRow("f32 int4 group:128 asymmetric")
        << QString::fromLatin1(kQ) << true << QStringLiteral("F32");
}

void TestWeightExport::packedInt() {
    QFETCH(QString, tensor);
    QFETCH(bool, asymmetric);
    QFETCH(QString, scaleDtype);
    if (scaleDtype == QStringLiteral("BF16") && !scaleDtypeApplied())
        QSKIP("quantizeScheme does not round scales to QuantSpec::scaleDtype yet (the scale-dtype branch)");
    const std::string name = tensor.toStdString();
    const QuantSpec spec = intGroup(4, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric, 128);
    const QString folder = m_dir.filePath(
        QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_')));
    const auto outcome = exportCt(planOf({{name, spec}}), folder);
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    QCOMPARE(outcome->quantized, 1);

    const Output out = openOutput(folder + QStringLiteral("/model.safetensors"));
    const std::string module = name.substr(0, name.size() - 7);
    QVERIFY(!out.find(name)); // the dense weight is replaced
    const TensorInfo *packed = out.find(module + ".weight_packed");
    const TensorInfo *scale = out.find(module + ".weight_scale");
    const TensorInfo *shape = out.find(module + ".weight_shape");
    const TensorInfo *zero = out.find(module + ".weight_zero_point");
    QVERIFY(packed && scale && shape);
    QCOMPARE(packed->dtype, DType::I32);
    QCOMPARE(packed->shape, (Shape{8, 32})); // 256 codes of 4 bits, 8 per word
    QCOMPARE(std::string(dtypeName(scale->dtype)), scaleDtype.toStdString());
    QCOMPARE(scale->shape, (Shape{8, 2}));
    QCOMPARE(shape->dtype, DType::I64);
    QCOMPARE(out.ints<std::int64_t>(module + ".weight_shape"), (std::vector<std::int64_t>{8, 256}));
    QCOMPARE(zero != nullptr, asymmetric);

    const SchemeQuantization q = expected(name, spec);
    const std::vector<std::uint32_t> codes =
        unpackRows(out.ints<std::int32_t>(module + ".weight_packed"), 8, 256, 4);
    const std::vector<float> scales = out.floats(module + ".weight_scale");
    std::vector<std::uint32_t> zeros(16, 8); // symmetric: the offset 2^(b-1) is the zero point
    if (asymmetric) {
        QCOMPARE(zero->dtype, DType::I32);
        QCOMPARE(zero->shape, (Shape{1, 2})); // 8 rows packed along dimension 0
        zeros = unpackColumns(out.ints<std::int32_t>(module + ".weight_zero_point"), 8, 2, 4);
    }
    std::vector<float> dequantized;
    for (std::size_t i = 0; i < codes.size(); ++i) {
        const std::size_t group = (i / 256) * 2 + (i % 256) / 128;
        dequantized.push_back(float(std::int64_t(codes[i]) - std::int64_t(zeros[group])) * scales[group]);
    }
    QVERIFY(sameBits(dequantized, q.dequantized));
}

void TestWeightExport::int8ChannelPadding() {
    const QuantSpec spec = channelSpec(NumberFormat::Int, 8);
    const QString folder = m_dir.filePath(QStringLiteral("int8"));
    const auto outcome = exportCt(planOf({{kK, spec}}), folder);
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    const Output out = openOutput(folder + QStringLiteral("/model.safetensors"));
    const std::string module = "model.layers.0.self_attn.k_proj";
    const TensorInfo *packed = out.find(module + ".weight_packed");
    QCOMPARE(packed->shape, (Shape{6, 26})); // 102 codes, 4 per word: the last word holds 2
    QCOMPARE(out.find(module + ".weight_scale")->shape, (Shape{6, 1}));
    QCOMPARE(out.find(module + ".weight_scale")->dtype, DType::F32);
    QVERIFY(!out.find(module + ".weight_zero_point"));
    const auto words = out.ints<std::int32_t>(module + ".weight_packed");
    for (int r = 0; r < 6; ++r)
        QCOMPARE(std::uint32_t(words[std::size_t(r * 26 + 25)]) >> 16, 0u); // zero padding
    const std::vector<std::uint32_t> codes = unpackRows(words, 6, 102, 8);
    const std::vector<float> scales = out.floats(module + ".weight_scale");
    std::vector<float> dequantized;
    for (std::size_t i = 0; i < codes.size(); ++i)
        dequantized.push_back(float(std::int64_t(codes[i]) - 128) * scales[i / 102]);
    QVERIFY(sameBits(dequantized, expected(kK, spec).dequantized));
}

void TestWeightExport::int8PerTensor() {
    // Full range, as compressed-tensors' symmetric int is: codes -128..127 (narrow is refused).
    const QuantSpec spec = intSpec(8, Scheme::Symmetric);
    const QString folder = m_dir.filePath(QStringLiteral("int8-tensor"));
    const auto outcome = exportCt(planOf({{kQ, spec}}), folder);
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    const Output out = openOutput(folder + QStringLiteral("/model.safetensors"));
    const std::string module = "model.layers.0.self_attn.q_proj";
    QCOMPARE(out.find(module + ".weight_scale")->shape, (Shape{1}));
    const std::vector<std::uint32_t> codes =
        unpackRows(out.ints<std::int32_t>(module + ".weight_packed"), 8, 256, 8);
    const float scale = out.floats(module + ".weight_scale")[0];
    std::vector<float> dequantized;
    for (std::uint32_t code : codes) {
        QVERIFY(code <= 255);
        dequantized.push_back(float(std::int64_t(code) - 128) * scale);
    }
    QVERIFY(sameBits(dequantized, expected(kQ, spec).dequantized));
}

void TestWeightExport::fp8Channel() {
    const QuantSpec spec = channelSpec(NumberFormat::Fp8E4M3, 8);
    for (const char *name : {kO, kV}) {
        const bool f16 = std::string(name) == kV;
        if (f16 && !scaleDtypeApplied())
            QSKIP(
                "quantizeScheme does not round scales to QuantSpec::scaleDtype yet (the scale-dtype branch)");
        const QString folder = m_dir.filePath(f16 ? QStringLiteral("fp8-f16") : QStringLiteral("fp8-f32"));
        const auto outcome = exportCt(planOf({{name, spec}}), folder);
        QVERIFY2(outcome.ok(), outcome.error().c_str());
        const Output out = openOutput(folder + QStringLiteral("/model.safetensors"));
        const std::string module = std::string(name).substr(0, std::strlen(name) - 7);
        const TensorInfo *weight = out.find(module + ".weight");
        QCOMPARE(weight->dtype, DType::F8_E4M3);
        QCOMPARE(weight->shape, (Shape{4, 64}));
        QCOMPARE(out.find(module + ".weight_scale")->dtype, f16 ? DType::F16 : DType::F32);
        QCOMPARE(out.find(module + ".weight_scale")->shape, (Shape{4, 1}));
        const auto raw = out.bytes(*weight);
        const std::vector<float> scales = out.floats(module + ".weight_scale");
        std::vector<float> dequantized;
        for (std::size_t i = 0; i < raw.size(); ++i)
            dequantized.push_back(decodeFloat8E4M3(std::uint8_t(raw[i])) * scales[i / 64]);
        QVERIFY(sameBits(dequantized, expected(name, spec).dequantized));
    }
}

void TestWeightExport::nvfp4() {
    const QString folder = m_dir.filePath(QStringLiteral("nvfp4"));
    const auto outcome = exportCt(planOf({{kO, formatSpec(NumberFormat::NvFp4)}}), folder);
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    const Output out = openOutput(folder + QStringLiteral("/model.safetensors"));
    const std::string module = "model.layers.0.self_attn.o_proj";
    const TensorInfo *packed = out.find(module + ".weight_packed");
    const TensorInfo *scale = out.find(module + ".weight_scale");
    const TensorInfo *global = out.find(module + ".weight_global_scale");
    QCOMPARE(packed->dtype, DType::U8);
    QCOMPARE(packed->shape, (Shape{4, 32}));
    QCOMPARE(scale->dtype, DType::F8_E4M3);
    QCOMPARE(scale->shape, (Shape{4, 4}));
    QCOMPARE(global->dtype, DType::F32);
    QCOMPARE(global->shape, (Shape{1}));
    const float g = out.floats(module + ".weight_global_scale")[0];
    const auto nibbles = out.bytes(*packed);
    const auto blockScales = out.bytes(*scale);
    std::vector<float> dequantized;
    for (std::size_t i = 0; i < 256; ++i) {
        const auto byte = std::uint8_t(nibbles[i / 2]);
        const std::uint8_t code = i % 2 ? byte >> 4 : byte & 0xF; // the even element is the low nibble
        // compressed-tensors divides by the stored global scale: x = e2m1 · s_b / g.
        dequantized.push_back(decodeFloat8E4M3(std::uint8_t(blockScales[i / 16])) * e2m1(code) / g);
    }
    QVERIFY(sameBits(dequantized, expected(kO, formatSpec(NumberFormat::NvFp4)).dequantized));
}

void TestWeightExport::unplannedByteIdentical() {
    const QString folder = m_dir.filePath(QStringLiteral("copy"));
    const auto outcome = exportCt(planOf({{kO, formatSpec(NumberFormat::NvFp4)}}), folder);
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    QCOMPARE(outcome->copied, int(m_reader->tensors().size()) - 1);
    const Output out = openOutput(folder + QStringLiteral("/model.safetensors"));
    const Output in = openOutput(m_input);
    for (const TensorInfo &info : m_reader->tensors()) {
        if (info.name == kO)
            continue;
        const TensorInfo *copied = out.find(info.name);
        QVERIFY2(copied, info.name.c_str());
        QCOMPARE(copied->dtype, info.dtype);
        QCOMPARE(copied->shape, info.shape);
        const auto a = in.bytes(info);
        const auto b = out.bytes(*copied);
        QVERIFY2(std::equal(a.begin(), a.end(), b.begin(), b.end()), info.name.c_str());
    }
}

void TestWeightExport::configMerged() {
    QFile beside(m_dir.filePath(QStringLiteral("in/config.json")));
    QVERIFY(beside.open(QIODevice::WriteOnly));
    beside.write(R"({"model_type": "llama", "hidden_size": 256})");
    beside.close();
    const QString folder = m_dir.filePath(QStringLiteral("config"));
    const auto outcome = exportCt(
        planOf({{kO, formatSpec(NumberFormat::NvFp4)}, {kK, channelSpec(NumberFormat::Int, 8)}}), folder);
    QFile::remove(beside.fileName());
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    const QJsonObject config = readJson(folder + QStringLiteral("/config.json"));
    QCOMPARE(config.value(QStringLiteral("model_type")).toString(), QStringLiteral("llama"));
    QCOMPARE(config.value(QStringLiteral("hidden_size")).toInt(), 256);
    const QJsonObject qc = config.value(QStringLiteral("quantization_config")).toObject();
    QCOMPARE(qc.value(QStringLiteral("quant_method")).toString(), QStringLiteral("compressed-tensors"));
    QCOMPARE(qc.value(QStringLiteral("format")).toString(), QStringLiteral("mixed-precision"));
    const QJsonObject groups = qc.value(QStringLiteral("config_groups")).toObject();
    QCOMPARE(groups.size(), 2);
    QStringList formats;
    for (const QJsonValue &group : groups)
        formats << group.toObject().value(QStringLiteral("format")).toString();
    formats.sort();
    QCOMPARE(formats,
             (QStringList{QStringLiteral("nvfp4-pack-quantized"), QStringLiteral("pack-quantized")}));
    QVERIFY(
        qc.value(QStringLiteral("ignore")).toArray().contains(QStringLiteral("model.layers.0.mlp.up_proj")));
}

void TestWeightExport::sharded() {
    const QString folder = m_dir.filePath(QStringLiteral("sharded"));
    const auto outcome = exportCt(planOf({{kQ, intGroup(4, Scheme::Asymmetric, 128)}}), folder, 4096);
    QVERIFY2(outcome.ok(), outcome.error().c_str());
    QVERIFY(!QFile::exists(folder + QStringLiteral("/model.safetensors")));
    const QJsonObject index = readJson(folder + QStringLiteral("/model.safetensors.index.json"));
    const QJsonObject map = index.value(QStringLiteral("weight_map")).toObject();
    const QStringList files = QDir(folder).entryList({QStringLiteral("model-*.safetensors")}, QDir::Files);
    QVERIFY2(files.size() > 2, qPrintable(files.join(QLatin1Char(' '))));
    QCOMPARE(files.first(),
             QStringLiteral("model-00001-of-%1.safetensors").arg(files.size(), 5, 10, QLatin1Char('0')));
    // Every tensor of every shard is in the map, under its shard, and the sizes add up.
    qint64 total = 0;
    int tensors = 0;
    for (const QString &file : files) {
        const Output shard = openOutput(folder + QLatin1Char('/') + file);
        for (const TensorInfo &t : shard.reader->tensors()) {
            QCOMPARE(map.value(QString::fromStdString(t.name)).toString(), file);
            total += qint64(t.byteSize);
            ++tensors;
        }
    }
    QCOMPARE(map.size(), tensors);
    QCOMPARE(tensors, int(m_reader->tensors().size()) + 3); // q_proj became four tensors
    QCOMPARE(
        index.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("total_size")).toInteger(),
        total);
    // The index opens as one checkpoint, and the packed weight reads back as before.
    const auto whole =
        openCheckpoint((folder + QStringLiteral("/model.safetensors.index.json")).toStdString());
    QVERIFY2(whole.ok(), whole.error().c_str());
    QCOMPARE(int(whole.value()->tensors().size()), tensors);
}

void TestWeightExport::fakeQuantEqualsDequantized() {
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

void TestWeightExport::fakeQuantSharded() {
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

void TestWeightExport::refusesSchemes_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<QString>("tensor");
    QTest::addColumn<QString>("reason");
    QuantSpec hqq = intGroup(4, Scheme::Asymmetric, 128);
    hqq.method = CalibMethod::Hqq;
    QuantSpec block = intSpec(4, Scheme::Symmetric);
    block.granularity = {Granularity::Kind::Block, 0, 0, 4, 32};
    QTest::addRow("q4_k") << formatSpec(NumberFormat::Q4_K) << QString::fromLatin1(kQ)
                          << QStringLiteral("q4_k has no compressed-tensors form");
    QTest::addRow("nf4") << formatSpec(NumberFormat::Nf4) << QString::fromLatin1(kQ)
                         << QStringLiteral("nf4 has no compressed-tensors form");
    QTest::addRow("mxfp4") << formatSpec(NumberFormat::MxFp4) << QString::fromLatin1(kQ)
                           << QStringLiteral("mxfp4 has no compressed-tensors form");
    QTest::addRow("e5m2") << formatSpec(NumberFormat::Fp8E5M2) << QString::fromLatin1(kQ)
                          << QStringLiteral("fp8_e5m2 has no compressed-tensors form");
    QTest::addRow("hqq") << hqq << QString::fromLatin1(kQ) << QStringLiteral("hqq's float zero points");
    QTest::addRow("int12") << intSpec(12, Scheme::Symmetric) << QString::fromLatin1(kQ)
                           << QStringLiteral("int12 has no pack-quantized form");
    QTest::addRow("int block") << block << QString::fromLatin1(kQ) << QStringLiteral("int in blocks");
    QTest::addRow("asymmetric per tensor") << intSpec(4, Scheme::Asymmetric) << QString::fromLatin1(kQ)
                                           << QStringLiteral("asymmetric int per tensor");
    QTest::addRow("ragged groups") << intGroup(4, Scheme::Symmetric, 64) << QString::fromLatin1(kK)
                                   << QStringLiteral("groups of 64 must divide the row length");
    QTest::addRow("1-D") << intSpec(8, Scheme::Symmetric) << QString::fromLatin1(kNorm)
                         << QStringLiteral("2-D weights only");
}

void TestWeightExport::refusesSchemes() {
    QFETCH(QuantSpec, spec);
    QFETCH(QString, tensor);
    QFETCH(QString, reason);
    const QString folder = m_dir.filePath(QStringLiteral("refused"));
    const auto outcome = exportCt(planOf({{tensor.toStdString(), spec}}), folder);
    QVERIFY(!outcome.ok());
    QVERIFY2(QString::fromStdString(outcome.error()).contains(reason), outcome.error().c_str());
    QVERIFY2(QString::fromStdString(outcome.error()).contains(tensor), outcome.error().c_str());
    QVERIFY(!QFileInfo::exists(folder));
}

void TestWeightExport::refusesInput() {
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

void TestWeightExport::failureLeavesNothing() {
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

void TestWeightExport::cancelLeavesNothing() {
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

void TestWeightExport::otherInputs() {
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

void TestWeightExport::cli() {
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

QTEST_GUILESS_MAIN(TestWeightExport)
#include "tst_weightexport.moc"
