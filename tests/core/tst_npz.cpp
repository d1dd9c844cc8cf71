// .npz archives as numpy.savez (stored members) and numpy.savez_compressed (deflated members)
// write them: a zip (built byte by byte by testzip.h after PKWARE's APPNOTE) of .npy streams
// (built after numpy.lib.format: magic, version, header length, padded dict, data).
#include "chunkedload.h"
#include "io/checkpointreader.h"
#include "io/npzreader.h"
#include "testzip.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace qs;

namespace {

QByteArray littleEndian(quint64 value, int bytes) {
    QByteArray out(bytes, '\0');
    for (int i = 0; i < bytes; ++i)
        out[i] = char((value >> (8 * i)) & 0xFF);
    return out;
}

QByteArray npyFile(const QByteArray &descr, const QByteArray &shape, const QByteArray &data) {
    QByteArray header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    return QByteArray("\x93NUMPY\x01\x00", 8) + littleEndian(quint64(header.size()), 2) + header + data;
}

QByteArray floats(const std::vector<float> &values) {
    QByteArray out(int(values.size() * sizeof(float)), '\0');
    std::memcpy(out.data(), values.data(), std::size_t(out.size()));
    return out;
}

std::vector<float> valuesOf(const FloatTensor &tensor) {
    return {tensor.values().begin(), tensor.values().end()};
}

} // namespace

class TestNpz : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void storedAndDeflated();
    void storedIsViewedInPlace();
    void chunkedLoads();
    void largeDeflatedMember();
    void recognisedByContent();
    void malformed_data();
    void malformed();
    void corruptDeflateStream();

private:
    QString write(const QString &name, const QByteArray &bytes);
    QTemporaryDir m_dir;
};

QString TestNpz::write(const QString &name, const QByteArray &bytes) {
    const QString path = m_dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write fixture");
    return path;
}

void TestNpz::storedAndDeflated() {
    // >f8 1.5 = 3F F8 00.. and -0.25 = BF D0 00.. written most significant byte first.
    const QByteArray bigF8("\x3F\xF8\0\0\0\0\0\0\xBF\xD0\0\0\0\0\0\0", 16);
    const QByteArray zip = testzip::build({
        testzip::stored("a.npy", npyFile("<f4", "(2, 2)", floats({1, 2, 3, 4}))),
        testzip::deflated("block/b.npy", npyFile(">f8", "(2,)", bigF8)),
        testzip::stored("notes.txt", "not an array"),
    });
    const QString path = write(QStringLiteral("arrays.npz"), zip);
    auto reader = NpzReader::open(path.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    const NpzReader &npz = *reader.value();
    QCOMPARE(npz.formatName(), std::string("NumPy npz"));
    QCOMPARE(npz.tensors().size(), std::size_t(2)); // the .txt member is not a tensor
    QCOMPARE(npz.tensors()[0].name, std::string("a"));
    QCOMPARE(npz.tensors()[0].shape, (std::vector<std::int64_t>{2, 2}));
    QCOMPARE(npz.tensors()[1].name, std::string("block/b"));
    QCOMPARE(npz.tensors()[1].dtype, DType::F64);
    QCOMPARE(npz.tensors()[1].byteSize, std::uint64_t(16));
    QCOMPARE(npz.metadata().at("compressed arrays"), std::string("1"));
    auto a = npz.loadFloat(0);
    QVERIFY2(a.ok(), a.error().c_str());
    QCOMPARE(valuesOf(*a.value()), (std::vector<float>{1, 2, 3, 4}));
    auto b = npz.loadFloat(1);
    QVERIFY2(b.ok(), b.error().c_str());
    QCOMPARE(valuesOf(*b.value()), (std::vector<float>{1.5f, -0.25f}));
    QVERIFY(!npz.loadFloat(2).ok());
}

void TestNpz::storedIsViewedInPlace() {
    // Aligned stored data: two loads view the same mapped bytes instead of copying.
    testzip::Options options;
    options.alignment = 64;
    const QByteArray zip =
        testzip::build({testzip::stored("w.npy", npyFile("<f4", "(3,)", floats({5, 6, 7})))}, options);
    auto reader = NpzReader::open(write(QStringLiteral("aligned.npz"), zip).toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    auto first = reader.value()->loadFloat(0);
    auto second = reader.value()->loadFloat(0);
    QVERIFY(first.ok() && second.ok());
    QCOMPARE(first.value()->values().data(), second.value()->values().data());
    QCOMPARE(valuesOf(*first.value()), (std::vector<float>{5, 6, 7}));
}

// A stored member of another dtype stays in the mapped archive and is decoded piece by piece, as
// a .npy file is; deflated and big-endian members load as loadFloat loads them (an aligned float32
// member is viewed in place: storedIsViewedInPlace).
void TestNpz::chunkedLoads() {
    // <f2 1, -2, 0.5, 65504; >f2 the same bytes swapped.
    const QByteArray half("\x00\x3C\x00\xC0\x00\x38\xFF\x7B", 8);
    const QByteArray bigHalf("\x3C\x00\xC0\x00\x38\x00\x7B\xFF", 8);
    const QByteArray zip = testzip::build({
        testzip::stored("half.npy", npyFile("<f2", "(2, 2)", half)),
        testzip::deflated("packed.npy", npyFile("<f2", "(4,)", half)),
        testzip::stored("big.npy", npyFile(">f2", "(4,)", bigHalf)),
        testzip::stored("odd.npy", npyFile("|i1", "(3,)", "\x01\xFF\x7F")),
    });
    auto reader = NpzReader::open(write(QStringLiteral("chunked.npz"), zip).toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    const NpzReader &npz = *reader.value();
    QCOMPARE(npz.tensors().size(), std::size_t(4));
    const bool encoded[] = {true, false, false, true};
    for (std::size_t i = 0; i < npz.tensors().size(); ++i) {
        const QString mismatch = qs::test::chunkedLoadMismatch(npz, i, encoded[i]);
        QVERIFY2(mismatch.isEmpty(),
                 qPrintable(QString::fromStdString(npz.tensors()[i].name) + ": " + mismatch));
    }
    auto first = npz.loadChunked(0);
    QVERIFY(first.ok());
    float scratch[4];
    const float *values = first.value()->readValues(0, 4, scratch);
    QCOMPARE(std::vector<float>(values, values + 4), (std::vector<float>{1.0f, -2.0f, 0.5f, 65504.0f}));
}

void TestNpz::largeDeflatedMember() {
    // Larger than any header prefix the reader inflates when listing: 200,000 floats i / 8.
    std::vector<float> values(200'000);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = float(i) / 8.0f;
    const QByteArray zip =
        testzip::build({testzip::deflated("big.npy", npyFile("<f4", "(400, 500)", floats(values)))});
    auto reader = NpzReader::open(write(QStringLiteral("big.npz"), zip).toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    QCOMPARE(reader.value()->tensors()[0].shape, (std::vector<std::int64_t>{400, 500}));
    auto tensor = reader.value()->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QVERIFY(valuesOf(*tensor.value()) == values);
}

void TestNpz::recognisedByContent() {
    const QByteArray zip = testzip::build({testzip::deflated("x.npy", npyFile("|i1", "(2,)", "\x01\xFF"))});
    const QString path = write(QStringLiteral("archive.zip"), zip); // no .npz extension
    auto reader = openCheckpoint(path.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    QCOMPARE(reader.value()->formatName(), std::string("NumPy npz"));
    auto tensor = reader.value()->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QCOMPARE(valuesOf(*tensor.value()), (std::vector<float>{1, -1}));
}

void TestNpz::malformed_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    const QByteArray good = npyFile("<f4", "(2,)", floats({1, 2}));
    QByteArray badMagic = good;
    badMagic[1] = 'X';
    QTest::addRow("stored bad magic") << testzip::build({testzip::stored("w.npy", badMagic)})
                                      << QStringLiteral("member 'w.npy': bad magic");
    QTest::addRow("deflated bad magic") << testzip::build({testzip::deflated("w.npy", badMagic)})
                                        << QStringLiteral("member 'w.npy': bad magic");
    QTest::addRow("deflated bad descr")
        << testzip::build({testzip::deflated("w.npy", npyFile("<c16", "(1,)", QByteArray(16, 0)))})
        << QStringLiteral("member 'w.npy': unsupported descr '<c16'");
    QTest::addRow("stored data too short") << testzip::build({testzip::stored("w.npy", good.chopped(4))})
                                           << QStringLiteral("member 'w.npy': data size mismatch");
    QTest::addRow("deflated data too long")
        << testzip::build({testzip::deflated("w.npy", good + "xxxx")})
        << QStringLiteral("but the member has 140 bytes"); // 56-char dict pads to 128, + 8 + 4
    QTest::addRow("header cut short")
        << testzip::build({testzip::deflated("w.npy", good.left(40))}) << QStringLiteral("runs past the end");
    QTest::addRow("repeated name") << testzip::build(
                                          {testzip::stored("w.npy", good), testzip::stored("w.npy", good)})
                                   << QStringLiteral("member 'w.npy': appears twice");
    testzip::Member bzip2 = testzip::stored("w.npy", good);
    bzip2.method = 12;
    QTest::addRow("unsupported method")
        << testzip::build({bzip2}) << QStringLiteral("unsupported compression method 12");
    QTest::addRow("truncated archive")
        << testzip::build({testzip::stored("w.npy", good)}).left(50) << QString();
}

void TestNpz::malformed() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    const QString path = write(QStringLiteral("bad.npz"), bytes);
    const auto reader = NpzReader::open(path.toStdString());
    QVERIFY(!reader.ok());
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestNpz::corruptDeflateStream() {
    // The header inflates, the data does not: listing succeeds, loading reports the damage.
    std::vector<float> values(5000, 0.5f);
    testzip::Layout layout =
        testzip::buildLayout({testzip::deflated("w.npy", npyFile("<f4", "(5000,)", floats(values)))});
    const quint64 end = layout.centralDirectoryOffset;
    for (quint64 i = end - 8; i < end; ++i)
        layout.bytes[qsizetype(i)] = char(0xFF);
    auto reader = NpzReader::open(write(QStringLiteral("corrupt.npz"), layout.bytes).toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    const auto tensor = reader.value()->loadFloat(0);
    QVERIFY(!tensor.ok());
    QVERIFY2(tensor.error().find("member 'w.npy'") != std::string::npos, tensor.error().c_str());
}

QTEST_GUILESS_MAIN(TestNpz)
#include "tst_npz.moc"
