#include "chunkedload.h"
#include "io/checkpointreader.h"
#include "io/pytorchreader.h"

#include "testzip.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace qs;

Q_DECLARE_METATYPE(qs::DType)
Q_DECLARE_METATYPE(std::vector<float>)
Q_DECLARE_METATYPE(std::vector<std::int64_t>)

namespace {

// ---- pickle opcodes, written out as pickletools names them (protocol 2, as torch.save) ----

QByteArray le(quint64 value, int bytes) {
    QByteArray out;
    for (int i = 0; i < bytes; ++i)
        out.append(char((value >> (8 * i)) & 0xFF));
    return out;
}

const QByteArray kProto2("\x80\x02", 2); // PROTO 2
const QByteArray kStop(".");             // STOP
const QByteArray kMark("(");             // MARK
const QByteArray kTuple("t");            // TUPLE: items since MARK
const QByteArray kEmptyTuple(")");       // EMPTY_TUPLE
const QByteArray kEmptyDict("}");        // EMPTY_DICT
const QByteArray kSetItems("u");         // SETITEMS: key/value pairs since MARK
const QByteArray kReduce("R");           // REDUCE: callable(*args)
const QByteArray kBinPersId("Q");        // BINPERSID: persistent id from the stack
const QByteArray kNewFalse("\x89");      // NEWFALSE

// GLOBAL 'module name'
QByteArray global(const QByteArray &module, const QByteArray &name) {
    return "c" + module + "\n" + name + "\n";
}
// BINUNICODE: 4-byte little-endian length, UTF-8 bytes
QByteArray str(const QByteArray &text) {
    return "X" + le(quint64(text.size()), 4) + text;
}
// BININT1 for 0..255, BININT (4-byte signed) up to 2^31, LONG1 (8 bytes) beyond
QByteArray integer(qint64 value) {
    if (value >= 0 && value < 256)
        return "K" + le(quint64(value), 1);
    if (value >= 0 && value < (qint64(1) << 31))
        return "J" + le(quint64(value), 4);
    return QByteArray("\x8a\x08", 2) + le(quint64(value), 8);
}
QByteArray intTuple(const std::vector<std::int64_t> &values) {
    QByteArray out = kMark;
    for (std::int64_t v : values)
        out += integer(v);
    return out + kTuple;
}
// collections.OrderedDict() : GLOBAL, EMPTY_TUPLE, REDUCE
QByteArray orderedDict() {
    return global("collections", "OrderedDict") + kEmptyTuple + kReduce;
}
// dict with SETITEMS over already-pickled key/value pairs
QByteArray dict(const std::vector<std::pair<QByteArray, QByteArray>> &items, bool ordered = true) {
    QByteArray out = (ordered ? orderedDict() : kEmptyDict) + kMark;
    for (const auto &[key, value] : items)
        out += str(key) + value;
    return out + kSetItems;
}

struct TensorSpec {
    QByteArray storageType = "FloatStorage";
    QByteArray key = "0";
    qint64 numel = 0;
    qint64 offset = 0;
    std::vector<std::int64_t> size;
    std::vector<std::int64_t> stride;
};

// persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel) then BINPERSID
QByteArray storage(const TensorSpec &t) {
    return kMark + str("storage") + global("torch", t.storageType) + str(t.key) + str("cpu") +
           integer(t.numel) + kTuple + kBinPersId;
}
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
QByteArray tensor(const TensorSpec &t) {
    return global("torch._utils", "_rebuild_tensor_v2") + kMark + storage(t) + integer(t.offset) +
           intTuple(t.size) + intTuple(t.stride) + kNewFalse + orderedDict() + kTuple + kReduce;
}
// torch._utils._rebuild_parameter(tensor, True, OrderedDict())
QByteArray parameter(const TensorSpec &t) {
    return global("torch._utils", "_rebuild_parameter") + kMark + tensor(t) + QByteArray("\x88") +
           orderedDict() + kTuple + kReduce;
}
QByteArray pickle(const QByteArray &body) {
    return kProto2 + body + kStop;
}

QByteArray floats(const std::vector<float> &values) {
    return QByteArray(reinterpret_cast<const char *>(values.data()),
                      qsizetype(values.size() * sizeof(float)));
}

// A torch.save archive: data.pkl first, storages, version, byteorder; stored and 64-byte aligned.
QByteArray checkpoint(const QByteArray &pkl, const std::vector<std::pair<QByteArray, QByteArray>> &storages,
                      const QByteArray &prefix = "archive", bool deflate = false, bool zip64 = false) {
    std::vector<testzip::Member> members{testzip::stored(prefix + "/data.pkl", pkl)};
    for (const auto &[key, data] : storages)
        members.push_back(deflate ? testzip::deflated(prefix + "/data/" + key, data)
                                  : testzip::stored(prefix + "/data/" + key, data));
    members.push_back(testzip::stored(prefix + "/version", "3\n"));
    members.push_back(testzip::stored(prefix + "/byteorder", "little"));
    testzip::Options options;
    options.alignment = 64;
    options.zip64 = zip64;
    return testzip::build(members, options);
}

void saveToCorpus(const QByteArray &bytes);

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes) {
    saveToCorpus(bytes);
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write fixture");
    return path;
}

// With QUANTSCOPE_WRITE_CORPUS=DIR set, fixtures are also saved there as the fuzzer's seed corpus.
void saveToCorpus(const QByteArray &bytes) {
    const QString dir = qEnvironmentVariable("QUANTSCOPE_WRITE_CORPUS");
    if (dir.isEmpty() || bytes.size() > 20000)
        return;
    QString name = QString::fromLatin1(QTest::currentTestFunction()) + QLatin1Char('-') +
                   QString::fromLatin1(QTest::currentDataTag());
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9]+")), QStringLiteral("_"));
    QFile file(QDir(dir).filePath(name + QStringLiteral(".pt")));
    if (file.open(QIODevice::WriteOnly))
        file.write(bytes);
}

std::vector<float> load(const CheckpointReader &reader, std::size_t index) {
    const auto tensor = reader.loadFloat(index);
    if (!tensor) {
        qWarning("%s", tensor.error().c_str());
        return {};
    }
    const auto values = tensor.value()->values();
    return {values.begin(), values.end()};
}

} // namespace

class TestPyTorch : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void dtypes_data();
    void dtypes();
    void views_data();
    void views();
    void chunkedLoads_data();
    void chunkedLoads();
    void layouts_data();
    void layouts();
    void refuses_data();
    void refuses();
    void recognisedByContent();
};

void TestPyTorch::dtypes_data() {
    QTest::addColumn<QByteArray>("storageType");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<qs::DType>("dtype");
    QTest::addColumn<std::vector<float>>("expected");
    QTest::addRow("float") << QByteArray("FloatStorage") << floats({1.5f, -2.0f, 0.25f, 3.0f}) << DType::F32
                           << std::vector<float>{1.5f, -2.0f, 0.25f, 3.0f};
    // IEEE half: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, 65504 (largest finite) = 0x7BFF
    QTest::addRow("half") << QByteArray("HalfStorage") << QByteArray("\x00\x3C\x00\xC0\x00\x38\xFF\x7B", 8)
                          << DType::F16 << std::vector<float>{1.0f, -2.0f, 0.5f, 65504.0f};
    // bfloat16 is float32's top half: 1.0 = 0x3F80, -2.0 = 0xC000, 0.5 = 0x3F00, 3.0 = 0x4040
    QTest::addRow("bfloat16") << QByteArray("BFloat16Storage")
                              << QByteArray("\x80\x3F\x00\xC0\x00\x3F\x40\x40", 8) << DType::BF16
                              << std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f};
    // double 0.5 = 0x3FE0000000000000, -4.0 = 0xC010000000000000 (little-endian bytes)
    QTest::addRow("double") << QByteArray("DoubleStorage")
                            << le(0x3FE0000000000000ull, 8) + le(0xC010000000000000ull, 8) + le(0, 8) +
                                   le(0, 8)
                            << DType::F64 << std::vector<float>{0.5f, -4.0f, 0.0f, 0.0f};
    QTest::addRow("long") << QByteArray("LongStorage")
                          << le(7, 8) + le(quint64(-3), 8) + le(0, 8) + le(100, 8) << DType::I64
                          << std::vector<float>{7.0f, -3.0f, 0.0f, 100.0f};
    QTest::addRow("char") << QByteArray("CharStorage") << QByteArray("\x01\xFF\x7F\x80", 4) << DType::I8
                          << std::vector<float>{1.0f, -1.0f, 127.0f, -128.0f};
    QTest::addRow("byte") << QByteArray("ByteStorage") << QByteArray("\x01\xFF\x7F\x80", 4) << DType::U8
                          << std::vector<float>{1.0f, 255.0f, 127.0f, 128.0f};
    // float8 e4m3fn: 0x38 = 1.0 (exp 7 - bias 7), 0xC0 = -2.0, 0x7E = 448 (largest), 0x01 = 2^-9
    QTest::addRow("float8 e4m3fn") << QByteArray("Float8_e4m3fnStorage") << QByteArray("\x38\xC0\x7E\x01", 4)
                                   << DType::F8_E4M3 << std::vector<float>{1.0f, -2.0f, 448.0f, 0.001953125f};
    // float8 e5m2: 0x3C = 1.0 (exp 15 - bias 15), 0xC0 = -2.0, 0x7B = 57344 (largest), 0x01 = 2^-16
    QTest::addRow("float8 e5m2") << QByteArray("Float8_e5m2Storage") << QByteArray("\x3C\xC0\x7B\x01", 4)
                                 << DType::F8_E5M2
                                 << std::vector<float>{1.0f, -2.0f, 57344.0f, 0.0000152587890625f};
    QTest::addRow("bool") << QByteArray("BoolStorage") << QByteArray("\x01\x00\x01\x00", 4) << DType::BOOL
                          << std::vector<float>{1.0f, 0.0f, 1.0f, 0.0f};
}

void TestPyTorch::dtypes() {
    QFETCH(QByteArray, storageType);
    QFETCH(QByteArray, data);
    QFETCH(qs::DType, dtype);
    QFETCH(std::vector<float>, expected);
    TensorSpec spec{storageType, "0", 4, 0, {2, 2}, {2, 1}};
    const QByteArray pkl = pickle(dict({{"w", tensor(spec)}}));
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("model.pt"), checkpoint(pkl, {{"0", data}}));
    const auto reader = PyTorchReader::open(path.toStdString());
    QVERIFY2(reader, reader.error().c_str());
    QCOMPARE(reader.value()->formatName(), std::string("PyTorch"));
    QCOMPARE(reader.value()->tensors().size(), std::size_t(1));
    const TensorInfo &info = reader.value()->tensors()[0];
    QCOMPARE(info.name, std::string("w"));
    QCOMPARE(info.dtype, dtype);
    QCOMPARE(info.shape, (std::vector<std::int64_t>{2, 2}));
    QCOMPARE(info.byteSize, quint64(data.size()));
    // The storage lies in place in the file: the stored member's data, 64-byte aligned.
    QCOMPARE(info.byteOffset % 64, quint64(0));
    QCOMPARE(load(*reader.value(), 0), expected);
}

void TestPyTorch::views_data() {
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<std::vector<std::int64_t>>("size");
    QTest::addColumn<std::vector<std::int64_t>>("stride");
    QTest::addColumn<std::vector<float>>("expected");
    // Storage holds 0, 1, 2, 3, 4, 5; element (i, j) is storage[offset + i*stride0 + j*stride1].
    QTest::addRow("contiguous 2x3") << qint64(0) << std::vector<std::int64_t>{2, 3}
                                    << std::vector<std::int64_t>{3, 1}
                                    << std::vector<float>{0, 1, 2, 3, 4, 5};
    QTest::addRow("transposed 3x2") << qint64(0) << std::vector<std::int64_t>{3, 2}
                                    << std::vector<std::int64_t>{1, 3}
                                    << std::vector<float>{0, 3, 1, 4, 2, 5};
    QTest::addRow("offset slice") << qint64(2) << std::vector<std::int64_t>{3} << std::vector<std::int64_t>{1}
                                  << std::vector<float>{2, 3, 4};
    QTest::addRow("every other from 1") << qint64(1) << std::vector<std::int64_t>{3}
                                        << std::vector<std::int64_t>{2} << std::vector<float>{1, 3, 5};
    QTest::addRow("expanded (stride 0)") << qint64(4) << std::vector<std::int64_t>{2, 2}
                                         << std::vector<std::int64_t>{0, 1} << std::vector<float>{4, 5, 4, 5};
    QTest::addRow("empty at the end") << qint64(6) << std::vector<std::int64_t>{0, 3}
                                      << std::vector<std::int64_t>{3, 1} << std::vector<float>{};
    QTest::addRow("scalar") << qint64(5) << std::vector<std::int64_t>{} << std::vector<std::int64_t>{}
                            << std::vector<float>{5};
}

// Two tensors share storage "0": the whole of it as "base", and the view under test.
void TestPyTorch::views() {
    QFETCH(qint64, offset);
    QFETCH(std::vector<std::int64_t>, size);
    QFETCH(std::vector<std::int64_t>, stride);
    QFETCH(std::vector<float>, expected);
    const TensorSpec base{"FloatStorage", "0", 6, 0, {6}, {1}};
    const TensorSpec view{"FloatStorage", "0", 6, offset, size, stride};
    const QByteArray pkl = pickle(dict({{"base", tensor(base)}, {"view", tensor(view)}}));
    QTemporaryDir dir;
    const QString path =
        writeFile(dir, QStringLiteral("views.pth"), checkpoint(pkl, {{"0", floats({0, 1, 2, 3, 4, 5})}}));
    const auto reader = PyTorchReader::open(path.toStdString());
    QVERIFY2(reader, reader.error().c_str());
    QCOMPARE(reader.value()->tensors().size(), std::size_t(2));
    QCOMPARE(reader.value()->tensors()[1].shape, size);
    QCOMPARE(load(*reader.value(), 0), (std::vector<float>{0, 1, 2, 3, 4, 5}));
    QCOMPARE(load(*reader.value(), 1), expected);
}

void TestPyTorch::chunkedLoads_data() {
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<std::vector<std::int64_t>>("size");
    QTest::addColumn<std::vector<std::int64_t>>("stride");
    QTest::addColumn<bool>("deflate");
    QTest::addColumn<bool>("encoded"); // loadChunked leaves the elements in the mapped file
    QTest::addRow("contiguous 2x3") << qint64(0) << std::vector<std::int64_t>{2, 3}
                                    << std::vector<std::int64_t>{3, 1} << false << true;
    QTest::addRow("offset slice") << qint64(2) << std::vector<std::int64_t>{3} << std::vector<std::int64_t>{1}
                                  << false << true;
    QTest::addRow("transposed 3x2") << qint64(0) << std::vector<std::int64_t>{3, 2}
                                    << std::vector<std::int64_t>{1, 3} << false << false;
    QTest::addRow("deflated member") << qint64(0) << std::vector<std::int64_t>{2, 3}
                                     << std::vector<std::int64_t>{3, 1} << true << false;
}

// A bfloat16 tensor loaded for piece-by-piece reading: the same values as loadFloat, left in the
// mapped file only when its elements lie there contiguously.
void TestPyTorch::chunkedLoads() {
    QFETCH(qint64, offset);
    QFETCH(std::vector<std::int64_t>, size);
    QFETCH(std::vector<std::int64_t>, stride);
    QFETCH(bool, deflate);
    QFETCH(bool, encoded);
    const TensorSpec view{"BFloat16Storage", "0", 6, offset, size, stride};
    // bfloat16 0.5, 1, -2, 3, 0.25, -65536
    const QByteArray bf16("\x00\x3F\x80\x3F\x00\xC0\x40\x40\x80\x3E\x80\xC7", 12);
    QTemporaryDir dir;
    const QString path =
        writeFile(dir, QStringLiteral("bf16.pth"),
                  checkpoint(pickle(dict({{"w", tensor(view)}})), {{"0", bf16}}, "archive", deflate));
    const auto reader = PyTorchReader::open(path.toStdString());
    QVERIFY2(reader, reader.error().c_str());
    const QString mismatch = qs::test::chunkedLoadMismatch(*reader.value(), 0, encoded);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(reader.value()->loadChunked(0).value()->values()[0], offset == 2 ? -2.0f : 0.5f);
}

void TestPyTorch::layouts_data() {
    QTest::addColumn<QByteArray>("pkl");
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<bool>("deflate");
    QTest::addColumn<bool>("zip64");
    QTest::addColumn<QStringList>("names");
    QTest::addColumn<QString>("metadata"); // "key=value" expected in the metadata, or empty
    const TensorSpec w{"FloatStorage", "0", 4, 0, {4}, {1}};
    const TensorSpec b{"FloatStorage", "1", 2, 0, {2}, {1}};
    const QByteArray layer = dict({{"weight", tensor(w)}, {"bias", tensor(b)}});
    QTest::addRow("flat state dict") << pickle(dict({{"fc.weight", tensor(w)}, {"fc.bias", tensor(b)}}))
                                     << QByteArray("archive") << false << false
                                     << QStringList{QStringLiteral("fc.weight"), QStringLiteral("fc.bias")}
                                     << QString();
    QTest::addRow("legacy prefix (file stem)")
        << pickle(dict({{"fc.weight", tensor(w)}, {"fc.bias", tensor(b)}})) << QByteArray("mymodel") << false
        << false << QStringList{QStringLiteral("fc.weight"), QStringLiteral("fc.bias")} << QString();
    QTest::addRow("state_dict wrapper dropped")
        << pickle(dict({{"state_dict", dict({{"fc", layer}})}, {"epoch", integer(7)}}, false))
        << QByteArray("archive") << false << false
        << QStringList{QStringLiteral("fc.weight"), QStringLiteral("fc.bias")} << QStringLiteral("epoch=7");
    QTest::addRow("model wrapper, parameters, plain dicts")
        << pickle(dict(
               {{"model",
                 dict({{"enc", dict({{"weight", parameter(w)}, {"bias", parameter(b)}}, false)}}, false)},
                {"arch", str("tiny")}},
               false))
        << QByteArray("archive") << false << false
        << QStringList{QStringLiteral("enc.weight"), QStringLiteral("enc.bias")}
        << QStringLiteral("arch=tiny");
    QTest::addRow("two top-level dicts keep their names")
        << pickle(dict({{"model", dict({{"w", tensor(w)}})}, {"ema", dict({{"w", tensor(b)}})}}, false))
        << QByteArray("archive") << false << false
        << QStringList{QStringLiteral("model.w"), QStringLiteral("ema.w")} << QString();
    // BINFLOAT: 'G' then the IEEE double big-endian; 0.25 = 0x3FD0000000000000
    QTest::addRow("float metadata") << pickle(dict({{"w", tensor(w)},
                                                    {"lr", "G" + QByteArray::fromHex("3FD0000000000000")}}))
                                    << QByteArray("archive") << false << false
                                    << QStringList{QStringLiteral("w")} << QStringLiteral("lr=0.25");
    QTest::addRow("deflated storages")
        << pickle(dict({{"fc.weight", tensor(w)}, {"fc.bias", tensor(b)}})) << QByteArray("archive") << true
        << false << QStringList{QStringLiteral("fc.weight"), QStringLiteral("fc.bias")} << QString();
    QTest::addRow("zip64") << pickle(dict({{"fc.weight", tensor(w)}, {"fc.bias", tensor(b)}}))
                           << QByteArray("archive") << false << true
                           << QStringList{QStringLiteral("fc.weight"), QStringLiteral("fc.bias")}
                           << QString();
    // BINPUT 0 memoises the key "a"; BINGET 0 pushes it again as the value of "b", as the pickler
    // does for a repeated object.
    QTest::addRow("memoised values") << pickle(orderedDict() + kMark + str("a") + QByteArray("q\x00", 2) +
                                               tensor(w) + str("b") + QByteArray("h\x00", 2) + kSetItems)
                                     << QByteArray("archive") << false << false
                                     << QStringList{QStringLiteral("a")} << QStringLiteral("b=a");
}

void TestPyTorch::layouts() {
    QFETCH(QByteArray, pkl);
    QFETCH(QByteArray, prefix);
    QFETCH(bool, deflate);
    QFETCH(bool, zip64);
    QFETCH(QStringList, names);
    QFETCH(QString, metadata);
    QTemporaryDir dir;
    const QByteArray bytes =
        checkpoint(pkl, {{"0", floats({1, 2, 3, 4})}, {"1", floats({-1, -2})}}, prefix, deflate, zip64);
    const QString path = writeFile(dir, QStringLiteral("mymodel.pt"), bytes);
    const auto reader = PyTorchReader::open(path.toStdString());
    QVERIFY2(reader, reader.error().c_str());
    QStringList actual;
    for (const TensorInfo &info : reader.value()->tensors())
        actual << QString::fromStdString(info.name);
    QCOMPARE(actual, names);
    for (std::size_t i = 0; i < reader.value()->tensors().size(); ++i) {
        const std::vector<float> values = load(*reader.value(), i);
        QCOMPARE(values.size(), std::size_t(reader.value()->tensors()[i].elementCount()));
        // Storage "0" holds 1..4 and storage "1" holds -1, -2: the first value tells which was read.
        QVERIFY(values.front() == 1.0f || values.front() == -1.0f);
    }
    if (!metadata.isEmpty()) {
        const QStringList kv = metadata.split(QLatin1Char('='));
        const auto &meta = reader.value()->metadata();
        const auto it = meta.find(kv[0].toStdString());
        QVERIFY2(it != meta.end(), qPrintable(metadata));
        QCOMPARE(QString::fromStdString(it->second), kv[1]);
    }
}

void TestPyTorch::refuses_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("problem");
    const TensorSpec w{"FloatStorage", "0", 4, 0, {4}, {1}};
    const QByteArray good = pickle(dict({{"w", tensor(w)}}));
    const auto withPickle = [](const QByteArray &pkl) {
        return checkpoint(pkl, {{"0", floats({1, 2, 3, 4})}});
    };
    // The payload names a file that running it would create; the test checks it never appears.
    const QByteArray touch = "touch " + QDir::tempPath().toUtf8() + "/quantscope-pwned";
    QTest::addRow("os.system")
        << withPickle(pickle(global("os", "system") + kMark + str(touch) + kTuple + kReduce))
        << QStringLiteral("refuses to load global 'os.system' (only state-dict types are allowed)");
    QTest::addRow("builtins.eval") << withPickle(pickle(global("builtins", "eval") + kMark +
                                                        str("__import__('os')") + kTuple + kReduce))
                                   << QStringLiteral("refuses to load global 'builtins.eval'");
    // STACK_GLOBAL (0x93) takes module and name from the stack
    QTest::addRow("posix.system via STACK_GLOBAL")
        << withPickle(pickle(str("posix") + str("system") + QByteArray("\x93") + kMark + str(touch) + kTuple +
                             kReduce))
        << QStringLiteral("refuses to load global 'posix.system'");
    QTest::addRow("torch.load itself") << withPickle(pickle(global("torch", "load")))
                                       << QStringLiteral("refuses to load global 'torch.load'");
    QTest::addRow("truncated pickle")
        << withPickle(good.left(good.size() / 2)) << QStringLiteral("truncated pickle");
    QTest::addRow("no STOP") << withPickle(good.chopped(1)) << QStringLiteral("truncated pickle");
    QTest::addRow("unknown opcode (INST)")
        << withPickle(pickle("i")) << QStringLiteral("unsupported pickle opcode 0x69");
    QTest::addRow("absurd string length") << withPickle(pickle("X" + le(0xFFFFFFF0u, 4) + "ab"))
                                          << QStringLiteral("needs 4294967280 more bytes");
    QTest::addRow("TUPLE without MARK")
        << withPickle(pickle(integer(1) + kTuple)) << QStringLiteral("no MARK");
    QTest::addRow("memo key never stored")
        << withPickle(pickle("h\x07")) << QStringLiteral("memo key 7 was never stored");
    QTest::addRow("stack underflow") << withPickle(pickle(kReduce)) << QStringLiteral("stack underflow");
    QTest::addRow("two values at STOP")
        << withPickle(pickle(integer(1) + integer(2))) << QStringLiteral("2 values on the stack");
    QByteArray deep;
    for (int i = 0; i < 100; ++i) // 100 nested {"d": {...}} dicts, past the limit of 64
        deep += kEmptyDict + str("d");
    deep += kEmptyDict;
    for (int i = 0; i < 100; ++i)
        deep += QByteArray("s"); // SETITEM
    QTest::addRow("deep nesting") << withPickle(pickle(deep))
                                  << QStringLiteral("nested deeper than 64 levels");
    // R = {"k0": D0, "k1": D1, ...} with D(k) = {"a": D(k-1), "b": D(k-1)} through the memo
    // (BINPUT k / BINGET k-1): 2^40 paths lead through D40's dicts.
    QByteArray shared = kEmptyDict + str("k0") + kEmptyDict + QByteArray("q\x00", 2) + QByteArray("s");
    for (char k = 1; k <= 40; ++k)
        shared += str("k" + QByteArray::number(int(k))) + kEmptyDict + kMark + str("a") + QByteArray("h") +
                  char(k - 1) + str("b") + QByteArray("h") + char(k - 1) + kSetItems + QByteArray("q") +
                  char(k) + QByteArray("s");
    QTest::addRow("shared dicts") << withPickle(pickle(shared))
                                  << QStringLiteral("shared dicts nested too often");
    const TensorSpec tooBig{"FloatStorage", "0", 4, 0, {3, 2}, {2, 1}};
    QTest::addRow("size past storage")
        << withPickle(pickle(dict({{"w", tensor(tooBig)}})))
        << QStringLiteral("tensor 'w': size [3, 2], stride [2, 1] and offset 0 reach past "
                          "the end of storage '0' (4 elements)");
    const TensorSpec strided{"FloatStorage", "0", 4, 1, {2}, {3}};
    QTest::addRow("stride past storage") << withPickle(pickle(dict({{"w", tensor(strided)}})))
                                         << QStringLiteral("reach past the end of storage '0'");
    const TensorSpec overflow{"FloatStorage", "0", 4, 0, {qint64(1) << 62, 4}, {1, 1}};
    QTest::addRow("size overflows") << withPickle(pickle(dict({{"w", tensor(overflow)}})))
                                    << QStringLiteral("overflows a 64-bit element count");
    const TensorSpec overclaim{"FloatStorage", "0", 1000, 0, {4}, {1}};
    QTest::addRow("storage member too small") << withPickle(pickle(dict({{"w", tensor(overclaim)}})))
                                              << QStringLiteral("declares 1000 elements of F32 but member "
                                                                "'archive/data/0' holds 16 bytes");
    const TensorSpec missing{"FloatStorage", "9", 4, 0, {4}, {1}};
    QTest::addRow("storage member missing") << withPickle(pickle(dict({{"w", tensor(missing)}})))
                                            << QStringLiteral("member 'archive/data/9') is missing");
    const TensorSpec badType{"FancyStorage", "0", 4, 0, {4}, {1}};
    QTest::addRow("unknown storage type") << withPickle(pickle(dict({{"w", tensor(badType)}})))
                                          << QStringLiteral("refuses to load global 'torch.FancyStorage'");
    QTest::addRow("no data.pkl") << testzip::build({testzip::stored("archive/other", "x")})
                                 << QStringLiteral("not a PyTorch zip checkpoint");
    testzip::Member big = testzip::deflated("archive/data.pkl", good);
    big.declared = quint64(1) << 30;
    QTest::addRow("data.pkl bomb") << testzip::build({big})
                                   << QStringLiteral("more than the limit of 268435456");
    QTest::addRow("big-endian") << testzip::build({testzip::stored("archive/data.pkl", good),
                                                   testzip::stored("archive/byteorder", "big")})
                                << QStringLiteral("only little-endian");
    QTest::addRow("not a zip") << QByteArray("PK\x03\x04 and nothing else")
                               << QStringLiteral("not a zip archive");
}

void TestPyTorch::refuses() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, problem);
    const QString pwned = QDir::tempPath() + QStringLiteral("/quantscope-pwned");
    QFile::remove(pwned);
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("evil.pt"), bytes);
    const auto reader = PyTorchReader::open(path.toStdString());
    QVERIFY(!reader);
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(problem), qPrintable(error));
    QVERIFY(!QFile::exists(pwned)); // nothing was executed
}

void TestPyTorch::recognisedByContent() {
    const TensorSpec w{"HalfStorage", "0", 2, 0, {2}, {1}};
    QTemporaryDir dir;
    const QString path =
        writeFile(dir, QStringLiteral("weights.dat"),
                  checkpoint(pickle(dict({{"w", tensor(w)}})), {{"0", QByteArray("\x00\x3C\x00\x40", 4)}}));
    const auto reader = openCheckpoint(path.toStdString());
    QVERIFY2(reader, reader.error().c_str());
    QCOMPARE(reader.value()->formatName(), std::string("PyTorch"));
    // F16 1.0 = 0x3C00, 2.0 = 0x4000
    QCOMPARE(load(*reader.value(), 0), (std::vector<float>{1.0f, 2.0f}));

    const auto head = [](const QByteArray &raw) {
        return std::span<const std::byte>(reinterpret_cast<const std::byte *>(raw.constData()),
                                          std::size_t(raw.size()));
    };
    const QByteArray npz = testzip::build({testzip::stored("w.npy", "\x93NUMPY")});
    QVERIFY(!PyTorchReader::probe(head(npz), quint64(npz.size())));
    const QByteArray pt = checkpoint(pickle(dict({})), {});
    QVERIFY(PyTorchReader::probe(head(pt), quint64(pt.size())));
}

QTEST_GUILESS_MAIN(TestPyTorch)
#include "tst_pytorch.moc"
