// Fixtures follow the .npy format specification (numpy.lib.format): the magic "\x93NUMPY",
// a major and minor version byte, the header length (2 bytes little-endian in 1.0, 4 bytes in
// 2.0 and 3.0), the header (a Python dict literal padded with spaces and ended by '\n' so that
// the data starts at a multiple of 64), then the raw elements.
#include "chunkedload.h"
#include "io/checkpointreader.h"
#include "io/npyreader.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstring>

using namespace qs;

Q_DECLARE_METATYPE(qs::DType)
Q_DECLARE_METATYPE(std::vector<float>)
Q_DECLARE_METATYPE(std::vector<std::int64_t>)

namespace {

QByteArray littleEndian(quint64 value, int bytes) {
    QByteArray out(bytes, '\0');
    for (int i = 0; i < bytes; ++i)
        out[i] = char((value >> (8 * i)) & 0xFF);
    return out;
}

// A .npy stream with the given version and header dict, padded as NumPy pads it.
QByteArray npyFile(int major, const QByteArray &dict, const QByteArray &data) {
    const int lengthBytes = major == 1 ? 2 : 4;
    const int preamble = 8 + lengthBytes;
    QByteArray header = dict;
    while ((preamble + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    return QByteArray("\x93NUMPY", 6) + char(major) + char(0) +
           littleEndian(quint64(header.size()), lengthBytes) + header + data;
}

QByteArray dict(const QByteArray &descr, const QByteArray &shape, bool fortran = false) {
    return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
           ", 'shape': " + shape + ", }";
}

// Elements given as their bit patterns, stored in the chosen byte order.
QByteArray elements(const std::vector<quint64> &bits, int size, bool bigEndian) {
    QByteArray out;
    for (quint64 value : bits) {
        QByteArray one = littleEndian(value, size);
        if (bigEndian)
            std::reverse(one.begin(), one.end());
        out += one;
    }
    return out;
}

QByteArray floats(const std::vector<float> &values) {
    QByteArray out(int(values.size() * sizeof(float)), '\0');
    std::memcpy(out.data(), values.data(), std::size_t(out.size()));
    return out;
}

bool sameFloats(std::span<const float> actual, const std::vector<float> &expected) {
    if (actual.size() != expected.size()) {
        qWarning("got %zu values, expected %zu", actual.size(), expected.size());
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

} // namespace

class TestNpy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void versions_data();
    void versions();
    void dtypes_data();
    void dtypes();
    void unsignedTypeNames_data();
    void unsignedTypeNames();
    void fortranOrder2x3();
    void fortranOrder3d();
    void fortranVectorNeedsNoTranspose_data();
    void fortranVectorNeedsNoTranspose();
    void headerSpellings_data();
    void headerSpellings();
    void scalarsAndEmpty_data();
    void scalarsAndEmpty();
    void zeroCopyOnlyForLittleEndianF32();
    void chunkedLoads_data();
    void chunkedLoads();
    void recognisedByContent();
    void cancel();
    void malformed_data();
    void malformed();

private:
    QString write(const QString &name, const QByteArray &bytes);
    std::shared_ptr<const NpyReader> openOrFail(const QString &path);

    QTemporaryDir m_dir;
};

QString TestNpy::write(const QString &name, const QByteArray &bytes) {
    const QString path = m_dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write fixture");
    return path;
}

std::shared_ptr<const NpyReader> TestNpy::openOrFail(const QString &path) {
    auto reader = NpyReader::open(path.toStdString());
    if (!reader)
        qWarning("%s", reader.error().c_str());
    return reader ? reader.value() : nullptr;
}

void TestNpy::versions_data() {
    QTest::addColumn<int>("major");
    QTest::addColumn<QByteArray>("header");
    QTest::addRow("1.0") << 1 << dict("<f4", "(2, 2)");
    QTest::addRow("2.0") << 2 << dict("<f4", "(2, 2)");
    // 3.0 only differs in allowing UTF-8 in the header; a field name with a non-ASCII letter is
    // not something NumPy writes for plain arrays, so the dict is the same.
    QTest::addRow("3.0") << 3 << dict("<f4", "(2, 2)");
}

void TestNpy::versions() {
    QFETCH(int, major);
    QFETCH(QByteArray, header);
    const std::vector<float> values{0.5f, -1.0f, 3.0f, 7.25f};
    const QString path = write(QStringLiteral("weights.npy"), npyFile(major, header, floats(values)));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QCOMPARE(reader->formatName(), std::string("NumPy"));
    QCOMPARE(reader->tensors().size(), std::size_t(1));
    const TensorInfo &info = reader->tensors()[0];
    QCOMPARE(info.name, std::string("weights"));
    QCOMPARE(info.dtype, DType::F32);
    QCOMPARE(info.shape, (std::vector<std::int64_t>{2, 2}));
    // The dict is 58 characters; with the 10- or 12-byte preamble and '\n' it pads to 128 bytes.
    QCOMPARE(info.byteOffset, std::uint64_t(128));
    QCOMPARE(info.byteSize, std::uint64_t(16));
    QCOMPARE(reader->metadata().at("npy_version"), std::to_string(major) + ".0");
    auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QVERIFY(sameFloats(tensor.value()->values(), values));
}

void TestNpy::dtypes_data() {
    QTest::addColumn<QByteArray>("descr");
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<std::vector<float>>("expected");
    // IEEE bit patterns: 1.5 = 0x3FF8.. (f8), 0x3FC00000 (f4), 0x3E00 (f2); -0.25 = 0xBFD0..,
    // 0xBE800000, 0xB400; 65504 = 0x7BFF is the largest f2.
    for (const bool big : {false, true}) {
        const char *order = big ? ">" : "<";
        const auto descr = [&](const char *code) { return QByteArray(order) + code; };
        const auto row = [&](const char *code) -> QTestData & { return QTest::addRow("%s%s", order, code); };
        row("f8") << descr("f8") << elements({0x3FF8000000000000, 0xBFD0000000000000}, 8, big) << DType::F64
                  << std::vector<float>{1.5f, -0.25f};
        row("f4") << descr("f4") << elements({0x3FC00000, 0xBE800000}, 4, big) << DType::F32
                  << std::vector<float>{1.5f, -0.25f};
        row("f2") << descr("f2") << elements({0x3E00, 0xB400, 0x7BFF}, 2, big) << DType::F16
                  << std::vector<float>{1.5f, -0.25f, 65504.0f};
        // Two's complement: 0xFFFE = -2, 0x012C = 300; 0x000186A0 = 100000; 2^32 in i8.
        row("i2") << descr("i2") << elements({0xFFFE, 0x012C}, 2, big) << DType::I16
                  << std::vector<float>{-2, 300};
        row("i4") << descr("i4") << elements({0xFFFFFFFF, 0x000186A0}, 4, big) << DType::I32
                  << std::vector<float>{-1, 100000};
        row("i8") << descr("i8") << elements({0xFFFFFFFFFFFFFFFE, 0x100000000}, 8, big) << DType::I64
                  << std::vector<float>{-2, 4294967296.0f};
        // Unsigned: the same bit patterns as the signed rows read without a sign. Values beyond
        // float32's 24-bit significand round to nearest, ties to even, as a conversion does:
        // 2^32 - 1 -> 2^32; 2^24 + 1 -> 2^24 (tie, even); 2^24 + 3 -> 2^24 + 4 (tie, even);
        // 2^64 - 1 -> 2^64; 2^63 is exact.
        row("u2") << descr("u2") << elements({0xFFFF, 0x012C, 0x8000}, 2, big) << DType::U16
                  << std::vector<float>{65535, 300, 32768};
        row("u4") << descr("u4") << elements({0xFFFFFFFF, 0x01000001, 0x000186A0}, 4, big) << DType::U32
                  << std::vector<float>{4294967296.0f, 16777216.0f, 100000};
        row("u8") << descr("u8") << elements({0xFFFFFFFFFFFFFFFF, 0x8000000000000000, 0x1000003, 0}, 8, big)
                  << DType::U64 << std::vector<float>{0x1p64f, 0x1p63f, 16777220.0f, 0};
        // One-byte types have no byte order; NumPy writes '|', '<' and '>' are accepted too.
        row("i1") << descr("i1") << QByteArray("\x80\xFF\x7F", 3) << DType::I8
                  << std::vector<float>{-128, -1, 127};
    }
    QTest::addRow("|i1") << QByteArray("|i1") << QByteArray("\x80\x01", 2) << DType::I8
                         << std::vector<float>{-128, 1};
    QTest::addRow("|u1") << QByteArray("|u1") << QByteArray("\x00\xC8\xFF", 3) << DType::U8
                         << std::vector<float>{0, 200, 255};
    QTest::addRow("|b1") << QByteArray("|b1") << QByteArray("\x00\x01\x01\x00", 4) << DType::BOOL
                         << std::vector<float>{0, 1, 1, 0};
}

void TestNpy::dtypes() {
    QFETCH(QByteArray, descr);
    QFETCH(QByteArray, raw);
    QFETCH(DType, dtype);
    QFETCH(std::vector<float>, expected);
    const QByteArray shape = "(" + QByteArray::number(qulonglong(expected.size())) + ",)";
    const QString path = write(QStringLiteral("t.npy"), npyFile(1, dict(descr, shape), raw));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QCOMPARE(reader->tensors()[0].dtype, dtype);
    QCOMPARE(reader->metadata().at("byte_order"),
             std::string(descr.startsWith('>') && dtypeSize(dtype) > 1 ? "big-endian" : "little-endian"));
    auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QVERIFY(sameFloats(tensor.value()->values(), expected));
}

void TestNpy::unsignedTypeNames_data() {
    QTest::addColumn<QByteArray>("descr");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("size");
    // safetensors' names for NumPy's uint16/32/64; the browser and `list` show typeName().
    QTest::addRow("u2") << QByteArray("<u2") << "U16" << 2;
    QTest::addRow("u4") << QByteArray("<u4") << "U32" << 4;
    QTest::addRow("u8") << QByteArray(">u8") << "U64" << 8;
}

void TestNpy::unsignedTypeNames() {
    QFETCH(QByteArray, descr);
    QFETCH(QString, name);
    QFETCH(int, size);
    const QString path =
        write(QStringLiteral("u.npy"), npyFile(1, dict(descr, "(2, 3)"), QByteArray(6 * size, '\x01')));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    const TensorInfo &info = reader->tensors()[0];
    QCOMPARE(QString::fromStdString(info.typeName()), name);
    QCOMPARE(dtypeFromName(name.toStdString()), std::optional<DType>(info.dtype));
    QCOMPARE(int(dtypeSize(info.dtype)), size);
    QVERIFY(!isFloatingPoint(info.dtype));
    QCOMPARE(info.byteSize, std::uint64_t(6 * size));
    QCOMPARE(info.bitsPerWeight(), 8.0 * size);
}

void TestNpy::fortranOrder2x3() {
    // A = [[1, 2, 3], [4, 5, 6]]; column-major storage lists the columns: 1 4 2 5 3 6.
    // Stored as big-endian i2 so that the swap and the transpose are exercised together.
    const QByteArray raw = elements({1, 4, 2, 5, 3, 6}, 2, true);
    const QString path = write(QStringLiteral("f.npy"), npyFile(1, dict(">i2", "(2, 3)", true), raw));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QCOMPARE(reader->tensors()[0].shape, (std::vector<std::int64_t>{2, 3}));
    QCOMPARE(reader->metadata().at("fortran_order"), std::string("True"));
    auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    const std::span<const float> v = tensor.value()->values();
    QCOMPARE(v.size(), std::size_t(6));
    // Row-major: element (i, j) at i * 3 + j equals A[i][j].
    QCOMPARE(v[0], 1.0f); // A[0][0]
    QCOMPARE(v[1], 2.0f); // A[0][1]
    QCOMPARE(v[2], 3.0f); // A[0][2]
    QCOMPARE(v[3], 4.0f); // A[1][0]
    QCOMPARE(v[4], 5.0f); // A[1][1]
    QCOMPARE(v[5], 6.0f); // A[1][2]
}

void TestNpy::fortranOrder3d() {
    // Shape (2, 3, 4) in column-major order: element (i, j, k) sits at i + 2 j + 6 k. Each holds
    // 100 i + 10 j + k, so the row-major result must read 100 i + 10 j + k at 12 i + 4 j + k.
    std::vector<float> stored(24);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k)
                stored[std::size_t(i + 2 * j + 6 * k)] = float(100 * i + 10 * j + k);
    const QString path =
        write(QStringLiteral("f3.npy"), npyFile(2, dict("<f4", "(2, 3, 4)", true), floats(stored)));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    // More than one thread and a tiny chunk would not change anything; one pass suffices here.
    auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    std::vector<float> expected(24);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k)
                expected[std::size_t(12 * i + 4 * j + k)] = float(100 * i + 10 * j + k);
    QVERIFY(sameFloats(tensor.value()->values(), expected));
}

void TestNpy::fortranVectorNeedsNoTranspose_data() {
    QTest::addColumn<QByteArray>("shape");
    // With at most one dimension longer than 1, column-major and row-major orders list the
    // elements identically, so the data is viewed in place like C order.
    QTest::addRow("(4,)") << QByteArray("(4,)");
    QTest::addRow("(1, 4)") << QByteArray("(1, 4)");
    QTest::addRow("(4, 1, 1)") << QByteArray("(4, 1, 1)");
}

void TestNpy::fortranVectorNeedsNoTranspose() {
    QFETCH(QByteArray, shape);
    const std::vector<float> values{1, 2, 3, 4};
    auto reader =
        openOrFail(write(QStringLiteral("fv.npy"), npyFile(1, dict("<f4", shape, true), floats(values))));
    QVERIFY(reader);
    QCOMPARE(reader->metadata().at("fortran_order"), std::string("True")); // as the file says
    auto a = reader->loadFloat(0);
    auto b = reader->loadFloat(0);
    QVERIFY(a.ok() && b.ok());
    QVERIFY(sameFloats(a.value()->values(), values));
    QCOMPARE(a.value()->values().data(), b.value()->values().data());
}

void TestNpy::headerSpellings_data() {
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<std::vector<std::int64_t>>("shape");
    // What numpy.lib.format writes today, and spellings other writers (or Python 2) produce.
    QTest::addRow("numpy") << dict("<f4", "(2, 3)") << std::vector<std::int64_t>{2, 3};
    QTest::addRow("no trailing comma")
        << QByteArray("{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}")
        << std::vector<std::int64_t>{6};
    QTest::addRow("double quotes, other key order")
        << QByteArray("{\"shape\": (3, 2), \"fortran_order\": False, \"descr\": \"<f4\"}")
        << std::vector<std::int64_t>{3, 2};
    QTest::addRow("python 2 longs") << dict("<f4", "(2L, 3L)") << std::vector<std::int64_t>{2, 3};
    QTest::addRow("extra whitespace")
        << QByteArray("  {\t'descr' : '<f4' ,\n'fortran_order':False,'shape':( 1 , 6 , ) }")
        << std::vector<std::int64_t>{1, 6};
}

void TestNpy::headerSpellings() {
    QFETCH(QByteArray, header);
    QFETCH(std::vector<std::int64_t>, shape);
    const std::vector<float> values{1, 2, 3, 4, 5, 6};
    auto reader = openOrFail(write(QStringLiteral("s.npy"), npyFile(1, header, floats(values))));
    QVERIFY(reader);
    QCOMPARE(reader->tensors()[0].shape, shape);
    auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QVERIFY(sameFloats(tensor.value()->values(), values));
}

void TestNpy::scalarsAndEmpty_data() {
    QTest::addColumn<QByteArray>("shape");
    QTest::addColumn<std::vector<float>>("values");
    QTest::addRow("scalar ()") << QByteArray("()") << std::vector<float>{2.5f};
    QTest::addRow("empty (0,)") << QByteArray("(0,)") << std::vector<float>{};
    QTest::addRow("empty (3, 0)") << QByteArray("(3, 0)") << std::vector<float>{};
}

void TestNpy::scalarsAndEmpty() {
    QFETCH(QByteArray, shape);
    QFETCH(std::vector<float>, values);
    auto reader = openOrFail(write(QStringLiteral("e.npy"), npyFile(1, dict("<f4", shape), floats(values))));
    QVERIFY(reader);
    QCOMPARE(reader->tensors()[0].elementCount(), std::int64_t(values.size()));
    auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QVERIFY(sameFloats(tensor.value()->values(), values));
}

void TestNpy::zeroCopyOnlyForLittleEndianF32() {
    // Two loads of a view share the mapped bytes; decoded copies never share an address.
    const QByteArray little = npyFile(1, dict("<f4", "(4,)"), floats({1, 2, 3, 4}));
    auto reader = openOrFail(write(QStringLiteral("view.npy"), little));
    QVERIFY(reader);
    auto a = reader->loadFloat(0);
    auto b = reader->loadFloat(0);
    QVERIFY(a.ok() && b.ok());
    QCOMPARE(a.value()->values().data(), b.value()->values().data());

    const QByteArray big = npyFile(1, dict(">f4", "(2,)"), elements({0x3FC00000, 0xBE800000}, 4, true));
    auto bigReader = openOrFail(write(QStringLiteral("copy.npy"), big));
    QVERIFY(bigReader);
    auto c = bigReader->loadFloat(0);
    auto d = bigReader->loadFloat(0);
    QVERIFY(c.ok() && d.ok());
    QVERIFY(c.value()->values().data() != d.value()->values().data());
}

void TestNpy::chunkedLoads_data() {
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<bool>("encoded"); // loadChunked leaves the elements in the mapped file
    // float16 1, -2, 0.5, 65504, -0.25, 3 (IEEE half bit patterns)
    const std::vector<quint64> half{0x3C00, 0xC000, 0x3800, 0x7BFF, 0xB400, 0x4200};
    QTest::addRow("<f2 C order") << npyFile(1, dict("<f2", "(2, 3)"), elements(half, 2, false)) << true;
    QTest::addRow("<i2 C order") << npyFile(1, dict("<i2", "(6,)"),
                                            elements({1, 2, 3, 0xFFFF, 5, 6}, 2, false))
                                 << true;
    QTest::addRow(">f2 big-endian") << npyFile(1, dict(">f2", "(2, 3)"), elements(half, 2, true)) << false;
    QTest::addRow("<f2 Fortran order")
        << npyFile(1, dict("<f2", "(2, 3)", true), elements(half, 2, false)) << false;
    QTest::addRow("<f4 (a view)") << npyFile(1, dict("<f4", "(3,)"), floats({1, 2, 3})) << false;
}

// A chunked load gives loadFloat's values, and stays encoded only where the bytes are row-major
// little-endian elements of another dtype.
void TestNpy::chunkedLoads() {
    QFETCH(QByteArray, file);
    QFETCH(bool, encoded);
    auto reader = openOrFail(write(QStringLiteral("chunked.npy"), file));
    QVERIFY(reader);
    const QString mismatch = qs::test::chunkedLoadMismatch(*reader, 0, encoded);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestNpy::recognisedByContent() {
    // No .npy extension: the magic alone must pick the reader.
    const QString path = write(QStringLiteral("layer.bin"), npyFile(1, dict("<f4", "(1,)"), floats({4})));
    auto reader = openCheckpoint(path.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    QCOMPARE(reader.value()->formatName(), std::string("NumPy"));
    QCOMPARE(reader.value()->tensors()[0].name, std::string("layer.bin")); // only ".npy" is dropped
}

void TestNpy::cancel() {
    auto reader =
        openOrFail(write(QStringLiteral("c.npy"), npyFile(1, dict("<f8", "(1,)"), QByteArray(8, '\0'))));
    QVERIFY(reader);
    RunControl control;
    control.isCanceled = [] { return true; };
    auto tensor = reader->loadFloat(0, control);
    QVERIFY(!tensor.ok());
    QCOMPARE(tensor.error(), std::string("cancelled"));
    auto bad = reader->loadFloat(1);
    QVERIFY(!bad.ok());
    QVERIFY(bad.error().find("no tensor with index 1") != std::string::npos);
}

void TestNpy::malformed_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    const QByteArray f4x3 = floats({1, 2, 3});
    const QByteArray good = npyFile(1, dict("<f4", "(3,)"), f4x3);
    QByteArray badMagic = good;
    badMagic[5] = 'Z';
    QTest::addRow("bad magic") << badMagic << QStringLiteral("bad magic");
    QByteArray version4 = good;
    version4[6] = 4;
    QTest::addRow("unknown version") << version4 << QStringLiteral("unsupported .npy format version 4.0");
    QTest::addRow("truncated preamble")
        << good.left(9) << QStringLiteral("truncated inside the header length");
    QTest::addRow("header length past end")
        << QByteArray("\x93NUMPY\x01\x00", 8) + littleEndian(200, 2) + "{'descr': '<f4'"
        << QStringLiteral("header length 200 runs past the end (25 bytes)");
    QTest::addRow("absurd header length")
        << QByteArray("\x93NUMPY\x02\x00", 8) + littleEndian(0xFFFFFFF0, 4) + "{}"
        << QStringLiteral("header length 4294967280 exceeds the limit");
    QTest::addRow("header not a dict")
        << npyFile(1, "['<f4', False, (3,)]", f4x3) << QStringLiteral("not a Python dict literal");
    QTest::addRow("unknown descr") << npyFile(1, dict("<c8", "(3,)"), f4x3)
                                   << QStringLiteral("unsupported descr '<c8'");
    QTest::addRow("complex128") << npyFile(1, dict("<c16", "(3,)"), f4x3)
                                << QStringLiteral("unsupported descr '<c16'");
    // Unsigned 64-bit is read, and named U64 in a complaint: 3 elements need 24 bytes.
    QTest::addRow("unsigned data too short")
        << npyFile(1, dict(">u8", "(3,)"), f4x3) << QStringLiteral("shape (3,) of U64 needs 24 bytes but 12");
    QTest::addRow("object array") << npyFile(1, dict("|O", "(3,)"), f4x3) << QStringLiteral("pickled");
    QTest::addRow("no byte order") << npyFile(1, dict("|f4", "(3,)"), f4x3)
                                   << QStringLiteral("no byte order");
    QTest::addRow("structured")
        << npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", f4x3)
        << QStringLiteral("structured");
    QTest::addRow("missing shape") << npyFile(1, "{'descr': '<f4', 'fortran_order': False}", f4x3)
                                   << QStringLiteral("no 'shape'");
    QTest::addRow("extra key") << npyFile(1,
                                          "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}",
                                          f4x3)
                               << QStringLiteral("unexpected key 'x'");
    QTest::addRow("repeated key")
        << npyFile(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", f4x3)
        << QStringLiteral("repeats key 'descr'");
    QTest::addRow("fortran_order not bool")
        << npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", f4x3)
        << QStringLiteral("fortran_order is not True or False");
    QTest::addRow("negative dimension")
        << npyFile(1, dict("<f4", "(-3,)"), f4x3) << QStringLiteral("negative dimension");
    QTest::addRow("one-element shape without comma")
        << npyFile(1, dict("<f4", "(3)"), f4x3) << QStringLiteral("is not a tuple");
    // 2^40 * 2^40 = 2^80 elements; 99999999999999999999 > 2^63; 2^62 f8 elements = 2^65 bytes.
    QTest::addRow("shape overflow") << npyFile(1, dict("<f4", "(1099511627776, 1099511627776)"), f4x3)
                                    << QStringLiteral("overflows a 64-bit element count");
    QTest::addRow("dimension overflow") << npyFile(1, dict("<f4", "(99999999999999999999,)"), f4x3)
                                        << QStringLiteral("overflows a 64-bit integer");
    QTest::addRow("byte count overflow") << npyFile(1, dict("<f8", "(4611686018427387904,)"), f4x3)
                                         << QStringLiteral("overflows a 64-bit byte count");
    QByteArray rank65 = "(";
    for (int i = 0; i < 65; ++i)
        rank65 += "1,";
    QTest::addRow("absurd rank") << npyFile(1, dict("<f4", rank65 + ")"), f4x3)
                                 << QStringLiteral("more than 64 dimensions");
    QTest::addRow("data too short") << npyFile(1, dict("<f4", "(3,)"), f4x3.left(8))
                                    << QStringLiteral(
                                           "data size mismatch: shape (3,) of F32 needs 12 bytes but 8");
    QTest::addRow("data too long") << npyFile(1, dict("<f4", "(3,)"), f4x3 + "xxxx")
                                   << QStringLiteral("needs 12 bytes but 16 follow the header");
    QTest::addRow("unterminated string")
        << npyFile(1, "{'descr: '<f4'}", f4x3) << QStringLiteral("expected ':'");
    QTest::addRow("text after dict") << npyFile(1, dict("<f4", "(3,)") + " junk", f4x3)
                                     << QStringLiteral("unexpected text after the closing '}'");
    QTest::addRow("empty file") << QByteArray() << QStringLiteral("bad magic");
}

void TestNpy::malformed() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    const QString path = write(QStringLiteral("bad.npy"), bytes);
    const auto reader = NpyReader::open(path.toStdString());
    QVERIFY(!reader.ok());
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    // Through the registry a file that starts like an array (the magic string) gets the same
    // complaint; one that does not is no recognised checkpoint, whatever its name.
    const auto viaRegistry = openCheckpoint(path.toStdString());
    QVERIFY(!viaRegistry.ok());
    const QString generic = QString::fromStdString(viaRegistry.error());
    if (bytes.startsWith("\x93NUMPY"))
        QVERIFY2(generic.contains(expected), qPrintable(generic));
    else
        QVERIFY2(generic.startsWith(path + QStringLiteral(": not a recognised checkpoint")) &&
                     generic.contains(QStringLiteral("the name suggests NumPy")),
                 qPrintable(generic));
}

QTEST_GUILESS_MAIN(TestNpy)
#include "tst_npy.moc"
