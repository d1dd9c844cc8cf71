#include "chunkedload.h"
#include "io/checkpointreader.h"
#include "io/ggufreader.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <vector>

using namespace qs;

Q_DECLARE_METATYPE(std::vector<quint64>)

namespace {

// GGUF value types (gguf.md): uint8 0, int8 1, uint16 2, int16 3, uint32 4, int32 5, float32 6,
// bool 7, string 8, array 9, uint64 10, int64 11, float64 12.
enum : quint32 { kU8, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64 };

QByteArray le(quint64 value, int bytes) {
    QByteArray out(bytes, '\0');
    for (int i = 0; i < bytes; ++i)
        out[i] = char((value >> (8 * i)) & 0xFF);
    return out;
}
QByteArray le32(quint32 value) {
    return le(value, 4);
}
QByteArray le64(quint64 value) {
    return le(value, 8);
}
QByteArray f32(float value) {
    quint32 bits = 0;
    std::memcpy(&bits, &value, 4);
    return le32(bits);
}
QByteArray f64(double value) {
    quint64 bits = 0;
    std::memcpy(&bits, &value, 8);
    return le64(bits);
}
// gguf_string: uint64 length, bytes.
QByteArray str(const QByteArray &text) {
    return le64(quint64(text.size())) + text;
}
// One metadata pair: key, uint32 type, value bytes.
QByteArray kv(const QByteArray &key, quint32 type, const QByteArray &value) {
    return str(key) + le32(type) + value;
}
// An array value: uint32 item type, uint64 count, items.
QByteArray array(quint32 itemType, quint64 count, const QByteArray &items) {
    return le32(itemType) + le64(count) + items;
}
// One tensor info: name, uint32 rank, uint64 dims (row length first), uint32 ggml type, uint64 offset.
QByteArray tensorInfo(const QByteArray &name, const std::vector<quint64> &dims, quint32 type,
                      quint64 offset) {
    QByteArray out = str(name) + le32(quint32(dims.size()));
    for (quint64 dim : dims)
        out += le64(dim);
    return out + le32(type) + le64(offset);
}

struct Layout {
    quint32 version = 3;
    quint64 pairCount = 0;
    QByteArray pairs;
    quint64 tensorCount = 0;
    QByteArray infos;
    QByteArray data;
    int alignment = 32;
};

// A whole file: magic, version, tensor count, pair count, pairs, infos, zero padding to the
// alignment, data section.
QByteArray ggufFile(const Layout &layout) {
    QByteArray out = QByteArray("GGUF") + le32(layout.version) + le64(layout.tensorCount) +
                     le64(layout.pairCount) + layout.pairs + layout.infos;
    while (out.size() % layout.alignment != 0)
        out += '\0';
    return out + layout.data;
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes) {
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write fixture");
    return path;
}

std::shared_ptr<const GgufReader> openOrFail(const QString &path) {
    auto reader = GgufReader::open(path.toStdString());
    if (!reader)
        qWarning("%s", reader.error().c_str());
    return reader ? reader.value() : nullptr;
}

// One block of each type whose every value decodes to 1 (or the value noted), built from the
// block layouts of ggml-common.h.
QByteArray halfBits(quint16 bits) {
    return le(bits, 2);
}
QByteArray repeat(char byte, int count) {
    return QByteArray(count, byte);
}
constexpr quint16 kOne = 0x3C00;  // f16 1.0
constexpr quint16 kHalf = 0x3800; // f16 0.5
constexpr quint16 kZero = 0x0000;

QByteArray unitBlock(quint32 type) {
    switch (type) {
    case 2: // Q4_0: (9 - 8)·1
        return halfBits(kOne) + repeat(char(0x99), 16);
    case 3: // Q4_1: 1·1 + 0
        return halfBits(kOne) + halfBits(kZero) + repeat(0x11, 16);
    case 6: // Q5_0: ((1 | 16) - 16)·1 with every qh bit set
        return halfBits(kOne) + repeat(char(0xFF), 4) + repeat(0x11, 16);
    case 7: // Q5_1: 2·0.5 + 0
        return halfBits(kHalf) + halfBits(kZero) + repeat(0, 4) + repeat(0x22, 16);
    case 8: // Q8_0: 2·0.5
        return halfBits(kHalf) + repeat(2, 32);
    case 10: // Q2_K: scale 1, min 0, every 2-bit quant 1, d = 1
        return repeat(0x01, 16) + repeat(0x55, 64) + halfBits(kOne) + halfBits(kZero);
    case 11: // Q3_K: every 6-bit scale 33 - 32 = 1, hmask set, low bits 1, d = 1
        return repeat(char(0xFF), 32) + repeat(0x55, 64) + repeat(0x11, 8) + repeat(char(0xAA), 4) +
               halfBits(kOne);
    case 12: // Q4_K: every scale 1 (bytes 0-3 and low nibbles of 8-11), mins 0, nibbles 1, d = 1
        return halfBits(kOne) + halfBits(kZero) + repeat(1, 4) + repeat(0, 4) + repeat(1, 4) +
               repeat(0x11, 128);
    case 13: // Q5_K: as Q4_K with qh clear
        return halfBits(kOne) + halfBits(kZero) + repeat(1, 4) + repeat(0, 4) + repeat(1, 4) + repeat(0, 32) +
               repeat(0x11, 128);
    case 14: // Q6_K: (1 | 2 << 4) - 32 = 1, scales 1, d = 1
        return repeat(0x11, 128) + repeat(char(0xAA), 64) + repeat(1, 16) + halfBits(kOne);
    case 15: // Q8_K: 1·1
        return f32(1.0f) + repeat(1, 256) + repeat(0, 32);
    case 20: // IQ4_NL: 1·kvalues_iq4nl[8] = 1·1
        return halfBits(kOne) + repeat(char(0x88), 16);
    case 23: // IQ4_XS: scales (low nibble 1 | high bits 2 << 4) - 32 = 1 (scales_h 0xAAAA), 1·1·kv[8]
        return halfBits(kOne) + halfBits(0xAAAA) + repeat(0x11, 4) + repeat(char(0x88), 128);
    case 34: // TQ1_0: every trit 2 (0xFF: 5 trits 22222, 4 trits 2222), (2 - 1)·1
        return repeat(char(0xFF), 48) + repeat(char(0xFF), 4) + halfBits(kOne);
    case 35: // TQ2_0: every 2-bit field 2, (2 - 1)·1
        return repeat(char(0xAA), 64) + halfBits(kOne);
    case 39: // MXFP4: E8M0 128 halves to 2^0 = 1, code 1 (E2M1 0.5, doubled 1): 1·1
        return QByteArray(1, char(128)) + repeat(0x11, 16);
    }
    return {};
}

QByteArray metadataFile(quint32 version) {
    Layout layout;
    layout.version = version;
    const QByteArray letters = str("a") + str("b") + str("c") + str("d") + str("e") + str("f");
    const QByteArray nested = array(kU8, 1, "\x07") + array(kU8, 0, {});
    const std::vector<QByteArray> pairs{
        kv("general.architecture", kString, str("llama")),
        kv("general.name", kString, str("tiny")),
        kv("general.file_type", kU32, le32(15)),
        kv("u8", kU8, le(200, 1)),
        kv("i8", kI8, le(quint8(-5), 1)),
        kv("u16", kU16, le(65535, 2)),
        kv("i16", kI16, le(quint16(-300), 2)),
        kv("u32", kU32, le32(4000000000u)),
        kv("i32", kI32, le32(quint32(-7))),
        kv("f32", kF32, f32(0.5f)),
        kv("bool", kBool, le(1, 1)),
        kv("u64", kU64, le64(quint64(1) << 40)),
        kv("i64", kI64, le64(quint64(-(qint64(1) << 40)))),
        kv("f64", kF64, f64(0.125)),
        kv("tokens", kArray, array(kString, 6, letters)),
        kv("ints", kArray, array(kI32, 2, le32(1) + le32(quint32(-2)))),
        kv("nested", kArray, array(kArray, 2, nested)),
        kv("long", kArray, array(kString, 1, str(QByteArray(100, 'x')))),
    };
    for (const QByteArray &pair : pairs)
        layout.pairs += pair;
    layout.pairCount = pairs.size();
    return ggufFile(layout);
}

// Two rows of one block each: GGUF dims [row length, rows] = [blockElements, 2].
QByteArray blockFile(quint32 type, int blockElements) {
    Layout layout;
    layout.tensorCount = 1;
    layout.infos = tensorInfo("blk.0.w", {quint64(blockElements), 2}, type, 0);
    layout.data = unitBlock(type) + unitBlock(type);
    return ggufFile(layout);
}

} // namespace

class TestGguf : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void metadata_data();
    void metadata();
    void blockTensors_data();
    void blockTensors();
    void newFileTypes_data();
    void newFileTypes();
    void plainTensors();
    void alignmentAndOrder();
    void recognisedByContent();
    void emptyTensorInFileEndingBeforeData();
    void sameResultAtAnyThreadCount();
    void cancel();
    void malformed_data();
    void malformed();
    void writeSeeds();

private:
    QTemporaryDir m_dir;
};

void TestGguf::metadata_data() {
    QTest::addColumn<quint32>("version");
    QTest::addRow("v2") << 2u;
    QTest::addRow("v3") << 3u;
}

void TestGguf::metadata() {
    QFETCH(quint32, version);
    const auto reader =
        openOrFail(writeFile(m_dir, QStringLiteral("meta%1.gguf").arg(version), metadataFile(version)));
    QVERIFY(reader);
    QCOMPARE(reader->formatName(), std::string("GGUF"));
    QVERIFY(reader->tensors().empty());
    const auto &m = reader->metadata();
    // Each expected text is the stored value written in decimal / as the spec's summary form.
    const std::map<std::string, std::string> expected{
        {"general.architecture", "llama"},
        {"general.name", "tiny"},
        {"general.file_type", "15 (Q4_K_M)"}, // llama_ftype 15 = MOSTLY_Q4_K_M
        {"u8", "200"},
        {"i8", "-5"},
        {"u16", "65535"},
        {"i16", "-300"},
        {"u32", "4000000000"},
        {"i32", "-7"},
        {"f32", "0.5"},
        {"bool", "true"},
        {"u64", "1099511627776"}, // 2^40
        {"i64", "-1099511627776"},
        {"f64", "0.125"},
        {"tokens", "[6 × string] \"a\", \"b\", \"c\", \"d\", …"}, // first four items shown
        {"ints", "[2 × int32] 1, -2"},
        {"nested", "[2 × array] [1 × uint8] 7, [0 × uint8]"},
        {"long", "[1 × string] \"" + std::string(64, 'x') + "…\""}, // items cut at 64 bytes
        {"gguf.version", std::to_string(version)},
    };
    for (const auto &[key, value] : expected) {
        QVERIFY2(m.count(key), key.c_str());
        QCOMPARE(m.at(key), value);
    }
    QCOMPARE(m.size(), expected.size());
}

void TestGguf::blockTensors_data() {
    QTest::addColumn<quint32>("type");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("blockElements");
    QTest::addColumn<double>("bits");
    QTest::addColumn<float>("value");
    // bits per weight = block bytes · 8 / block values (ggml-common.h sizes).
    QTest::addRow("Q4_0") << 2u << "Q4_0" << 32 << 18 * 8 / 32.0 << 1.0f;
    QTest::addRow("Q4_1") << 3u << "Q4_1" << 32 << 20 * 8 / 32.0 << 1.0f;
    QTest::addRow("Q5_0") << 6u << "Q5_0" << 32 << 22 * 8 / 32.0 << 1.0f;
    QTest::addRow("Q5_1") << 7u << "Q5_1" << 32 << 24 * 8 / 32.0 << 1.0f;
    QTest::addRow("Q8_0") << 8u << "Q8_0" << 32 << 34 * 8 / 32.0 << 1.0f;
    QTest::addRow("Q2_K") << 10u << "Q2_K" << 256 << 84 * 8 / 256.0 << 1.0f;
    QTest::addRow("Q3_K") << 11u << "Q3_K" << 256 << 110 * 8 / 256.0 << 1.0f;
    QTest::addRow("Q4_K") << 12u << "Q4_K" << 256 << 144 * 8 / 256.0 << 1.0f;
    QTest::addRow("Q5_K") << 13u << "Q5_K" << 256 << 176 * 8 / 256.0 << 1.0f;
    QTest::addRow("Q6_K") << 14u << "Q6_K" << 256 << 210 * 8 / 256.0 << 1.0f;
    QTest::addRow("Q8_K") << 15u << "Q8_K" << 256 << 292 * 8 / 256.0 << 1.0f;
    QTest::addRow("IQ4_NL") << 20u << "IQ4_NL" << 32 << 18 * 8 / 32.0 << 1.0f;    // 4.5
    QTest::addRow("IQ4_XS") << 23u << "IQ4_XS" << 256 << 136 * 8 / 256.0 << 1.0f; // 4.25
    QTest::addRow("TQ1_0") << 34u << "TQ1_0" << 256 << 54 * 8 / 256.0 << 1.0f;    // 1.6875
    QTest::addRow("TQ2_0") << 35u << "TQ2_0" << 256 << 66 * 8 / 256.0 << 1.0f;    // 2.0625
    QTest::addRow("MXFP4") << 39u << "MXFP4" << 32 << 17 * 8 / 32.0 << 1.0f;      // 4.25
}

void TestGguf::blockTensors() {
    QFETCH(quint32, type);
    QFETCH(QString, name);
    QFETCH(int, blockElements);
    QFETCH(double, bits);
    QFETCH(float, value);
    const auto reader =
        openOrFail(writeFile(m_dir, name + QStringLiteral(".gguf"), blockFile(type, blockElements)));
    QVERIFY(reader);
    const TensorInfo &info = reader->tensors().at(0);
    QCOMPARE(info.typeName(), name.toStdString());
    QCOMPARE(info.storageType, name.toStdString());
    QCOMPARE(info.dtype, DType::F32);
    QCOMPARE(info.shape, (std::vector<std::int64_t>{2, blockElements})); // [rows, cols]
    QCOMPARE(info.bitsPerWeight(), bits);
    QCOMPARE(info.byteSize, quint64(unitBlock(type).size()) * 2);
    const auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor, tensor.error().c_str());
    QCOMPARE(tensor.value()->values().size(), std::size_t(2 * blockElements));
    for (float v : tensor.value()->values())
        QCOMPARE(v, value);
    // A block type is dequantized whole for a chunked load too: its pieces need whole blocks.
    const auto chunked = reader->loadChunked(0);
    QVERIFY2(chunked, chunked.error().c_str());
    QVERIFY(chunked.value()->isFloat32());
    QCOMPARE(chunked.value()->values()[0], value);
}

void TestGguf::newFileTypes_data() {
    QTest::addColumn<quint32>("fileType");
    QTest::addColumn<QString>("text");
    // llama.h's llama_ftype: MOSTLY_IQ4_NL 25, MOSTLY_IQ4_XS 30, MOSTLY_TQ1_0 36, MOSTLY_TQ2_0 37,
    // MOSTLY_MXFP4_MOE 38.
    QTest::addRow("25") << 25u << "25 (IQ4_NL)";
    QTest::addRow("30") << 30u << "30 (IQ4_XS)";
    QTest::addRow("36") << 36u << "36 (TQ1_0)";
    QTest::addRow("37") << 37u << "37 (TQ2_0)";
    QTest::addRow("38") << 38u << "38 (MXFP4_MOE)";
}

void TestGguf::newFileTypes() {
    QFETCH(quint32, fileType);
    QFETCH(QString, text);
    Layout layout;
    layout.pairs = kv("general.file_type", kU32, le32(fileType));
    layout.pairCount = 1;
    const auto reader =
        openOrFail(writeFile(m_dir, QStringLiteral("ftype%1.gguf").arg(fileType), ggufFile(layout)));
    QVERIFY(reader);
    QCOMPARE(QString::fromStdString(reader->metadata().at("general.file_type")), text);
}

void TestGguf::plainTensors() {
    Layout layout;
    layout.tensorCount = 5;
    // Offsets are multiples of 32 (the default alignment); each tensor's bytes are padded to it.
    layout.infos = tensorInfo("f32", {3}, 0, 0) + tensorInfo("f16", {2}, 1, 32) +
                   tensorInfo("bf16", {2}, 30, 64) + tensorInfo("i8", {2, 1}, 24, 96) +
                   tensorInfo("f64", {1}, 28, 128);
    QByteArray data = f32(1.5f) + f32(-2.0f) + f32(0.25f);
    data.resize(32, '\0');
    data += halfBits(0x3C00) + halfBits(0xC000); // f16 1, -2
    data.resize(64, '\0');
    data += halfBits(0x3F80) + halfBits(0xC040); // bf16 1, -3
    data.resize(96, '\0');
    data += QByteArray("\x05\xFB", 2); // i8 5, -5
    data.resize(128, '\0');
    data += f64(-0.75);
    layout.data = data;
    const auto reader = openOrFail(writeFile(m_dir, QStringLiteral("plain.gguf"), ggufFile(layout)));
    QVERIFY(reader);
    const auto &tensors = reader->tensors();
    QCOMPARE(tensors.size(), std::size_t(5));
    QCOMPARE(tensors[0].typeName(), std::string("F32"));
    QVERIFY(tensors[0].storageType.empty());
    QCOMPARE(tensors[1].dtype, DType::F16);
    QCOMPARE(tensors[2].dtype, DType::BF16);
    QCOMPARE(tensors[3].dtype, DType::I8);
    QCOMPARE(tensors[3].shape, (std::vector<std::int64_t>{1, 2}));
    QCOMPARE(tensors[4].dtype, DType::F64);
    QCOMPARE(tensors[1].bitsPerWeight(), 16.0);
    const std::vector<std::vector<float>> expected{
        {1.5f, -2.0f, 0.25f}, {1.0f, -2.0f}, {1.0f, -3.0f}, {5.0f, -5.0f}, {-0.75f}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto tensor = reader->loadFloat(i);
        QVERIFY2(tensor, tensor.error().c_str());
        const auto values = tensor.value()->values();
        QCOMPARE(std::vector<float>(values.begin(), values.end()), expected[i]);
    }
    // A chunked load leaves F16, BF16, I8 and F64 in the mapped file (F32 is a view either way)
    // and decodes any range of them to the same values.
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const QString mismatch = qs::test::chunkedLoadMismatch(*reader, i, i != 0);
        QVERIFY2(mismatch.isEmpty(), qPrintable(QStringLiteral("tensor %1: ").arg(i) + mismatch));
    }
}

void TestGguf::alignmentAndOrder() {
    // general.alignment = 64: the data section starts at the next multiple of 64 and offsets are
    // multiples of 64. Tensors listed in reverse data order keep the file's listing order.
    Layout layout;
    layout.pairs = kv("general.alignment", kU32, le32(64));
    layout.pairCount = 1;
    layout.tensorCount = 2;
    layout.infos = tensorInfo("second", {1}, 0, 64) + tensorInfo("first", {1}, 0, 0);
    layout.alignment = 64;
    QByteArray data = f32(1.0f);
    data.resize(64, '\0');
    data += f32(2.0f);
    layout.data = data;
    const QByteArray file = ggufFile(layout);
    const auto reader = openOrFail(writeFile(m_dir, QStringLiteral("aligned.gguf"), file));
    QVERIFY(reader);
    const quint64 dataStart = quint64(file.size() - data.size());
    QCOMPARE(dataStart % 64, quint64(0));
    QCOMPARE(reader->tensors()[0].name, std::string("second"));
    QCOMPARE(reader->tensors()[0].byteOffset, dataStart + 64);
    QCOMPARE(reader->tensors()[1].byteOffset, dataStart);
    QCOMPARE(reader->loadFloat(0).value()->values()[0], 2.0f);
    QCOMPARE(reader->loadFloat(1).value()->values()[0], 1.0f);
    QCOMPARE(reader->metadata().at("general.alignment"), std::string("64"));
}

void TestGguf::recognisedByContent() {
    Layout layout;
    layout.tensorCount = 1;
    layout.infos = tensorInfo("w", {2}, 0, 0);
    layout.data = f32(3.0f) + f32(4.0f);
    const QByteArray file = ggufFile(layout);
    const std::byte *head = reinterpret_cast<const std::byte *>(file.constData());
    QVERIFY(GgufReader::probe({head, std::size_t(file.size())}, quint64(file.size())));
    const QByteArray other("GGML\x03\0\0\0", 8);
    QVERIFY(!GgufReader::probe({reinterpret_cast<const std::byte *>(other.constData()), 8}, 8));
    // A misleading extension does not matter: the magic decides.
    const auto reader = openCheckpoint(writeFile(m_dir, QStringLiteral("model.bin"), file).toStdString());
    QVERIFY2(reader, reader.error().c_str());
    QCOMPARE(reader.value()->formatName(), std::string("GGUF"));
    QCOMPARE(reader.value()->tensors().at(0).name, std::string("w"));
}

void TestGguf::emptyTensorInFileEndingBeforeData() {
    // Found by fuzzing: a v3 file with one empty F32 tensor "w" (dims {0}) whose header ends at
    // byte 57, before the aligned data section (64). The tensor must lie inside the file and load.
    const QByteArray file = QByteArray("GGUF", 4) + le32(3) + le64(1) + le64(0) + tensorInfo("w", {0}, 0, 0);
    QCOMPARE(file.size(), 57);
    const auto reader = GgufReader::open(writeFile(m_dir, QStringLiteral("short.gguf"), file).toStdString());
    QVERIFY2(reader, reader.error().c_str());
    const TensorInfo &info = reader.value()->tensors().at(0);
    QCOMPARE(info.byteSize, quint64(0));
    QVERIFY(info.byteOffset <= quint64(file.size()));
    const auto tensor = reader.value()->loadFloat(0);
    QVERIFY2(tensor, tensor.error().c_str());
    QCOMPARE(tensor.value()->values().size(), std::size_t(0));
}

void TestGguf::sameResultAtAnyThreadCount() {
    // 600 Q4_K blocks with varying scales span three 256-block chunks.
    constexpr int kBlocks = 600;
    QByteArray data;
    for (int b = 0; b < kBlocks; ++b) {
        QByteArray block = unitBlock(12);
        block[4] = char(1 + b % 50); // scale of the first sub-block varies per block
        block[16] = char(b % 256);
        data += block;
    }
    Layout layout;
    layout.tensorCount = 1;
    layout.infos = tensorInfo("big", {256, kBlocks}, 12, 0);
    layout.data = data;
    const auto reader = openOrFail(writeFile(m_dir, QStringLiteral("big.gguf"), ggufFile(layout)));
    QVERIFY(reader);
    RunControl one;
    one.threads = 1;
    RunControl four;
    four.threads = 4;
    const auto a = reader->loadFloat(0, one);
    const auto b = reader->loadFloat(0, four);
    QVERIFY(a && b);
    const auto va = a.value()->values();
    const auto vb = b.value()->values();
    QCOMPARE(va.size(), std::size_t(256 * kBlocks));
    QVERIFY(std::memcmp(va.data(), vb.data(), va.size_bytes()) == 0);
    // Block 599, value 0: scale 1 + 599 % 50 = 50, nibble lo(599 % 256 = 87 = 0x57) = 7: 50·7 = 350.
    QCOMPARE(va[256 * 599], 350.0f);
}

void TestGguf::cancel() {
    Layout layout;
    layout.tensorCount = 1;
    layout.infos = tensorInfo("q", {32}, 8, 0);
    layout.data = unitBlock(8);
    const auto reader = openOrFail(writeFile(m_dir, QStringLiteral("cancel.gguf"), ggufFile(layout)));
    QVERIFY(reader);
    RunControl control;
    control.isCanceled = [] { return true; };
    const auto tensor = reader->loadFloat(0, control);
    QVERIFY(!tensor);
    QCOMPARE(tensor.error(), std::string("cancelled"));
    const auto missing = reader->loadFloat(5);
    QVERIFY(!missing);
    QVERIFY(missing.error().find("no tensor with index 5") != std::string::npos);
}

void TestGguf::malformed_data() {
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("problem");
    QTest::addColumn<QString>("subject");

    const auto one = [](const QByteArray &info, const QByteArray &data, const QByteArray &pairs = {},
                        quint64 pairCount = 0) {
        Layout layout;
        layout.tensorCount = 1;
        layout.infos = info;
        layout.data = data;
        layout.pairs = pairs;
        layout.pairCount = pairCount;
        return ggufFile(layout);
    };
    const auto pairOnly = [](const QByteArray &pair) {
        Layout layout;
        layout.pairs = pair;
        layout.pairCount = 1;
        return ggufFile(layout);
    };
    const QByteArray good = one(tensorInfo("w", {8}, 0, 0), QByteArray(32, '\0'));

    QTest::addRow("bad magic") << QByteArray("GGUX").append(good.mid(4)) << "bad magic"
                               << "";
    QTest::addRow("empty") << QByteArray() << "bad magic"
                           << "";
    Layout v1;
    v1.version = 1;
    QTest::addRow("version 1") << ggufFile(v1) << "GGUF version 1 is not supported"
                               << "";
    Layout v4;
    v4.version = 4;
    QTest::addRow("version 4") << ggufFile(v4) << "unsupported GGUF version 4"
                               << "";
    QTest::addRow("big-endian") << QByteArray("GGUF\0\0\0\3", 8).append(QByteArray(16, '\0')) << "big-endian"
                                << "";
    QTest::addRow("truncated preamble") << QByteArray("GGUF\3\0\0\0\1\0", 10) << "truncated file"
                                        << "tensor count";
    QTest::addRow("truncated data") << good.left(good.size() - 4) << "runs past the end"
                                    << "tensor 'w'";
    // 24-byte preamble + 30 of the 33 bytes of w's info: enough to pass the count check, not to finish.
    QTest::addRow("truncated infos") << good.left(54) << "truncated file: tensor offset"
                                     << "tensor 'w'";
    Layout tensors;
    tensors.tensorCount = quint64(1) << 60;
    QTest::addRow("absurd tensor count") << ggufFile(tensors) << "tensor count 1152921504606846976 is larger"
                                         << "";
    Layout pairs;
    pairs.pairCount = quint64(1) << 62;
    QTest::addRow("absurd metadata count")
        << ggufFile(pairs) << "metadata count 4611686018427387904 is larger"
        << "";
    QTest::addRow("absurd string length")
        << pairOnly(le64(quint64(1) << 62) + QByteArray(16, 'x')) << "more than the limit"
        << "metadata pair #0";
    QTest::addRow("string past end") << pairOnly(kv("k", kString, le64(1000) + "short"))
                                     << "truncated file: string value"
                                     << "metadata key 'k'";
    QTest::addRow("absurd array length") << pairOnly(kv("k", kArray, array(kU32, quint64(1) << 61, le32(0))))
                                         << "array length 2305843009213693952 is larger"
                                         << "metadata key 'k'";
    QByteArray deep = array(kU8, 0, {});
    for (int i = 0; i < 9; ++i)
        deep = array(kArray, 1, deep);
    QTest::addRow("nesting too deep") << pairOnly(kv("k", kArray, deep)) << "nested more than 8 deep"
                                      << "metadata key 'k'";
    QTest::addRow("unknown value type") << pairOnly(kv("k", 13, le32(0))) << "unknown value type 13"
                                        << "metadata key 'k'";
    QTest::addRow("unknown array item type")
        << pairOnly(kv("k", kArray, array(99, 1, le32(0)))) << "unknown item type 99"
        << "metadata key 'k'";
    {
        Layout dup;
        dup.pairs = kv("k", kU8, le(1, 1)) + kv("k", kU8, le(2, 1));
        dup.pairCount = 2;
        QTest::addRow("duplicate key") << ggufFile(dup) << "duplicate key"
                                       << "metadata key 'k'";
    }
    QTest::addRow("alignment not a power of two")
        << pairOnly(kv("general.alignment", kU32, le32(48))) << "48 is not a power of two"
        << "general.alignment";
    QTest::addRow("alignment of wrong type")
        << pairOnly(kv("general.alignment", kU64, le64(32))) << "not uint32"
        << "general.alignment";
    QTest::addRow("rank 5") << one(tensorInfo("w", {1, 1, 1, 1, 1}, 0, 0), QByteArray(4, '\0')) << "rank 5"
                            << "tensor 'w'";
    QTest::addRow("dims overflow") << one(tensorInfo("w", {quint64(1) << 32, quint64(1) << 32}, 0, 0), {})
                                   << "overflow a 64-bit element count"
                                   << "tensor 'w'";
    QTest::addRow("dim above int64") << one(tensorInfo("w", {quint64(1) << 63}, 0, 0), {})
                                     << "overflow a 64-bit element count"
                                     << "tensor 'w'";
    // 2^62 F64 values fit an int64 count, but 2^62 · 8 = 2^65 bytes do not fit 64 bits.
    QTest::addRow("byte size overflow")
        << one(tensorInfo("w", {quint64(1) << 62}, 28, 0), {}) << "overflow a 64-bit byte count"
        << "tensor 'w'";
    QTest::addRow("offset past end") << one(tensorInfo("w", {8}, 0, 1u << 20), QByteArray(32, '\0'))
                                     << "runs past the end of the data section"
                                     << "tensor 'w'";
    QTest::addRow("misaligned offset") << one(tensorInfo("w", {1}, 0, 8), QByteArray(32, '\0'))
                                       << "offset 8 is not a multiple of the alignment 32"
                                       << "tensor 'w'";
    QTest::addRow("unknown ggml type")
        << one(tensorInfo("w", {8}, 99, 0), QByteArray(32, '\0')) << "unknown ggml type 99"
        << "tensor 'w'";
    // A new block type cut short: two MXFP4 rows need 2 · 17 bytes, one block is there; TQ1_0's
    // 256 values need 54 bytes, 53 are there.
    QTest::addRow("truncated MXFP4") << one(tensorInfo("w", {32, 2}, 39, 0), QByteArray(17, '\0'))
                                     << "of 34 bytes runs past the end of the data section (17 bytes)"
                                     << "tensor 'w'";
    QTest::addRow("truncated TQ1_0") << one(tensorInfo("w", {256}, 34, 0), QByteArray(53, '\0'))
                                     << "of 54 bytes runs past the end of the data section (53 bytes)"
                                     << "tensor 'w'";
    QTest::addRow("IQ4_XS row not whole blocks")
        << one(tensorInfo("w", {32}, 23, 0), QByteArray(136, '\0'))
        << "row length 32 is not a multiple of the IQ4_XS block size 256"
        << "tensor 'w'";
    QTest::addRow("unsupported ggml type")
        << one(tensorInfo("w", {256}, 16, 0), QByteArray(66, '\0')) << "IQ2_XXS (16) is not supported"
        << "tensor 'w'";
    QTest::addRow("row not whole blocks") << one(tensorInfo("w", {16, 2}, 2, 0), QByteArray(36, '\0'))
                                          << "row length 16 is not a multiple of the Q4_0 block size 32"
                                          << "tensor 'w'";
    // Dims say 16 floats (64 bytes) but only 32 bytes of data follow.
    QTest::addRow("size mismatch") << one(tensorInfo("w", {16}, 0, 0), QByteArray(32, '\0'))
                                   << "of 64 bytes runs past the end of the data section (32 bytes)"
                                   << "tensor 'w'";
    {
        Layout overlap;
        overlap.tensorCount = 2;
        overlap.infos = tensorInfo("a", {16}, 0, 0) + tensorInfo("b", {8}, 0, 32);
        overlap.data = QByteArray(64, '\0');
        QTest::addRow("overlapping tensors") << ggufFile(overlap) << "tensors 'a' and 'b' overlap"
                                             << "";
        overlap.infos = tensorInfo("a", {8}, 0, 0) + tensorInfo("a", {8}, 0, 32);
        QTest::addRow("duplicate tensor name") << ggufFile(overlap) << "duplicate tensor name"
                                               << "tensor 'a'";
    }
}

void TestGguf::malformed() {
    QFETCH(QByteArray, file);
    QFETCH(QString, problem);
    QFETCH(QString, subject);
    const QString path = writeFile(m_dir, QStringLiteral("broken.gguf"), file);
    const auto reader = GgufReader::open(path.toStdString());
    QVERIFY(!reader);
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(problem), qPrintable(error));
    QVERIFY2(error.contains(subject), qPrintable(error));
}

// Seeds of the fuzz_gguf corpus (tests/fuzz/corpus/gguf/): both versions' metadata, one file per
// block type and a few broken files. Set QUANTSCOPE_WRITE_GGUF_SEEDS=tests/fuzz/corpus/gguf to
// refresh the committed corpus.
void TestGguf::writeSeeds() {
    const QString target = qEnvironmentVariable("QUANTSCOPE_WRITE_GGUF_SEEDS");
    if (target.isEmpty())
        QSKIP("QUANTSCOPE_WRITE_GGUF_SEEDS not set");
    const auto write = [&](const QString &name, const QByteArray &bytes) {
        QFile file(target + QLatin1Char('/') + name);
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size());
    };
    write(QStringLiteral("metadata_v2.gguf"), metadataFile(2));
    write(QStringLiteral("metadata_v3.gguf"), metadataFile(3));
    const std::vector<std::pair<quint32, int>> types{
        {2, 32},   {3, 32},   {6, 32},   {7, 32},  {8, 32},   {10, 256}, {11, 256}, {12, 256},
        {13, 256}, {14, 256}, {15, 256}, {20, 32}, {23, 256}, {34, 256}, {35, 256}, {39, 32}};
    for (const auto &[type, elements] : types)
        write(QStringLiteral("type%1.gguf").arg(type), blockFile(type, elements));
    write(QStringLiteral("truncated_metadata.gguf"), metadataFile(3).left(200));
    write(QStringLiteral("truncated_data.gguf"), blockFile(12, 256).chopped(100));
    Layout misaligned;
    misaligned.tensorCount = 1;
    misaligned.infos = tensorInfo("w", {1}, 0, 8);
    misaligned.data = QByteArray(32, '\0');
    write(QStringLiteral("misaligned.gguf"), ggufFile(misaligned));
}

QTEST_GUILESS_MAIN(TestGguf)
#include "tst_gguf.moc"
