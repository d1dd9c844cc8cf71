#include "io/imatrix.h"

#include "testgguf.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

using namespace qs;
using qs::test::GgufBuilder;

namespace {

QByteArray le32(qint32 value) {
    return GgufBuilder::le32(quint32(value));
}

// One imatrix.dat entry: int32 name length, name, int32 ncall, int32 nval, nval float32 values.
QByteArray legacyEntry(const QByteArray &name, qint32 ncall, const std::vector<float> &values) {
    return le32(qint32(name.size())) + name + le32(ncall) + le32(qint32(values.size())) +
           GgufBuilder::floats(values);
}

// The trailer of newer files: int32 chunk count, int32 length, dataset name.
QByteArray legacyTrailer(qint32 chunks, const QByteArray &dataset) {
    return le32(chunks) + le32(qint32(dataset.size())) + dataset;
}

QByteArray legacyFile(const QList<QByteArray> &entries, const QByteArray &trailer = {}) {
    QByteArray out = le32(qint32(entries.size()));
    for (const QByteArray &entry : entries)
        out += entry;
    return out + trailer;
}

// An imatrix GGUF as llama-imatrix writes it, with the entries the caller adds.
GgufBuilder imatrixGguf() {
    GgufBuilder builder;
    builder.string("general.type", "imatrix")
        .strings("imatrix.datasets", {"wiki.train.raw"})
        .u32("imatrix.chunk_count", 10)
        .u32("imatrix.chunk_size", 512);
    return builder;
}

std::vector<float> toVector(std::span<const float> values) {
    return {values.begin(), values.end()};
}

} // namespace

class TestImatrix : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void legacyDividesByNcallInFloat();
    void legacyWithoutTrailer();
    void legacyExpertsSplitByShape();
    void ggufDividesSumsByCounts();
    void ggufExpertRows();
    void mapsHuggingFaceNames();
    void lookupErrorsNameBoth();
    void unmatchedEntriesListed();
    void malformed_data();
    void malformed();
    void writeSeeds();

private:
    QString write(const QString &name, const QByteArray &bytes);
    std::shared_ptr<const ImportanceMatrix> load(const QString &name, const QByteArray &bytes);

    QTemporaryDir m_dir;
};

QString TestImatrix::write(const QString &name, const QByteArray &bytes) {
    const QString path = m_dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write fixture");
    return path;
}

std::shared_ptr<const ImportanceMatrix> TestImatrix::load(const QString &name, const QByteArray &bytes) {
    const auto matrix = loadImportanceMatrix(write(name, bytes).toStdString());
    if (!matrix)
        qWarning("%s", matrix.error().c_str());
    return matrix ? matrix.value() : nullptr;
}

void TestImatrix::legacyDividesByNcallInFloat() {
    // 2^24 + 1 is not a float: llama-quantize's `v /= ncall` divides by float(ncall) = 2^24, so
    // 1 / ncall is exactly 2^-24. Dividing in double first would give 1 / 16777217 rounded to
    // float, 2^-24 - 2^-48, one ulp lower.
    constexpr qint32 kBigNcall = 16777217;
    const QByteArray file = legacyFile({legacyEntry("blk.0.attn_q.weight", 3, {6.0f, 1.5f, 0.0f}),
                                        legacyEntry("blk.0.ffn_down.weight", kBigNcall, {1.0f}),
                                        legacyEntry("blk.0.ffn_up.weight", 0, {0.25f, 4.0f})},
                                       legacyTrailer(42, "wiki.train.raw"));
    const auto matrix = load(QStringLiteral("imatrix.dat"), file);
    QVERIFY(matrix);
    QCOMPARE(matrix->form(), ImportanceForm::LegacyDat);
    QCOMPARE(matrix->entries().size(), std::size_t(3));
    // 6 / 3 = 2 and 1.5 / 3 = 0.5, both exact.
    QCOMPARE(matrix->entries().at("blk.0.attn_q.weight").weights, (std::vector<float>{2.0f, 0.5f, 0.0f}));
    const float tiny = matrix->entries().at("blk.0.ffn_down.weight").weights.at(0);
    QCOMPARE(tiny, std::ldexp(1.0f, -24));
    QVERIFY(tiny != float(1.0 / double(kBigNcall)));
    QCOMPARE(float(1.0 / double(kBigNcall)), std::ldexp(1.0f, -24) - std::ldexp(1.0f, -48));
    // ncall 0: values kept as stored, as llama-quantize keeps them.
    QCOMPARE(matrix->entries().at("blk.0.ffn_up.weight").weights, (std::vector<float>{0.25f, 4.0f}));
    QCOMPARE(matrix->chunkCount(), std::optional<std::int64_t>(42));
    QCOMPARE(matrix->dataset(), std::string("wiki.train.raw"));
    QCOMPARE(matrix->properties().at("imatrix.chunk_count"), std::string("42"));
    QCOMPARE(matrix->properties().at("imatrix.datasets"), std::string("wiki.train.raw"));
    QCOMPARE(matrix->properties().at("imatrix.form"), std::string("imatrix.dat"));
    QCOMPARE(matrix->properties().at("imatrix.entries"), std::string("3"));
}

void TestImatrix::legacyWithoutTrailer() {
    const auto matrix =
        load(QStringLiteral("old.dat"), legacyFile({legacyEntry("output.weight", 2, {1.0f})}));
    QVERIFY(matrix);
    QVERIFY(!matrix->chunkCount());
    QCOMPARE(matrix->dataset(), std::string());
    QCOMPARE(matrix->entries().at("output.weight").weights, std::vector<float>{0.5f});
    // A trailer of only the chunk count (no dataset) is read too.
    const auto chunksOnly =
        load(QStringLiteral("chunks.dat"), legacyFile({legacyEntry("output.weight", 2, {1.0f})}, le32(7)));
    QVERIFY(chunksOnly);
    QCOMPARE(chunksOnly->chunkCount(), std::optional<std::int64_t>(7));
}

void TestImatrix::legacyExpertsSplitByShape() {
    // Two experts' rows of 4 columns back to back, ncall 1.
    const auto matrix =
        load(QStringLiteral("experts.dat"),
             legacyFile({legacyEntry("blk.0.ffn_up_exps.weight", 1, {0, 1, 2, 3, 4, 5, 6, 7})}));
    QVERIFY(matrix);
    const std::vector<std::int64_t> shape{2, 3, 4}; // [experts, rows, columns]
    const auto weights = matrix->lookup("blk.0.ffn_up_exps.weight", shape);
    QVERIFY2(weights, weights.error().c_str());
    QCOMPARE(weights->experts, std::int64_t(2));
    QCOMPARE(weights->columns, std::int64_t(4));
    QCOMPARE(toVector(weights->expert(1)), (std::vector<float>{4, 5, 6, 7}));
    const std::vector<std::int64_t> flat{3, 4};
    QVERIFY(!matrix->lookup("blk.0.ffn_up_exps.weight", flat));
}

void TestImatrix::ggufDividesSumsByCounts() {
    GgufBuilder builder = imatrixGguf();
    // A dense tensor: in_sum2 [4] (llama.cpp drops the trailing 1 of ne {4, 1}), one count.
    builder.f32("blk.0.attn_q.weight.in_sum2", {4}, {3.0f, 1.0f, 0.0f, 9.0f})
        .f32("blk.0.attn_q.weight.counts", {1}, {3.0f})
        .f32("unrelated", {2}, {-1.0f, -1.0f}); // ignored, as llama-quantize ignores it
    const auto matrix = load(QStringLiteral("imatrix.gguf"), builder.build());
    QVERIFY(matrix);
    QCOMPARE(matrix->form(), ImportanceForm::Gguf);
    QCOMPARE(matrix->entries().size(), std::size_t(1));
    const ImportanceEntry &entry = matrix->entries().at("blk.0.attn_q.weight");
    QCOMPARE(entry.rows, std::int64_t(1));
    // in_sum2 / counts in float32: 3/3, 1/3, 0/3, 9/3.
    QCOMPARE(entry.weights, (std::vector<float>{1.0f, 1.0f / 3.0f, 0.0f, 3.0f}));
    QCOMPARE(matrix->chunkCount(), std::optional<std::int64_t>(10));
    QCOMPARE(matrix->properties().at("imatrix.chunk_size"), std::string("512"));
    QVERIFY(matrix->dataset().find("wiki.train.raw") != std::string::npos);
    QCOMPARE(matrix->properties().at("general.type"), std::string("imatrix"));
    QCOMPARE(matrix->properties().at("imatrix.form"), std::string("GGUF imatrix"));
}

void TestImatrix::ggufExpertRows() {
    GgufBuilder builder = imatrixGguf();
    // Two experts of 3 columns: in_sum2 ne {3, 2}, counts ne {1, 2}. Expert 1 never saw a token
    // (count 0) and gets weights of 1. A second entry shares one count across its 2 rows.
    builder.f32("blk.1.ffn_gate_exps.weight.in_sum2", {3, 2}, {2.0f, 4.0f, 8.0f, 5.0f, 5.0f, 5.0f})
        .f32("blk.1.ffn_gate_exps.weight.counts", {1, 2}, {2.0f, 0.0f})
        .f32("blk.1.ffn_up_exps.weight.in_sum2", {2, 2}, {4.0f, 8.0f, 12.0f, 16.0f})
        .f32("blk.1.ffn_up_exps.weight.counts", {1}, {4.0f});
    const auto matrix = load(QStringLiteral("experts.gguf"), builder.build());
    QVERIFY(matrix);
    const std::vector<std::int64_t> shape{2, 5, 3};
    const auto gate = matrix->lookup("blk.1.ffn_gate_exps.weight", shape);
    QVERIFY2(gate, gate.error().c_str());
    QCOMPARE(gate->experts, std::int64_t(2));
    QCOMPARE(toVector(gate->expert(0)), (std::vector<float>{1.0f, 2.0f, 4.0f}));
    QCOMPARE(toVector(gate->expert(1)), (std::vector<float>{1.0f, 1.0f, 1.0f}));
    QCOMPARE(matrix->entries().at("blk.1.ffn_up_exps.weight").weights,
             (std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f}));
    // The GGUF form knows its rows: 2 rows of 3 do not fit a 2D tensor of 6 columns, nor 3 experts.
    const std::vector<std::int64_t> flat{5, 6};
    const auto wrongRows = matrix->lookup("blk.1.ffn_gate_exps.weight", flat);
    QVERIFY(!wrongRows);
    QVERIFY2(QString::fromStdString(wrongRows.error()).contains(QStringLiteral("(2 rows of 3)")),
             wrongRows.error().c_str());
    const std::vector<std::int64_t> threeExperts{3, 5, 3};
    QVERIFY(!matrix->lookup("blk.1.ffn_gate_exps.weight", threeExperts));
}

void TestImatrix::mapsHuggingFaceNames() {
    const auto matrix =
        load(QStringLiteral("mapped.dat"), legacyFile({legacyEntry("blk.0.attn_q.weight", 1, {1, 2}),
                                                       legacyEntry("token_embd.weight", 1, {3, 4})}));
    QVERIFY(matrix);
    const std::vector<std::int64_t> shape{2, 2};
    const auto q = matrix->lookup("model.layers.0.self_attn.q_proj.weight", shape);
    QVERIFY2(q, q.error().c_str());
    QCOMPARE(q->entryName, std::string("blk.0.attn_q.weight"));
    QCOMPARE(toVector(q->weights), (std::vector<float>{1, 2}));
    QVERIFY(matrix->find("model.embed_tokens.weight") == &matrix->entries().at("token_embd.weight"));
    QVERIFY(matrix->find("blk.0.attn_q.weight")); // as written
    QVERIFY(!matrix->find("model.layers.1.self_attn.q_proj.weight"));
}

void TestImatrix::lookupErrorsNameBoth() {
    const QString path =
        write(QStringLiteral("errors.dat"), legacyFile({legacyEntry("blk.0.attn_k.weight", 1, {1, 2, 3})}));
    const auto matrix = loadImportanceMatrix(path.toStdString());
    QVERIFY(matrix);
    const std::vector<std::int64_t> shape{8, 4};
    const auto wrongLength = matrix.value()->lookup("model.layers.0.self_attn.k_proj.weight", shape);
    QVERIFY(!wrongLength);
    const QString error = QString::fromStdString(wrongLength.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("'blk.0.attn_k.weight' has 3 values")), qPrintable(error));
    QVERIFY2(error.contains(
                 QStringLiteral("'model.layers.0.self_attn.k_proj.weight' of shape [8, 4] has 4 columns")),
             qPrintable(error));
    const auto missing = matrix.value()->lookup("model.layers.0.mlp.up_proj.weight", shape);
    QVERIFY(!missing);
    const QString missingError = QString::fromStdString(missing.error());
    QVERIFY2(missingError.contains(
                 QStringLiteral("no importance entry for tensor 'model.layers.0.mlp.up_proj.weight'")),
             qPrintable(missingError));
    QVERIFY2(missingError.contains(QStringLiteral("'blk.0.ffn_up.weight'")), qPrintable(missingError));
}

void TestImatrix::unmatchedEntriesListed() {
    QList<QByteArray> entries{legacyEntry("blk.0.attn_q.weight", 1, {1}),
                              legacyEntry("blk.7.attn_q.weight", 1, {1}), legacyEntry("mystery", 1, {1})};
    const QString path = write(QStringLiteral("unmatched.dat"), legacyFile(entries));
    const auto matrix = loadImportanceMatrix(path.toStdString());
    QVERIFY(matrix);
    std::vector<TensorInfo> tensors(1);
    tensors[0].name = "model.layers.0.self_attn.q_proj.weight";
    tensors[0].shape = {1, 1};
    QCOMPARE(matrix.value()->unmatchedEntries(tensors),
             (std::vector<std::string>{"blk.7.attn_q.weight", "mystery"}));
    const Status status = matrix.value()->checkNames(tensors);
    QVERIFY(!status);
    QCOMPARE(QString::fromStdString(status.error()),
             path + QStringLiteral(
                        ": 2 of 3 importance entries match no tensor: 'blk.7.attn_q.weight', 'mystery'"));
    tensors.push_back(tensors[0]);
    tensors[1].name = "blk.7.attn_q.weight";
    tensors.push_back(tensors[0]);
    tensors[2].name = "mystery";
    QVERIFY(matrix.value()->checkNames(tensors));

    // A long list is cut after 16 names.
    QList<QByteArray> many;
    for (int i = 0; i < 20; ++i)
        many.push_back(legacyEntry("blk." + QByteArray::number(100 + i) + ".attn_v.weight", 1, {1}));
    const auto manyMatrix = load(QStringLiteral("many.dat"), legacyFile(many));
    QVERIFY(manyMatrix);
    const QString manyError = QString::fromStdString(manyMatrix->checkNames(tensors).error());
    QVERIFY2(manyError.endsWith(QStringLiteral("'blk.115.attn_v.weight' and 4 more")), qPrintable(manyError));
}

void TestImatrix::malformed_data() {
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<QString>("problem");

    const QByteArray good = legacyEntry("blk.0.attn_q.weight", 1, {1, 2});
    const QString notRecognised =
        QStringLiteral("not a recognised importance matrix (supported: llama.cpp imatrix.dat, GGUF");
    QTest::addRow("empty file") << QByteArray() << notRecognised;
    QTest::addRow("text file") << QByteArray("hello, this is not an importance matrix\n") << notRecognised;
    QTest::addRow("entry count beyond the file")
        << (le32(1000000) + good) << QStringLiteral("entry count 1000000 does not fit");
    QTest::addRow("no entries") << le32(0)
                                << QStringLiteral("read as imatrix.dat, its entry count 0 is not positive");
    QTest::addRow("first name too long")
        << (le32(1) + le32(1 << 30) + QByteArray(20, 'a'))
        << QStringLiteral("read as imatrix.dat, its first entry name length 1073741824");
    QTest::addRow("truncated values")
        << legacyFile({good, legacyEntry("blk.1.attn_q.weight", 1, {1, 2})}).chopped(3)
        << QStringLiteral("entry #1 'blk.1.attn_q.weight': truncated file: 2 values");
    QTest::addRow("nval beyond the file")
        << legacyFile({good, le32(3) + "abc" + le32(1) + le32(std::numeric_limits<qint32>::max()) + le32(0)})
        << QStringLiteral("entry #1 'abc': truncated file: 2147483647 values");
    QTest::addRow("negative nval") << legacyFile({good, le32(3) + "abc" + le32(1) + le32(-5) + le32(0)})
                                   << QStringLiteral("entry #1 'abc': nval -5 is not positive");
    QTest::addRow("second name length negative")
        << legacyFile({good, le32(-1) + QByteArray(16, 'x')})
        << QStringLiteral("entry #1: name length -1 is outside 1 to 4096");
    QTest::addRow("NaN value") << legacyFile({legacyEntry("w", 1, {1.0f, std::nanf("")})})
                               << QStringLiteral("entry #0 'w': column 1 has importance nan");
    QTest::addRow("negative value")
        << legacyFile({legacyEntry("w", 1, {-2.0f})})
        << QStringLiteral("column 0 has importance -2.000000 (it must be finite and not negative)");
    QTest::addRow("infinite after division")
        << legacyFile({legacyEntry("w", 1, {std::numeric_limits<float>::infinity()})})
        << QStringLiteral("column 0 has importance inf");
    QTest::addRow("duplicate entry") << legacyFile({good, good})
                                     << QStringLiteral("entry #1 'blk.0.attn_q.weight': duplicate entry");
    QTest::addRow("truncated trailer") << (legacyFile({good}) + QByteArray(2, '\0'))
                                       << QStringLiteral("truncated file: chunk count after the entries");
    QTest::addRow("truncated dataset") << legacyFile({good}, legacyTrailer(3, "wiki")).chopped(2)
                                       << QStringLiteral("truncated file: dataset name of 4 bytes");
    QTest::addRow("huge dataset length")
        << legacyFile({good}, le32(3) + le32(1 << 30))
        << QStringLiteral("dataset name length 1073741824 is outside 0 to 65536");
    QTest::addRow("negative chunk count")
        << legacyFile({good}, legacyTrailer(-3, "wiki")) << QStringLiteral("chunk count -3 is negative");
    QTest::addRow("bytes after the trailer") << legacyFile({good}, legacyTrailer(3, "wiki") + "xyz")
                                             << QStringLiteral("3 unexpected bytes after the dataset name");

    const auto pairOf = [](GgufBuilder builder) { return builder.build(); };
    GgufBuilder noType;
    noType.f32("w.in_sum2", {2}, {1, 1}).f32("w.counts", {1}, {1});
    QTest::addRow("GGUF without general.type")
        << noType.build() << QStringLiteral("a GGUF file without general.type, not an importance matrix");
    GgufBuilder model;
    model.string("general.type", "model").f32("w.in_sum2", {2}, {1, 1}).f32("w.counts", {1}, {1});
    QTest::addRow("GGUF model") << model.build()
                                << QStringLiteral(
                                       "a GGUF file of general.type 'model', not an importance matrix");
    QTest::addRow("GGUF sums without counts")
        << pairOf(imatrixGguf().f32("w.in_sum2", {2}, {1, 1}))
        << QStringLiteral("entry 'w' has 'w.in_sum2' but no 'w.counts'");
    QTest::addRow("GGUF counts without sums")
        << pairOf(imatrixGguf().f32("w.counts", {1}, {1}))
        << QStringLiteral("entry 'w' has 'w.counts' but no 'w.in_sum2'");
    QTest::addRow("GGUF F16 sums") << pairOf(imatrixGguf()
                                                 .tensor("w.in_sum2", {2}, GgufBuilder::kF16,
                                                         QByteArray(4, '\0'))
                                                 .f32("w.counts", {1}, {1}))
                                   << QStringLiteral("entry 'w': 'w.in_sum2' is F16, not F32");
    QTest::addRow("GGUF counts mismatch")
        << pairOf(imatrixGguf().f32("w.in_sum2", {2, 2}, {1, 1, 1, 1}).f32("w.counts", {3}, {1, 1, 1}))
        << QStringLiteral("'w.counts' holds 3 counts for the 2 rows of 'w.in_sum2'");
    QTest::addRow("GGUF rank 3 sums")
        << pairOf(imatrixGguf().f32("w.in_sum2", {1, 1, 2}, {1, 1}).f32("w.counts", {1}, {1}))
        << QStringLiteral("has shape [2, 1, 1]; expected [columns] or [experts, columns]");
    QTest::addRow("GGUF NaN count")
        << pairOf(imatrixGguf().f32("w.in_sum2", {2}, {1, 1}).f32("w.counts", {1}, {std::nanf("")}))
        << QStringLiteral("entry 'w': count 0 is nan");
    QTest::addRow("GGUF negative sum")
        << pairOf(imatrixGguf().f32("w.in_sum2", {2, 2}, {1, 1, -1, 1}).f32("w.counts", {1, 2}, {1, 1}))
        << QStringLiteral("entry 'w': expert 1 column 0 has importance -1.000000");
    QTest::addRow("GGUF no entries")
        << pairOf(imatrixGguf())
        << QStringLiteral("no importance entries (no <name>.in_sum2 and <name>.counts tensors)");
    QTest::addRow("GGUF truncated")
        << pairOf(imatrixGguf().f32("w.in_sum2", {2}, {1, 1}).f32("w.counts", {1}, {1})).chopped(2)
        << QStringLiteral(
               "tensor 'w.counts': data at offset 32 of 4 bytes runs past the end of the data section");
}

void TestImatrix::malformed() {
    QFETCH(QByteArray, file);
    QFETCH(QString, problem);
    const QString path = write(QStringLiteral("broken.imatrix"), file);
    const auto matrix = loadImportanceMatrix(path.toStdString());
    QVERIFY(!matrix);
    const QString error = QString::fromStdString(matrix.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(problem), qPrintable(error));
}

// Seeds of the fuzz_imatrix corpus (tests/fuzz/corpus/imatrix/): both forms with experts and a
// trailer, and a few broken files. Set QUANTSCOPE_WRITE_IMATRIX_SEEDS=tests/fuzz/corpus/imatrix
// to refresh the committed corpus.
void TestImatrix::writeSeeds() {
    const QString target = qEnvironmentVariable("QUANTSCOPE_WRITE_IMATRIX_SEEDS");
    if (target.isEmpty())
        QSKIP("QUANTSCOPE_WRITE_IMATRIX_SEEDS not set");
    const auto save = [&](const QString &name, const QByteArray &bytes) {
        QFile file(target + QLatin1Char('/') + name);
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size());
    };
    const QByteArray legacy =
        legacyFile({legacyEntry("blk.0.attn_q.weight", 3, {6, 1.5f, 0, 2}),
                    legacyEntry("blk.0.ffn_up_exps.weight", 2, {0, 1, 2, 3, 4, 5, 6, 7})},
                   legacyTrailer(42, "wiki.train.raw"));
    save(QStringLiteral("legacy.dat"), legacy);
    save(QStringLiteral("legacy_no_trailer.dat"), legacyFile({legacyEntry("output.weight", 1, {1, 2})}));
    save(QStringLiteral("legacy_truncated.dat"), legacy.chopped(9));
    GgufBuilder gguf = imatrixGguf();
    gguf.f32("blk.0.attn_q.weight.in_sum2", {4}, {3, 1, 0, 9})
        .f32("blk.0.attn_q.weight.counts", {1}, {3})
        .f32("blk.1.ffn_gate_exps.weight.in_sum2", {3, 2}, {2, 4, 8, 5, 5, 5})
        .f32("blk.1.ffn_gate_exps.weight.counts", {1, 2}, {2, 0});
    save(QStringLiteral("imatrix.gguf"), gguf.build());
    save(QStringLiteral("imatrix_truncated.gguf"), gguf.build().chopped(12));
}

QTEST_GUILESS_MAIN(TestImatrix)
#include "tst_imatrix.moc"
