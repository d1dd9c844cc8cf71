// Sharded models as Hugging Face writes them: shard files beside an index
// {"metadata": {"total_size": N}, "weight_map": {"tensor name": "shard file name"}}.
// The shards are safetensors files from qs::writeSafetensors; the index is written by hand.
#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"
#include "io/shardedreader.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;

namespace {

TensorBlob blob(const std::string &name, std::vector<float> values) {
    const std::vector<std::int64_t> shape{std::int64_t(values.size())};
    return {name, DType::F32, shape, encodeFloats(values, DType::F32)};
}

void writeText(const QString &path, const QByteArray &text) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
        qFatal("cannot write fixture");
}

} // namespace

class TestSharded : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void happyPath();
    void unlistedTensorsAreLeftOut();
    void shardInSubdirectory();
    void malformed_data();
    void malformed();
    void brokenShardIsNamed();
    void indexAsShardBeyondProbe();
    void oversizedIndex();

private:
    QString writeIndex(const QByteArray &json,
                       const QString &name = QStringLiteral("model.safetensors.index.json"));

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestSharded::init() {
    // A fresh directory per test: shards of one test must not leak into another.
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    const std::string a = m_dir->filePath(QStringLiteral("model-00001-of-00002.safetensors")).toStdString();
    const std::string b = m_dir->filePath(QStringLiteral("model-00002-of-00002.safetensors")).toStdString();
    QVERIFY(writeSafetensors(a, {blob("embed.weight", {1, 2, 3}), blob("layers.0.weight", {4, 5})}).ok());
    QVERIFY(writeSafetensors(b, {blob("layers.1.weight", {6}), blob("lm_head.weight", {7, 8, 9, 10})}).ok());
}

QString TestSharded::writeIndex(const QByteArray &json, const QString &name) {
    const QString path = m_dir->filePath(name);
    writeText(path, json);
    return path;
}

void TestSharded::happyPath() {
    const QString path = writeIndex(R"({"metadata": {"total_size": 40, "format": "pt"}, "weight_map": {
        "embed.weight": "model-00001-of-00002.safetensors",
        "layers.0.weight": "model-00001-of-00002.safetensors",
        "layers.1.weight": "model-00002-of-00002.safetensors",
        "lm_head.weight": "model-00002-of-00002.safetensors"}})");
    auto reader = openCheckpoint(path.toStdString()); // recognised by content, through the registry
    QVERIFY2(reader.ok(), reader.error().c_str());
    const CheckpointReader &model = *reader.value();
    QCOMPARE(model.formatName(), std::string("safetensors (2 shards)"));
    QCOMPARE(model.metadata().at("total_size"), std::string("40")); // a JSON number, shown as an integer
    QCOMPARE(model.metadata().at("format"), std::string("pt"));
    // Shards in name order, tensors in each shard's order; fileIndex says which shard.
    const std::vector<std::pair<std::string, std::size_t>> expected{
        {"embed.weight", 0}, {"layers.0.weight", 0}, {"layers.1.weight", 1}, {"lm_head.weight", 1}};
    QCOMPARE(model.tensors().size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        QCOMPARE(model.tensors()[i].name, expected[i].first);
        QCOMPARE(model.tensors()[i].fileIndex, expected[i].second);
    }
    auto head = model.loadFloat(3);
    QVERIFY2(head.ok(), head.error().c_str());
    QCOMPARE(std::vector<float>(head.value()->values().begin(), head.value()->values().end()),
             (std::vector<float>{7, 8, 9, 10}));
    QCOMPARE(head.value()->info().fileIndex, std::size_t(1));
    QVERIFY(!model.loadFloat(4).ok());
    const auto *sharded = dynamic_cast<const ShardedReader *>(&model);
    QVERIFY(sharded);
    QVERIFY(QString::fromStdString(sharded->shardPaths()[1])
                .endsWith(QStringLiteral("model-00002-of-00002.safetensors")));
}

void TestSharded::unlistedTensorsAreLeftOut() {
    // The index defines the model: a shard tensor the weight_map does not name is not listed.
    const QString path =
        writeIndex(R"({"weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors"}})",
                   QStringLiteral("pytorch_model.bin.index.json"));
    auto reader = ShardedReader::open(path.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    QCOMPARE(reader.value()->tensors().size(), std::size_t(1));
    QCOMPARE(reader.value()->tensors()[0].name, std::string("lm_head.weight"));
    QCOMPARE(reader.value()->formatName(), std::string("safetensors (1 shard)"));
    auto tensor = reader.value()->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QCOMPARE(tensor.value()->values().size(), std::size_t(4));
}

void TestSharded::shardInSubdirectory() {
    QVERIFY(QDir(m_dir->path()).mkdir(QStringLiteral("shards")));
    const std::string shard = m_dir->filePath(QStringLiteral("shards/part.safetensors")).toStdString();
    QVERIFY(writeSafetensors(shard, {blob("w", {1.5f})}).ok());
    const QString path = writeIndex(R"({"weight_map": {"w": "shards/part.safetensors"}})");
    auto reader = ShardedReader::open(path.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    QCOMPARE(reader.value()->tensors().size(), std::size_t(1));
}

void TestSharded::malformed_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    QTest::addRow("missing shard") << QByteArray(
                                          R"({"weight_map": {"w": "model-00003-of-00003.safetensors"}})")
                                   << QStringLiteral("shard 'model-00003-of-00003.safetensors' is missing");
    QTest::addRow("tensor missing in shard")
        << QByteArray(R"({"weight_map": {"embed.weight": "model-00001-of-00002.safetensors",
                                        "lm_head.weight": "model-00001-of-00002.safetensors"}})")
        << QStringLiteral(
               "tensor 'lm_head.weight' is listed in shard 'model-00001-of-00002.safetensors' but that "
               "shard does not hold it");
    QTest::addRow("dot-dot escape") << QByteArray(
                                           R"({"weight_map": {"w": "../model-00001-of-00002.safetensors"}})")
                                    << QStringLiteral("escapes the index's directory with '..'");
    QTest::addRow("nested escape") << QByteArray(R"({"weight_map": {"w": "a/../../x.safetensors"}})")
                                   << QStringLiteral("escapes the index's directory");
    QTest::addRow("backslash escape") << QByteArray(R"({"weight_map": {"w": "..\\x.safetensors"}})")
                                      << QStringLiteral("escapes the index's directory");
    QTest::addRow("absolute path") << QByteArray(R"({"weight_map": {"w": "/etc/passwd"}})")
                                   << QStringLiteral("'/etc/passwd' is an absolute path");
    QTest::addRow("drive path") << QByteArray(R"({"weight_map": {"w": "C:\\x.safetensors"}})")
                                << QStringLiteral("is an absolute path");
    QTest::addRow("empty shard name")
        << QByteArray(R"({"weight_map": {"w": ""}})") << QStringLiteral("empty shard file name");
    QTest::addRow("shard name not a string") << QByteArray(R"({"weight_map": {"w": 3}})")
                                             << QStringLiteral("weight_map entry 'w' is not a string");
    QTest::addRow("no weight_map") << QByteArray(R"({"metadata": {}, "weight_map": []})")
                                   << QStringLiteral("\"weight_map\" is missing or not a JSON object");
    QTest::addRow("not JSON") << QByteArray(R"({"weight_map": {"w": )")
                              << QStringLiteral("index is not valid JSON");
    QTest::addRow("not an object") << QByteArray("[1]") << QStringLiteral("index is not a JSON object");
    QTest::addRow("shard is an index")
        << QByteArray(R"({"weight_map": {"w": "model.safetensors.index.json"}})")
        << QStringLiteral("shard 'model.safetensors.index.json' is itself a shard index");
}

void TestSharded::malformed() {
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    const QString path = writeIndex(json);
    const auto reader = ShardedReader::open(path.toStdString());
    QVERIFY(!reader.ok());
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestSharded::brokenShardIsNamed() {
    writeText(m_dir->filePath(QStringLiteral("broken.safetensors")),
              QByteArray("\x10\x00\x00\x00\x00\x00\x00\x00{", 9));
    const QString path = writeIndex(R"({"weight_map": {"w": "broken.safetensors"}})");
    const auto reader = ShardedReader::open(path.toStdString());
    QVERIFY(!reader.ok());
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": shard 'broken.safetensors': ")), qPrintable(error));
    // The shard's own complaint follows, naming the shard file.
    QVERIFY2(error.contains(m_dir->filePath(QStringLiteral("broken.safetensors")) + QStringLiteral(": ")),
             qPrintable(error));
}

void TestSharded::indexAsShardBeyondProbe() {
    // "weight_map" lies past the 4096 bytes probes see, so only the extension makes this an
    // index; naming itself as its shard must still be refused, not recurse.
    const QByteArray padding(5000, 'x');
    const QString path =
        writeIndex(R"({"metadata": {"note": ")" + padding + R"("}, "weight_map": {"w": "self.index.json"}})",
                   QStringLiteral("self.index.json"));
    const auto reader = ShardedReader::open(path.toStdString());
    QVERIFY(!reader.ok());
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": shard 'self.index.json': ")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("is a shard index used as a shard")), qPrintable(error));
}

void TestSharded::oversizedIndex() {
    // A sparse file just over the limit: refused before it is read.
    const QString path = m_dir->filePath(QStringLiteral("huge.index.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QVERIFY(file.resize(qint64(ShardedReader::kMaxIndexBytes) + 1));
    file.close();
    const auto reader = ShardedReader::open(path.toStdString());
    QVERIFY(!reader.ok());
    QVERIFY2(QString::fromStdString(reader.error()).contains(QStringLiteral("exceeds the limit")),
             reader.error().c_str());
}

QTEST_GUILESS_MAIN(TestSharded)
#include "tst_sharded.moc"
