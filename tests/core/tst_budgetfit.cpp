// Fit to budget: the ladder syntax, the greedy fit on hand-computed numbers, and the measurement
// of every rung over a checkpoint.

#include "io/imatrix.h"
#include "io/safetensorswriter.h"
#include "plan/budgetfit.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"
#include "stats/weightederror.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cmath>
#include <random>

using namespace qs;

Q_DECLARE_METATYPE(qs::Ladder)

namespace {

QuantSpec intRung(int bits, const char *granularity, Scheme scheme = Scheme::Symmetric) {
    QuantSpec spec = intSpec(bits, scheme);
    spec.granularity = parseGranularity(granularity).value();
    return spec;
}

QuantSpec formatRung(NumberFormat format, const char *granularity = "tensor") {
    QuantSpec spec;
    spec.format = format;
    spec.granularity = parseGranularity(granularity).value();
    return spec;
}

LadderRung rung(const QuantSpec &spec) {
    return {false, spec};
}

const LadderRung kKeep{true, {}};

RungCost cost(double bits, double error) {
    return {true, bits, error, {}};
}

const RungCost kUnavailable{false, 0.0, 0.0, "no"};

FitTensor tensor(const char *name, std::int64_t params, std::vector<RungCost> rungs) {
    return {0, name, params, std::move(rungs), false};
}

std::vector<float> normalValues(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> v(n);
    for (float &x : v)
        x = normal(rng);
    return v;
}

TensorBlob blobOf(const std::string &name, const std::vector<std::int64_t> &shape,
                  const std::vector<float> &values, DType dtype = DType::F32) {
    return {name, dtype, shape, encodeFloats(values, dtype)};
}

// The hand-computed model: A, B and C on three rungs, plus 100 parameters the fit does not move,
// stored at 16 bits (1600 bits); 1000 parameters in all.
//
//   tensor params  rung 0       rung 1       rung 2       error reduction per added bit
//          bits  error  bits  error  bits  error   0 → 1            1 → 2
//   A  200    800  100   1600   20   3200    0    80 / 800  = 0.1    20 / 1600 = 0.0125
//   B  300   1200  300   2400   60   4800    0   240 / 1200 = 0.2    60 / 2400 = 0.025
//   C  400   1600   40   3200   30   6400    0    10 / 1600 = 0.00625 30 / 3200 = 0.009375
//
// Start: 1600 + 800 + 1200 + 1600 = 5200 bits, 5.2 bits per weight, error 440.
BudgetProblem handModel() {
    BudgetProblem p;
    p.fixedBits = 1600.0;
    p.totalParams = 1000;
    p.tensors = {tensor("A", 200, {cost(800, 100), cost(1600, 20), cost(3200, 0)}),
                 tensor("B", 300, {cost(1200, 300), cost(2400, 60), cost(4800, 0)}),
                 tensor("C", 400, {cost(1600, 40), cost(3200, 30), cost(6400, 0)})};
    return p;
}

} // namespace

class TestBudgetFit : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ladderParses_data();
    void ladderParses();
    void ladderRoundTrips();
    void ladderErrors_data();
    void ladderErrors();
    void rungOverrideResolvesToItsSpec();
    void budgetUnits();
    void fitByHand();
    void fitBudgetReachedExactly();
    void fitBudgetTooSmall();
    void fitUnavailableRungs();
    void fitTiesGoToLowerIndex();
    void fitZeroBitRaiseFirst();
    void applyWritesOverrides();
    void measureCheckpoint();
    void measureWeighsByImportance();
    void measureCancels();
};

void TestBudgetFit::ladderParses_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<Ladder>("expected");
    QTest::addRow("int with options")
        << QStringLiteral("int4-g128,int8-channel,keep")
        << Ladder{rung(intRung(4, "group:128")), rung(intRung(8, "channel")), kKeep};
    QTest::addRow("ggml with arrows")
        << QStringLiteral("q4_k → q5_k → q6_k → q8_0")
        << Ladder{rung(formatRung(NumberFormat::Q4_K)), rung(formatRung(NumberFormat::Q5_K)),
                  rung(formatRung(NumberFormat::Q6_K)), rung(formatRung(NumberFormat::Q8_0))};
    // The issue's own spelling: options after spaces, "->" between rungs.
    QTest::addRow("spaces and ->") << QStringLiteral("int4 g128 -> int8 channel->keep")
                                   << Ladder{rung(intRung(4, "group:128")), rung(intRung(8, "channel")),
                                             kKeep};
    QTest::addRow("other formats") << QStringLiteral(
                                          " nf4 , mxfp4,nvfp4, fp8_e4m3-channel, int8-asym-g32,int3-tensor")
                                   << Ladder{rung(formatRung(NumberFormat::Nf4)),
                                             rung(formatRung(NumberFormat::MxFp4)),
                                             rung(formatRung(NumberFormat::NvFp4)),
                                             rung(formatRung(NumberFormat::Fp8E4M3, "channel")),
                                             rung(intRung(8, "group:32", Scheme::Asymmetric)),
                                             rung(intRung(3, "tensor"))};
    QTest::addRow("upper case") << QStringLiteral("Q4_K,KEEP")
                                << Ladder{rung(formatRung(NumberFormat::Q4_K)), kKeep};
}

void TestBudgetFit::ladderParses() {
    QFETCH(QString, text);
    QFETCH(Ladder, expected);
    const auto ladder = parseLadder(text.toStdString());
    QVERIFY2(ladder, ladder.error().c_str());
    QCOMPARE(ladder->size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        QVERIFY2(ladder.value()[i] == expected[i], rungText(ladder.value()[i]).c_str());
}

void TestBudgetFit::ladderRoundTrips() {
    for (const char *text :
         {"int4-g128,int8-channel,keep", "q4_k,q5_k,q6_k,q8_0",
          "nf4,mxfp4,nvfp4,fp8_e4m3-channel,int8-g32-asym,int3", "q2_k,fp8_e5m2-g64,keep"}) {
        const auto ladder = parseLadder(text);
        QVERIFY2(ladder, text);
        QCOMPARE(ladderText(ladder.value()), std::string(text)); // the canonical spelling prints as read
        QVERIFY(parseLadder(ladderText(ladder.value())).value() == ladder.value());
    }
    const auto arrows = parseLadder("int8 asym g32 → keep");
    QCOMPARE(ladderText(arrows.value()), std::string("int8-g32-asym,keep"));
}

void TestBudgetFit::ladderErrors_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::addRow("one rung") << QStringLiteral("q4_k") << QStringLiteral("a ladder needs at least 2 rungs");
    QTest::addRow("nothing") << QString() << QStringLiteral("ladder rung 1 is empty");
    QTest::addRow("empty rung") << QStringLiteral("q4_k,,q8_0") << QStringLiteral("ladder rung 2 is empty");
    QTest::addRow("trailing comma") << QStringLiteral("q4_k,q8_0,")
                                    << QStringLiteral("ladder rung 3 is empty");
    QTest::addRow("bits") << QStringLiteral("q4_k,int17-g128")
                          << QStringLiteral(
                                 "ladder rung 2 \"int17-g128\": bits must be an integer from 2 to 16, "
                                 "not \"17\"");
    QTest::addRow("no bits") << QStringLiteral("int,keep")
                             << QStringLiteral("ladder rung 1 \"int\": int needs a bit width");
    QTest::addRow("format") << QStringLiteral("q4_k → Q9_K")
                            << QStringLiteral("ladder rung 2 \"Q9_K\": unknown scheme \"q9_k\"");
    QTest::addRow("group on block type")
        << QStringLiteral("q4_k-g128,keep")
        << QStringLiteral("ladder rung 1 \"q4_k-g128\": g128 does not apply to q4_k");
    QTest::addRow("group size")
        << QStringLiteral("int4-g0,keep")
        << QStringLiteral("ladder rung 1 \"int4-g0\": the group size must be a whole number above 0, "
                          "not \"0\"");
    QTest::addRow("asym on keep") << QStringLiteral("int4,keep-asym")
                                  << QStringLiteral(
                                         "ladder rung 2 \"keep-asym\": asym does not apply to keep");
    QTest::addRow("asym on nf4") << QStringLiteral("nf4-asym,keep")
                                 << QStringLiteral("ladder rung 1 \"nf4-asym\": asym does not apply to nf4");
    QTest::addRow("twice") << QStringLiteral("int4-g128-channel,keep")
                           << QStringLiteral(
                                  "ladder rung 1 \"int4-g128-channel\": the granularity is given twice");
    QTest::addRow("unknown option") << QStringLiteral("int4-x,keep")
                                    << QStringLiteral("ladder rung 1 \"int4-x\": unknown option \"x\"");
    QTest::addRow("empty option") << QStringLiteral("int4--g128,keep")
                                  << QStringLiteral("ladder rung 1 \"int4--g128\": an empty option");
}

void TestBudgetFit::ladderErrors() {
    QFETCH(QString, text);
    QFETCH(QString, message);
    const auto ladder = parseLadder(text.toStdString());
    QVERIFY(!ladder);
    QVERIFY2(QString::fromStdString(ladder.error()).startsWith(message), ladder.error().c_str());
}

// A rung is the same scheme whatever the plan's default: what its text leaves out is not inherited.
void TestBudgetFit::rungOverrideResolvesToItsSpec() {
    const Ladder ladder = parseLadder("int4-g128,int8-channel-asym,fp8_e4m3-g32,q4_k,nf4,keep").value();
    QuantPlan asymMse;
    asymMse.defaults.scheme = Scheme::Asymmetric;
    asymMse.defaults.method = CalibMethod::Mse;
    asymMse.defaults.granularity = parseGranularity("group:64").value();
    QuantPlan blockDefault;
    blockDefault.defaults.format = NumberFormat::Q6_K;
    for (const QuantPlan &plan : {QuantPlan{}, asymMse, blockDefault}) {
        for (const LadderRung &r : ladder) {
            const PlanOverride o = r.override();
            QCOMPARE(o.keep, r.keep);
            if (r.keep)
                continue;
            const auto spec = layerSpec(plan, o.scheme);
            QVERIFY2(spec, spec.error().c_str());
            QVERIFY2(spec.value() == r.spec, rungText(r).c_str());
        }
    }
}

void TestBudgetFit::budgetUnits() {
    QCOMPARE(Budget::bitsPerWeight(4.5).totalBits(1000), 4500.0);
    QCOMPARE(Budget::bytes(1100).totalBits(123), 8800.0);
    QCOMPARE(Budget::gib(1.5).totalBits(0), 1.5 * 8.0 * 1024 * 1024 * 1024);
}

// Budget 9 bits per weight = 9000 bits (the table above handModel):
//   1. best is B 0 → 1 (0.2): 5200 + 1200 = 6400.
//   2. best is A 0 → 1 (0.1): 6400 + 800 = 7200.
//   3. best is B 1 → 2 (0.025), but 7200 + 2400 = 9600 > 9000: passed over; next A 1 → 2 (0.0125):
//      7200 + 1600 = 8800.
//   4. B 1 → 2 would reach 11200, C 0 → 1 10400: neither fits; stop.
// Final: A on rung 2, B on 1, C on 0; 8800 bits, 8.8 bits per weight; error 0 + 60 + 40 = 100.
void TestBudgetFit::fitByHand() {
    const BudgetFit fit = fitBudget(handModel(), Budget::bitsPerWeight(9.0).totalBits(1000));
    QCOMPARE(fit.budgetBits, 9000.0);
    QCOMPARE(fit.raises, (std::vector<FitRaise>{{1, 0, 1}, {0, 0, 1}, {0, 1, 2}}));
    QCOMPARE(fit.rungs, (std::vector<int>{2, 1, 0}));
    QCOMPARE(fit.totalBits, 8800.0);
    QCOMPARE(fit.avgBitsPerWeight, 8.8);
    QCOMPARE(fit.totalError, 100.0);
    QVERIFY(!fit.overBudget);
}

// 1100 bytes = 8800 bits: step 3 lands on the budget exactly, and that still fits.
void TestBudgetFit::fitBudgetReachedExactly() {
    const BudgetFit fit = fitBudget(handModel(), Budget::bytes(1100).totalBits(1000));
    QCOMPARE(fit.raises.size(), std::size_t(3));
    QCOMPARE(fit.totalBits, 8800.0);
    // One bit less and A 1 → 2 no longer fits: the fit ends after two raises at 7200.
    const BudgetFit less = fitBudget(handModel(), 8799.0);
    QCOMPARE(less.raises, (std::vector<FitRaise>{{1, 0, 1}, {0, 0, 1}}));
    QCOMPARE(less.totalBits, 7200.0);
    QCOMPARE(less.totalError, 20.0 + 60.0 + 40.0);
}

// 5 bits per weight = 5000 bits, but the first rungs need 5200: said so, and nothing moves.
void TestBudgetFit::fitBudgetTooSmall() {
    const BudgetFit fit = fitBudget(handModel(), 5000.0);
    QVERIFY(fit.overBudget);
    QVERIFY(fit.raises.empty());
    QCOMPARE(fit.rungs, (std::vector<int>{0, 0, 0}));
    QCOMPARE(fit.totalBits, 5200.0);
    QCOMPARE(fit.avgBitsPerWeight, 5.2);
    QCOMPARE(fit.totalError, 440.0);
    QVERIFY(!fitBudget(handModel(), 5200.0).overBudget); // the first rungs exactly on the budget
}

// T0 cannot take rung 0, so it starts on rung 1; T1 can take none (its 50 bits are fixed); T2
// skips its unavailable rung 1 and goes 0 → 2 in one raise.
//   T0 1 → 2: 40 / 200 = 0.2; T2 0 → 2: 30 / 300 = 0.1.
//   Start 50 + 100 + 100 = 250; budget 1000: T0 (450), then T2 (750).
void TestBudgetFit::fitUnavailableRungs() {
    BudgetProblem p;
    p.fixedBits = 50.0;
    p.totalParams = 100;
    p.tensors = {tensor("T0", 40, {kUnavailable, cost(100, 40), cost(300, 0)}),
                 tensor("T1", 10, {kUnavailable, kUnavailable, kUnavailable}),
                 tensor("T2", 50, {cost(100, 30), kUnavailable, cost(400, 0)})};
    const BudgetFit fit = fitBudget(p, 1000.0);
    QCOMPARE(fit.rungs, (std::vector<int>{2, -1, 2}));
    QCOMPARE(fit.raises, (std::vector<FitRaise>{{0, 1, 2}, {2, 0, 2}}));
    QCOMPARE(fit.totalBits, 750.0);
    QCOMPARE(fit.totalError, 0.0);
}

// The same 0.1 per bit for both; T1 reduces the error more, but the lower index goes first.
void TestBudgetFit::fitTiesGoToLowerIndex() {
    BudgetProblem p;
    p.totalParams = 30;
    p.tensors = {tensor("T0", 10, {cost(100, 10), cost(200, 0)}),
                 tensor("T1", 20, {cost(200, 20), cost(400, 0)})};
    const BudgetFit fit = fitBudget(p, 1000.0);
    QCOMPARE(fit.raises, (std::vector<FitRaise>{{0, 0, 1}, {1, 0, 1}}));
    // With room for one of the two only, the tie still goes to T0.
    QCOMPARE(fitBudget(p, 450.0).raises, (std::vector<FitRaise>{{0, 0, 1}}));
}

// T0's raise costs no bits and is taken first, before T1's 1 per bit, even at a budget the first
// rungs already spend (300 bits). T2's raise changes nothing and is never taken.
void TestBudgetFit::fitZeroBitRaiseFirst() {
    BudgetProblem p;
    p.totalParams = 30;
    p.tensors = {tensor("T0", 10, {cost(100, 50), cost(100, 10)}),
                 tensor("T1", 10, {cost(100, 100), cost(200, 0)}),
                 tensor("T2", 10, {cost(100, 5), cost(100, 5)})};
    const BudgetFit spent = fitBudget(p, 300.0);
    QCOMPARE(spent.raises, (std::vector<FitRaise>{{0, 0, 1}}));
    QCOMPARE(spent.totalError, 10.0 + 100.0 + 5.0);
    const BudgetFit roomy = fitBudget(p, 1000.0);
    QCOMPARE(roomy.raises, (std::vector<FitRaise>{{0, 0, 1}, {1, 0, 1}}));
    QCOMPARE(roomy.rungs, (std::vector<int>{1, 1, 0}));
    QCOMPARE(roomy.totalBits, 400.0);
}

void TestBudgetFit::applyWritesOverrides() {
    const Ladder ladder = parseLadder("q4_k,int8-channel,keep").value();
    BudgetProblem p = handModel();
    p.tensors.push_back(tensor("D", 0, {kUnavailable, kUnavailable, kUnavailable}));
    QuantPlan plan;
    PlanScheme q80;
    q80.format = NumberFormat::Q8_0;
    setOverride(plan, "D", PlanOverride{false, q80});
    setOverride(plan, "A", PlanOverride::keepStored()); // replaced by the fit
    BudgetFit fit = fitBudget(p, 9000.0);
    QCOMPARE(fit.rungs, (std::vector<int>{2, 1, 0, -1}));
    const QuantPlan fitted = applyBudgetFit(plan, ladder, p, fit);
    QCOMPARE(fitted.overrides.at("A"), PlanOverride::keepStored());
    QCOMPARE(fitted.overrides.at("B"), ladder[1].override());
    QCOMPARE(fitted.overrides.at("C"), ladder[0].override());
    QCOMPARE(fitted.overrides.at("D"), plan.overrides.at("D")); // no rung: left as it was
    QCOMPARE(fitted.defaults, plan.defaults);
    QCOMPARE(resolve(fitted, "B", {4, 256}).spec, intRung(8, "channel"));
    QVERIFY(plan.overrides.size() == 2); // the input plan is untouched
}

// A model of an embedding and a norm (ignored), q (fits every rung), down (rows of 200: no q4_k)
// and a tensor kept by an override, which the fit treats like any other.
void TestBudgetFit::measureCheckpoint() {
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("model.safetensors")).toStdString();
    const auto q = normalValues(4 * 256, 1);
    const auto down = normalValues(4 * 200, 2);
    const auto held = normalValues(2 * 256, 3);
    QVERIFY(writeSafetensors(
        path,
        {blobOf("model.embed_tokens.weight", {4, 256}, normalValues(1024, 4), DType::BF16),
         blobOf("model.norm.weight", {256}, normalValues(256, 5)), blobOf("layers.0.q.weight", {4, 256}, q),
         blobOf("layers.0.down.weight", {4, 200}, down, DType::BF16),
         blobOf("layers.0.held.weight", {2, 256}, held)}));
    const auto reader = openCheckpoint(path);
    QVERIFY(reader);
    QuantPlan plan;
    setOverride(plan, "layers.0.held.weight", PlanOverride::keepStored());
    const Ladder ladder = parseLadder("q4_k,int8-channel,keep").value();
    std::vector<double> progress;
    RunControl control;
    control.progress = [&progress](double f) { progress.push_back(f); };
    const auto problem = measureLadder(*reader.value(), plan, ladder, nullptr, control);
    QVERIFY2(problem, problem.error().c_str());
    QCOMPARE(problem->totalParams, std::int64_t(1024 + 256 + 1024 + 800 + 512));
    QCOMPARE(problem->fixedBits, 1024.0 * 16 + 256.0 * 32);
    QCOMPARE(problem->tensors.size(), std::size_t(3));
    const FitTensor &tq = problem->tensors[0];
    QCOMPARE(tq.name, std::string("layers.0.q.weight"));
    QCOMPARE(tq.index, std::size_t(2));
    QCOMPARE(tq.params, std::int64_t(1024));
    QVERIFY(!tq.weighted);
    // Each rung's bits and error: params × the scheme's bits, mse × params as measureScheme gives it.
    for (std::size_t r = 0; r < 2; ++r) {
        const QuantSpec spec = ladder[r].spec;
        const auto measured = measureScheme(q, {4, 256}, spec);
        QVERIFY(measured);
        QVERIFY(tq.rungs[r].available);
        QCOMPARE(tq.rungs[r].bits, 1024.0 * schemeBitsPerWeight(spec, {4, 256}));
        QCOMPARE(tq.rungs[r].error, measured->error.mse * 1024.0);
        QVERIFY(tq.rungs[r].error > 0.0);
    }
    QCOMPARE(tq.rungs[0].bits, 1024.0 * 4.5);
    QVERIFY(tq.rungs[2].available && tq.rungs[2].bits == 1024.0 * 32 && tq.rungs[2].error == 0.0);
    const FitTensor &td = problem->tensors[1];
    QVERIFY(!td.rungs[0].available);
    QVERIFY2(QString::fromStdString(td.rungs[0].unavailableBecause).contains(QStringLiteral("200")),
             td.rungs[0].unavailableBecause.c_str());
    QVERIFY(td.rungs[1].available && td.rungs[2].available);
    QCOMPARE(td.rungs[2].bits, 800.0 * 16); // stored BF16
    QCOMPARE(problem->tensors[2].name, std::string("layers.0.held.weight"));
    QVERIFY(!progress.empty() && progress.back() == 1.0);
    QVERIFY(std::is_sorted(progress.begin(), progress.end()));

    // Fitted and applied, the plan resolves every fitted tensor to its rung's scheme.
    const BudgetFit fit =
        fitBudget(problem.value(), Budget::bitsPerWeight(12.0).totalBits(problem->totalParams));
    QVERIFY(fit.totalBits <= fit.budgetBits && !fit.raises.empty());
    const QuantPlan fitted = applyBudgetFit(plan, ladder, problem.value(), fit);
    for (std::size_t t = 0; t < problem->tensors.size(); ++t) {
        const TensorInfo &info = reader.value()->tensors()[problem->tensors[t].index];
        const TensorResolution res = resolve(fitted, info.name, info.shape);
        const LadderRung &onRung = ladder[std::size_t(fit.rungs[t])];
        QCOMPARE(res.kept(), onRung.keep);
        if (!onRung.keep)
            QVERIFY(res.spec == onRung.spec);
    }
}

void TestBudgetFit::measureWeighsByImportance() {
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("w.safetensors")).toStdString();
    const auto values = normalValues(8 * 256, 9);
    QVERIFY(
        writeSafetensors(path, {blobOf("a.weight", {8, 256}, values), blobOf("b.weight", {8, 256}, values)}));
    const auto reader = openCheckpoint(path);
    QVERIFY(reader);
    std::vector<float> weights(256);
    for (std::size_t j = 0; j < weights.size(); ++j)
        weights[j] = float(1 + j % 7);
    const ImportanceMatrix matrix("m.dat", ImportanceForm::LegacyDat,
                                  {{"a.weight", ImportanceEntry{weights, 1}}}, {});
    const Ladder ladder = parseLadder("q4_k,keep").value();
    const auto problem = measureLadder(*reader.value(), {}, ladder, &matrix);
    QVERIFY2(problem, problem.error().c_str());
    const FitTensor &a = problem->tensors[0];
    const FitTensor &b = problem->tensors[1];
    QVERIFY(a.weighted && !b.weighted);
    // q4_k quantizes with the weights (llama.cpp's quant_weights path), and the error is weighed
    // by them.
    std::vector<float> xHat(values.size());
    QVERIFY(measureScheme(values, {8, 256}, ladder[0].spec, {}, xHat, weights));
    QCOMPARE(a.rungs[0].error, weightedMse(values, xHat, weights, 256).value() * 2048.0);
    const auto measured = measureScheme(values, {8, 256}, ladder[0].spec);
    QVERIFY(measured);
    QCOMPARE(b.rungs[0].error, measured->error.mse * 2048.0); // no entry: the plain error
    QVERIFY(a.rungs[0].error != b.rungs[0].error);

    const ImportanceMatrix wrong("m.dat", ImportanceForm::LegacyDat,
                                 {{"a.weight", ImportanceEntry{{1.0f, 2.0f}, 1}}}, {});
    const auto refused = measureLadder(*reader.value(), {}, ladder, &wrong);
    QVERIFY(!refused);
    QVERIFY2(QString::fromStdString(refused.error()).contains(QStringLiteral("a.weight")),
             refused.error().c_str());
}

void TestBudgetFit::measureCancels() {
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("c.safetensors")).toStdString();
    QVERIFY(writeSafetensors(path, {blobOf("a.weight", {8, 256}, normalValues(2048, 1)),
                                    blobOf("b.weight", {8, 256}, normalValues(2048, 2))}));
    const auto reader = openCheckpoint(path);
    std::atomic<int> reports = 0;
    RunControl control;
    control.progress = [&reports](double) { ++reports; };
    control.isCanceled = [&reports] { return reports.load() >= 1; }; // cancel after the first rung
    const auto problem =
        measureLadder(*reader.value(), {}, parseLadder("q4_k,q8_0,keep").value(), nullptr, control);
    QVERIFY(!problem);
    QCOMPARE(problem.error(), std::string("cancelled"));
    QCOMPARE(reports.load(), 1);
}

QTEST_GUILESS_MAIN(TestBudgetFit)
#include "tst_budgetfit.moc"
