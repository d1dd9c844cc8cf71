#include "export/quantconfig.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#ifdef Q_OS_UNIX
#include <csignal>
#include <sys/resource.h>
#include <unistd.h>
#endif

using namespace qs;

namespace {

// Two tensors that cover both schemes, both range modes, narrow and a null SQNR. The
// parameters are the spec's formulas worked by hand.
QuantConfig sampleConfig() {
    QuantConfig config;
    config.checkpoint = "model.safetensors";

    TensorConfig a;
    a.name = "model.layers.0.mlp.up_proj.weight";
    a.shape = {4, 3};
    a.dtype = "BF16";
    a.spec = intSpec(8, Scheme::Symmetric, true, RangeMode::Saturating, -0.25, 0.5);
    // narrow 8-bit: qmin = -127, qmax = 127; amax = max(|-0.25|, |0.5|) = 0.5; scale = 0.5/127.
    a.params = {8, -127, 127, 0, float(0.5 / 127.0), -0.5, 0.5};
    a.mse = 1.25e-5;
    a.sqnrDb = 41.5;

    TensorConfig b;
    b.name = "model.norm.weight";
    b.shape = {3};
    b.dtype = "F32";
    b.spec = intSpec(2, Scheme::Asymmetric, false, RangeMode::NonSaturating, 0.0, 0.0);
    // 2-bit asymmetric over [0, 1.5] (widened to include 0): [0, 3], scale = 1.5/3 = 0.5, zp = 0.
    b.params = {2, 0, 3, 0, 0.5f, 0.0, 1.5};
    b.mse = 0.0;
    b.sqnrDb = std::nullopt;

    config.tensors = {a, b};
    return config;
}

QJsonObject sampleJson() {
    return QJsonDocument::fromJson(QByteArray::fromStdString(configToJson(sampleConfig()))).object();
}

void setOrRemove(QJsonObject &object, const QString &key, const QJsonValue &value) {
    if (value.isUndefined())
        object.remove(key);
    else
        object.insert(key, value);
}

// "format" addresses the top level, "0/bits" a field of tensors[0]; Undefined removes it.
void setField(QJsonObject &root, const QString &path, const QJsonValue &value) {
    const QStringList parts = path.split(QLatin1Char('/'));
    if (parts.size() == 1) {
        setOrRemove(root, path, value);
        return;
    }
    QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    const int index = parts[0].toInt();
    if (parts[1].isEmpty()) {
        tensors[index] = value;
    } else {
        QJsonObject entry = tensors[index].toObject();
        setOrRemove(entry, parts[1], value);
        tensors[index] = entry;
    }
    root.insert(QStringLiteral("tensors"), tensors);
}

void writeBytes(const QString &path, const QByteArray &bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), bytes.size());
}

QByteArray readBytes(const QString &path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestQuantConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void jsonFollowsSchema();
    void roundTrip();
    void fileRoundTrip();
    void invalidField_data();
    void invalidField();
    void invalidText_data();
    void invalidText();
    void loadErrorsNameTheFile();
    void saveFailureKeepsOldFile_data();
    void saveFailureKeepsOldFile();
};

void TestQuantConfig::jsonFollowsSchema() {
    const QJsonObject root = sampleJson();
    // Top-level keys and values as the schema (README "Export schema", version 1) fixes them.
    QCOMPARE(root.value(QStringLiteral("format")).toString(), QStringLiteral("quantscope-config"));
    QCOMPARE(root.value(QStringLiteral("version")).toInt(), 1);
    QCOMPARE(root.value(QStringLiteral("checkpoint")).toString(), QStringLiteral("model.safetensors"));
    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(tensors.size(), 2);
    const QJsonObject a = tensors[0].toObject();
    const QStringList keys{
        QStringLiteral("name"),       QStringLiteral("shape"),    QStringLiteral("dtype"),
        QStringLiteral("bits"),       QStringLiteral("scheme"),   QStringLiteral("narrow"),
        QStringLiteral("range_mode"), QStringLiteral("clip_min"), QStringLiteral("clip_max"),
        QStringLiteral("qmin"),       QStringLiteral("qmax"),     QStringLiteral("scale"),
        QStringLiteral("zero_point"), QStringLiteral("mse"),      QStringLiteral("sqnr_db")};
    QCOMPARE(a.size(), keys.size());
    for (const QString &key : keys)
        QVERIFY2(a.contains(key), qPrintable(key));
    QCOMPARE(a.value(QStringLiteral("shape")).toArray(), (QJsonArray{4, 3}));
    QCOMPARE(a.value(QStringLiteral("scheme")).toString(), QStringLiteral("symmetric"));
    QCOMPARE(a.value(QStringLiteral("range_mode")).toString(), QStringLiteral("saturating"));
    QCOMPARE(a.value(QStringLiteral("narrow")).toBool(), true);
    QCOMPARE(a.value(QStringLiteral("qmin")).toInt(), -127);
    QCOMPARE(a.value(QStringLiteral("clip_min")).toDouble(), -0.5);
    QCOMPARE(a.value(QStringLiteral("sqnr_db")).toDouble(), 41.5);
    const QJsonObject b = tensors[1].toObject();
    QCOMPARE(b.value(QStringLiteral("scheme")).toString(), QStringLiteral("asymmetric"));
    QCOMPARE(b.value(QStringLiteral("range_mode")).toString(), QStringLiteral("non-saturating"));
    QVERIFY(b.value(QStringLiteral("sqnr_db")).isNull()); // no error: the schema says null
}

void TestQuantConfig::roundTrip() {
    const QuantConfig config = sampleConfig();
    const auto parsed = configFromJson(configToJson(config), "sample");
    QVERIFY2(parsed.ok(), parsed.error().c_str());
    QCOMPARE(parsed->checkpoint, config.checkpoint);
    QCOMPARE(parsed->tensors.size(), config.tensors.size());
    for (std::size_t i = 0; i < config.tensors.size(); ++i) {
        const TensorConfig &want = config.tensors[i];
        const TensorConfig &got = parsed->tensors[i];
        QCOMPARE(got.name, want.name);
        QCOMPARE(got.shape, want.shape);
        QCOMPARE(got.dtype, want.dtype);
        QVERIFY(got.params == want.params); // the float32 scale survives the double in JSON
        QCOMPARE(got.spec.bits, want.spec.bits);
        QCOMPARE(got.spec.scheme, want.spec.scheme);
        QCOMPARE(got.spec.narrow, want.spec.narrow);
        QCOMPARE(got.spec.rangeMode, want.spec.rangeMode);
        // On load the thresholds are the effective range the file states.
        QCOMPARE(got.spec.clipLo, want.params.clipMin);
        QCOMPARE(got.spec.clipHi, want.params.clipMax);
        QCOMPARE(got.mse, want.mse);
        QCOMPARE(got.sqnrDb, want.sqnrDb);
    }
}

void TestQuantConfig::fileRoundTrip() {
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("config.json")).toStdString();
    const Status saved = saveConfig(path, sampleConfig());
    QVERIFY2(saved.ok(), saved.error().c_str());
    const auto loaded = loadConfig(path);
    QVERIFY2(loaded.ok(), loaded.error().c_str());
    QCOMPARE(configToJson(loaded.value()), configToJson(sampleConfig()));
}

void TestQuantConfig::invalidField_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("expected");
    const QJsonValue missing(QJsonValue::Undefined);
    const QString t0 = QStringLiteral("tensors[0] (\"model.layers.0.mlp.up_proj.weight\"): field ");
    const QString t1 = QStringLiteral("tensors[1] (\"model.norm.weight\"): field ");

    QTest::addRow("format missing") << "format" << missing << "field \"format\" is missing";
    QTest::addRow("format other") << "format" << QJsonValue("onnx-config")
                                  << "field \"format\" is \"onnx-config\"";
    QTest::addRow("version newer") << "version" << QJsonValue(2) << "field \"version\" is 2";
    QTest::addRow("version zero") << "version" << QJsonValue(0) << "field \"version\" must be an integer";
    QTest::addRow("version text") << "version" << QJsonValue("1") << "field \"version\" must be an integer";
    QTest::addRow("checkpoint number")
        << "checkpoint" << QJsonValue(3) << "field \"checkpoint\" must be a string";
    QTest::addRow("tensors object") << "tensors" << QJsonValue(QJsonObject())
                                    << "field \"tensors\" must be an array";
    QTest::addRow("entry not object") << "0/" << QJsonValue(7) << "tensors[0] is not a JSON object";
    QTest::addRow("name missing") << "0/name" << missing << "tensors[0]: field \"name\" is missing";
    QTest::addRow("name empty") << "0/name" << QJsonValue("")
                                << "tensors[0]: field \"name\" must not be empty";
    QTest::addRow("duplicate name")
        << "1/name" << QJsonValue("model.layers.0.mlp.up_proj.weight")
        << "tensors[1]: tensor \"model.layers.0.mlp.up_proj.weight\" appears more";
    QTest::addRow("shape text") << "0/shape" << QJsonValue("4x3") << t0 + "\"shape\" must be an array";
    QTest::addRow("shape negative") << "0/shape" << QJsonValue(QJsonArray{4, -3}) << t0 + "\"shape\" must be";
    QTest::addRow("shape fraction") << "0/shape" << QJsonValue(QJsonArray{4, 1.5})
                                    << t0 + "\"shape\" must be";
    QTest::addRow("dtype unknown") << "0/dtype" << QJsonValue("F12")
                                   << t0 + "\"dtype\" names an unknown dtype";
    QTest::addRow("bits 1") << "0/bits" << QJsonValue(1) << t0 + "\"bits\" must be an integer from 2 to 16";
    QTest::addRow("bits 17") << "0/bits" << QJsonValue(17) << t0 + "\"bits\" must be an integer from 2 to 16";
    QTest::addRow("bits fraction") << "0/bits" << QJsonValue(7.5) << t0 + "\"bits\" must be an integer";
    QTest::addRow("bits text") << "0/bits" << QJsonValue("8") << t0 + "\"bits\" must be an integer";
    QTest::addRow("scheme unknown") << "0/scheme" << QJsonValue("sym") << t0 + "\"scheme\" must be";
    QTest::addRow("narrow text") << "0/narrow" << QJsonValue("yes")
                                 << t0 + "\"narrow\" must be true or false";
    QTest::addRow("narrow asymmetric") << "1/narrow" << QJsonValue(true) << t1 + "\"narrow\" must be false";
    QTest::addRow("range unknown") << "0/range_mode" << QJsonValue("clipped")
                                   << t0 + "\"range_mode\" must be";
    QTest::addRow("clip_min text") << "0/clip_min" << QJsonValue("-0.5")
                                   << t0 + "\"clip_min\" must be a finite";
    QTest::addRow("clip_max missing") << "0/clip_max" << missing << t0 + "\"clip_max\" is missing";
    QTest::addRow("clip reversed") << "0/clip_min" << QJsonValue(0.75) << t0 + "\"clip_min\" must not exceed";
    // 8-bit narrow symmetric is [-127, 127] (spec), so -128 does not match.
    QTest::addRow("qmin mismatch") << "0/qmin" << QJsonValue(-128) << t0 + "\"qmin\" and qmax do not match";
    QTest::addRow("qmax missing") << "0/qmax" << missing << t0 + "\"qmax\" is missing";
    QTest::addRow("scale zero") << "0/scale" << QJsonValue(0) << t0 + "\"scale\" must be a positive";
    QTest::addRow("scale negative") << "0/scale" << QJsonValue(-0.5) << t0 + "\"scale\" must be a positive";
    QTest::addRow("scale huge") << "0/scale" << QJsonValue(1e300) << t0 + "\"scale\" must be a positive";
    QTest::addRow("zero point outside") << "1/zero_point" << QJsonValue(4) << t1 + "\"zero_point\" must lie";
    QTest::addRow("mse negative") << "0/mse" << QJsonValue(-1) << t0 + "\"mse\" must not be negative";
    QTest::addRow("mse missing") << "0/mse" << missing << t0 + "\"mse\" is missing";
    QTest::addRow("sqnr text") << "0/sqnr_db" << QJsonValue("41") << t0 + "\"sqnr_db\" must be a finite";
}

void TestQuantConfig::invalidField() {
    QFETCH(QString, path);
    QFETCH(QJsonValue, value);
    QFETCH(QString, expected);
    QJsonObject root = sampleJson();
    setField(root, path, value);
    const auto parsed = configFromJson(QJsonDocument(root).toJson().toStdString(), "edited.json");
    QVERIFY(!parsed.ok());
    const QString error = QString::fromStdString(parsed.error());
    QVERIFY2(error.startsWith(QStringLiteral("edited.json: ")), qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestQuantConfig::invalidText_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected");
    QTest::addRow("empty") << QByteArray() << "not valid JSON";
    QTest::addRow("truncated") << QByteArray(R"({"format": "quantscope-config", )") << "not valid JSON";
    QTest::addRow("array") << QByteArray("[1, 2]") << "top level is not a JSON object";
    // A number too large for a double is either refused by the parser or not finite.
    QByteArray huge = QJsonDocument(sampleJson()).toJson(QJsonDocument::Compact);
    huge.replace("\"clip_min\":-0.5", "\"clip_min\":-1e999");
    QTest::addRow("overflowing number") << huge << "clip_min";
}

void TestQuantConfig::invalidText() {
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    const auto parsed = configFromJson(text.toStdString(), "bad.json");
    QVERIFY(!parsed.ok());
    const QString error = QString::fromStdString(parsed.error());
    QVERIFY2(error.startsWith(QStringLiteral("bad.json: ")), qPrintable(error));
    if (!error.contains(QStringLiteral("not valid JSON")))
        QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestQuantConfig::loadErrorsNameTheFile() {
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("missing.json"));
    const auto notThere = loadConfig(missing.toStdString());
    QVERIFY(!notThere.ok());
    QVERIFY2(QString::fromStdString(notThere.error()).startsWith(missing), notThere.error().c_str());

    // One byte over the 64 MiB bound; sparse, so it costs no disk.
    const QString big = dir.filePath(QStringLiteral("big.json"));
    QFile file(big);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QVERIFY(file.resize((qint64(64) << 20) + 1));
    file.close();
    const auto tooBig = loadConfig(big.toStdString());
    QVERIFY(!tooBig.ok());
    const QString error = QString::fromStdString(tooBig.error());
    QVERIFY2(error.startsWith(big) && error.contains(QStringLiteral("too large")), qPrintable(error));
}

void TestQuantConfig::saveFailureKeepsOldFile_data() {
    QTest::addColumn<QString>("how");
    QTest::addRow("parent is a file") << "parent-file";
    QTest::addRow("file size limit") << "size-limit";
    QTest::addRow("read-only directory") << "read-only";
}

void TestQuantConfig::saveFailureKeepsOldFile() {
    QFETCH(QString, how);
    QTemporaryDir dir;
    QString target = dir.filePath(QStringLiteral("config.json"));
    const QByteArray oldContent("the previous export\n");
    writeBytes(target, oldContent);
    QuantConfig config = sampleConfig();

    if (how == QLatin1String("parent-file")) {
        // The directory part names a regular file: nothing can be created there.
        target = dir.filePath(QStringLiteral("config.json/inner.json"));
        const Status saved = saveConfig(target.toStdString(), config);
        QVERIFY(!saved.ok());
        QVERIFY2(QString::fromStdString(saved.error()).startsWith(target), saved.error().c_str());
        QCOMPARE(readBytes(dir.filePath(QStringLiteral("config.json"))), oldContent);
        return;
    }
#ifdef Q_OS_UNIX
    if (how == QLatin1String("read-only")) {
        if (::geteuid() == 0)
            QSKIP("root writes into read-only directories; the size-limit row covers this case");
        QVERIFY(QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::ExeOwner));
        const Status saved = saveConfig(target.toStdString(), config);
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        QVERIFY(!saved.ok());
        QCOMPARE(readBytes(target), oldContent);
        return;
    }
    // The write itself fails part-way (EFBIG past RLIMIT_FSIZE), as on a full disk; this holds
    // for root too. A config of many tensors is far larger than the limit.
    for (int i = 0; i < 2000; ++i) {
        TensorConfig t = config.tensors[1];
        t.name = "extra." + std::to_string(i);
        config.tensors.push_back(t);
    }
    rlimit saved{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 4096;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
    const Status result = saveConfig(target.toStdString(), config);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, oldHandler);
    QVERIFY(!result.ok());
    QVERIFY2(QString::fromStdString(result.error()).startsWith(target), result.error().c_str());
    QCOMPARE(readBytes(target), oldContent);
    // No temporary file is left behind next to it.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("config.json")});
#else
    QSKIP("needs POSIX file limits");
#endif
}

QTEST_GUILESS_MAIN(TestQuantConfig)
#include "tst_quantconfig.moc"
