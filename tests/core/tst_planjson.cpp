#include "plan/planjson.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

using namespace qs;

namespace {

// The plan of the whole-model issue, verbatim.
const char *const kExample = R"({"format": "quantscope-plan", "version": 1,
 "default": {"format": "int", "bits": 4, "scheme": "symmetric", "granularity": "group:128", "method": "minmax"},
 "rules": [{"match": "*.mlp.down_proj.weight", "scheme": {"bits": 8, "granularity": "channel"}},
           {"match": "re:.*\\.v_proj\\.weight", "scheme": {"format": "q8_0"}}],
 "ignore": ["*.k_proj.weight"], "ignore_defaults": true,
 "overrides": {"model.layers.0.self_attn.q_proj.weight": {"format": "q6_k"},
               "model.layers.1.mlp.up_proj.weight": "keep"}})";

QJsonObject exampleObject() {
    return QJsonDocument::fromJson(kExample).object();
}

std::string toText(const QJsonObject &object) {
    return QJsonDocument(object).toJson().toStdString();
}

// Sets (or, for an undefined value, removes) the member at a path such as "rules/0/scheme/bits".
QJsonValue withMember(const QJsonValue &node, QStringList path, const QJsonValue &value) {
    if (path.isEmpty())
        return value;
    const QString head = path.takeFirst();
    if (node.isArray()) {
        QJsonArray array = node.toArray();
        const int i = head.toInt();
        array[i] = withMember(array[i], path, value);
        return array;
    }
    QJsonObject object = node.toObject();
    const QJsonValue child = withMember(object.value(head), path, value);
    if (child.isUndefined())
        object.remove(head);
    else
        object.insert(head, child);
    return object;
}

// "" stands for removing the member; anything else is the JSON text of its new value.
QJsonValue parseValue(const QString &text) {
    if (text.isEmpty())
        return QJsonValue(QJsonValue::Undefined);
    return QJsonDocument::fromJson(QStringLiteral("[%1]").arg(text).toUtf8()).array().at(0);
}

struct Expected {
    const char *name;
    std::vector<std::int64_t> shape;
    PlanLayer layer;
    int ruleIndex;
    KeepReason keep;
    NumberFormat format; ///< when not kept
    int bits;            ///< int only
    const char *granularity;
};

} // namespace

// Plan files: the issue's example, exact round trips, strict errors, files and config import.
class TestPlanJson : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exampleResolves();
    void exampleRoundTrip();
    void everyKeyRoundTrip();
    void minimalPlan();
    void errors_data();
    void errors();
    void notAPlan();
    void saveAndLoad();
    void failedSaveKeepsFile();
    void loadErrorsNameTheFile();
    void configImportsAsOverrides();
    void scaleDtypeKey();
};

void TestPlanJson::exampleResolves() {
    const Result<QuantPlan> plan = planFromJson(kExample, "plan.json");
    QVERIFY2(plan.ok(), plan.error().c_str());
    using L = PlanLayer;
    using K = KeepReason;
    using F = NumberFormat;
    const std::vector<std::int64_t> square{4096, 4096};
    const std::vector<std::int64_t> up{11008, 4096};
    const std::vector<std::int64_t> down{4096, 11008};
    const std::vector<std::int64_t> vector{4096};
    // Worked by hand from the issue's precedence: default int4 group:128; rule 0 gives down_proj
    // int8 per channel; rule 1 v_proj q8_0 (bits and group:128 dropped); k_proj ignored by the
    // user; 1-D, embeddings and lm_head by default; the two overrides win over everything.
    const std::vector<Expected> table = {
        {"model.embed_tokens.weight", {32000, 4096}, L::Ignore, -1, K::Embedding, F::Int, 0, ""},
        {"model.layers.0.input_layernorm.weight", vector, L::Ignore, -1, K::OneDimensional, F::Int, 0, ""},
        {"model.layers.0.self_attn.q_proj.weight", square, L::Override, -1, K::None, F::Q6_K, 0, "tensor"},
        {"model.layers.0.self_attn.k_proj.weight", square, L::Ignore, -1, K::UserIgnore, F::Int, 0, ""},
        {"model.layers.0.self_attn.v_proj.weight", square, L::Rule, 1, K::None, F::Q8_0, 0, "tensor"},
        {"model.layers.0.self_attn.v_proj.weight.absmax",
         {2, 64},
         L::Default,
         -1,
         K::None,
         F::Int,
         4,
         "group:128"},
        {"model.layers.0.self_attn.o_proj.weight", square, L::Default, -1, K::None, F::Int, 4, "group:128"},
        {"model.layers.0.mlp.gate_proj.weight", up, L::Default, -1, K::None, F::Int, 4, "group:128"},
        {"model.layers.0.mlp.up_proj.weight", up, L::Default, -1, K::None, F::Int, 4, "group:128"},
        {"model.layers.0.mlp.down_proj.weight", down, L::Rule, 0, K::None, F::Int, 8, "channel"},
        {"model.layers.0.post_attention_layernorm.weight", vector, L::Ignore, -1, K::OneDimensional, F::Int,
         0, ""},
        {"model.layers.1.self_attn.q_proj.weight", square, L::Default, -1, K::None, F::Int, 4, "group:128"},
        {"model.layers.1.self_attn.v_proj.bias", vector, L::Ignore, -1, K::OneDimensional, F::Int, 0, ""},
        {"model.layers.1.mlp.up_proj.weight", up, L::Override, -1, K::OverrideKeep, F::Int, 0, ""},
        {"model.layers.1.mlp.down_proj.weight", down, L::Rule, 0, K::None, F::Int, 8, "channel"},
        {"model.norm.weight", vector, L::Ignore, -1, K::OneDimensional, F::Int, 0, ""},
        {"lm_head.weight", {32000, 4096}, L::Ignore, -1, K::OutputHead, F::Int, 0, ""},
    };
    for (const Expected &e : table) {
        const TensorResolution r = resolve(plan.value(), e.name, e.shape);
        const QByteArray name(e.name);
        QVERIFY2(r.layer == e.layer, name);
        QVERIFY2(r.ruleIndex == e.ruleIndex, name);
        QVERIFY2(r.keep == e.keep, name);
        if (r.kept())
            continue;
        QVERIFY2(r.quantized(), (name + ": " + r.skipped.c_str()).constData());
        QVERIFY2(r.spec.format == e.format, name);
        QVERIFY2(granularityName(r.spec.granularity) == e.granularity, name);
        if (e.format == F::Int) {
            QVERIFY2(r.spec.bits == e.bits, name);
            QVERIFY2(r.spec.scheme == Scheme::Symmetric && r.spec.method == CalibMethod::MinMax, name);
        }
    }
}

void TestPlanJson::exampleRoundTrip() {
    const Result<QuantPlan> plan = planFromJson(kExample, "plan.json");
    QVERIFY2(plan.ok(), plan.error().c_str());
    const std::string written = planToJson(plan.value());
    // Only the keys the file gave come back, with the same values.
    QCOMPARE(QJsonDocument::fromJson(QByteArray::fromStdString(written)).object(), exampleObject());
    const Result<QuantPlan> again = planFromJson(written, "again.json");
    QVERIFY2(again.ok(), again.error().c_str());
    QVERIFY(again.value() == plan.value());
    QCOMPARE(planToJson(again.value()), written);
}

void TestPlanJson::everyKeyRoundTrip() {
    QJsonObject root = exampleObject();
    const char *const schemes = R"([
        {"format": "int", "bits": 6, "scheme": "symmetric", "narrow": true, "granularity": "tensor",
         "method": "minmax", "clip": [-0.3, 0.25]},
        {"format": "int", "bits": 3, "scheme": "asymmetric", "granularity": "group:64", "method": "hqq"},
        {"bits": 8, "granularity": "tensor", "method": "percentile:99.9"},
        {"granularity": "block:16x32", "clip_ratio": 0.875},
        {"format": "fp8_e4m3", "granularity": "channel:1", "method": "mse"},
        {"format": "nf4"}, {}])";
    QJsonArray rules;
    int i = 0;
    for (const QJsonValue scheme : QJsonDocument::fromJson(schemes).array())
        rules.append(QJsonObject{{QStringLiteral("match"), QStringLiteral("re:layer%1\\..*").arg(i++)},
                                 {QStringLiteral("scheme"), scheme}});
    root.insert(QStringLiteral("rules"), rules);
    root.insert(QStringLiteral("ignore_defaults"), false);
    root.insert(QStringLiteral("ignore"), QJsonArray{QStringLiteral("a?b*"), QStringLiteral("re:x|y")});
    const Result<QuantPlan> plan = planFromJson(toText(root), "plan.json");
    QVERIFY2(plan.ok(), plan.error().c_str());
    QCOMPARE(plan->rules.size(), std::size_t(7));
    QCOMPARE(plan->rules[2].scheme.percentile, 99.9);
    QCOMPARE(plan->rules[0].scheme.clip, std::optional<ClipRange>(ClipRange{-0.3, 0.25}));
    QVERIFY(plan->rules[6].scheme.empty());
    QVERIFY(!plan->ignoreDefaults);
    const std::string written = planToJson(plan.value());
    QCOMPARE(QJsonDocument::fromJson(QByteArray::fromStdString(written)).object(), root);
    QVERIFY(planFromJson(written, "again.json").value() == plan.value());
}

void TestPlanJson::minimalPlan() {
    // Only format and version: the default is int8 symmetric per tensor, no rules, defaults on.
    const Result<QuantPlan> plan = planFromJson(R"({"format": "quantscope-plan", "version": 1})", "p");
    QVERIFY2(plan.ok(), plan.error().c_str());
    QVERIFY(plan.value() == QuantPlan{});
    QCOMPARE(defaultSpec(plan.value()).value(), QuantSpec{});
}

void TestPlanJson::errors_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    const QString rule0 = QStringLiteral("plan.json: rules[0] (*.mlp.down_proj.weight): ");
    const QString q6 = QStringLiteral("plan.json: overrides[\"model.layers.0.self_attn.q_proj.weight\"]: ");
    QTest::addRow("unknown top key")
        << "colour"
        << "1"
        << "plan.json: unknown key \"colour\" (expected format, version, default, "
           "rules, ignore, ignore_defaults, overrides, resolved)";
    QTest::addRow("unknown scheme key") << "default/bitz"
                                        << "4"
                                        << "plan.json: default: unknown key \"bitz\" (expected format, bits, "
                                           "scheme, narrow, granularity, method, clip, clip_ratio, "
                                           "scale_dtype)";
    QTest::addRow("unknown rule key") << "rules/0/when"
                                      << "1" << rule0 + "unknown key \"when\" (expected match, scheme)";
    QTest::addRow("unknown format")
        << "rules/1/scheme/format"
        << "\"q9_9\""
        << "plan.json: rules[1] (re:.*\\.v_proj\\.weight): scheme: unknown format "
           "\"q9_9\" (one of int, f16, bf16, fp8_e4m3";
    QTest::addRow("bad regex") << "rules/0/match"
                               << "\"re:(\""
                               << "plan.json: rules[0] (re:(): match: bad pattern \"re:(\"";
    QTest::addRow("bad ignore regex") << "ignore/0"
                                      << "\"re:[a\""
                                      << "plan.json: ignore[0]: bad pattern \"re:[a\"";
    QTest::addRow("ignore not a string") << "ignore/0"
                                         << "3"
                                         << "plan.json: ignore[0]: a pattern must be a string, not 3";
    QTest::addRow("missing version") << "version"
                                     << ""
                                     << "plan.json: version is missing (this program reads version 1)";
    QTest::addRow("wrong version") << "version"
                                   << "2"
                                   << "plan.json: version 2 is not supported (this program reads version 1)";
    QTest::addRow("text version") << "version"
                                  << "\"1\""
                                  << "plan.json: version must be an integer, not \"1\"";
    QTest::addRow("missing format") << "format"
                                    << ""
                                    << "plan.json: format is missing";
    QTest::addRow("config format")
        << "format"
        << "\"quantscope-config\""
        << "plan.json: format is \"quantscope-config\", expected \"quantscope-plan\" "
           "(a configuration imports into a plan as overrides)";
    QTest::addRow("clip lo > hi") << "rules/0/scheme/clip"
                                  << "[0.5, -0.5]"
                                  << rule0 + "scheme: clip lo must not exceed hi (got 0.5 > -0.5)";
    QTest::addRow("clip one number") << "rules/0/scheme/clip"
                                     << "[0.5]"
                                     << rule0 + "scheme: clip must be [lo, hi] with two numbers, not [0.5]";
    QTest::addRow("bits 1") << "default/bits"
                            << "1"
                            << "plan.json: default: bits must be an integer from 2 to 16, not 1";
    QTest::addRow("bits 17") << "rules/0/scheme/bits"
                             << "17" << rule0 + "scheme: bits must be an integer from 2 to 16, not 17";
    QTest::addRow("bits 4.5") << "default/bits"
                              << "4.5"
                              << "plan.json: default: bits must be an integer from 2 to 16, not 4.5";
    QTest::addRow("bits text") << "default/bits"
                               << "\"8\""
                               << "plan.json: default: bits must be an integer from 2 to 16, not \"8\"";
    QTest::addRow("explicit bits on q8_0")
        << "rules/1/scheme/bits"
        << "8"
        << "plan.json: rules[1] (re:.*\\.v_proj\\.weight): bits does not apply to q8_0";
    QTest::addRow("explicit granularity on q6_k")
        << "overrides/model.layers.0.self_attn.q_proj.weight/granularity"
        << "\"group:32\"" << q6 + "granularity does not apply to q6_k: it carries its own blocks of 256";
    QTest::addRow("explicit scale_dtype on q8_0")
        << "rules/1/scheme/scale_dtype"
        << "\"bf16\""
        << "plan.json: rules[1] (re:.*\\.v_proj\\.weight): scale_dtype does not apply to q8_0";
    QTest::addRow("bad scale_dtype")
        << "default/scale_dtype"
        << "\"fp16\""
        << "plan.json: default: scale_dtype must be \"f32\", \"f16\" or \"bf16\", "
           "not \"fp16\"";
    QTest::addRow("scale_dtype not a string") << "default/scale_dtype"
                                              << "16"
                                              << "plan.json: default: scale_dtype must be";
    QTest::addRow("bad scheme")
        << "default/scheme"
        << "\"sym\""
        << "plan.json: default: scheme must be \"symmetric\" or \"asymmetric\", not \"sym\"";
    QTest::addRow("bad narrow") << "default/narrow"
                                << "1"
                                << "plan.json: default: narrow must be true or false, not 1";
    QTest::addRow("bad granularity") << "default/granularity"
                                     << "\"group:0\""
                                     << "plan.json: default: granularity 'group:0'";
    QTest::addRow("bad method") << "default/method"
                                << "\"best\""
                                << "plan.json: default: method: unknown method 'best'";
    QTest::addRow("clip_ratio 0") << "default/clip_ratio"
                                  << "0"
                                  << "plan.json: default: clip_ratio must be a number in (0, 1], not 0";
    QTest::addRow("clip with mse") << "rules/0/scheme"
                                   << R"({"clip": [-1, 1], "method": "mse"})"
                                   << rule0 + "clip and method mse exclude each other: both set the range";
    QTest::addRow("override word") << "overrides/model.layers.1.mlp.up_proj.weight"
                                   << "\"drop\""
                                   << "plan.json: overrides[\"model.layers.1.mlp.up_proj.weight\"]: must be "
                                      "\"keep\" or a scheme object, not \"drop\"";
    QTest::addRow("rule keep") << "rules/0/scheme"
                               << "\"keep\""
                               << rule0 + "a rule cannot keep tensors; add its pattern to \"ignore\" instead";
    QTest::addRow("rule without match") << "rules/0/match"
                                        << ""
                                        << "plan.json: rules[0]: match is missing";
    QTest::addRow("rules not an array") << "rules"
                                        << "{}"
                                        << "plan.json: rules must be an array, not {}";
    QTest::addRow("ignore_defaults text") << "ignore_defaults"
                                          << "\"yes\""
                                          << "plan.json: ignore_defaults must be true or false, not \"yes\"";
    QTest::addRow("empty override name") << "overrides/"
                                         << "\"keep\""
                                         << "plan.json: overrides: a tensor name must not be empty";
    QTest::addRow("default not object") << "default"
                                        << "\"int4\""
                                        << "plan.json: default: a scheme must be a JSON object, not \"int4\"";
}

void TestPlanJson::errors() {
    QFETCH(QString, path);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    const QJsonValue root = withMember(exampleObject(), path.split(QLatin1Char('/')), parseValue(value));
    QVERIFY(root.isObject());
    const Result<QuantPlan> plan = planFromJson(toText(root.toObject()), "plan.json");
    QVERIFY2(!plan.ok(), "the broken plan was accepted");
    QVERIFY2(QString::fromStdString(plan.error()).startsWith(expected), plan.error().c_str());
}

void TestPlanJson::notAPlan() {
    const Result<QuantPlan> text = planFromJson("int4 everywhere", "p.json");
    QVERIFY(!text.ok());
    QVERIFY2(QString::fromStdString(text.error()).startsWith(QLatin1String("p.json: not valid JSON at byte")),
             text.error().c_str());
    QCOMPARE(planFromJson("[1]", "p.json").error(),
             std::string("p.json: not a Quantscope plan (the top level is not a JSON object)"));
}

void TestPlanJson::saveAndLoad() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Result<QuantPlan> plan = planFromJson(kExample, "example");
    QVERIFY(plan.ok());
    const std::string path = dir.filePath(QStringLiteral("plan.json")).toStdString();
    QVERIFY(savePlan(path, plan.value()).ok());
    const Result<QuantPlan> loaded = loadPlan(path);
    QVERIFY2(loaded.ok(), loaded.error().c_str());
    QVERIFY(loaded.value() == plan.value());
    QFile file(QString::fromStdString(path));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll().toStdString(), planToJson(plan.value()));
}

void TestPlanJson::failedSaveKeepsFile() {
#ifdef Q_OS_UNIX
    if (geteuid() == 0)
        QSKIP("root writes into a read-only directory");
#endif
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("plan.json"));
    QVERIFY(savePlan(path.toStdString(), QuantPlan{}).ok());
    QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner);
    const Status saved = savePlan(path.toStdString(), planFromJson(kExample, "example").value());
    QFile::setPermissions(dir.path(),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QVERIFY(!saved.ok());
    QVERIFY2(QString::fromStdString(saved.error()).startsWith(path), saved.error().c_str());
    QVERIFY(loadPlan(path.toStdString()).value() == QuantPlan{});
}

void TestPlanJson::loadErrorsNameTheFile() {
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("missing.json"));
    const Result<QuantPlan> none = loadPlan(missing.toStdString());
    QVERIFY(!none.ok());
    QVERIFY2(QString::fromStdString(none.error()).startsWith(missing + QStringLiteral(": cannot open")),
             none.error().c_str());

    const QString big = dir.filePath(QStringLiteral("big.json"));
    QFile file(big);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QVERIFY(file.resize((qint64(16) << 20) + 1)); // sparse: no 16 MiB written
    file.close();
    QCOMPARE(QString::fromStdString(loadPlan(big.toStdString()).error()),
             big + QStringLiteral(": 16777217 bytes is too large for a plan (the limit is 16 MiB)"));

    const QString broken = dir.filePath(QStringLiteral("broken.json"));
    QFile brokenFile(broken);
    QVERIFY(brokenFile.open(QIODevice::WriteOnly));
    brokenFile.write(R"({"format": "quantscope-plan", "version": 1, "default": {"bits": 1}})");
    brokenFile.close();
    QCOMPARE(QString::fromStdString(loadPlan(broken.toStdString()).error()),
             broken + QStringLiteral(": default: bits must be an integer from 2 to 16, not 1"));
}

void TestPlanJson::configImportsAsOverrides() {
    QuantConfig config;
    TensorConfig clipped;
    clipped.name = "model.layers.0.mlp.up_proj.weight";
    clipped.spec = intSpec(8, Scheme::Symmetric, true, RangeMode::Saturating, -0.25, 0.5);
    TensorConfig norm;
    norm.name = "model.norm.weight";
    norm.spec = intSpec(2, Scheme::Asymmetric);
    config.tensors = {clipped, norm};

    // A default that differs in every key the config sets, and a rule that would match both.
    Result<QuantPlan> plan = planFromJson(
        R"({"format": "quantscope-plan", "version": 1,
            "default": {"bits": 4, "granularity": "group:128", "method": "mse"},
            "rules": [{"match": "model.*", "scheme": {"bits": 3, "scheme": "asymmetric"}}]})",
        "plan.json");
    QVERIFY2(plan.ok(), plan.error().c_str());
    plan.value().overrides = configToOverrides(config);
    QVERIFY2(validatePlan(plan.value()).ok(), validatePlan(plan.value()).error().c_str());

    const TensorResolution up = resolve(plan.value(), clipped.name, {64, 256});
    QCOMPARE(up.layer, PlanLayer::Override);
    QVERIFY(up.quantized());
    QCOMPARE(up.spec, clipped.spec);
    // The config's norm is quantized although 1-D: an override wins over the ignore defaults.
    const TensorResolution n = resolve(plan.value(), norm.name, {256});
    QVERIFY(n.quantized());
    QCOMPARE(n.spec, norm.spec);

    const QJsonObject written =
        QJsonDocument::fromJson(QByteArray::fromStdString(planToJson(plan.value()))).object();
    const QJsonObject upJson = written.value(QStringLiteral("overrides"))
                                   .toObject()
                                   .value(QString::fromStdString(clipped.name))
                                   .toObject();
    const QJsonObject expected =
        QJsonDocument::fromJson(R"({"format": "int", "bits": 8, "scheme": "symmetric",
        "narrow": true, "granularity": "tensor", "method": "minmax", "clip": [-0.25, 0.5],
        "scale_dtype": "f32"})")
            .object();
    QCOMPARE(upJson, expected);
}

void TestPlanJson::scaleDtypeKey() {
    // Written only where given, read back the same; inherited by rules of int and fp8, dropped by
    // the q8_0 rule and the q6_k override of the example.
    QJsonObject root = exampleObject();
    root =
        withMember(root, {QStringLiteral("default"), QStringLiteral("scale_dtype")}, QStringLiteral("bf16"))
            .toObject();
    root = withMember(root, QStringLiteral("rules/0/scheme/scale_dtype").split(QLatin1Char('/')),
                      QStringLiteral("f16"))
               .toObject();
    const Result<QuantPlan> plan = planFromJson(toText(root), "plan.json");
    QVERIFY2(plan.ok(), plan.error().c_str());
    QCOMPARE(plan->defaults.scaleDtype, std::optional(ScaleDtype::BF16));
    QCOMPARE(plan->rules[0].scheme.scaleDtype, std::optional(ScaleDtype::F16));
    QCOMPARE(plan->rules[1].scheme.scaleDtype, std::nullopt);
    const std::string written = planToJson(plan.value());
    QCOMPARE(QJsonDocument::fromJson(QByteArray::fromStdString(written)).object(), root);
    QVERIFY(planFromJson(written, "again.json").value() == plan.value());
    // The example's plan without the key writes none (exampleRoundTrip compares the whole text).
    QVERIFY(!QString::fromStdString(planToJson(planFromJson(kExample, "p").value()))
                 .contains(QLatin1String("scale_dtype")));
    const std::vector<std::int64_t> shape{64, 256};
    QCOMPARE(resolve(plan.value(), "model.layers.3.self_attn.o_proj.weight", shape).spec.scaleDtype,
             ScaleDtype::BF16);
    QCOMPARE(resolve(plan.value(), "model.layers.3.mlp.down_proj.weight", shape).spec.scaleDtype,
             ScaleDtype::F16);
    QCOMPARE(resolve(plan.value(), "model.layers.3.self_attn.v_proj.weight", shape).spec.scaleDtype,
             ScaleDtype::F32);
    QCOMPARE(resolve(plan.value(), "model.layers.0.self_attn.q_proj.weight", shape).spec.scaleDtype,
             ScaleDtype::F32);
    // One scheme cell, as the plan editor parses it.
    QCOMPARE(planSchemeFromJson(R"({"scale_dtype":"f32"})").value().scaleDtype,
             std::optional(ScaleDtype::F32));
    PlanScheme cell;
    cell.scaleDtype = ScaleDtype::BF16;
    QCOMPARE(planSchemeToJson(cell), std::string(R"({"scale_dtype":"bf16"})"));
}

QTEST_GUILESS_MAIN(TestPlanJson)
#include "tst_planjson.moc"
