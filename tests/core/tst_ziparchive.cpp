#include "io/mappedfile.h"
#include "io/ziparchive.h"

#include "testzip.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace qs;

namespace {

// With QUANTSCOPE_WRITE_CORPUS=DIR set, fixtures are also saved there as the fuzzer's seed corpus.
void saveToCorpus(const QByteArray &bytes) {
    const QString dir = qEnvironmentVariable("QUANTSCOPE_WRITE_CORPUS");
    if (dir.isEmpty() || bytes.size() > 20000)
        return;
    QString name = QString::fromLatin1(QTest::currentTestFunction()) + QLatin1Char('-') +
                   QString::fromLatin1(QTest::currentDataTag());
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9]+")), QStringLiteral("_"));
    QFile file(QDir(dir).filePath(name + QStringLiteral(".zip")));
    if (file.open(QIODevice::WriteOnly))
        file.write(bytes);
}

QString writeFile(const QTemporaryDir &dir, const QByteArray &bytes) {
    saveToCorpus(bytes);
    const QString path = dir.filePath(QStringLiteral("archive.zip"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write fixture");
    return path;
}

Result<ZipArchive> openBytes(const QTemporaryDir &dir, const QByteArray &bytes) {
    auto mapped = MappedFile::open(writeFile(dir, bytes).toStdString());
    if (!mapped)
        return Error{mapped.error()};
    return ZipArchive::open(std::move(mapped).value());
}

void patch(QByteArray &bytes, quint64 offset, quint64 value, int width) {
    for (int i = 0; i < width; ++i)
        bytes[qsizetype(offset) + i] = char((value >> (8 * i)) & 0xFF);
}

QByteArray asQByteArray(const std::vector<std::byte> &bytes) {
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

// Two members, one stored and one deflated, with text that compresses well.
std::vector<testzip::Member> twoMembers() {
    return {testzip::stored("dir/a.bin", QByteArray("stored bytes")),
            testzip::deflated("dir/b.txt", QByteArray(3000, 'q') + "end")};
}

} // namespace

class TestZipArchive : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsMembers_data();
    void readsMembers();
    void rejectsBrokenArchive_data();
    void rejectsBrokenArchive();
    void rejectsBadMember_data();
    void rejectsBadMember();
    void probe();
};

void TestZipArchive::readsMembers_data() {
    QTest::addColumn<bool>("zip64");
    QTest::addColumn<quint32>("alignment");
    QTest::addColumn<QByteArray>("comment");
    QTest::addRow("classic") << false << 0u << QByteArray();
    QTest::addRow("zip64 extra fields and end record") << true << 0u << QByteArray();
    QTest::addRow("64-byte aligned like torch") << false << 64u << QByteArray();
    QTest::addRow("zip64 aligned with a comment") << true << 64u << QByteArray("a comment");
}

void TestZipArchive::readsMembers() {
    QFETCH(bool, zip64);
    QFETCH(quint32, alignment);
    QFETCH(QByteArray, comment);
    QTemporaryDir dir;
    testzip::Options options;
    options.zip64 = zip64;
    options.alignment = alignment;
    options.comment = comment;
    const testzip::Layout layout = testzip::buildLayout(twoMembers(), options);
    const auto archive = openBytes(dir, layout.bytes);
    QVERIFY2(archive, archive.error().c_str());
    QCOMPARE(archive->entries().size(), std::size_t(2));
    const ZipEntry *stored = archive->find("dir/a.bin");
    const ZipEntry *deflated = archive->find("dir/b.txt");
    QVERIFY(stored && deflated);
    QVERIFY(!archive->find("dir/c"));
    QCOMPARE(stored->dataOffset, layout.dataOffsets[0]);
    if (alignment)
        QCOMPARE(stored->dataOffset % alignment, quint64(0));
    QCOMPARE(deflated->method, std::uint16_t(8));
    QCOMPARE(deflated->uncompressedSize, std::uint64_t(3003));
    QVERIFY(deflated->compressedSize < 100); // 3000 equal bytes deflate to a few dozen

    // Stored data is a view into the mapped file, not a copy.
    const auto view = archive->storedData(*stored);
    QVERIFY(view.has_value());
    QCOMPARE(view->data(), archive->file()->bytes().data() + layout.dataOffsets[0]);
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(view->data()), qsizetype(view->size())),
             QByteArray("stored bytes"));
    QVERIFY(!archive->storedData(*deflated).has_value());

    const auto inflated = archive->extract(*deflated, 1 << 20);
    QVERIFY2(inflated, inflated.error().c_str());
    QCOMPARE(asQByteArray(inflated.value()), QByteArray(3000, 'q') + "end");
    const auto copied = archive->extract(*stored, 1 << 20);
    QVERIFY2(copied, copied.error().c_str());
    QCOMPARE(asQByteArray(copied.value()), QByteArray("stored bytes"));
}

void TestZipArchive::rejectsBrokenArchive_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("problem");
    const testzip::Layout good = testzip::buildLayout(twoMembers());
    const quint64 end = good.endRecordOffset;
    const quint64 cd = good.centralDirectoryOffset;

    QTest::addRow("empty file") << QByteArray() << QStringLiteral("shorter than an end of central directory");
    QTest::addRow("no end record") << QByteArray(100, 'x')
                                   << QStringLiteral("no end of central directory record");
    QTest::addRow("truncated before the end record")
        << good.bytes.left(qsizetype(end) + 10) << QStringLiteral("no end of central directory record");

    QByteArray pastEnd = good.bytes; // EOCD: central directory offset at +16
    patch(pastEnd, end + 16, 0x7FFFFFF0, 4);
    QTest::addRow("directory offset past the end") << pastEnd << QStringLiteral("runs past its end record");

    QByteArray absurd = good.bytes; // EOCD: total entries at +10
    patch(absurd, end + 10, 60000, 2);
    QTest::addRow("absurd member count") << absurd << QStringLiteral("too small for 60000 members");

    QByteArray localPast = good.bytes; // central header: local header offset at +42
    patch(localPast, cd + 42, 0x7FFFFFF0, 4);
    QTest::addRow("local header offset past the end")
        << localPast << QStringLiteral("past the end of the file");

    QByteArray dataPast = good.bytes; // central header: compressed size +20, uncompressed +24
    patch(dataPast, cd + 20, 0x10000000, 4);
    patch(dataPast, cd + 24, 0x10000000, 4);
    QTest::addRow("member data past the end") << dataPast << QStringLiteral("runs past the end of the file");

    QByteArray badLocal = good.bytes; // local header signature
    patch(badLocal, good.localHeaderOffsets[1], 0x12345678, 4);
    QTest::addRow("bad local header signature") << badLocal << QStringLiteral("has a bad signature");

    QByteArray renamed = good.bytes; // local header name (at +30) "dir/b.txt" -> "dir/c.txt"
    renamed[qsizetype(good.localHeaderOffsets[1] + 30 + 4)] = 'c';
    QTest::addRow("local and central names differ") << renamed << QStringLiteral("names a different member");

    QByteArray noLocator = good.bytes; // 0xFFFF entries means "see the zip64 record"
    patch(noLocator, end + 10, 0xFFFF, 2);
    QTest::addRow("zip64 marker without locator") << noLocator << QStringLiteral("locator is missing");

    QByteArray encrypted = good.bytes; // central header: flags at +8, bit 0 = encrypted
    patch(encrypted, cd + 8, 1, 2);
    QTest::addRow("encrypted member") << encrypted << QStringLiteral("is encrypted");

    QByteArray sizes = good.bytes; // a stored member whose two sizes disagree
    patch(sizes, cd + 24, 5, 4);
    QTest::addRow("stored sizes disagree") << sizes << QStringLiteral("but uncompressed size 5");

    testzip::Options zip64;
    zip64.zip64 = true;
    const testzip::Layout big = testzip::buildLayout(twoMembers(), zip64);
    QByteArray badRecord = big.bytes; // locator (20 bytes before EOCD): record offset at +8
    patch(badRecord, big.endRecordOffset - 20 + 8, 0xFFFFFFFFFFFFull, 8);
    QTest::addRow("zip64 record offset out of range") << badRecord << QStringLiteral("is out of range");
}

void TestZipArchive::rejectsBrokenArchive() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, problem);
    QTemporaryDir dir;
    const auto archive = openBytes(dir, bytes);
    QVERIFY(!archive);
    const QString error = QString::fromStdString(archive.error());
    QVERIFY2(error.startsWith(dir.filePath(QStringLiteral("archive.zip")) + QStringLiteral(": ")),
             qPrintable(error));
    QVERIFY2(error.contains(problem), qPrintable(error));
}

void TestZipArchive::rejectsBadMember_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<quint64>("maxBytes");
    QTest::addColumn<QString>("problem");

    testzip::Member wrongCrc = testzip::deflated("m", QByteArray(500, 'c'));
    wrongCrc.crc = 0xDEADBEEF;
    QTest::addRow("CRC mismatch") << testzip::build({wrongCrc}) << quint64(1 << 20)
                                  << QStringLiteral("CRC-32 mismatch");
    testzip::Member wrongStoredCrc = testzip::stored("m", QByteArray("abc"));
    wrongStoredCrc.crc = 1;
    QTest::addRow("stored CRC mismatch")
        << testzip::build({wrongStoredCrc}) << quint64(1 << 20) << QStringLiteral("CRC-32 mismatch");
    // A bomb: a megabyte of zeros deflates to about a kilobyte; the limit stops it before inflating.
    QTest::addRow("bomb over the limit")
        << testzip::build({testzip::deflated("m", QByteArray(1 << 20, '\0'))}) << quint64(1000)
        << QStringLiteral("more than the limit of 1000");
    testzip::Member understated = testzip::deflated("m", QByteArray(5000, 'u'));
    understated.declared = 100;
    QTest::addRow("inflates past declared size") << testzip::build({understated}) << quint64(1 << 20)
                                                 << QStringLiteral("more than its declared size of 100");
    testzip::Member overstated = testzip::deflated("m", QByteArray(50, 'o'));
    overstated.declared = 80;
    QTest::addRow("inflates short of declared size") << testzip::build({overstated}) << quint64(1 << 20)
                                                     << QStringLiteral("less than its declared size of 80");
    // A few compressed bytes declaring gigabytes (the fuzzer found one in a PyTorch file): refused
    // from the sizes, before anything is allocated. 7 deflated bytes hold at most 7 · 1032.
    testzip::Member inflated = testzip::deflated("m", QByteArray(50, 'o'));
    inflated.declared = 2'150'105'104;
    QTest::addRow("declares more than deflate can hold")
        << testzip::build({inflated}) << (quint64(16) << 30)
        << QStringLiteral("compressed bytes inflate to at most");
    testzip::Member unknown = testzip::stored("m", QByteArray("xyz"));
    unknown.method = 12; // bzip2
    QTest::addRow("unsupported method") << testzip::build({unknown}) << quint64(1 << 20)
                                        << QStringLiteral("unsupported compression method 12");
    const testzip::Layout corrupt =
        testzip::buildLayout({testzip::deflated("m", QByteArray("some text here"))});
    QByteArray garbled = corrupt.bytes; // block type 3 (reserved) in the first deflate header
    garbled[qsizetype(corrupt.dataOffsets[0])] = char(0x07);
    QTest::addRow("corrupt deflate stream")
        << garbled << quint64(1 << 20) << QStringLiteral("corrupt deflate data");
    QByteArray truncated = corrupt.bytes; // central size shrunk: the stream ends early
    patch(truncated, corrupt.centralDirectoryOffset + 20, 3, 4);
    QTest::addRow("truncated deflate stream")
        << truncated << quint64(1 << 20) << QStringLiteral("deflate data is truncated");
}

void TestZipArchive::rejectsBadMember() {
    QFETCH(QByteArray, bytes);
    QFETCH(quint64, maxBytes);
    QFETCH(QString, problem);
    QTemporaryDir dir;
    const auto archive = openBytes(dir, bytes);
    QVERIFY2(archive, archive.error().c_str());
    const auto data = archive->extract(archive->entries().front(), maxBytes);
    QVERIFY(!data);
    const QString error = QString::fromStdString(data.error());
    QVERIFY2(error.startsWith(dir.filePath(QStringLiteral("archive.zip")) + QStringLiteral(": member 'm': ")),
             qPrintable(error));
    QVERIFY2(error.contains(problem), qPrintable(error));
}

void TestZipArchive::probe() {
    const QByteArray zip = testzip::build(twoMembers());
    const auto bytes = [](const QByteArray &raw) {
        return std::span<const std::byte>(reinterpret_cast<const std::byte *>(raw.constData()),
                                          std::size_t(raw.size()));
    };
    QVERIFY(ZipArchive::probe(bytes(zip)));
    QVERIFY(ZipArchive::probe(bytes(testzip::build({})))); // an empty archive is only an end record
    QVERIFY(!ZipArchive::probe(bytes(QByteArray("PK"))));
    QVERIFY(!ZipArchive::probe(bytes(QByteArray("\x93NUMPY", 6))));
}

QTEST_GUILESS_MAIN(TestZipArchive)
#include "tst_ziparchive.moc"
