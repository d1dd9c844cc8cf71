#include "plan/quantplan.h"

#include <QTest>

using namespace qs;

Q_DECLARE_METATYPE(std::vector<std::int64_t>)
Q_DECLARE_METATYPE(qs::KeepReason)
Q_DECLARE_METATYPE(qs::PlanScheme)
Q_DECLARE_METATYPE(qs::QuantSpec)

namespace {

using Shape = std::vector<std::int64_t>;
const Shape kMatrix{64, 256};

NamePattern pattern(const char *text) {
    Result<NamePattern> p = NamePattern::parse(text);
    if (!p)
        qFatal("bad test pattern %s: %s", text, p.error().c_str());
    return p.value();
}

PlanScheme bitsScheme(int bits) {
    PlanScheme s;
    s.bits = bits;
    return s;
}

PlanScheme formatScheme(NumberFormat format) {
    PlanScheme s;
    s.format = format;
    return s;
}

// Default int4 per group of 128, the usual weight-only starting point.
QuantPlan int4Plan() {
    QuantPlan plan;
    plan.defaults.format = NumberFormat::Int;
    plan.defaults.bits = 4;
    plan.defaults.granularity = Granularity{Granularity::Kind::Group, 0, 128, 0, 0};
    return plan;
}

QuantSpec mustMerge(const QuantSpec &base, const PlanScheme &layer) {
    Result<QuantSpec> spec = mergeScheme(base, layer);
    if (!spec)
        qFatal("merge failed: %s", spec.error().c_str());
    return spec.value();
}

} // namespace

// The plan model: patterns, precedence, the ignore defaults, merging partial schemes.
class TestQuantPlan : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void patterns_data();
    void patterns();
    void badPatterns_data();
    void badPatterns();
    void firstRuleWins();
    void ruleNeverUnignores();
    void overrideBeatsIgnoreAndRule();
    void ignoreDefaults_data();
    void ignoreDefaults();
    void ignoreDefaultsOff();
    void inheritedKeysDropped();
    void explicitKeysThatDoNotApply_data();
    void explicitKeysThatDoNotApply();
    void rangeKeysGoTogether();
    void specRoundTrip_data();
    void specRoundTrip();
    void skippedReason();
    void invalidLayerIsSkipped();
    void ruleCountsPerRule();
    void editing();
    void resolutionTexts();
    void scaleDtypeKey();
};

void TestQuantPlan::patterns_data() {
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("matches");
    const QString k = QStringLiteral("model.layers.0.self_attn.k_proj.weight");
    QTest::addRow("glob star crosses dots") << "*.k_proj.weight" << k << true;
    QTest::addRow("glob star in the middle") << "model.*.weight" << k << true;
    QTest::addRow("glob substring only") << "k_proj" << k << false;
    QTest::addRow("glob anchored at the end") << "*.k_proj.weight" << k + QStringLiteral(".scale") << false;
    QTest::addRow("glob anchored at the start") << "layers.*" << k << false;
    QTest::addRow("glob dot is literal") << "model.norm"
                                         << "modelxnorm" << false;
    QTest::addRow("glob question one char") << "model.layers.?.mlp"
                                            << "model.layers.3.mlp" << true;
    QTest::addRow("glob question not two") << "model.layers.?.mlp"
                                           << "model.layers.12.mlp" << false;
    QTest::addRow("glob question one UTF-8 char") << "layer?" << QStringLiteral("layer\u03bb") << true;
    QTest::addRow("glob two questions on one char") << "layer??" << QStringLiteral("layer\u03bb") << false;
    QTest::addRow("glob backtracks") << "a*b*c"
                                     << "aXbYbZc" << true;
    QTest::addRow("glob backtracks to failure") << "a*b*c"
                                                << "aXbYbZ" << false;
    QTest::addRow("glob star matches empty") << "model*.weight"
                                             << "model.weight" << true;
    QTest::addRow("glob star crosses slashes") << "*MatMul"
                                               << "/model/layers.0/MatMul" << true;
    QTest::addRow("glob bracket is literal") << "w[0]"
                                             << "w[0]" << true;
    QTest::addRow("re substring only") << "re:k_proj" << k << false;
    QTest::addRow("re whole name") << "re:.*\\.k_proj\\.weight" << k << true;
    QTest::addRow("re dot is any") << "re:model.norm"
                                   << "modelxnorm" << true;
    QTest::addRow("re alternation anchored") << "re:q_proj|k_proj"
                                             << "xk_proj" << false;
    QTest::addRow("re alternation whole") << "re:q_proj|k_proj"
                                          << "k_proj" << true;
    QTest::addRow("re class") << "re:model\\.layers\\.[0-3]\\..*"
                              << "model.layers.2.mlp" << true;
    QTest::addRow("re class excludes") << "re:model\\.layers\\.[0-3]\\..*"
                                       << "model.layers.12.mlp" << false;
}

void TestQuantPlan::patterns() {
    QFETCH(QString, pattern);
    QFETCH(QString, name);
    QFETCH(bool, matches);
    const Result<NamePattern> p = NamePattern::parse(pattern.toStdString());
    QVERIFY2(p.ok(), p.error().c_str());
    QCOMPARE(p->matches(name.toStdString()), matches);
    QCOMPARE(p->text(), pattern.toStdString());
    QCOMPARE(p->isRegex(), pattern.startsWith(QLatin1String("re:")));
}

void TestQuantPlan::badPatterns_data() {
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("expected");
    QTest::addRow("empty") << ""
                           << "must not be empty";
    QTest::addRow("empty re") << "re:"
                              << "bad pattern \"re:\"";
    QTest::addRow("open paren") << "re:("
                                << "bad pattern \"re:(\"";
    // Anchoring wraps the body in a group; an unbalanced ")" must not escape it.
    QTest::addRow("escaping paren") << "re:a)|(b"
                                    << "bad pattern \"re:a)|(b\"";
    QTest::addRow("bad repeat") << "re:*x"
                                << "at offset 0";
}

void TestQuantPlan::badPatterns() {
    QFETCH(QString, pattern);
    QFETCH(QString, expected);
    const Result<NamePattern> p = NamePattern::parse(pattern.toStdString());
    QVERIFY(!p.ok());
    QVERIFY2(QString::fromStdString(p.error()).contains(expected), p.error().c_str());
}

void TestQuantPlan::firstRuleWins() {
    QuantPlan plan = int4Plan();
    plan.rules.push_back({pattern("*.mlp.*"), bitsScheme(8)});
    plan.rules.push_back({pattern("*.down_proj.weight"), bitsScheme(2)});
    const TensorResolution down = resolve(plan, "model.layers.0.mlp.down_proj.weight", kMatrix);
    QCOMPARE(down.layer, PlanLayer::Rule);
    QCOMPARE(down.ruleIndex, 0);
    QCOMPARE(down.spec.bits, 8);
    QCOMPARE(down.spec.granularity.size, std::int64_t(128)); // from the default
    const TensorResolution o = resolve(plan, "model.layers.0.self_attn.o_proj.weight", kMatrix);
    QCOMPARE(o.layer, PlanLayer::Default);
    QCOMPARE(o.ruleIndex, -1);
    QCOMPARE(o.spec.bits, 4);
    QVERIFY(o.quantized());
}

void TestQuantPlan::ruleNeverUnignores() {
    QuantPlan plan = int4Plan();
    plan.rules.push_back({pattern("*"), bitsScheme(8)});
    plan.ignore.push_back(pattern("*.k_proj.weight"));
    const TensorResolution k = resolve(plan, "model.layers.0.self_attn.k_proj.weight", kMatrix);
    QVERIFY(k.kept());
    QCOMPARE(k.layer, PlanLayer::Ignore);
    QCOMPARE(k.keep, KeepReason::UserIgnore);
    QCOMPARE(k.ignoreIndex, 0);
    QCOMPARE(k.ruleIndex, 0); // the rule matched, and lost
    const TensorResolution norm = resolve(plan, "model.norm.weight", {256});
    QCOMPARE(norm.keep, KeepReason::OneDimensional);
    QCOMPARE(norm.ruleIndex, 0);
    QVERIFY(!norm.quantized());
}

void TestQuantPlan::overrideBeatsIgnoreAndRule() {
    QuantPlan plan = int4Plan();
    plan.rules.push_back({pattern("*"), bitsScheme(8)});
    plan.ignore.push_back(pattern("*.k_proj.weight"));
    setOverride(plan, "model.embed_tokens.weight", {false, formatScheme(NumberFormat::Q8_0)});
    setOverride(plan, "model.layers.0.self_attn.k_proj.weight", {false, bitsScheme(6)});
    setOverride(plan, "model.layers.0.mlp.up_proj.weight", PlanOverride::keepStored());

    const TensorResolution embed = resolve(plan, "model.embed_tokens.weight", kMatrix);
    QCOMPARE(embed.layer, PlanLayer::Override);
    QVERIFY(embed.quantized());
    QCOMPARE(embed.spec.format, NumberFormat::Q8_0);
    const TensorResolution k = resolve(plan, "model.layers.0.self_attn.k_proj.weight", kMatrix);
    QVERIFY(k.quantized());
    QCOMPARE(k.ignoreIndex, -1);
    QCOMPARE(k.spec.bits, 6);                             // the override's key
    QCOMPARE(k.spec.granularity.size, std::int64_t(128)); // the default's, not the rule's
    const TensorResolution up = resolve(plan, "model.layers.0.mlp.up_proj.weight", kMatrix);
    QCOMPARE(up.layer, PlanLayer::Override);
    QCOMPARE(up.keep, KeepReason::OverrideKeep);
    QCOMPARE(up.ruleIndex, 0);
}

void TestQuantPlan::ignoreDefaults_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<Shape>("shape");
    QTest::addColumn<KeepReason>("reason");
    QTest::addRow("norm") << "model.layers.0.input_layernorm.weight" << Shape{4096}
                          << KeepReason::OneDimensional;
    QTest::addRow("bias") << "model.layers.0.self_attn.q_proj.bias" << Shape{4096}
                          << KeepReason::OneDimensional;
    QTest::addRow("scalar") << "model.layers.0.scale" << Shape{} << KeepReason::OneDimensional;
    QTest::addRow("embed") << "model.embed_tokens.weight" << kMatrix << KeepReason::Embedding;
    QTest::addRow("embed positions") << "decoder.embed_positions.weight" << kMatrix << KeepReason::Embedding;
    QTest::addRow("token_embd") << "token_embd.weight" << kMatrix << KeepReason::Embedding;
    QTest::addRow("wte") << "transformer.wte.weight" << kMatrix << KeepReason::Embedding;
    QTest::addRow("lm_head") << "lm_head.weight" << kMatrix << KeepReason::OutputHead;
    QTest::addRow("output") << "output.weight" << kMatrix << KeepReason::OutputHead;
    QTest::addRow("attn_output") << "blk.0.attn_output.weight" << kMatrix << KeepReason::None;
    QTest::addRow("prefixed lm_head") << "model.lm_head.weight" << kMatrix << KeepReason::None;
    QTest::addRow("projection") << "model.layers.0.mlp.up_proj.weight" << kMatrix << KeepReason::None;
    QTest::addRow("conv 4-D") << "conv1.weight" << Shape{8, 3, 3, 3} << KeepReason::None;
}

void TestQuantPlan::ignoreDefaults() {
    QFETCH(QString, name);
    QFETCH(Shape, shape);
    QFETCH(KeepReason, reason);
    QCOMPARE(defaultIgnoreReason(name.toStdString(), shape), reason);
    const TensorResolution r = resolve(int4Plan(), name.toStdString(), shape);
    QCOMPARE(r.keep, reason);
    QCOMPARE(r.layer, reason == KeepReason::None ? PlanLayer::Default : PlanLayer::Ignore);
}

void TestQuantPlan::ignoreDefaultsOff() {
    QuantPlan plan = int4Plan();
    plan.ignoreDefaults = false;
    plan.ignore.push_back(pattern("lm_head.weight"));
    for (const char *name :
         {"model.embed_tokens.weight", "token_embd.weight", "transformer.wte.weight", "output.weight"}) {
        const TensorResolution r = resolve(plan, name, kMatrix);
        QVERIFY2(r.quantized(), name);
        QCOMPARE(r.spec.bits, 4);
    }
    QVERIFY(resolve(plan, "model.norm.weight", {256}).quantized()); // a 256 row fits group:128
    QCOMPARE(resolve(plan, "lm_head.weight", kMatrix).keep, KeepReason::UserIgnore);
}

void TestQuantPlan::inheritedKeysDropped() {
    const Result<QuantSpec> base = defaultSpec(int4Plan());
    QVERIFY(base.ok());
    // q8_0 has no bits and carries its own blocks: the default's bits 4 and group:128 go.
    const QuantSpec q8 = mustMerge(base.value(), formatScheme(NumberFormat::Q8_0));
    QCOMPARE(q8.format, NumberFormat::Q8_0);
    QCOMPARE(q8.bits, QuantSpec{}.bits);
    QCOMPARE(q8.granularity, Granularity{});
    // fp8 has no bits but takes a granularity: group:128 stays.
    const QuantSpec fp8 = mustMerge(base.value(), formatScheme(NumberFormat::Fp8E4M3));
    QCOMPARE(fp8.bits, QuantSpec{}.bits);
    QCOMPARE(fp8.granularity.size, std::int64_t(128));
    // An inherited narrow goes under an explicit asymmetric scheme; an inherited hqq under nf4.
    QuantSpec narrow = base.value();
    narrow.narrow = true;
    PlanScheme asym;
    asym.scheme = Scheme::Asymmetric;
    QCOMPARE(mustMerge(narrow, asym).narrow, false);
    QuantSpec hqq = base.value();
    hqq.scheme = Scheme::Asymmetric;
    hqq.method = CalibMethod::Hqq;
    const QuantSpec nf4 = mustMerge(hqq, formatScheme(NumberFormat::Nf4));
    QCOMPARE(nf4.method, CalibMethod::MinMax);
    QCOMPARE(nf4.scheme, Scheme::Symmetric);
    // A fixed clip from an int default does not follow a rule to fp8.
    QuantSpec clipped = intSpec(8, Scheme::Symmetric, false, RangeMode::Saturating, -1.0, 1.0);
    const QuantSpec fp8Clip = mustMerge(clipped, formatScheme(NumberFormat::Fp8E5M2));
    QCOMPARE(fp8Clip.rangeMode, RangeMode::NonSaturating);
}

void TestQuantPlan::explicitKeysThatDoNotApply_data() {
    QTest::addColumn<PlanScheme>("layer");
    QTest::addColumn<QString>("expected");
    PlanScheme bits = formatScheme(NumberFormat::Q8_0);
    bits.bits = 8;
    QTest::addRow("bits on q8_0") << bits << "bits does not apply to q8_0";
    PlanScheme scheme = formatScheme(NumberFormat::Q4_0);
    scheme.scheme = Scheme::Asymmetric;
    QTest::addRow("scheme on q4_0") << scheme << "scheme does not apply to q4_0";
    PlanScheme granularity = formatScheme(NumberFormat::Nf4);
    granularity.granularity = Granularity{};
    QTest::addRow("granularity on nf4")
        << granularity << "granularity does not apply to nf4: it carries its own blocks of 64";
    PlanScheme clip = formatScheme(NumberFormat::Fp8E4M3);
    clip.clip = ClipRange{-1.0, 1.0};
    QTest::addRow("clip on fp8") << clip << "clip does not apply to fp8_e4m3";
    PlanScheme ratio = formatScheme(NumberFormat::MxFp4);
    ratio.clipRatio = 1.0;
    QTest::addRow("clip_ratio on mxfp4") << ratio << "clip_ratio does not apply to mxfp4";
    PlanScheme method = formatScheme(NumberFormat::Q4_K);
    method.method = CalibMethod::Mse;
    QTest::addRow("method on q4_k") << method << "method mse does not apply to q4_k";
    PlanScheme scaleDtype = formatScheme(NumberFormat::Q4_K);
    scaleDtype.scaleDtype = ScaleDtype::BF16;
    QTest::addRow("scale_dtype on q4_k") << scaleDtype << "scale_dtype does not apply to q4_k";
    PlanScheme scaleF32 = formatScheme(NumberFormat::NvFp4);
    scaleF32.scaleDtype = ScaleDtype::F32; // even f32: nvfp4 stores its own scales
    QTest::addRow("scale_dtype f32 on nvfp4") << scaleF32 << "scale_dtype does not apply to nvfp4";
    PlanScheme narrow;
    narrow.scheme = Scheme::Asymmetric;
    narrow.narrow = true;
    QTest::addRow("narrow asymmetric") << narrow << "narrow applies to the symmetric scheme only";
    QTest::addRow("bits 1") << bitsScheme(1) << "bits must be an integer from 2 to 16, not 1";
    PlanScheme lohi;
    lohi.clip = ClipRange{0.5, -0.5};
    QTest::addRow("clip lo > hi") << lohi << "clip lo must not exceed hi (got 0.5 > -0.5)";
}

void TestQuantPlan::explicitKeysThatDoNotApply() {
    QFETCH(PlanScheme, layer);
    QFETCH(QString, expected);
    QuantPlan plan = int4Plan();
    plan.rules.push_back({pattern("*.v_proj.weight"), layer});
    const Result<QuantSpec> spec = layerSpec(plan, layer);
    QVERIFY(!spec.ok());
    QCOMPARE(QString::fromStdString(spec.error()), expected);
    const Status valid = validatePlan(plan);
    QCOMPARE(QString::fromStdString(valid.error()),
             QStringLiteral("rules[0] (*.v_proj.weight): ") + expected);
    // At resolve time the same problem makes the tensor skipped, not a failure.
    const TensorResolution r = resolve(plan, "model.layers.0.self_attn.v_proj.weight", kMatrix);
    QVERIFY(!r.kept());
    QVERIFY(!r.quantized());
    QVERIFY2(QString::fromStdString(r.skipped).endsWith(expected), r.skipped.c_str());
}

void TestQuantPlan::rangeKeysGoTogether() {
    QuantSpec mse = intSpec(4, Scheme::Symmetric);
    mse.granularity = Granularity{Granularity::Kind::Channel, 0, 0, 0, 0};
    mse.method = CalibMethod::Mse;
    PlanScheme ratio;
    ratio.clipRatio = 0.9;
    const QuantSpec merged = mustMerge(mse, ratio); // mse and a ratio would clash: mse goes
    QCOMPARE(merged.method, CalibMethod::MinMax);
    QCOMPARE(merged.clipRatio, 0.9);
    QCOMPARE(merged.granularity.kind, Granularity::Kind::Channel);

    PlanScheme both;
    both.clip = ClipRange{-1.0, 1.0};
    both.clipRatio = 0.5;
    QCOMPARE(QString::fromStdString(mergeScheme(QuantSpec{}, both).error()),
             QStringLiteral("clip and clip_ratio exclude each other: both set the range"));
    PlanScheme methodAndRatio;
    methodAndRatio.method = CalibMethod::Percentile;
    methodAndRatio.percentile = 99.9;
    methodAndRatio.clipRatio = 0.5;
    QCOMPARE(QString::fromStdString(mergeScheme(QuantSpec{}, methodAndRatio).error()),
             QStringLiteral("clip_ratio and method percentile:99.9 exclude each other: both set the range"));
    // A rule's group granularity under a per-tensor-only default method cannot fit any tensor.
    QuantSpec percentile = intSpec(8, Scheme::Symmetric);
    percentile.method = CalibMethod::Percentile;
    PlanScheme group;
    group.granularity = Granularity{Granularity::Kind::Group, 0, 32, 0, 0};
    QVERIFY(
        QString::fromStdString(mergeScheme(percentile, group).error()).contains(QLatin1String("per tensor")));
}

void TestQuantPlan::specRoundTrip_data() {
    QTest::addColumn<QuantSpec>("spec");
    QuantSpec narrowClip = intSpec(6, Scheme::Symmetric, true, RangeMode::Saturating, -0.3, 0.25);
    QTest::addRow("int saturating narrow") << narrowClip;
    QuantSpec hqq = intSpec(3, Scheme::Asymmetric);
    hqq.granularity = Granularity{Granularity::Kind::Group, 0, 64, 0, 0};
    hqq.method = CalibMethod::Hqq;
    QTest::addRow("int hqq") << hqq;
    QuantSpec percentile = intSpec(8, Scheme::Asymmetric);
    percentile.method = CalibMethod::Percentile;
    percentile.percentile = 99.9;
    QTest::addRow("int percentile") << percentile;
    QuantSpec fp8;
    fp8.format = NumberFormat::Fp8E4M3;
    fp8.granularity = Granularity{Granularity::Kind::Channel, 1, 0, 0, 0};
    fp8.clipRatio = 0.8;
    QTest::addRow("fp8 channel ratio") << fp8;
    QuantSpec q6;
    q6.format = NumberFormat::Q6_K;
    QTest::addRow("q6_k") << q6;
    QuantSpec bf16 = intSpec(4, Scheme::Asymmetric);
    bf16.granularity = Granularity{Granularity::Kind::Group, 0, 128, 0, 0};
    bf16.scaleDtype = ScaleDtype::BF16;
    QTest::addRow("int bf16 scales") << bf16;
    QuantSpec fp8f16 = fp8;
    fp8f16.scaleDtype = ScaleDtype::F16;
    QTest::addRow("fp8 f16 scales") << fp8f16;
}

void TestQuantPlan::specRoundTrip() {
    QFETCH(QuantSpec, spec);
    // Every key given: whatever the default, the layer gives spec back.
    const PlanScheme layer = planSchemeFromSpec(spec);
    QCOMPARE(mustMerge(QuantSpec{}, layer), spec);
    QCOMPARE(mustMerge(defaultSpec(int4Plan()).value(), layer), spec);
    QuantSpec asymmetricMse = intSpec(2, Scheme::Asymmetric);
    asymmetricMse.method = CalibMethod::Mse;
    QCOMPARE(mustMerge(asymmetricMse, layer), spec);
    if (spec.format == NumberFormat::Q6_K) // nothing but the format applies to a block type
        QVERIFY(layer == formatScheme(NumberFormat::Q6_K));
}

void TestQuantPlan::skippedReason() {
    QuantPlan plan = int4Plan();
    setOverride(plan, "model.layers.0.mlp.down_proj.weight", {false, formatScheme(NumberFormat::Q4_K)});
    const TensorResolution r = resolve(plan, "model.layers.0.mlp.down_proj.weight", {4096, 6625});
    QVERIFY(!r.kept());
    QVERIFY(!r.quantized());
    QCOMPARE(r.spec.format, NumberFormat::Q4_K);
    QCOMPARE(r.skipped, std::string("row length 6625 is not a multiple of the block size 256 of q4_k"));
    QVERIFY(resolve(plan, "model.layers.0.mlp.down_proj.weight", {4096, 6656}).quantized()); // 26 · 256
}

void TestQuantPlan::invalidLayerIsSkipped() {
    QuantPlan plan;
    plan.defaults.format = NumberFormat::Q4_0;
    plan.defaults.bits = 4;
    QCOMPARE(QString::fromStdString(validatePlan(plan).error()),
             QStringLiteral("default: bits does not apply to q4_0"));
    const TensorResolution r = resolve(plan, "w", kMatrix);
    QCOMPARE(r.skipped, std::string("default: bits does not apply to q4_0"));
}

void TestQuantPlan::ruleCountsPerRule() {
    QuantPlan plan = int4Plan();
    plan.rules.push_back({pattern("*.mlp.*"), bitsScheme(8)});
    plan.rules.push_back({pattern("*.down_proj.weight"), bitsScheme(2)});
    plan.rules.push_back({pattern("re:.*_proj\\.weight"), bitsScheme(3)});
    plan.ignore.push_back(pattern("*.k_proj.weight"));
    setOverride(plan, "model.layers.1.mlp.up_proj.weight", PlanOverride::keepStored());
    std::vector<TensorInfo> tensors;
    for (const char *name :
         {"model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
          "model.layers.1.mlp.up_proj.weight", "model.layers.1.mlp.down_proj.weight",
          "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight"}) {
        TensorInfo t;
        t.name = name;
        t.shape = kMatrix;
        tensors.push_back(t);
    }
    TensorInfo bias;
    bias.name = "model.layers.0.mlp.down_proj.bias";
    bias.shape = {64};
    tensors.push_back(bias);
    const std::vector<RuleCount> counts = ruleCounts(plan, tensors);
    QCOMPARE(counts.size(), std::size_t(3));
    // *.mlp.*: the four mlp weights and the bias; first for all; the bias (1-D) and the kept
    // layers.1 up_proj do not take its scheme.
    QCOMPARE(counts[0], (RuleCount{5, 5, 3}));
    // *.down_proj.weight: two matches, both taken by rule 0 first.
    QCOMPARE(counts[1], (RuleCount{2, 0, 0}));
    // re:.*_proj\.weight: six weights; q_proj and k_proj first; k_proj is ignored.
    QCOMPARE(counts[2], (RuleCount{6, 2, 1}));
}

void TestQuantPlan::editing() {
    QuantPlan plan;
    QVERIFY(insertRule(plan, 0, {pattern("b"), bitsScheme(3)}));
    QVERIFY(insertRule(plan, 0, {pattern("a"), bitsScheme(2)}));
    QVERIFY(insertRule(plan, 2, {pattern("c"), bitsScheme(4)}));
    QVERIFY(!insertRule(plan, 4, {pattern("z"), bitsScheme(5)}));
    auto order = [&plan] {
        std::string text;
        for (const PlanRule &rule : plan.rules)
            text += rule.pattern.text();
        return text;
    };
    QCOMPARE(order(), std::string("abc"));
    QVERIFY(moveRule(plan, 0, 2));
    QCOMPARE(order(), std::string("bca"));
    QVERIFY(moveRule(plan, 2, 0));
    QCOMPARE(order(), std::string("abc"));
    QVERIFY(!moveRule(plan, 0, 3));
    QVERIFY(removeRule(plan, 1));
    QCOMPARE(order(), std::string("ac"));
    QVERIFY(!removeRule(plan, 2));
    QCOMPARE(plan.rules[1].scheme, bitsScheme(4));

    setOverride(plan, "w", PlanOverride::keepStored());
    setOverride(plan, "w", {false, bitsScheme(6)});
    QCOMPARE(plan.overrides.size(), std::size_t(1));
    QCOMPARE(plan.overrides.at("w").scheme.bits, std::optional<int>(6));
    QVERIFY(clearOverride(plan, "w"));
    QVERIFY(!clearOverride(plan, "w"));
    QVERIFY(plan.overrides.empty());
}

void TestQuantPlan::resolutionTexts() {
    QuantPlan plan = int4Plan();
    plan.rules.push_back({pattern("*.mlp.*"), bitsScheme(8)});
    plan.ignore.push_back(pattern("*.k_proj.weight"));
    setOverride(plan, "a.weight", PlanOverride::keepStored());
    setOverride(plan, "b.weight", {false, bitsScheme(6)});
    auto text = [&plan](const char *name, const Shape &shape) {
        return resolutionText(plan, resolve(plan, name, shape));
    };
    QCOMPARE(text("x.o_proj.weight", kMatrix), std::string("default"));
    QCOMPARE(text("x.mlp.up_proj.weight", kMatrix), std::string("rule 1: *.mlp.*"));
    QCOMPARE(text("x.norm.weight", {8}), std::string("ignored: rank 0 or 1 (norm or bias)"));
    QCOMPARE(text("x.embed_tokens.weight", kMatrix), std::string("ignored: embedding"));
    QCOMPARE(text("lm_head.weight", kMatrix), std::string("ignored: output head"));
    QCOMPARE(text("x.k_proj.weight", kMatrix), std::string("ignored: *.k_proj.weight"));
    QCOMPARE(text("a.weight", kMatrix), std::string("override: keep"));
    QCOMPARE(text("b.weight", kMatrix), std::string("override"));
}

void TestQuantPlan::scaleDtypeKey() {
    QuantPlan plan = int4Plan();
    plan.defaults.scaleDtype = ScaleDtype::BF16;
    const QuantSpec base = defaultSpec(plan).value();
    QCOMPARE(base.scaleDtype, ScaleDtype::BF16);
    // Inherited by fp8, which computes its own scale; dropped by q4_k and under hqq.
    QCOMPARE(mustMerge(base, formatScheme(NumberFormat::Fp8E4M3)).scaleDtype, ScaleDtype::BF16);
    QCOMPARE(mustMerge(base, formatScheme(NumberFormat::Q4_K)).scaleDtype, ScaleDtype::F32);
    PlanScheme hqq;
    hqq.scheme = Scheme::Asymmetric;
    hqq.method = CalibMethod::Hqq;
    QCOMPARE(mustMerge(base, hqq).scaleDtype, ScaleDtype::F32);
    hqq.scaleDtype = ScaleDtype::F16;
    QCOMPARE(QString::fromStdString(mergeScheme(base, hqq).error()),
             QStringLiteral("scale_dtype does not apply to method hqq: it keeps float32 scales"));
    // A rule's f32 wins over the default's bf16, and planSchemeFromSpec writes f32 explicitly so
    // that a tensor set back to f32 under a bf16 default stays f32.
    PlanScheme f32;
    f32.scaleDtype = ScaleDtype::F32;
    QCOMPARE(mustMerge(base, f32).scaleDtype, ScaleDtype::F32);
    const QuantSpec back = mustMerge(base, f32);
    QCOMPARE(planSchemeFromSpec(back).scaleDtype, std::optional(ScaleDtype::F32));
    QCOMPARE(mustMerge(base, planSchemeFromSpec(back)), back);
    QCOMPARE(planSchemeFromSpec(mustMerge(base, formatScheme(NumberFormat::Q4_K))).scaleDtype, std::nullopt);
    // Resolved per tensor: the scheme quantizes with it.
    const TensorResolution r = resolve(plan, "model.layers.0.mlp.down_proj.weight", kMatrix);
    QVERIFY(r.quantized());
    QCOMPARE(r.spec.scaleDtype, ScaleDtype::BF16);
}

QTEST_GUILESS_MAIN(TestQuantPlan)
#include "tst_quantplan.moc"
