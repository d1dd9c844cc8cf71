#include "chunkedload.h"
#include "io/checkpointreader.h"
#include "io/onnxreader.h"

// The test target gets onnx_proto's library but not its compile definitions.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#include <onnx/onnx_pb.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <cstring>
#include <functional>

using namespace qs;

Q_DECLARE_METATYPE(qs::DType)
Q_DECLARE_METATYPE(std::vector<float>)
Q_DECLARE_METATYPE(std::function<void(onnx::ModelProto &)>)

namespace {

// TensorProto.DataType numbers from onnx.proto (17 and 19 are the FP8 types of ONNX 1.14).
constexpr int kFloat = 1, kUint8 = 2, kInt8 = 3, kInt16 = 5, kInt32 = 6, kInt64 = 7, kString = 8, kBool = 9,
              kFloat16 = 10, kDouble = 11, kBfloat16 = 16, kFloat8E4M3FN = 17, kFloat8E5M2 = 19;

using Mutation = std::function<void(onnx::ModelProto &)>;

QByteArray leFloats(const std::vector<float> &values) {
    QByteArray bytes(qsizetype(values.size() * 4), '\0');
    for (std::size_t i = 0; i < values.size(); ++i)
        qToLittleEndian(values[i], bytes.data() + 4 * i);
    return bytes;
}

QByteArray bytesOf(std::initializer_list<int> values) {
    QByteArray bytes;
    for (int v : values)
        bytes.append(char(v));
    return bytes;
}

onnx::ModelProto baseModel() {
    onnx::ModelProto model;
    model.set_ir_version(8);
    model.set_producer_name("quantscope-test");
    model.set_producer_version("1.0");
    model.set_doc_string("A test model.\nSecond line.");
    model.add_opset_import()->set_version(17);
    model.mutable_graph()->set_name("main");
    return model;
}

onnx::TensorProto rawTensor(const std::string &name, int dataType, std::vector<std::int64_t> dims,
                            const QByteArray &raw) {
    onnx::TensorProto tensor;
    tensor.set_name(name);
    tensor.set_data_type(dataType);
    for (std::int64_t d : dims)
        tensor.add_dims(d);
    tensor.set_raw_data(raw.constData(), std::size_t(raw.size()));
    return tensor;
}

onnx::TensorProto floatTensor(const std::string &name, std::vector<std::int64_t> dims,
                              const std::vector<float> &values) {
    return rawTensor(name, kFloat, std::move(dims), leFloats(values));
}

// Moves raw little-endian bytes into the typed field the ONNX spec names for the type: 16- and
// 8-bit types and BOOL widened into int32_data (signed types sign-extended, the rest as bits).
void toTypedFields(onnx::TensorProto &tensor, DType dtype) {
    const QByteArray raw = QByteArray::fromStdString(tensor.raw_data());
    tensor.clear_raw_data();
    const std::size_t size = dtypeSize(dtype);
    for (qsizetype at = 0; at < raw.size(); at += qsizetype(size)) {
        const char *p = raw.constData() + at;
        switch (dtype) {
        case DType::F32:
            tensor.add_float_data(qFromLittleEndian<float>(p));
            break;
        case DType::F64:
            tensor.add_double_data(qFromLittleEndian<double>(p));
            break;
        case DType::I64:
            tensor.add_int64_data(qFromLittleEndian<qint64>(p));
            break;
        case DType::I32:
            tensor.add_int32_data(qFromLittleEndian<qint32>(p));
            break;
        case DType::I16:
            tensor.add_int32_data(qFromLittleEndian<qint16>(p));
            break;
        case DType::I8:
            tensor.add_int32_data(qint8(*p));
            break;
        case DType::F16:
        case DType::BF16:
            tensor.add_int32_data(qFromLittleEndian<quint16>(p));
            break;
        default: // U8, BOOL, FP8
            tensor.add_int32_data(quint8(*p));
        }
    }
}

QByteArray serialize(const onnx::ModelProto &model) {
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        qFatal("cannot serialize model");
    return QByteArray::fromStdString(bytes);
}

QString writeFile(const QString &path, const QByteArray &bytes) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write fixture");
    return path;
}

bool sameFloats(std::span<const float> actual, const std::vector<float> &expected) {
    if (actual.size() != expected.size()) {
        qWarning("size %zu, expected %zu", actual.size(), expected.size());
        return false;
    }
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (std::memcmp(&actual[i], &expected[i], sizeof(float)) != 0) {
            qWarning("element %zu: got %.9g, expected %.9g", i, double(actual[i]), double(expected[i]));
            return false;
        }
    }
    return true;
}

std::shared_ptr<const OnnxReader> openOrFail(const QString &path) {
    auto reader = OnnxReader::open(path.toStdString());
    if (!reader)
        qWarning("%s", reader.error().c_str());
    return reader ? reader.value() : nullptr;
}

std::vector<float> loadValues(const CheckpointReader &reader, std::size_t index) {
    auto tensor = reader.loadFloat(index);
    if (!tensor) {
        qWarning("%s", tensor.error().c_str());
        return {};
    }
    const auto values = tensor.value()->values();
    return {values.begin(), values.end()};
}

onnx::NodeProto constantNode(const std::string &output, const onnx::TensorProto &value) {
    onnx::NodeProto node;
    node.set_op_type("Constant");
    node.add_output(output);
    onnx::AttributeProto *attribute = node.add_attribute();
    attribute->set_name("value");
    attribute->set_type(onnx::AttributeProto::TENSOR);
    *attribute->mutable_t() = value;
    return node;
}

onnx::AttributeProto graphAttribute(const std::string &name, const onnx::GraphProto &graph) {
    onnx::AttributeProto attribute;
    attribute.set_name(name);
    attribute.set_type(onnx::AttributeProto::GRAPH);
    *attribute.mutable_g() = graph;
    return attribute;
}

void setExternal(onnx::TensorProto &tensor, std::vector<std::pair<std::string, std::string>> entries) {
    tensor.clear_raw_data();
    tensor.set_data_location(onnx::TensorProto::EXTERNAL);
    for (const auto &[key, value] : entries) {
        onnx::StringStringEntryProto *entry = tensor.add_external_data();
        entry->set_key(key);
        entry->set_value(value);
    }
}

// One F32 tensor "w" of dims {2, 2} holding 1, 2, 3, 4.
onnx::ModelProto oneTensorModel() {
    onnx::ModelProto model = baseModel();
    *model.mutable_graph()->add_initializer() = floatTensor("w", {2, 2}, {1, 2, 3, 4});
    return model;
}

struct Seed {
    QString name;
    QByteArray bytes;
    bool valid = false;
};

// Seeds of the fuzz_onnx corpus (tests/fuzz/corpus/onnx/): small valid models of each kind and
// broken variants. External data refers to "data.bin", which the fuzzer writes beside the model.
std::vector<Seed> fuzzSeeds() {
    onnx::ModelProto all = baseModel();
    const std::vector<std::pair<int, DType>> types{{kFloat, DType::F32},
                                                   {kDouble, DType::F64},
                                                   {kFloat16, DType::F16},
                                                   {kBfloat16, DType::BF16},
                                                   {kFloat8E4M3FN, DType::F8_E4M3},
                                                   {kFloat8E5M2, DType::F8_E5M2},
                                                   {kInt64, DType::I64},
                                                   {kInt32, DType::I32},
                                                   {kInt16, DType::I16},
                                                   {kInt8, DType::I8},
                                                   {kUint8, DType::U8},
                                                   {kBool, DType::BOOL}};
    for (const auto &[type, dtype] : types) {
        const QByteArray raw(qsizetype(2 * dtypeSize(dtype)), '\x01');
        *all.mutable_graph()->add_initializer() = rawTensor("raw_" + std::to_string(type), type, {2}, raw);
        onnx::TensorProto typed = rawTensor("typed_" + std::to_string(type), type, {2}, raw);
        toTypedFields(typed, dtype);
        *all.mutable_graph()->add_initializer() = typed;
    }
    onnx::ModelProto subgraphs = oneTensorModel();
    onnx::GraphProto branch;
    *branch.add_node() = constantNode("c", floatTensor("", {2}, {5, 6}));
    onnx::NodeProto *ifNode = subgraphs.mutable_graph()->add_node();
    ifNode->set_op_type("If");
    *ifNode->add_attribute() = graphAttribute("then_branch", branch);
    const auto externalModel = [](const std::string &location) {
        onnx::ModelProto model = oneTensorModel();
        setExternal(*model.mutable_graph()->mutable_initializer(0),
                    {{"location", location}, {"offset", "16"}, {"length", "16"}});
        return serialize(model);
    };
    onnx::ModelProto negative = oneTensorModel();
    negative.mutable_graph()->mutable_initializer(0)->set_dims(0, -1);
    onnx::ModelProto mismatch = oneTensorModel();
    mismatch.mutable_graph()->mutable_initializer(0)->add_dims(3);
    const QByteArray valid = serialize(oneTensorModel());
    return {{QStringLiteral("f32.onnx"), valid, true},
            {QStringLiteral("dtypes.onnx"), serialize(all), true},
            {QStringLiteral("subgraphs.onnx"), serialize(subgraphs), true},
            {QStringLiteral("external.onnx"), externalModel("data.bin"), true},
            {QStringLiteral("external_escape.onnx"), externalModel("../data.bin"), false},
            {QStringLiteral("truncated.onnx"), valid.left(valid.size() / 2), false},
            {QStringLiteral("negative_dims.onnx"), serialize(negative), false},
            {QStringLiteral("size_mismatch.onnx"), serialize(mismatch), false}};
}

} // namespace

class TestOnnx : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void dtypes_data();
    void dtypes();
    void constantsAndSubgraphs();
    void clashingSubgraphNamesArePrefixed();
    void metadataAndSkippedTypes();
    void externalData();
    void malformed_data();
    void malformed();
    void probe_data();
    void probe();
    void openCheckpointFindsOnnx();
    void badIndex();
    void refusesOver2GiB();
    void fuzzSeeds();

private:
    QString modelPath(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestOnnx::dtypes_data() {
    QTest::addColumn<int>("dataType");
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<std::vector<float>>("expected");
    // Each row stores 1, -2, 0.5 (or integers) in little-endian bit patterns written by hand:
    // F16 sign|5-bit exponent (bias 15)|10-bit mantissa: 1 = 0x3C00, -2 = 0xC000, 0.5 = 0x3800.
    // BF16 is the top half of a float: 1 = 0x3F80, -2 = 0xC000, 0.5 = 0x3F00.
    // F8 E4M3 (bias 7): 1 = 0x38, -2 = 0xC0, 0.5 = 0x30, 448 = 0x7E (largest finite).
    // F8 E5M2 (bias 15): 1 = 0x3C, -2 = 0xC0, 0.5 = 0x38, 57344 = 0x7B (largest finite).
    // F64 1 = 0x3FF0..., -2 = 0xC000..., 0.5 = 0x3FE0...
    const std::vector<float> floats{1.0f, -2.0f, 0.5f};
    const QByteArray f64 =
        bytesOf({0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F});
    struct Row {
        const char *name;
        int dataType;
        DType dtype;
        QByteArray raw;
        std::vector<float> expected;
    };
    const std::vector<Row> rows{
        {"F32", kFloat, DType::F32, leFloats(floats), floats},
        {"F64", kDouble, DType::F64, f64, floats},
        {"F16", kFloat16, DType::F16, bytesOf({0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38}), floats},
        {"BF16", kBfloat16, DType::BF16, bytesOf({0x80, 0x3F, 0x00, 0xC0, 0x00, 0x3F}), floats},
        {"F8_E4M3", kFloat8E4M3FN, DType::F8_E4M3, bytesOf({0x38, 0xC0, 0x30, 0x7E}), {1, -2, 0.5f, 448}},
        {"F8_E5M2", kFloat8E5M2, DType::F8_E5M2, bytesOf({0x3C, 0xC0, 0x38, 0x7B}), {1, -2, 0.5f, 57344}},
        // -3 in two's complement: 0xFD, 0xFFFD, ...; 300 = 0x012C.
        {"I64",
         kInt64,
         DType::I64,
         bytesOf({0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0, 0, 0, 0, 0}),
         {-3, 7}},
        {"I32", kInt32, DType::I32, bytesOf({0xFD, 0xFF, 0xFF, 0xFF, 0x2C, 0x01, 0, 0}), {-3, 300}},
        {"I16", kInt16, DType::I16, bytesOf({0xFD, 0xFF, 0x2C, 0x01}), {-3, 300}},
        {"I8", kInt8, DType::I8, bytesOf({0xFD, 0x7F}), {-3, 127}},
        {"U8", kUint8, DType::U8, bytesOf({0xFD, 0x7F}), {253, 127}},
        {"BOOL", kBool, DType::BOOL, bytesOf({0, 1, 1}), {0, 1, 1}},
    };
    for (const Row &row : rows) {
        QTest::addRow("%s raw_data", row.name) << row.dataType << row.dtype << row.raw << row.expected;
        QTest::addRow("%s typed", row.name) << row.dataType << row.dtype << row.raw << row.expected;
    }
}

void TestOnnx::dtypes() {
    QFETCH(int, dataType);
    QFETCH(DType, dtype);
    QFETCH(QByteArray, raw);
    QFETCH(std::vector<float>, expected);
    onnx::ModelProto model = baseModel();
    onnx::TensorProto tensor = rawTensor("t", dataType, {1, std::int64_t(expected.size())}, raw);
    if (QByteArray(QTest::currentDataTag()).endsWith("typed"))
        toTypedFields(tensor, dtype);
    *model.mutable_graph()->add_initializer() = tensor;
    const QString path = writeFile(modelPath(QStringLiteral("dtypes.onnx")), serialize(model));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QCOMPARE(reader->tensors().size(), std::size_t(1));
    const TensorInfo &info = reader->tensors()[0];
    QCOMPARE(info.name, std::string("t"));
    QCOMPARE(info.dtype, dtype);
    QCOMPARE(info.typeName(), std::string(dtypeName(dtype)));
    QCOMPARE(info.shape, (std::vector<std::int64_t>{1, std::int64_t(expected.size())}));
    QCOMPARE(info.byteSize, std::uint64_t(expected.size() * dtypeSize(dtype)));
    QVERIFY(sameFloats(loadValues(*reader, 0), expected));
    // Elements in raw_data other than F32 stay in the parsed model and are decoded piece by piece.
    const bool typed = QByteArray(QTest::currentDataTag()).endsWith("typed");
    const QString mismatch = qs::test::chunkedLoadMismatch(*reader, 0, dtype != DType::F32 && !typed);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestOnnx::constantsAndSubgraphs() {
    onnx::ModelProto model = oneTensorModel();
    onnx::GraphProto *graph = model.mutable_graph();
    *graph->add_node() = constantNode("c", floatTensor("", {}, {7}));
    onnx::GraphProto thenBranch;
    *thenBranch.add_node() = constantNode("then_c", floatTensor("", {2}, {5, 6}));
    onnx::GraphProto elseBranch;
    elseBranch.set_name("else");
    onnx::NodeProto *ifNode = graph->add_node();
    ifNode->set_op_type("If");
    ifNode->set_name("cond");
    *ifNode->add_attribute() = graphAttribute("then_branch", thenBranch);
    *ifNode->add_attribute() = graphAttribute("else_branch", elseBranch);
    onnx::GraphProto body;
    *body.add_initializer() = floatTensor("loop_w", {3}, {-1, 0, 1});
    onnx::NodeProto *loop = graph->add_node();
    loop->set_op_type("Loop");
    *loop->add_attribute() = graphAttribute("body", body);
    // Scan keeps its body in a GRAPHS-typed list here, to cover that attribute kind too.
    onnx::NodeProto *scan = graph->add_node();
    scan->set_op_type("Scan");
    onnx::AttributeProto *graphs = scan->add_attribute();
    graphs->set_name("bodies");
    graphs->set_type(onnx::AttributeProto::GRAPHS);
    *graphs->add_graphs()->add_initializer() = floatTensor("scan_w", {1}, {9});
    auto reader = openOrFail(writeFile(modelPath(QStringLiteral("subgraphs.onnx")), serialize(model)));
    QVERIFY(reader);
    // Main-graph initializers, then nodes in order, each node's subgraphs depth first.
    const std::vector<std::string> names{"w", "c", "then_c", "loop_w", "scan_w"};
    QCOMPARE(reader->tensors().size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i)
        QCOMPARE(reader->tensors()[i].name, names[i]);
    QCOMPARE(reader->tensors()[1].shape, std::vector<std::int64_t>{}); // a scalar Constant
    QVERIFY(sameFloats(loadValues(*reader, 0), {1, 2, 3, 4}));
    QVERIFY(sameFloats(loadValues(*reader, 1), {7}));
    QVERIFY(sameFloats(loadValues(*reader, 2), {5, 6}));
    QVERIFY(sameFloats(loadValues(*reader, 3), {-1, 0, 1}));
    QVERIFY(sameFloats(loadValues(*reader, 4), {9}));
}

void TestOnnx::clashingSubgraphNamesArePrefixed() {
    onnx::ModelProto model = oneTensorModel();
    onnx::GraphProto branch;
    *branch.add_initializer() = floatTensor("w", {1}, {8});
    onnx::NodeProto *ifNode = model.mutable_graph()->add_node();
    ifNode->set_op_type("If");
    ifNode->set_name("cond");
    *ifNode->add_attribute() = graphAttribute("else_branch", branch);
    auto reader = openOrFail(writeFile(modelPath(QStringLiteral("clash.onnx")), serialize(model)));
    QVERIFY(reader);
    QCOMPARE(reader->tensors().size(), std::size_t(2));
    QCOMPARE(reader->tensors()[0].name, std::string("w")); // the main graph keeps its name
    QCOMPARE(reader->tensors()[1].name, std::string("cond/else_branch/w"));
    QVERIFY(sameFloats(loadValues(*reader, 1), {8}));
}

void TestOnnx::metadataAndSkippedTypes() {
    onnx::ModelProto model = oneTensorModel();
    onnx::OperatorSetIdProto *ml = model.add_opset_import();
    ml->set_domain("ai.onnx.ml");
    ml->set_version(3);
    onnx::StringStringEntryProto *prop = model.add_metadata_props();
    prop->set_key("author");
    prop->set_value("tests");
    onnx::TensorProto *text = model.mutable_graph()->add_initializer();
    text->set_name("vocab");
    text->set_data_type(kString);
    text->add_dims(1);
    text->add_string_data("hello");
    // 18 is FLOAT8E4M3FNUZ (ONNX 1.14), a different FP8 bias; the 1.12 proto has no name for it.
    *model.mutable_graph()->add_initializer() = rawTensor("fnuz", 18, {1}, bytesOf({0x38}));
    onnx::SparseTensorProto *sparse = model.mutable_graph()->add_sparse_initializer();
    *sparse->mutable_values() = floatTensor("sparse", {1}, {1});
    auto reader = openOrFail(writeFile(modelPath(QStringLiteral("meta.onnx")), serialize(model)));
    QVERIFY(reader);
    QCOMPARE(reader->formatName(), std::string("ONNX"));
    QCOMPARE(reader->tensors().size(), std::size_t(1)); // the string tensor is not listed
    const auto &metadata = reader->metadata();
    QCOMPARE(metadata.at("ir_version"), std::string("8"));
    QCOMPARE(metadata.at("producer_name"), std::string("quantscope-test"));
    QCOMPARE(metadata.at("producer_version"), std::string("1.0"));
    QCOMPARE(metadata.at("opset_import"), std::string("ai.onnx 17, ai.onnx.ml 3")); // "" is ai.onnx
    QCOMPARE(metadata.at("doc_string"), std::string("A test model."));              // the first line only
    QCOMPARE(metadata.at("graph_name"), std::string("main"));
    QCOMPARE(metadata.at("author"), std::string("tests"));
    QCOMPARE(metadata.at("skipped_tensors"), std::string("vocab (STRING), fnuz (data_type 18)"));
    QCOMPARE(metadata.at("skipped_sparse_initializers"), std::string("1"));
}

void TestOnnx::externalData() {
    QTemporaryDir dir;
    // Side file: 8 bytes of padding, then 1, 2, 3, 4 as F32, then 0.5 as F32 (unaligned at 25).
    writeFile(dir.filePath(QStringLiteral("weights.bin")),
              QByteArray(8, 'x') + leFloats({1, 2, 3, 4}) + QByteArray(1, 'y') + leFloats({0.5f}));
    onnx::ModelProto model = oneTensorModel();
    setExternal(*model.mutable_graph()->mutable_initializer(0),
                {{"location", "weights.bin"}, {"offset", "8"}, {"length", "16"}});
    onnx::TensorProto *second = model.mutable_graph()->add_initializer();
    *second = floatTensor("v", {1}, {0});
    setExternal(*second, {{"location", "weights.bin"}, {"offset", "25"}}); // length is optional
    auto reader = openOrFail(writeFile(dir.filePath(QStringLiteral("model.onnx")), serialize(model)));
    QVERIFY(reader);
    QCOMPARE(reader->tensors().size(), std::size_t(2));
    QCOMPARE(reader->tensors()[0].byteOffset, std::uint64_t(8));
    QCOMPARE(reader->tensors()[0].byteSize, std::uint64_t(16));
    QCOMPARE(reader->tensors()[0].fileIndex, std::size_t(1)); // 0 is the model file itself
    QVERIFY(sameFloats(loadValues(*reader, 0), {1, 2, 3, 4}));
    QVERIFY(sameFloats(loadValues(*reader, 1), {0.5f}));

    // F16 in a side file: the chunked load maps the side file and decodes from it in the pass.
    QTemporaryDir halfDir;
    writeFile(halfDir.filePath(QStringLiteral("half.bin")),
              QByteArray(3, 'x') + bytesOf({0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38})); // 1, -2, 0.5
    onnx::ModelProto halfModel = baseModel();
    onnx::TensorProto *half = halfModel.mutable_graph()->add_initializer();
    *half = rawTensor("h", kFloat16, {3}, QByteArray(6, '\0'));
    setExternal(*half, {{"location", "half.bin"}, {"offset", "3"}});
    auto halfReader =
        openOrFail(writeFile(halfDir.filePath(QStringLiteral("half.onnx")), serialize(halfModel)));
    QVERIFY(halfReader);
    QVERIFY(sameFloats(loadValues(*halfReader, 0), {1.0f, -2.0f, 0.5f}));
    const QString mismatch = qs::test::chunkedLoadMismatch(*halfReader, 0, true);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    // A side file cut short after open fails the chunked load with the file's name, as loadFloat.
    writeFile(halfDir.filePath(QStringLiteral("half.bin")), QByteArray(4, 'x'));
    const auto cut = halfReader->loadChunked(0);
    QVERIFY(!cut);
    QVERIFY2(QString::fromStdString(cut.error()).contains(QStringLiteral("out of range")),
             cut.error().c_str());
}

void TestOnnx::malformed_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    const QByteArray valid = serialize(oneTensorModel());
    const auto mutated = [](const Mutation &mutate) {
        onnx::ModelProto model = oneTensorModel();
        mutate(model);
        return serialize(model);
    };
    const auto tensorW = [](onnx::ModelProto &model) {
        return model.mutable_graph()->mutable_initializer(0);
    };
    const auto external = [&](std::vector<std::pair<std::string, std::string>> entries) {
        return mutated([&](onnx::ModelProto &m) { setExternal(*tensorW(m), entries); });
    };
    QTest::addRow("empty") << QByteArray() << QStringLiteral("empty file");
    QTest::addRow("truncated") << valid.left(valid.size() - 5) << QStringLiteral("does not parse");
    QTest::addRow("garbage") << QByteArray("this is no model\xff\xff") << QStringLiteral("does not parse");
    QTest::addRow("no graph") << mutated([](onnx::ModelProto &m) { m.clear_graph(); })
                              << QStringLiteral("no ir_version or no graph");
    QTest::addRow("raw size mismatch")
        << mutated([&](onnx::ModelProto &m) { tensorW(m)->set_raw_data(std::string(12, '\0')); })
        << QStringLiteral("tensor 'w': size mismatch: dims [2, 2] of F32 need 16 bytes but raw_data has 12");
    QTest::addRow("typed count mismatch") << mutated([&](onnx::ModelProto &m) {
        toTypedFields(*tensorW(m), DType::F32);
        tensorW(m)->add_float_data(5);
    }) << QStringLiteral("tensor 'w': size mismatch: dims [2, 2] need 4 values but float_data has 5");
    QTest::addRow("typed field of wrong type") << mutated([&](onnx::ModelProto &m) {
        tensorW(m)->clear_raw_data();
        for (int i = 0; i < 4; ++i)
            tensorW(m)->add_int64_data(i);
    }) << QStringLiteral("float_data has 0");
    QTest::addRow("negative dim") << mutated([&](onnx::ModelProto &m) { tensorW(m)->set_dims(0, -2); })
                                  << QStringLiteral("tensor 'w': dims[0] is negative (-2)");
    QTest::addRow("overflowing dims") << mutated([&](onnx::ModelProto &m) {
        tensorW(m)->set_dims(0, std::int64_t(1) << 40);
        tensorW(m)->set_dims(1, std::int64_t(1) << 40);
    }) << QStringLiteral("overflow a 64-bit element count");
    QTest::addRow("byte count overflow") << mutated([&](onnx::ModelProto &m) {
        tensorW(m)->set_dims(0, std::int64_t(1) << 31);
        tensorW(m)->set_dims(1, std::int64_t(1) << 31);
    }) << QStringLiteral("overflow a 64-bit byte count"); // 2^62 elements * 4 bytes = 2^64
    QTest::addRow("absurd rank") << mutated([&](onnx::ModelProto &m) {
        for (int i = 0; i < 15; ++i)
            tensorW(m)->add_dims(1);
    }) << QStringLiteral("rank 17 is more than the 16 supported");
    QTest::addRow("external missing file")
        << external({{"location", "nowhere.bin"}})
        << QStringLiteral("external data file 'nowhere.bin' does not exist");
    QTest::addRow("external absolute path")
        << external({{"location", "/etc/passwd"}}) << QStringLiteral("'/etc/passwd' is an absolute path");
    QTest::addRow("external escapes")
        << external({{"location", "sub/../../side.bin"}}) << QStringLiteral("escapes the model's directory");
    QTest::addRow("external drive letter")
        << external({{"location", "C:\\side.bin"}}) << QStringLiteral("is an absolute path");
    QTest::addRow("external escapes with backslash")
        << external({{"location", "..\\side.bin"}}) << QStringLiteral("escapes the model's directory");
    QTest::addRow("external no location")
        << external({{"offset", "0"}}) << QStringLiteral("external data has no location");
    QTest::addRow("external bad offset") << external({{"location", "side.bin"}, {"offset", "-8"}})
                                         << QStringLiteral("offset '-8' is not a non-negative integer");
    QTest::addRow("external huge offset")
        << external({{"location", "side.bin"}, {"offset", "99999999999999999999"}})
        << QStringLiteral("is not a non-negative integer"); // > 2^64
    // side.bin holds 20 bytes (written by the test): 16 bytes at offset 8 run past its end.
    QTest::addRow("external out of range")
        << external({{"location", "side.bin"}, {"offset", "8"}})
        << QStringLiteral("external data [8, +16) is out of range: 'side.bin' has 20 bytes");
    QTest::addRow("external length mismatch")
        << external({{"location", "side.bin"}, {"length", "20"}})
        << QStringLiteral("need 16 bytes but external data length is 20");
    QTest::addRow("external is a directory")
        << external({{"location", "subdir"}}) << QStringLiteral("'subdir' is not a regular file");
    QTest::addRow("nested too deep") << mutated([](onnx::ModelProto &m) {
        onnx::GraphProto graph;
        for (int depth = 0; depth < 40; ++depth) {
            onnx::GraphProto outer;
            onnx::NodeProto *node = outer.add_node();
            node->set_op_type("If");
            *node->add_attribute() = graphAttribute("then_branch", graph);
            graph = outer;
        }
        *m.mutable_graph() = graph;
    }) << QStringLiteral("nested more than 64 levels deep");
}

void TestOnnx::malformed() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("side.bin")), QByteArray(20, '\0'));
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("subdir")));
    const QString path = writeFile(dir.filePath(QStringLiteral("bad.onnx")), bytes);
    const auto reader = OnnxReader::open(path.toStdString());
    QVERIFY(!reader);
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestOnnx::probe_data() {
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<qint64>("fileSize");
    QTest::addColumn<bool>("expected");
    const QByteArray model = serialize(oneTensorModel());
    QTest::addRow("serialized model") << model << qint64(model.size()) << true;
    QTest::addRow("head of a larger model") << model.left(20) << qint64(model.size()) << true;
    QTest::addRow("empty") << QByteArray() << qint64(0) << false;
    // 0xA2 0x01 = field 20 (training_info), a two-byte tag cut off by the end of the head.
    QTest::addRow("tag cut by head end") << bytesOf({0x08, 0x07, 0xA2}) << qint64(100) << true;
    QTest::addRow("tag cut by file end") << bytesOf({0x08, 0x07, 0xA2}) << qint64(3) << false;
    // Safetensors whose 8-byte header length ends in 0x08: field 0 follows, which is invalid.
    QTest::addRow("safetensors") << bytesOf({0x08, 0x01, 0, 0, 0, 0, 0, 0}) + QByteArray("{}") << qint64(10)
                                 << false;
    QTest::addRow("zip") << QByteArray("PK\x03\x04\x14\0\0\0", 8) << qint64(100) << false;
    QTest::addRow("npy") << QByteArray("\x93NUMPY\x01\0", 8) << qint64(100) << false;
    QTest::addRow("gguf") << QByteArray("GGUF\x03\0\0\0", 8) << qint64(100) << false;
    // 0x12 = field 2 (producer_name) first: no ir_version in front.
    QTest::addRow("no ir_version first") << bytesOf({0x12, 0x01, 'a'}) << qint64(3) << false;
    QTest::addRow("ir_version 0") << bytesOf({0x08, 0x00}) << qint64(2) << false;
    // 0x48 = field 9 varint, not a ModelProto field.
    QTest::addRow("unknown field") << bytesOf({0x08, 0x07, 0x48, 0x01}) << qint64(4) << false;
    // 0x3A = field 7 (graph) length 100, in a file of 10 bytes.
    QTest::addRow("graph past the end") << bytesOf({0x08, 0x07, 0x3A, 100}) << qint64(10) << false;
    // 0x38 = field 7 with varint wire type: graph must be length-delimited.
    QTest::addRow("wrong wire type") << bytesOf({0x08, 0x07, 0x38, 0x01}) << qint64(4) << false;
}

void TestOnnx::probe() {
    QFETCH(QByteArray, head);
    QFETCH(qint64, fileSize);
    QFETCH(bool, expected);
    const std::span<const std::byte> bytes{reinterpret_cast<const std::byte *>(head.constData()),
                                           std::size_t(head.size())};
    QCOMPARE(OnnxReader::probe(bytes, std::uint64_t(fileSize)), expected);
}

void TestOnnx::openCheckpointFindsOnnx() {
    // Recognised by content, whatever the extension.
    const QString path = writeFile(modelPath(QStringLiteral("exported.bin")), serialize(oneTensorModel()));
    auto reader = openCheckpoint(path.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    QCOMPARE(reader.value()->formatName(), std::string("ONNX"));
    QCOMPARE(reader.value()->tensors().size(), std::size_t(1));
    // A damaged .onnx gets the ONNX reader's own complaint.
    const QString broken =
        writeFile(modelPath(QStringLiteral("broken.onnx")), QByteArray("\x08\x07\x3A\x7F", 4));
    auto failed = openCheckpoint(broken.toStdString());
    QVERIFY(!failed);
    QVERIFY2(QString::fromStdString(failed.error()).contains(QStringLiteral("does not parse")),
             failed.error().c_str());
}

void TestOnnx::badIndex() {
    const QString path = writeFile(modelPath(QStringLiteral("index.onnx")), serialize(oneTensorModel()));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    auto tensor = reader->loadFloat(1);
    QVERIFY(!tensor);
    QCOMPARE(tensor.error(), path.toStdString() + ": no tensor with index 1 (the model has 1)");
}

void TestOnnx::refusesOver2GiB() {
    // A valid model head padded (sparsely) to 2^31 bytes, one more than protobuf's limit.
    const QString path = writeFile(modelPath(QStringLiteral("huge.onnx")), serialize(oneTensorModel()));
    QFile file(path);
    QVERIFY(file.resize(qint64(1) << 31));
    QFile head(path);
    QVERIFY(head.open(QIODevice::ReadOnly));
    const QByteArray bytes = head.read(64);
    QVERIFY(
        OnnxReader::probe({reinterpret_cast<const std::byte *>(bytes.constData()), std::size_t(bytes.size())},
                          std::uint64_t(1) << 31)); // recognised, so that the refusal is precise
    const auto reader = openCheckpoint(path.toStdString());
    QVERIFY(!reader);
    QCOMPARE(reader.error(), path.toStdString() +
                                 ": file is 2147483648 bytes; ONNX models (protobuf) are limited to "
                                 "2 GiB, larger ones keep their weights in external data files");
    QVERIFY(file.remove());
}

void TestOnnx::fuzzSeeds() {
    // Set QUANTSCOPE_WRITE_ONNX_SEEDS=tests/fuzz/corpus/onnx to refresh the committed corpus.
    const QString seedDir = qEnvironmentVariable("QUANTSCOPE_WRITE_ONNX_SEEDS");
    QTemporaryDir dir;
    QByteArray side(256, '\0');
    for (int i = 0; i < side.size(); ++i)
        side[i] = char(i); // as the fuzzer's data.bin
    writeFile(dir.filePath(QStringLiteral("data.bin")), side);
    for (const Seed &seed : ::fuzzSeeds()) {
        QVERIFY2(seed.bytes.size() < 20000, qPrintable(seed.name));
        const QString path = writeFile(dir.filePath(seed.name), seed.bytes);
        const auto reader = OnnxReader::open(path.toStdString());
        QVERIFY2(reader.ok() == seed.valid,
                 qPrintable(seed.name + QStringLiteral(": ") + QString::fromStdString(reader.error())));
        if (!seedDir.isEmpty())
            writeFile(QDir(seedDir).filePath(seed.name), seed.bytes);
    }
}

QTEST_GUILESS_MAIN(TestOnnx)
#include "tst_onnx.moc"
