// quantscope-cli export --to compressed-tensors and --to llama-cpp-types on the demo checkpoint:
// exit codes, the error line, and that a written config.json reads back as a plan.

#include "clifixture.h"

#include <QJsonArray>

using namespace qs;
using namespace qs::test;

class TestCliExportConfig : public CliTestBase {
    Q_OBJECT

    // export of the demo checkpoint to target, written to out, with more options after.
    Run exportDemo(const QString &target, const QString &out, const QStringList &more = {}) {
        return run(QStringList{QStringLiteral("export"), file("demo.safetensors"), QStringLiteral("--to"),
                               target, QStringLiteral("-o"), out} +
                   more);
    }

private slots:
    void initTestCase();
    void compressedTensorsWritesConfig();
    void compressedTensorsRefusesPartialGroups();
    void compressedTensorsRefusesQ4K();
    void configJsonIsAPlan();
    void llamaCppTypes();
};

void TestCliExportConfig::initTestCase() {
    prepare();
    const Run r = run({QStringLiteral("demo"), file("demo.safetensors")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
}

void TestCliExportConfig::compressedTensorsWritesConfig() {
    const QString out = file("ct.json");
    const Run r = exportDemo(QStringLiteral("compressed-tensors"), out,
                             {QStringLiteral("--bits"), QStringLiteral("4"), QStringLiteral("--granularity"),
                              QStringLiteral("group:32")});
    QVERIFY2(!r.crashed && r.exitCode == 0, r.err.constData());
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject qc = QJsonDocument::fromJson(file.readAll())
                               .object()
                               .value(QStringLiteral("quantization_config"))
                               .toObject();
    QCOMPARE(qc.value(QStringLiteral("format")).toString(), QStringLiteral("pack-quantized"));
    const QJsonObject group =
        qc.value(QStringLiteral("config_groups")).toObject().value(QStringLiteral("group_0")).toObject();
    QCOMPARE(group.value(QStringLiteral("weights")).toObject().value(QStringLiteral("group_size")).toInt(),
             32);
    // The demo's 4 layers of 7 projections; embedding, lm_head and the 9 norms are ignored.
    QCOMPARE(group.value(QStringLiteral("targets")).toArray().size(), 28);
    QCOMPARE(qc.value(QStringLiteral("ignore")).toArray().size(), 11);
}

// The demo's down_proj weights have 1376 columns: groups of 128 do not tile them, which
// llm-compressor refuses, so the export names them and writes nothing.
void TestCliExportConfig::compressedTensorsRefusesPartialGroups() {
    const QString out = file("partial.json");
    const Run r = exportDemo(QStringLiteral("compressed-tensors"), out,
                             {QStringLiteral("--bits"), QStringLiteral("4"), QStringLiteral("--granularity"),
                              QStringLiteral("group:128")});
    QVERIFY(!r.crashed);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("1376 columns are not a multiple of group_size 128"), r.err.constData());
    QVERIFY2(r.err.contains("model.layers.0.mlp.down_proj.weight"), r.err.constData());
    QVERIFY2(!r.err.contains("up_proj"), r.err.constData());
    QVERIFY(!QFile::exists(out));
}

void TestCliExportConfig::compressedTensorsRefusesQ4K() {
    const QString out = file("never.json");
    const Run r = exportDemo(QStringLiteral("compressed-tensors"), out,
                             {QStringLiteral("--format"), QStringLiteral("q4_k")});
    QVERIFY(!r.crashed);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.startsWith("error: "), r.err.constData());
    QVERIFY2(r.err.contains("q4_k has no compressed-tensors form"), r.err.constData());
    QVERIFY2(r.err.contains("model.layers.0.self_attn.q_proj.weight"), r.err.constData());
    QVERIFY(!QFile::exists(out));
}

void TestCliExportConfig::configJsonIsAPlan() {
    // The config written above, given back as --plan, exports again to the same block.
    const QString again = file("again.json");
    const Run r =
        run({QStringLiteral("export"), file("demo.safetensors"), QStringLiteral("--plan"), file("ct.json"),
             QStringLiteral("--to"), QStringLiteral("compressed-tensors"), QStringLiteral("-o"), again});
    QVERIFY2(!r.crashed && r.exitCode == 0, r.err.constData());
    QCOMPARE(fileHash(again), fileHash(file("ct.json")));
}

void TestCliExportConfig::llamaCppTypes() {
    const QString out = file("types.txt");
    const Run r = exportDemo(QStringLiteral("llama-cpp-types"), out,
                             {QStringLiteral("--format"), QStringLiteral("q8_0")});
    QVERIFY2(!r.crashed && r.exitCode == 0, r.err.constData());
    QVERIFY(QFile::exists(out + QStringLiteral(".cmdline.txt")));
    const Run refused = exportDemo(QStringLiteral("llama-cpp-types"), file("int.txt"),
                                   {QStringLiteral("--bits"), QStringLiteral("4")});
    QCOMPARE(refused.exitCode, 2);
    QVERIFY2(refused.err.contains("error: ") && refused.err.contains("int has no llama.cpp tensor type"),
             refused.err.constData());
}

QTEST_GUILESS_MAIN(TestCliExportConfig)
#include "tst_cliexportconfig.moc"
