// The compressed-tensors quantization_config export (read back as JSON, value by value), its
// import as a plan, and the llama.cpp tensor-type export.

#include "export/compressedtensorsconfig.h"
#include "export/exporter.h"
#include "export/llamacpptypes.h"
#include "io/democheckpoint.h"
#include "io/safetensorswriter.h"
#include "plan/planjson.h"
#include "testgguf.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace qs;

namespace {

const std::string kQ = "model.layers.0.self_attn.q_proj.weight";
const std::string kK = "model.layers.0.self_attn.k_proj.weight";
const std::string kV = "model.layers.0.self_attn.v_proj.weight";
const std::string kO = "model.layers.0.self_attn.o_proj.weight";
const std::string kUp = "model.layers.0.mlp.up_proj.weight";
const std::string kGate = "model.layers.0.mlp.gate_proj.weight";
const std::string kDown = "model.layers.0.mlp.down_proj.weight";
const std::string kNorm = "model.layers.0.input_layernorm.weight";
const std::string kEmbed = "model.embed_tokens.weight";
const std::string kHead = "lm_head.weight";

std::vector<float> wave(std::int64_t n) {
    std::vector<float> v;
    for (std::int64_t i = 0; i < n; ++i)
        v.push_back(float(std::sin(0.37 * double(i)) * 0.05));
    return v;
}

TensorBlob blob(const std::string &name, std::vector<std::int64_t> shape) {
    std::int64_t n = 1;
    for (std::int64_t d : shape)
        n *= d;
    return {name, DType::BF16, std::move(shape), encodeFloats(wave(n), DType::BF16)};
}

// A small Llama-like layer: the names the compressed-tensors export needs.
Status writeModel(const QString &path) {
    return writeSafetensors(path.toStdString(),
                            {blob(kEmbed, {64, 32}), blob(kQ, {32, 32}), blob(kK, {32, 32}),
                             blob(kV, {32, 32}), blob(kO, {32, 32}), blob(kUp, {64, 32}),
                             blob(kGate, {8, 256}), blob(kDown, {32, 64}), blob(kNorm, {32}),
                             blob(kHead, {64, 32})});
}

PlanScheme scheme(const char *json) {
    return planSchemeFromJson(json).value();
}

// Several groups of mixed formats: a re: rule, a glob rule, the default, an override, a user
// ignore pattern and the default ignore list.
QuantPlan mixedPlan() {
    QuantPlan plan;
    plan.defaults = scheme(R"({"bits":8,"granularity":"channel","method":"mse"})");
    plan.rules.push_back({NamePattern::parse(R"(re:.*\.self_attn\.(q|k)_proj\.weight)").value(),
                          scheme(R"({"bits":4,"scheme":"asymmetric","granularity":"group:16"})")});
    plan.rules.push_back({NamePattern::parse("*.mlp.*").value(),
                          scheme(R"({"format":"fp8_e4m3","granularity":"block:16x16"})")});
    plan.ignore.push_back(NamePattern::parse("*.o_proj.weight").value());
    plan.overrides.emplace(kDown, PlanOverride{false, scheme(R"({"format":"nvfp4"})")});
    return plan;
}

QJsonObject readJson(const QString &path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

QSet<QString> stringSet(const QJsonValue &value) {
    QSet<QString> set;
    for (const QJsonValue &item : value.toArray())
        set.insert(item.toString());
    return set;
}

// The weights args every group must carry, written out here from QuantizationArgs' fields.
QJsonObject weights(int bits, const char *type, bool symmetric, const char *strategy, QJsonValue groupSize,
                    QJsonValue block, const char *observer) {
    return {{QStringLiteral("num_bits"), bits},
            {QStringLiteral("type"), QLatin1String(type)},
            {QStringLiteral("symmetric"), symmetric},
            {QStringLiteral("strategy"), QLatin1String(strategy)},
            {QStringLiteral("group_size"), groupSize},
            {QStringLiteral("block_structure"), block},
            {QStringLiteral("dynamic"), false},
            {QStringLiteral("actorder"), QJsonValue::Null},
            {QStringLiteral("observer"), QLatin1String(observer)},
            {QStringLiteral("observer_kwargs"), QJsonObject{}}};
}

ExportJob job(const CheckpointReader &reader, QuantPlan plan, const QString &output) {
    ExportJob j;
    j.reader = &reader;
    j.plan = std::move(plan);
    j.output = output.toStdString();
    return j;
}

void writeText(const QString &path, const QByteArray &text) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

} // namespace

class TestCompressedTensors : public QObject {
    Q_OBJECT

private slots:
    void exportWritesEveryValue();
    void exportMergesConfigJson();
    void exportRefusesGgmlTypes();
    void cannotExpress_data();
    void cannotExpress();
    void groupsMustTileColumns();
    void importRoundTrip();
    void importLlmCompressorConfig();
    void importRegexTargets();
    void importRefusals_data();
    void importRefusals();
    void llamaTypesHfNames();
    void llamaTypesGgufNames();
    void llamaTypesRefusesInt();
};

void TestCompressedTensors::exportWritesEveryValue() {
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("model.safetensors"));
    QVERIFY(writeModel(model).ok());
    const auto reader = openCheckpoint(model.toStdString());
    QVERIFY2(reader, reader.error().c_str());
    const Exporter *exporter = findExporter("compressed-tensors", false);
    QVERIFY(exporter);
    const QString out = dir.filePath(QStringLiteral("quant.json"));
    const ExportJob j = job(*reader.value(), mixedPlan(), out);
    const Status checked = exporter->check(j);
    QVERIFY2(checked.ok(), checked.error().c_str());
    const auto outcome = exporter->write(j);
    QVERIFY2(outcome, outcome.error().c_str());
    QCOMPARE(outcome->quantized, 6); // q, k, v, up, gate, down

    // No config.json beside the model: the block alone.
    const QJsonObject root = readJson(out);
    QCOMPARE(root.keys(), QStringList{QStringLiteral("quantization_config")});
    const QJsonObject qc = root.value(QStringLiteral("quantization_config")).toObject();
    QCOMPARE(qc.keys().size(), 8);
    QCOMPARE(qc.value(QStringLiteral("quant_method")).toString(), QStringLiteral("compressed-tensors"));
    QCOMPARE(qc.value(QStringLiteral("quantization_status")).toString(), QStringLiteral("compressed"));
    QCOMPARE(qc.value(QStringLiteral("format")).toString(), QStringLiteral("mixed-precision"));
    QVERIFY(qc.value(QStringLiteral("kv_cache_scheme")).isNull());
    QCOMPARE(qc.value(QStringLiteral("sparsity_config")).toObject(), QJsonObject{});
    QCOMPARE(qc.value(QStringLiteral("transform_config")).toObject(), QJsonObject{});
    // Kept: the embedding and lm_head (default ignore), the norm (1-D), o_proj (user ignore).
    QCOMPARE(stringSet(qc.value(QStringLiteral("ignore"))),
             (QSet<QString>{QStringLiteral("model.embed_tokens"), QStringLiteral("lm_head"),
                            QStringLiteral("model.layers.0.input_layernorm"),
                            QStringLiteral("model.layers.0.self_attn.o_proj")}));

    // The rules inherit the default's mse (the range keys come as a set); nvfp4 has only minmax.
    // One group per distinct scheme; the groups are numbered in file order of first use, so
    // find each by its targets.
    struct Expected {
        QSet<QString> targets;
        QJsonObject weights;
        const char *format;
    };
    const QString layer = QStringLiteral("model.layers.0.");
    const std::vector<Expected> expected{
        {{layer + QStringLiteral("self_attn.q_proj"), layer + QStringLiteral("self_attn.k_proj")},
         weights(4, "int", false, "group", 16, QJsonValue::Null, "mse"),
         "pack-quantized"},
        {{layer + QStringLiteral("self_attn.v_proj")},
         weights(8, "int", true, "channel", QJsonValue::Null, QJsonValue::Null, "mse"),
         "pack-quantized"},
        {{layer + QStringLiteral("mlp.up_proj"), layer + QStringLiteral("mlp.gate_proj")},
         weights(8, "float", true, "block", QJsonValue::Null, QJsonArray{16, 16}, "mse"),
         "float-quantized"},
        {{layer + QStringLiteral("mlp.down_proj")},
         weights(4, "float", true, "tensor_group", 16, QJsonValue::Null, "minmax"),
         "nvfp4-pack-quantized"},
    };
    const QJsonObject groups = qc.value(QStringLiteral("config_groups")).toObject();
    QCOMPARE(groups.size(), int(expected.size()));
    for (int i = 0; i < groups.size(); ++i)
        QVERIFY(groups.contains(QStringLiteral("group_%1").arg(i)));
    for (const Expected &e : expected) {
        bool found = false;
        for (const QJsonValue &value : groups) {
            const QJsonObject group = value.toObject();
            if (stringSet(group.value(QStringLiteral("targets"))) != e.targets)
                continue;
            found = true;
            QCOMPARE(group.keys().size(), 5);
            QCOMPARE(group.value(QStringLiteral("weights")).toObject(), e.weights);
            QVERIFY(group.value(QStringLiteral("input_activations")).isNull());
            QVERIFY(group.value(QStringLiteral("output_activations")).isNull());
            QCOMPARE(group.value(QStringLiteral("format")).toString(), QLatin1String(e.format));
        }
        QVERIFY2(found, qPrintable(e.targets.values().join(QLatin1Char(','))));
    }
}

void TestCompressedTensors::exportMergesConfigJson() {
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("model.safetensors"));
    QVERIFY(writeModel(model).ok());
    // A Hugging Face config.json with an older quantization_config to replace.
    writeText(dir.filePath(QStringLiteral("config.json")),
              R"({"architectures":["LlamaForCausalLM"],"hidden_size":32,"torch_dtype":"bfloat16",
                  "quantization_config":{"quant_method":"gptq","bits":8}})");
    const auto reader = openCheckpoint(model.toStdString());
    QVERIFY(reader);
    QuantPlan plan;
    plan.defaults = scheme(R"({"bits":4,"granularity":"group:32"})");
    const QString out = dir.filePath(QStringLiteral("merged.json"));
    const Exporter *exporter = findExporter("compressed-tensors", false);
    const auto outcome = exporter->write(job(*reader.value(), plan, out));
    QVERIFY2(outcome, outcome.error().c_str());

    const QJsonObject root = readJson(out);
    QCOMPARE(root.value(QStringLiteral("architectures")).toArray(),
             QJsonArray{QStringLiteral("LlamaForCausalLM")});
    QCOMPARE(root.value(QStringLiteral("hidden_size")).toInt(), 32);
    QCOMPARE(root.value(QStringLiteral("torch_dtype")).toString(), QStringLiteral("bfloat16"));
    QCOMPARE(root.keys().size(), 4);
    const QJsonObject qc = root.value(QStringLiteral("quantization_config")).toObject();
    QCOMPARE(qc.value(QStringLiteral("quant_method")).toString(), QStringLiteral("compressed-tensors"));
    QVERIFY(!qc.contains(QStringLiteral("bits")));
    // One scheme: one group, and the format at the top level only.
    QCOMPARE(qc.value(QStringLiteral("format")).toString(), QStringLiteral("pack-quantized"));
    const QJsonObject groups = qc.value(QStringLiteral("config_groups")).toObject();
    QCOMPARE(groups.keys(), QStringList{QStringLiteral("group_0")});
    const QJsonObject group = groups.value(QStringLiteral("group_0")).toObject();
    QVERIFY(!group.contains(QStringLiteral("format")));
    QCOMPARE(group.value(QStringLiteral("weights")).toObject(),
             weights(4, "int", true, "group", 32, QJsonValue::Null, "minmax"));
    QCOMPARE(group.value(QStringLiteral("targets")).toArray().size(), 7);

    // The checkpoint's own config.json is never overwritten.
    const auto refused =
        exporter->write(job(*reader.value(), plan, dir.filePath(QStringLiteral("config.json"))));
    QVERIFY(!refused);
    QVERIFY(refused.error().find("own config.json") != std::string::npos);
    QVERIFY(readJson(dir.filePath(QStringLiteral("config.json"))).contains(QStringLiteral("hidden_size")));
}

void TestCompressedTensors::exportRefusesGgmlTypes() {
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("model.safetensors"));
    QVERIFY(writeModel(model).ok());
    const auto reader = openCheckpoint(model.toStdString());
    QVERIFY(reader);
    QuantPlan plan;
    plan.defaults = scheme(R"({"format":"q4_k"})");
    plan.overrides.emplace(kQ, PlanOverride{false, scheme(R"({"format":"nf4"})")});
    const QString out = dir.filePath(QStringLiteral("never.json"));
    const Status checked = findExporter("compressed-tensors", false)->check(job(*reader.value(), plan, out));
    QVERIFY(!checked.ok());
    // Only gate_proj has rows of 256 for q4_k (the others are skipped, so stay as stored).
    const std::string &error = checked.error();
    QVERIFY2(error.find("q4_k has no compressed-tensors form") != std::string::npos, error.c_str());
    QVERIFY2(error.find(kGate) != std::string::npos, error.c_str());
    QVERIFY2(error.find("nf4 has no compressed-tensors form") != std::string::npos, error.c_str());
    QVERIFY2(error.find(kQ) != std::string::npos, error.c_str());
    QVERIFY(!QFile::exists(out));
}

void TestCompressedTensors::cannotExpress_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("reason"); // empty when expressible
    QTest::newRow("int4 group") << R"({"bits":4,"granularity":"group:128"})" << QString();
    QTest::newRow("int2 asym") << R"({"bits":2,"scheme":"asymmetric"})" << QString();
    QTest::newRow("int8 block") << R"({"bits":8,"granularity":"block:16x16"})" << QString();
    QTest::newRow("fp8 channel mse") << R"({"format":"fp8_e4m3","granularity":"channel","method":"mse"})"
                                     << QString();
    QTest::newRow("nvfp4") << R"({"format":"nvfp4"})" << QString();
    QTest::newRow("mxfp4") << R"({"format":"mxfp4"})" << QString();
    QTest::newRow("int12") << R"({"bits":12})" << QStringLiteral("int12 has no compressed-tensors form");
    QTest::newRow("narrow") << R"({"bits":8,"narrow":true})" << QStringLiteral("narrow-range int");
    QTest::newRow("e5m2") << R"({"format":"fp8_e5m2"})" << QStringLiteral("fp8_e5m2 has no");
    QTest::newRow("mxfp8") << R"({"format":"mxfp8"})" << QStringLiteral("mxfp8 has no");
    QTest::newRow("q8_0") << R"({"format":"q8_0"})" << QStringLiteral("llama.cpp block type");
    QTest::newRow("percentile") << R"({"bits":8,"method":"percentile:99.9"})"
                                << QStringLiteral("method percentile has no");
    QTest::newRow("hqq") << R"({"bits":4,"scheme":"asymmetric","granularity":"group:64","method":"hqq"})"
                         << QStringLiteral("method hqq");
    QTest::newRow("clip") << R"({"bits":8,"clip":[-1,1]})" << QStringLiteral("a fixed clip");
    QTest::newRow("clip ratio") << R"({"bits":8,"clip_ratio":0.9})" << QStringLiteral("clip_ratio 0.9");
    QTest::newRow("channel 1") << R"({"bits":8,"granularity":"channel:1"})"
                               << QStringLiteral("channel axis 1");
}

// llm-compressor errors on a group strategy whose groups do not tile a layer's input columns
// (group_size_validation: "Runtime/save kernels require columns % group_size == 0"), so the
// exporters refuse such a tensor by name rather than write a checkpoint it would reject.
void TestCompressedTensors::groupsMustTileColumns() {
    const auto group = [](const char *json) { return mergeScheme(QuantSpec{}, scheme(json)).value(); };
    const auto why =
        compressedTensorsCannotExpress(group(R"({"bits":4,"granularity":"group:128"})"), {8, 200});
    QVERIFY(why);
    QVERIFY2(why->find("200 columns are not a multiple of group_size 128") != std::string::npos,
             why->c_str());
    QVERIFY(!compressedTensorsCannotExpress(group(R"({"bits":4,"granularity":"group:128"})"), {200, 256}));
    QVERIFY(
        compressedTensorsCannotExpress(group(R"({"format":"fp8_e4m3","granularity":"group:64"})"), {4, 96}));
    QVERIFY(
        !compressedTensorsCannotExpress(group(R"({"format":"fp8_e4m3","granularity":"group:32"})"), {4, 96}));
    // Per channel and per tensor have no group to tile.
    QVERIFY(!compressedTensorsCannotExpress(group(R"({"bits":8,"granularity":"channel"})"), {8, 200}));
    QVERIFY(!compressedTensorsCannotExpress(group(R"({"bits":8})"), {8, 200}));
}

void TestCompressedTensors::cannotExpress() {
    QFETCH(QString, json);
    QFETCH(QString, reason);
    const Result<QuantSpec> spec = mergeScheme(QuantSpec{}, scheme(json.toUtf8().constData()));
    QVERIFY2(spec, spec.error().c_str());
    const auto why = compressedTensorsCannotExpress(spec.value(), {256, 256});
    if (reason.isEmpty()) {
        QVERIFY2(!why, why ? why->c_str() : "");
        // A 3-D tensor has no Linear strategy even for an expressible scheme.
        QVERIFY(compressedTensorsCannotExpress(spec.value(), {2, 256, 256}));
    } else {
        QVERIFY(why);
        QVERIFY2(QString::fromStdString(*why).contains(reason), why->c_str());
    }
}

void TestCompressedTensors::importRoundTrip() {
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("model.safetensors"));
    QVERIFY(writeModel(model).ok());
    const auto reader = openCheckpoint(model.toStdString());
    QVERIFY(reader);
    const QuantPlan plan = mixedPlan();
    const Exporter *exporter = findExporter("compressed-tensors", false);
    const QString bare = dir.filePath(QStringLiteral("bare.json"));
    QVERIFY(exporter->write(job(*reader.value(), plan, bare)));
    // The same block merged into a config.json also loads.
    writeText(dir.filePath(QStringLiteral("config.json")), R"({"model_type":"llama"})");
    const QString merged = dir.filePath(QStringLiteral("merged.json"));
    QVERIFY(exporter->write(job(*reader.value(), plan, merged)));
    // Only the bare block: strip the outer object.
    const QJsonObject block = readJson(bare).value(QStringLiteral("quantization_config")).toObject();
    const QString blockFile = dir.filePath(QStringLiteral("block.json"));
    writeText(blockFile, QJsonDocument(block).toJson());

    for (const QString &path : {bare, merged, blockFile}) {
        const Result<QuantPlan> loaded = loadPlan(path.toStdString());
        QVERIFY2(loaded, loaded.error().c_str());
        for (const TensorInfo &info : reader.value()->tensors()) {
            const TensorResolution want = resolve(plan, info.name, info.shape);
            const TensorResolution got = resolve(loaded.value(), info.name, info.shape);
            QVERIFY2(want.quantized() == got.quantized(), info.name.c_str());
            if (want.quantized())
                QVERIFY2(want.spec == got.spec, info.name.c_str());
        }
    }
}

// W4A16 as llm-compressor writes it for its preset scheme (compressed-tensors' quant_scheme.py
// W4A16: int 4-bit symmetric, group 128, targets ["Linear"], ignore ["lm_head"]), the layout of
// the config.json of a model compressed with `QuantizationModifier(targets="Linear",
// scheme="W4A16", ignore=["lm_head"])`, typed in by hand with the keys every such file has.
constexpr const char *kW4A16Config = R"({
  "architectures": ["LlamaForCausalLM"],
  "model_type": "llama",
  "quantization_config": {
    "config_groups": {
      "group_0": {
        "input_activations": null,
        "output_activations": null,
        "targets": ["Linear"],
        "weights": {
          "actorder": null,
          "block_structure": null,
          "dynamic": false,
          "group_size": 128,
          "num_bits": 4,
          "observer": "minmax",
          "observer_kwargs": {},
          "strategy": "group",
          "symmetric": true,
          "type": "int"
        }
      }
    },
    "format": "pack-quantized",
    "global_compression_ratio": null,
    "ignore": ["lm_head"],
    "kv_cache_scheme": null,
    "quant_method": "compressed-tensors",
    "quantization_status": "compressed"
  }
})";

// FP8_DYNAMIC (quant_scheme.py): fp8 per-channel weights, activations per token at run time; the
// MoE router gates ignored by a regex as llm-compressor's examples do.
constexpr const char *kFp8DynamicConfig = R"({
  "quantization_config": {
    "config_groups": {
      "group_0": {
        "input_activations": {"actorder": null, "block_structure": null, "dynamic": true,
                              "group_size": null, "num_bits": 8, "observer": null,
                              "observer_kwargs": {}, "strategy": "token", "symmetric": true,
                              "type": "float"},
        "output_activations": null,
        "targets": ["Linear"],
        "weights": {"actorder": null, "block_structure": null, "dynamic": false,
                    "group_size": null, "num_bits": 8, "observer": "minmax",
                    "observer_kwargs": {}, "strategy": "channel", "symmetric": true,
                    "type": "float"}
      }
    },
    "format": "float-quantized",
    "ignore": ["lm_head", "re:.*mlp.gate$"],
    "kv_cache_scheme": null,
    "quant_method": "compressed-tensors",
    "quantization_status": "compressed"
  }
})";

void TestCompressedTensors::importLlmCompressorConfig() {
    QTemporaryDir dir;
    const QString w4a16 = dir.filePath(QStringLiteral("config.json"));
    writeText(w4a16, kW4A16Config);
    const Result<QuantPlan> plan = loadPlan(w4a16.toStdString());
    QVERIFY2(plan, plan.error().c_str());
    QuantSpec int4 = intSpec(4, Scheme::Symmetric);
    int4.granularity = {Granularity::Kind::Group, 0, 128, 0, 0};
    for (const std::string &name : {kQ, kK, kV, kO, kUp, kGate, kDown}) {
        const TensorResolution r = resolve(plan.value(), name, {256, 256});
        QVERIFY2(r.quantized(), name.c_str());
        QVERIFY2(r.spec == int4, name.c_str());
    }
    // Not Linear (norm, embedding) or ignored (lm_head): kept.
    QVERIFY(resolve(plan.value(), kNorm, {256}).kept());
    QVERIFY(resolve(plan.value(), kEmbed, {1024, 256}).kept());
    QVERIFY(resolve(plan.value(), kHead, {1024, 256}).kept());
    QVERIFY(resolve(plan.value(), "model.layers.0.self_attn.q_proj.bias", {256}).kept());

    const QString fp8 = dir.filePath(QStringLiteral("fp8.json"));
    writeText(fp8, kFp8DynamicConfig);
    const Result<QuantPlan> fp8Plan = loadPlan(fp8.toStdString());
    QVERIFY2(fp8Plan, fp8Plan.error().c_str());
    QuantSpec fp8Channel;
    fp8Channel.format = NumberFormat::Fp8E4M3;
    fp8Channel.granularity = {Granularity::Kind::Channel, 0, 0, 0, 0};
    const TensorResolution up = resolve(fp8Plan.value(), kUp, {256, 256});
    QVERIFY(up.quantized());
    QVERIFY(up.spec == fp8Channel);
    // "re:.*mlp.gate$" matches the module model.layers.0.mlp.gate, not gate_proj.
    QVERIFY(resolve(fp8Plan.value(), "model.layers.0.mlp.gate.weight", {8, 256}).kept());
    QVERIFY(resolve(fp8Plan.value(), kGate, {256, 256}).quantized());
    QVERIFY(resolve(fp8Plan.value(), kHead, {1024, 256}).kept());
}

void TestCompressedTensors::importRegexTargets() {
    // Exact names, an end-anchored regex and an unanchored one (a prefix, as re.match selects);
    // lm_head is not ignored, so the Linear group takes it.
    const QJsonObject config = QJsonDocument::fromJson(R"({"config_groups": {
            "group_0": {"targets": ["re:.*self_attn\\.(q|k)_proj$"],
                        "weights": {"num_bits": 4, "type": "int", "symmetric": false, "strategy": "channel"}},
            "group_1": {"targets": ["re:model\\.layers\\.0\\.mlp"],
                        "weights": {"num_bits": 8, "type": "int", "symmetric": true, "strategy": "tensor"}},
            "group_2": {"targets": ["model.layers.0.self_attn.v_proj"],
                        "weights": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16}},
            "group_10": {"targets": ["Linear"],
                         "weights": {"num_bits": 2, "type": "int", "group_size": 64}}},
           "ignore": ["model.layers.0.mlp.down_proj"],
           "quant_method": "compressed-tensors"})")
                                   .object();
    const Result<QuantPlan> plan = planFromCompressedTensors(config, "test");
    QVERIFY2(plan, plan.error().c_str());
    const std::vector<std::int64_t> shape{256, 256};
    QuantSpec asym4 = intSpec(4, Scheme::Asymmetric);
    asym4.granularity = {Granularity::Kind::Channel, 0, 0, 0, 0};
    QVERIFY(resolve(plan.value(), kQ, shape).spec == asym4);
    QVERIFY(resolve(plan.value(), kK, shape).spec == asym4);
    QVERIFY(resolve(plan.value(), kUp, shape).spec == intSpec(8, Scheme::Symmetric));
    QVERIFY(resolve(plan.value(), kGate, shape).spec == intSpec(8, Scheme::Symmetric));
    QVERIFY(resolve(plan.value(), kDown, shape).kept());
    QCOMPARE(resolve(plan.value(), kV, shape).spec.format, NumberFormat::NvFp4);
    QuantSpec int2 = intSpec(2, Scheme::Symmetric);
    int2.granularity = {Granularity::Kind::Group, 0, 64, 0, 0};
    QVERIFY(resolve(plan.value(), kO, shape).spec == int2);
    QVERIFY(resolve(plan.value(), kHead, shape).spec == int2);
    QVERIFY(resolve(plan.value(), kNorm, {256}).kept());
    // group_10 comes after group_2 (numeric order): the regex rules come first.
    QCOMPARE(plan->rules.size(), std::size_t(3));
    QCOMPARE(plan->rules.back().pattern.text(), std::string(R"(re:.*\.weight)"));
}

void TestCompressedTensors::importRefusals_data() {
    QTest::addColumn<QString>("config");
    QTest::addColumn<QString>("error");
    const QString args =
        QStringLiteral(R"("num_bits": 4, "type": "int", "strategy": "group", "group_size": 128)");
    QTest::newRow("actorder group")
        << QStringLiteral(
               R"({"config_groups": {"group_0": {"targets": ["Linear"], "weights": {%1, "actorder": "group"}}}})")
               .arg(args)
        << QStringLiteral("config_groups.group_0.weights.actorder \"group\"");
    QTest::newRow("dynamic weights")
        << QStringLiteral(
               R"({"config_groups": {"group_0": {"targets": ["Linear"], "weights": {%1, "dynamic": true}}}})")
               .arg(args)
        << QStringLiteral("config_groups.group_0.weights.dynamic true");
    QTest::newRow("observer")
        << QStringLiteral(
               R"({"config_groups": {"g": {"targets": ["Linear"], "weights": {%1, "observer": "hqq"}}}})")
               .arg(args)
        << QStringLiteral("config_groups.g.weights.observer \"hqq\"");
    QTest::newRow("int16")
        << QStringLiteral(
               R"({"config_groups": {"group_1": {"targets": ["Linear"], "weights": {"num_bits": 16}}}})")
        << QStringLiteral("config_groups.group_1.weights.num_bits 16");
    QTest::newRow("class")
        << QStringLiteral(R"({"config_groups": {"group_0": {"targets": ["Conv2d"], "weights": {%1}}}})")
               .arg(args)
        << QStringLiteral("config_groups.group_0.targets[0]: \"Conv2d\" is a module class");
    QTest::newRow("transform")
        << QStringLiteral(R"({"config_groups": {}, "transform_config": {"config_groups": {"u": {}}}})")
        << QStringLiteral("transform_config");
    QTest::newRow("gptq") << QStringLiteral(R"({"quantization_config": {"quant_method": "gptq", "bits": 4}})")
                          << QStringLiteral("quant_method \"gptq\" is not \"compressed-tensors\"");
    QTest::newRow("no block") << QStringLiteral(R"({"architectures": ["LlamaForCausalLM"]})")
                              << QStringLiteral("without a quantization_config");
}

void TestCompressedTensors::importRefusals() {
    QFETCH(QString, config);
    QFETCH(QString, error);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("config.json"));
    writeText(path, config.toUtf8());
    const Result<QuantPlan> plan = loadPlan(path.toStdString());
    QVERIFY(!plan);
    QVERIFY2(QString::fromStdString(plan.error()).contains(error), plan.error().c_str());
    QVERIFY(plan.error().starts_with(path.toStdString()));
}

void TestCompressedTensors::llamaTypesHfNames() {
    QTemporaryDir dir;
    const QString demo = dir.filePath(QStringLiteral("demo.safetensors"));
    QVERIFY(writeDemoCheckpoint(demo.toStdString()).ok());
    const auto reader = openCheckpoint(demo.toStdString());
    QVERIFY(reader);
    QuantPlan plan;
    plan.defaults = scheme(R"({"format":"q4_k"})");
    plan.rules.push_back({NamePattern::parse("*.v_proj.weight").value(), scheme(R"({"format":"q6_k"})")});
    plan.rules.push_back(
        {NamePattern::parse("re:.*\\.mlp\\.up_proj\\.weight").value(), scheme(R"({"format":"q8_0"})")});
    const QString out = dir.filePath(QStringLiteral("types.txt"));
    const Exporter *exporter = findExporter("llama-cpp-types", false);
    QVERIFY(exporter);
    const ExportJob j = job(*reader.value(), plan, out);
    QVERIFY(exporter->check(j).ok());
    const auto outcome = exporter->write(j);
    QVERIFY2(outcome, outcome.error().c_str());
    QCOMPARE(outcome->written.size(), std::size_t(2));

    // The demo (democheckpoint.cpp): 4 layers, hidden 512, intermediate 1376 (not a multiple of
    // 256, so down_proj is skipped by q4_k and stays BF16), a BF16 embedding and lm_head kept by
    // the default ignore list, F32 norms that llama-quantize never touches.
    QStringList expected{QStringLiteral("^token_embd\\.weight$=bf16"),
                         QStringLiteral("^output\\.weight$=bf16")};
    for (int layer = 0; layer < 4; ++layer) {
        const QString blk = QStringLiteral("^blk\\.%1\\.").arg(layer);
        expected << blk + QStringLiteral("attn_q\\.weight$=q4_K")
                 << blk + QStringLiteral("attn_k\\.weight$=q4_K")
                 << blk + QStringLiteral("attn_v\\.weight$=q6_K")
                 << blk + QStringLiteral("attn_output\\.weight$=q4_K")
                 << blk + QStringLiteral("ffn_gate\\.weight$=q4_K")
                 << blk + QStringLiteral("ffn_up\\.weight$=q8_0")
                 << blk + QStringLiteral("ffn_down\\.weight$=bf16");
    }
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    lines.sort();
    expected.sort();
    QCOMPARE(lines, expected);

    QFile command(out + QStringLiteral(".cmdline.txt"));
    QVERIFY(command.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(command.readAll());
    QVERIFY(text.startsWith(QStringLiteral("llama-quantize \\\n")));
    QVERIFY(text.contains(QStringLiteral("  --tensor-type '^blk\\.2\\.attn_v\\.weight$=q6_K' \\\n")));
    QCOMPARE(text.count(QStringLiteral("--tensor-type ")), expected.size());
    // Most quantized parameters are q4_K (q, k, o, gate): the base type.
    QVERIFY2(text.endsWith(QStringLiteral("'model-f16.gguf' 'model-quantized.gguf' Q4_K\n")),
             qPrintable(text));
}

void TestCompressedTensors::llamaTypesGgufNames() {
    QTemporaryDir dir;
    test::GgufBuilder gguf;
    gguf.string("general.architecture", "llama");
    gguf.f32("token_embd.weight", {64, 4}, wave(256));
    gguf.f32("blk.0.attn_norm.weight", {64}, wave(64));
    gguf.f32("blk.0.attn_q.weight", {64, 4}, wave(256));
    gguf.f32("blk.0.ffn_down.weight", {64, 4}, wave(256));
    gguf.f32("output.weight", {64, 4}, wave(256));
    const QString path = dir.filePath(QStringLiteral("model.gguf"));
    writeText(path, gguf.build());
    const auto reader = openCheckpoint(path.toStdString());
    QVERIFY2(reader, reader.error().c_str());
    QuantPlan plan;
    plan.defaults = scheme(R"({"format":"q4_0"})");
    plan.overrides.emplace("blk.0.ffn_down.weight", PlanOverride{false, scheme(R"({"format":"q5_1"})")});
    const QString out = dir.filePath(QStringLiteral("types.txt"));
    const auto outcome = findExporter("llama-cpp-types", false)->write(job(*reader.value(), plan, out));
    QVERIFY2(outcome, outcome.error().c_str());
    QFile file(out);
    QVERIFY(file.open(QIODevice::ReadOnly));
    // GGUF names as they are, in file order; the 1-D norm is left out.
    QCOMPARE(QString::fromUtf8(file.readAll()), QStringLiteral("^token_embd\\.weight$=f32\n"
                                                               "^blk\\.0\\.attn_q\\.weight$=q4_0\n"
                                                               "^blk\\.0\\.ffn_down\\.weight$=q5_1\n"
                                                               "^output\\.weight$=f32\n"));
    QFile command(out + QStringLiteral(".cmdline.txt"));
    QVERIFY(command.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(command.readAll());
    // q4_0 and q5_1 hold as many parameters; the first in name order is the base type.
    QVERIFY2(text.endsWith(QLatin1Char('\'') + path + QStringLiteral("' 'model-quantized.gguf' Q4_0\n")),
             qPrintable(text));
}

void TestCompressedTensors::llamaTypesRefusesInt() {
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("model.safetensors"));
    QVERIFY(writeModel(model).ok());
    const auto reader = openCheckpoint(model.toStdString());
    QVERIFY(reader);
    QuantPlan plan;
    plan.defaults = scheme(R"({"bits":4})");
    plan.overrides.emplace(kUp, PlanOverride{false, scheme(R"({"format":"nvfp4"})")});
    const Status checked = findExporter("llama-cpp-types", false)
                               ->check(job(*reader.value(), plan, dir.filePath(QStringLiteral("t.txt"))));
    QVERIFY(!checked.ok());
    QVERIFY2(checked.error().find("int has no llama.cpp tensor type (" + kQ) != std::string::npos,
             checked.error().c_str());
    QVERIFY2(checked.error().find("nvfp4 has no llama.cpp tensor type (" + kUp + ")") != std::string::npos,
             checked.error().c_str());
}

QTEST_GUILESS_MAIN(TestCompressedTensors)
#include "tst_compressedtensors.moc"
