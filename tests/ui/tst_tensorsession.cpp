#include "planfixtures.h"
#include "tensorsession.h"

#include <QTest>

using qs::ui::TensorSession;

namespace {

qs::TensorInfo tensor(const char *name, std::vector<std::int64_t> shape, qs::DType dtype) {
    qs::TensorInfo info;
    info.name = name;
    info.shape = std::move(shape);
    info.dtype = dtype;
    return info;
}

// Four tensors in file order: a (F32 4×2), b (BF16 3, a 1-D tensor the default ignore list
// keeps), c (F16 4×4), d.mlp (F32 2×8).
TensorSession makeSession(qs::QuantPlan plan = {}) {
    TensorSession session;
    session.reset({tensor("m.a", {4, 2}, qs::DType::F32), tensor("m.b", {3}, qs::DType::BF16),
                   tensor("m.c", {4, 4}, qs::DType::F16), tensor("m.d.mlp", {2, 8}, qs::DType::F32)},
                  "model.safetensors", std::move(plan));
    return session;
}

qs::QuantSpec intBits(int bits) {
    qs::QuantSpec spec;
    spec.bits = bits;
    return spec;
}

qs::PlanRule rule(const char *pattern, qs::PlanScheme scheme) {
    return {qs::NamePattern::parse(pattern).value(), std::move(scheme)};
}

qs::QuantSpec saturating(int bits, double lo, double hi) {
    qs::QuantSpec spec;
    spec.bits = bits;
    spec.rangeMode = qs::RangeMode::Saturating;
    spec.clipLo = lo;
    spec.clipHi = hi;
    return spec;
}

// An exact result as the analysis service would hand it back (figures chosen by hand).
std::shared_ptr<const qs::QuantAnalysis> exactFor(const qs::QuantSpec &spec, double mse, double clipMax) {
    auto analysis = std::make_shared<qs::QuantAnalysis>();
    analysis->spec = spec;
    analysis->params.bits = spec.bits;
    analysis->params.clipMin = -clipMax;
    analysis->params.clipMax = clipMax;
    analysis->params.scale = float(clipMax / 127.5);
    analysis->error.mse = mse;
    analysis->error.sqnrDb = 30.0;
    return analysis;
}

} // namespace

class TestTensorSession : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void specsComeFromThePlan();
    void toolbarEditsTheDefault();
    void overridesTakeTensorEdits();
    void exactKeptOnlyForItsSpec_data();
    void exactKeptOnlyForItsSpec();
    void exportCoversEveryPlannedTensor();
    void configBecomesOverrides();
};

void TestTensorSession::specsComeFromThePlan() {
    qs::QuantPlan plan;
    plan.defaults.bits = 4;
    plan.rules.push_back(rule("*.mlp", qs::test::bitsOnly(8)));
    TensorSession session = makeSession(plan);
    QCOMPARE(session.spec(0), intBits(4));
    QCOMPARE(session.spec(3), intBits(8)); // the rule's bits
    QCOMPARE(session.resolutionText(3), std::string("rule 1: *.mlp"));
    // The 1-D tensor is kept; the views show it under the default.
    QVERIFY(session.resolution(1).kept());
    QCOMPARE(session.spec(1), intBits(4));
    QCOMPARE(session.planned(), (std::vector<std::size_t>{0, 2, 3}));
    QVERIFY(session.overridden().empty());
}

// Only the key the user changed goes to the default; a tensor a rule decides keeps the rule's.
void TestTensorSession::toolbarEditsTheDefault() {
    qs::QuantPlan plan;
    plan.defaults.bits = 4;
    plan.rules.push_back(rule("*.mlp", qs::test::bitsOnly(8)));
    TensorSession session = makeSession(plan);
    qs::QuantSpec asymmetric = session.spec(3);
    asymmetric.scheme = qs::Scheme::Asymmetric;
    session.setPlan(session.planWithEdit(3, session.spec(3), asymmetric, false));
    QCOMPARE(session.defaultSpec().bits, 4); // not the rule's 8
    QCOMPARE(session.defaultSpec().scheme, qs::Scheme::Asymmetric);
    QCOMPARE(session.spec(3).bits, 8);
    QCOMPARE(session.spec(3).scheme, qs::Scheme::Asymmetric);
    QCOMPARE(session.spec(0).scheme, qs::Scheme::Asymmetric);
    QVERIFY(session.plan().overrides.empty());

    // A new format takes every key: bits do not apply to q4_0 and are dropped.
    qs::QuantSpec q40 = session.spec(0);
    q40.format = qs::NumberFormat::Q4_0;
    session.setPlan(session.planWithEdit(0, session.spec(0), q40, false));
    QCOMPARE(session.defaultSpec().format, qs::NumberFormat::Q4_0);
    QVERIFY(!session.plan().defaults.bits);
}

void TestTensorSession::overridesTakeTensorEdits() {
    TensorSession session = makeSession();
    // A dragged clip belongs to the tensor.
    const qs::QuantSpec clipped = saturating(8, -0.3, 0.3);
    session.setPlan(session.planWithEdit(0, session.spec(0), clipped, true));
    QVERIFY(session.hasOverride(0));
    QCOMPARE(session.spec(0), clipped);
    QCOMPARE(session.spec(2), qs::QuantSpec{}); // the others keep the default
    QCOMPARE(session.overridden(), std::vector<std::size_t>{0});
    // With an override, a toolbar edit changes the override, not the default.
    qs::QuantSpec four = clipped;
    four.bits = 4;
    session.setPlan(session.planWithEdit(0, clipped, four, false));
    QCOMPARE(session.spec(0), four);
    QCOMPARE(session.defaultSpec(), qs::QuantSpec{});
    QCOMPARE(session.resolutionText(0), std::string("override"));
}

void TestTensorSession::exactKeptOnlyForItsSpec_data() {
    QTest::addColumn<qs::QuantSpec>("resultSpec");
    QTest::addColumn<bool>("kept");
    const qs::QuantSpec current = saturating(8, -0.3, 0.3);
    QTest::addRow("same spec") << current << true;
    QTest::addRow("other bits") << saturating(4, -0.3, 0.3) << false;
    QTest::addRow("other threshold") << saturating(8, -0.3, 0.2) << false;
    QTest::addRow("non-saturating") << qs::QuantSpec{} << false;
}

void TestTensorSession::exactKeptOnlyForItsSpec() {
    QFETCH(qs::QuantSpec, resultSpec);
    QFETCH(bool, kept);
    TensorSession session = makeSession();
    session.setPlan(session.planWithOverride(2, saturating(8, -0.3, 0.3)));
    session.setExact(2, exactFor(resultSpec, 1e-4, 0.3));
    QCOMPARE(session.exact(2) != nullptr, kept);
    QCOMPARE(session.missingExact().size(), kept ? 2u : 3u); // a and d.mlp have none
}

void TestTensorSession::exportCoversEveryPlannedTensor() {
    TensorSession session = makeSession();
    const qs::QuantSpec specC = saturating(4, -0.5, 0.25);
    session.setPlan(session.planWithOverride(2, specC));
    session.setExact(2, exactFor(specC, 2e-3, 0.5));
    session.setExact(0, exactFor(qs::QuantSpec{}, 1e-4, 0.3));

    // Every tensor the plan quantizes is to be exported, visited or not; b is kept.
    const auto missing = session.missingExact();
    QCOMPARE(missing.size(), 1u);
    QCOMPARE(missing[0].index, 3u);
    QCOMPARE(missing[0].spec, qs::QuantSpec{});

    const qs::QuantConfig config = session.toConfig();
    QCOMPARE(config.checkpoint, std::string("model.safetensors"));
    QCOMPARE(config.tensors.size(), 2u);
    QCOMPARE(config.tensors[0].name, std::string("m.a"));
    QCOMPARE(config.tensors[0].shape, (std::vector<std::int64_t>{4, 2}));
    QCOMPARE(config.tensors[0].dtype, std::string("F32"));
    QCOMPARE(config.tensors[0].mse, 1e-4);
    QCOMPARE(config.tensors[1].name, std::string("m.c"));
    QCOMPARE(config.tensors[1].dtype, std::string("F16"));
    QCOMPARE(config.tensors[1].spec, specC);
    QCOMPARE(config.tensors[1].params.clipMax, 0.5);

    // A plan edit that changes a tensor's spec drops its exact figures until a new pass lands.
    session.setPlan(session.planWithDefault(intBits(4)));
    QCOMPARE(session.toConfig().tensors.size(), 1u); // c keeps its override and figures
    QCOMPARE(session.missingExact().size(), 2u);
}

void TestTensorSession::configBecomesOverrides() {
    TensorSession session = makeSession();
    qs::QuantConfig config;
    qs::TensorConfig known;
    known.name = "m.c";
    known.spec = saturating(5, -0.1, 0.4);
    qs::TensorConfig unknown;
    unknown.name = "m.missing";
    config.tensors = {unknown, known};

    std::vector<std::string> unmatched;
    session.setPlan(session.planWithConfig(config, unmatched));
    QCOMPARE(unmatched, std::vector<std::string>{"m.missing"});
    QCOMPARE(session.spec(2), known.spec);
    QVERIFY(session.hasOverride(2));
    QCOMPARE(session.indexOf("m.c"), std::optional<std::size_t>(2));
    QVERIFY(!session.indexOf("m.missing"));
}

QTEST_GUILESS_MAIN(TestTensorSession)
#include "tst_tensorsession.moc"
