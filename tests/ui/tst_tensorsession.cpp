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

// Three tensors in file order: a (F32 4×2), b (BF16 3), c (F16 scalar).
TensorSession makeSession() {
    TensorSession session;
    session.reset({tensor("m.a", {4, 2}, qs::DType::F32), tensor("m.b", {3}, qs::DType::BF16),
                   tensor("m.c", {}, qs::DType::F16)},
                  "model.safetensors");
    return session;
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
    void specsKeptPerTensor();
    void defaultFollowsLatestChoice();
    void exactKeptOnlyForItsSpec_data();
    void exactKeptOnlyForItsSpec();
    void exportList();
    void applyConfig();
};

void TestTensorSession::specsKeptPerTensor() {
    TensorSession session = makeSession();
    QVERIFY(!session.isConfigured(0));
    session.visit(0);
    QVERIFY(session.isConfigured(0));
    QCOMPARE(session.spec(0), qs::QuantSpec{}); // visiting keeps the default

    const qs::QuantSpec four = saturating(4, -0.5, 0.25);
    session.setSpec(2, four);
    QCOMPARE(session.spec(2), four);
    QCOMPARE(session.spec(0), qs::QuantSpec{});
    // Browsing away and back changes nothing.
    session.visit(2);
    QCOMPARE(session.spec(2), four);
    QCOMPARE(session.configured(), (std::vector<std::size_t>{0, 2}));
    // Indices past the end are ignored, not stored.
    session.setSpec(7, four);
    QCOMPARE(session.configured(), (std::vector<std::size_t>{0, 2}));
}

void TestTensorSession::defaultFollowsLatestChoice() {
    TensorSession session = makeSession();
    session.visit(0);
    qs::QuantSpec chosen = saturating(6, -1.0, 1.0);
    chosen.scheme = qs::Scheme::Asymmetric;
    session.setDefaultSpec(chosen);
    // New tensors take bits and scheme, but start non-saturating: thresholds are per tensor.
    qs::QuantSpec expected;
    expected.bits = 6;
    expected.scheme = qs::Scheme::Asymmetric;
    QCOMPARE(session.spec(1), expected);
    QCOMPARE(session.spec(0), qs::QuantSpec{}); // already configured: kept
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
    session.setSpec(1, saturating(8, -0.3, 0.3));
    session.setExact(1, exactFor(resultSpec, 1e-4, 0.3));
    QCOMPARE(session.exact(1) != nullptr, kept);
    QCOMPARE(session.missingExact().size(), kept ? 0u : 1u);
}

void TestTensorSession::exportList() {
    TensorSession session = makeSession();
    const qs::QuantSpec specC = saturating(4, -0.5, 0.25);
    const qs::QuantSpec specA = saturating(8, -0.3, 0.3);
    session.setSpec(2, specC); // configured first, but exported in file order
    session.setSpec(0, specA);
    session.visit(1);
    session.setExact(2, exactFor(specC, 2e-3, 0.5));
    session.setExact(0, exactFor(specA, 1e-4, 0.3));

    // b was visited but its exact pass never finished: it is missing, not exported.
    const auto missing = session.missingExact();
    QCOMPARE(missing.size(), 1u);
    QCOMPARE(missing[0].index, 1u);
    QCOMPARE(missing[0].spec, qs::QuantSpec{});

    const qs::QuantConfig config = session.toConfig();
    QCOMPARE(config.checkpoint, std::string("model.safetensors"));
    QCOMPARE(config.tensors.size(), 2u);
    QCOMPARE(config.tensors[0].name, std::string("m.a"));
    QCOMPARE(config.tensors[0].shape, (std::vector<std::int64_t>{4, 2}));
    QCOMPARE(config.tensors[0].dtype, std::string("F32"));
    QCOMPARE(config.tensors[0].spec, specA);
    QCOMPARE(config.tensors[0].params.clipMax, 0.3);
    QCOMPARE(config.tensors[0].mse, 1e-4);
    QCOMPARE(config.tensors[1].name, std::string("m.c"));
    QCOMPARE(config.tensors[1].dtype, std::string("F16"));
    QCOMPARE(config.tensors[1].shape, std::vector<std::int64_t>{});
    QCOMPARE(config.tensors[1].spec.bits, 4);

    // Changing a spec drops its exact figures until a new pass lands.
    session.setSpec(0, saturating(8, -0.2, 0.2));
    QCOMPARE(session.toConfig().tensors.size(), 1u);
    QCOMPARE(session.missingExact().size(), 2u);
}

void TestTensorSession::applyConfig() {
    TensorSession session = makeSession();
    qs::QuantConfig config;
    qs::TensorConfig known;
    known.name = "m.b";
    known.spec = saturating(5, -0.1, 0.4);
    qs::TensorConfig unknown;
    unknown.name = "m.missing";
    config.tensors = {unknown, known};

    const std::vector<std::string> unmatched = session.applyConfig(config);
    QCOMPARE(unmatched, std::vector<std::string>{"m.missing"});
    QCOMPARE(session.spec(1), known.spec);
    QVERIFY(session.isConfigured(1));
    QCOMPARE(session.indexOf("m.c"), std::optional<std::size_t>(2));
    QVERIFY(!session.indexOf("m.missing"));
}

QTEST_GUILESS_MAIN(TestTensorSession)
#include "tst_tensorsession.moc"
