// The compressed-tensors layouts read back by an independent path: Quantscope's safetensors
// reader for the headers, and the packing, the E2M1 table and the dequantization written here
// from the compressed-tensors conventions (pack_to_int32, the NVFP4 compressor), compared bit
// for bit with quantizeScheme's x̂. Fake-quant, refusals of the input, failures and the CLI are
// in tst_weightexportjob.

#include "export/compressedtensorsweights.h"
#include "io/checkpointreader.h"
#include "quant/schemequant.h"
#include "weightexportfixture.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <bit>
#include <cmath>
#include <cstring>

using namespace qs;
using namespace qs::test;

Q_DECLARE_METATYPE(qs::QuantSpec)

namespace {

ScaleDtype scaleDtypeOf(DType dtype) {
    return dtype == DType::BF16 ? ScaleDtype::BF16 : dtype == DType::F16 ? ScaleDtype::F16 : ScaleDtype::F32;
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

class TestWeightExport : public QObject, public WeightExportFixture {
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
    void refusesSchemes_data();
    void refusesSchemes();

private:
    // Quantizes input tensor name with spec and its dtype's scale type, as the exporter must.
    SchemeQuantization expected(const std::string &name, QuantSpec spec) const;
    bool scaleDtypeApplied() const;
};

void TestWeightExport::initTestCase() {
    writeInput();
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

QTEST_GUILESS_MAIN(TestWeightExport)
#include "tst_weightexport.moc"
