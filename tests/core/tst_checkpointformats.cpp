#include "io/checkpointformats.h"
#include "io/checkpointreader.h"

#include <QFile>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;

// The format registry as users meet it: an unknown file's message names every format that is
// registered (so a new reader shows up there without touching openCheckpoint), and every
// format has what the Open dialog and the fallback by extension need.
class TestCheckpointFormats : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void registryEntriesAreComplete();
    void unknownFileListsEveryFormat_data();
    void unknownFileListsEveryFormat();
    void contentDecidesNotName_data();
    void contentDecidesNotName();
};

void TestCheckpointFormats::registryEntriesAreComplete() {
    QVERIFY(!checkpointFormats().empty());
    QSet<QString> names;
    for (const CheckpointFormat &format : checkpointFormats()) {
        const QString name = QString::fromStdString(format.name);
        QVERIFY2(!name.isEmpty(), "a format without a name");
        QVERIFY2(!names.contains(name), qPrintable(name));
        names.insert(name);
        QVERIFY2(!format.extensions.empty(), qPrintable(name));
        for (const std::string &pattern : format.extensions)
            QVERIFY2(pattern.starts_with("*."),
                     qPrintable(name + QLatin1String(": ") + QString::fromStdString(pattern)));
        QVERIFY(format.probe != nullptr && format.claims != nullptr && format.open != nullptr);
    }
}

void TestCheckpointFormats::unknownFileListsEveryFormat_data() {
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("fileName");
    // Plain text under an extension no format claims: no probe may accept it.
    QTest::addRow("text") << QByteArray("just some words, not a checkpoint\n") << QStringLiteral("notes.txt");
    QTest::addRow("empty") << QByteArray() << QStringLiteral("empty.dat");
    // 64 bytes of 0xEE: no magic number of any format starts like this.
    QTest::addRow("binary noise") << QByteArray(64, '\xEE') << QStringLiteral("noise.bin2");
}

void TestCheckpointFormats::unknownFileListsEveryFormat() {
    QFETCH(QByteArray, content);
    QFETCH(QString, fileName);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(fileName);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
    file.close();

    const auto reader = openCheckpoint(path.toStdString());
    QVERIFY(!reader);
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QLatin1String(": ")), qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("not a recognised checkpoint")), qPrintable(error));
    for (const CheckpointFormat &format : checkpointFormats())
        QVERIFY2(error.contains(QString::fromStdString(format.name)), qPrintable(error));
}

// A file is judged by what it holds: a text file renamed x.safetensors gets the same friendly
// message as x.dat (plus what its name suggested), never a reader's complaint about a "header
// length" read from its letters.
void TestCheckpointFormats::contentDecidesNotName_data() {
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QString>("suggested"); // empty: the name suggests no format
    QTest::addRow("dat") << QStringLiteral("x.dat") << QString();
    for (const CheckpointFormat &format : checkpointFormats()) {
        for (const std::string &pattern : format.extensions) {
            const QString name = QStringLiteral("x") + QString::fromStdString(pattern).mid(1);
            QTest::addRow("%s", qPrintable(name)) << name << QString::fromStdString(format.name);
        }
    }
}

void TestCheckpointFormats::contentDecidesNotName() {
    QFETCH(QString, fileName);
    QFETCH(QString, suggested);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(fileName);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    // The case: a README-like text whose first 8 bytes read as a huge header length.
    file.write("Release notes for version 2, see the changelog for details.\n");
    file.close();

    const auto reader = openCheckpoint(path.toStdString());
    QVERIFY(!reader);
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QLatin1String(": not a recognised checkpoint (supported: ")),
             qPrintable(error));
    QVERIFY2(!error.contains(QLatin1String("header")), qPrintable(error));
    if (suggested.isEmpty())
        QVERIFY2(!error.contains(QLatin1String("suggests")), qPrintable(error));
    else
        QVERIFY2(error.contains(QLatin1String("the name suggests ") + suggested), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestCheckpointFormats)
#include "tst_checkpointformats.moc"
