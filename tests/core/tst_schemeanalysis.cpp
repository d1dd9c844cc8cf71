#include "analysis/analysisresult.h"
#include "analysis/schemeanalysis.h"
#include "calib/groupedestimate.h"
#include "io/floattensor.h"
#include "quant/ggmlencode.h"
#include "quant/ggmllayout.h"
#include "quant/halffloat.h"
#include "quant/minifloat.h"
#include "quant/nf4.h"
#include "quant/quantizer.h"
#include "stats/tensorstats.h"

#include <QTest>

#include <cmath>
#include <set>

using namespace qs;

namespace {

std::shared_ptr<const TensorAnalysis> makeTensor(std::vector<std::int64_t> shape, std::vector<float> values) {
    TensorInfo info;
    info.name = "t";
    info.dtype = DType::F32;
    info.shape = std::move(shape);
    auto analysis = std::make_shared<TensorAnalysis>();
    analysis->tensor = FloatTensor::fromVector(info, std::move(values));
    analysis->stats = computeStats(analysis->tensor->values()).value();
    return analysis;
}

std::shared_ptr<const SchemeAnalysis> analyze(const TensorAnalysis &tensor, const QuantSpec &spec) {
    auto result = analyzeScheme(tensor, spec);
    if (!result) {
        qWarning("%s", result.error().c_str());
        return nullptr;
    }
    return std::move(result).value();
}

Granularity group(std::int64_t size) {
    Granularity g;
    g.kind = Granularity::Kind::Group;
    g.size = size;
    return g;
}

Granularity channel() {
    Granularity g;
    g.kind = Granularity::Kind::Channel;
    return g;
}

QuantSpec formatSpec(NumberFormat format, Granularity granularity = {}) {
    QuantSpec spec;
    spec.format = format;
    spec.granularity = granularity;
    return spec;
}

// n values spread evenly over [lo, hi] (cell centres), for the estimator's exact case.
void appendEven(std::vector<float> &out, std::size_t n, double lo, double hi) {
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(float(lo + (hi - lo) * (double(i) + 0.5) / double(n)));
}

double exactMse(const TensorAnalysis &tensor, QuantSpec spec, double ratio) {
    spec.clipRatio = ratio;
    const auto q = quantizeScheme(tensor.tensor->values(), tensor.info().shape, spec);
    return compareValues(tensor.tensor->values(), q.value().dequantized).mse;
}

} // namespace

class TestSchemeAnalysis : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void intGroupLevelsByHand();
    void intNarrowLevelsByHand();
    void nf4LevelsAreAbsmaxTimesCodes();
    void fp8LevelsAreEveryFiniteCode();
    void mxfp4LevelsAreScaleTimesE2m1();
    void ggmlLevelsAreTheBlocksValues();
    void ggmlLevelCodesAreTheStoredQuants();
    void levelCodesDecodeToTheirLevels();
    void worstGroupIsLargestMse();
    void rejectedComboSaysWhy();
    void meanSquaredDistanceByHand();
    void estimateMatchesEvenlySpreadGroups_data();
    void estimateMatchesEvenlySpreadGroups();
    void estimatorSizeIndependentOfTensor();
    void ratioSweepEndsAtMinMax();
    void normalisedHistogramInGridUnits();
    void constantAndNanTensors();
};

// Group 0 holds ±7.5: symmetric 4-bit scale = amax / ((qmax − qmin) / 2) = 7.5 / 7.5 = 1, so the
// levels are (k − 0)·1 for k in [−8, 7].
void TestSchemeAnalysis::intGroupLevelsByHand() {
    QuantSpec spec = intSpec(4, Scheme::Symmetric);
    spec.granularity = group(4);
    const auto tensor = makeTensor({2, 4}, {7.5f, -7.5f, 1.0f, 0.3f, 0.1f, 0.2f, -0.2f, 0.0f});
    const auto a = analyze(*tensor, spec);
    QVERIFY(a);
    QCOMPARE(a->grid.groupCount(), 2);
    std::vector<double> expected;
    for (int k = -8; k <= 7; ++k)
        expected.push_back(double(k));
    QCOMPARE(groupLevels(*a, 0), expected);
    QCOMPARE(groupLevels(*a, 2), std::vector<double>{}); // out of range
}

// Narrow: scale = amax / qmax = 7 / 7 = 1, levels −7..7.
void TestSchemeAnalysis::intNarrowLevelsByHand() {
    QuantSpec spec = intSpec(4, Scheme::Symmetric, true);
    spec.granularity = group(4);
    const auto tensor = makeTensor({1, 4}, {7.0f, -2.0f, 1.0f, 0.5f});
    const auto a = analyze(*tensor, spec);
    QVERIFY(a);
    const std::vector<double> levels = groupLevels(*a, 0);
    QCOMPARE(levels.size(), std::size_t(15));
    QCOMPARE(levels.front(), -7.0);
    QCOMPARE(levels.back(), 7.0);
}

// One NF4 block of 64 with absmax 2: levels 2 × the 16 codes.
void TestSchemeAnalysis::nf4LevelsAreAbsmaxTimesCodes() {
    std::vector<float> values(64, 0.25f);
    values[3] = -2.0f;
    const auto tensor = makeTensor({64}, values);
    const auto a = analyze(*tensor, formatSpec(NumberFormat::Nf4));
    QVERIFY(a);
    const std::vector<double> levels = groupLevels(*a, 0);
    QCOMPARE(levels.size(), std::size_t(16));
    for (std::size_t i = 0; i < 16; ++i)
        QCOMPARE(levels[i], 2.0 * double(nf4Codebook()[i]));
}

// amax 448 per channel: e4m3 scale = 448 / 448 = 1, so the levels are the finite e4m3 values:
// 126 positive (127 non-negative with 0) and their negatives, 253 in all.
void TestSchemeAnalysis::fp8LevelsAreEveryFiniteCode() {
    const auto tensor = makeTensor({2, 2}, {448.0f, 1.0f, -3.0f, 0.5f});
    const auto a = analyze(*tensor, formatSpec(NumberFormat::Fp8E4M3, channel()));
    QVERIFY(a);
    const std::vector<double> levels = groupLevels(*a, 0);
    QCOMPARE(levels.size(), std::size_t(253));
    QCOMPARE(levels.front(), -448.0);
    QCOMPARE(levels.back(), 448.0);
    QVERIFY(std::is_sorted(levels.begin(), levels.end()));
    QVERIFY(std::find(levels.begin(), levels.end(), 0.0) != levels.end());
    QCOMPARE(double(a->quantization.scales[0]), 1.0);
}

// A block with amax 6: the E8M0 scale is 2^(floor(log2 6) − 2) = 1 (e2m1's largest exponent is
// 2), so the levels are ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}: 15 values.
void TestSchemeAnalysis::mxfp4LevelsAreScaleTimesE2m1() {
    std::vector<float> values(32, 0.7f);
    values[0] = 6.0f;
    const auto tensor = makeTensor({1, 32}, values);
    const auto a = analyze(*tensor, formatSpec(NumberFormat::MxFp4));
    QVERIFY(a);
    const std::vector<double> levels = groupLevels(*a, 0);
    const std::vector<double> expected{-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6};
    QCOMPARE(levels, expected);
}

// ggml's levels are every code of the scale group: Q8_0's 256, d · k for k in [-128, 127], with
// d = max|x| / 127 in float rounded to f16 (quantize_row_q8_0_ref; the second block's max|x| is
// 0.984375); each x̂ is one of them. Q4_K's are the sub-block's 16, evenly spaced by its
// effective scale.
void TestSchemeAnalysis::ggmlLevelsAreTheBlocksValues() {
    std::vector<float> values;
    appendEven(values, 64, -1.0, 1.0);
    const auto tensor = makeTensor({2, 32}, values);
    const auto a = analyze(*tensor, formatSpec(NumberFormat::Q8_0));
    QVERIFY(a);
    QCOMPARE(a->grid.groupCount(), 2);
    const std::vector<double> levels = groupLevels(*a, 1);
    QCOMPARE(levels.size(), std::size_t(256));
    const double d = double(roundToHalf(HalfFormat::F16, 0.984375f / 127.0f));
    QCOMPARE(double(a->quantization.scales[1]), d);
    QCOMPARE(levels.front(), -128.0 * d);
    QCOMPARE(levels.back(), 127.0 * d);
    for (std::size_t i = 32; i < 64; ++i)
        QVERIFY(std::binary_search(levels.begin(), levels.end(), double(a->quantization.dequantized[i])));

    std::vector<float> ramp;
    appendEven(ramp, 256, 0.5, 3.0); // positive: the sub-blocks' mins are non-zero
    const auto k4 = analyze(*makeTensor({1, 256}, ramp), formatSpec(NumberFormat::Q4_K));
    QVERIFY(k4);
    QCOMPARE(k4->grid.groupCount(), 8);
    for (std::int64_t g = 0; g < 8; ++g) {
        const std::vector<double> sub = groupLevels(*k4, g);
        QCOMPARE(sub.size(), std::size_t(16));
        const double step = k4->quantization.scales[std::size_t(g)];
        for (std::size_t j = 1; j < sub.size(); ++j)
            QVERIFY(std::abs(sub[j] - sub[j - 1] - step) <= 1e-5 * step);
        for (std::int64_t i = 32 * g; i < 32 * (g + 1); ++i)
            QVERIFY(std::binary_search(sub.begin(), sub.end(),
                                       double(k4->quantization.dequantized[std::size_t(i)])));
    }
}

// The code the mapping names for a level is the quant the block stores for a value on it, by
// ggml-common.h's layouts: after the f16 d, Q4_0 packs element j in the low nibble of qs[j] and
// element j + 16 in its high nibble; Q8_0 holds one int8 per element. Block 0's largest |x| is
// +0.9, so Q4_0's d = 0.9 / -8 is negative and its codes run downwards (the lowest level is
// nibble 15); block 1's is -0.9 (d > 0, the lowest level is nibble 0). Q8_0's d = amax / 127 is
// positive: its lowest level is int8 -128.
void TestSchemeAnalysis::ggmlLevelCodesAreTheStoredQuants() {
    std::vector<float> row;
    for (int j = 0; j < 32; ++j)
        row.push_back(-0.5f + 1.4f * float(j) / 31.0f);
    for (int j = 0; j < 32; ++j)
        row.push_back(0.5f - 1.4f * float(j) / 31.0f);
    const auto tensor = makeTensor({1, 64}, row);
    for (const auto &[type, format] :
         {std::pair{GgmlType::Q4_0, NumberFormat::Q4_0}, std::pair{GgmlType::Q8_0, NumberFormat::Q8_0}}) {
        const GgmlBlockLayout layout = ggmlBlockLayout(type);
        const auto a = analyze(*tensor, formatSpec(format));
        QVERIFY(a);
        std::vector<std::byte> blocks(2 * layout.blockBytes);
        QVERIFY(quantizeGgmlRow(type, row, blocks));
        for (std::int64_t g = 0; g < 2; ++g) {
            const std::vector<double> levels = groupLevels(*a, g);
            const LevelCodes codes = groupLevelCodes(*a, g);
            QCOMPARE(codes.codes.size(), levels.size());
            QCOMPARE(codes.hexDigits, 0);
            const std::byte *quants = blocks.data() + std::size_t(g) * layout.blockBytes + layout.qs;
            for (int j = 0; j < 32; ++j) {
                const double xhat = a->quantization.dequantized[std::size_t(32 * g + j)];
                const auto at = std::lower_bound(levels.begin(), levels.end(), xhat);
                QVERIFY(at != levels.end() && *at == xhat);
                const auto byte = std::uint8_t(quants[type == GgmlType::Q4_0 ? j % 16 : j]);
                const std::int64_t stored = type == GgmlType::Q8_0 ? std::int8_t(byte)
                                            : j < 16               ? byte & 0xF
                                                                   : byte >> 4;
                QCOMPARE(codes.codes[std::size_t(at - levels.begin())], stored);
            }
        }
        const std::int64_t lowest0 = groupLevelCodes(*a, 0).codes.front();
        const std::int64_t lowest1 = groupLevelCodes(*a, 1).codes.front();
        QCOMPARE(lowest0, type == GgmlType::Q4_0 ? 15 : -128);
        QCOMPARE(lowest1, type == GgmlType::Q4_0 ? 0 : -128);
    }
}

// Every other family's codes decode to their levels by the format's own decoder: int k
// dequantizes to level k (symmetric int4: codes -8 … 7), e4m3's bit pattern times the channel's
// scale (sign bit first: the lowest level -448 is 0xFE, 0 is 0x00), e2m1's (MXFP4, one hex
// digit), NF4's table index times absmax, and F16's 16-bit pattern.
void TestSchemeAnalysis::levelCodesDecodeToTheirLevels() {
    QuantSpec int4 = intSpec(4, Scheme::Symmetric);
    int4.granularity = group(4);
    const auto a = analyze(*makeTensor({1, 4}, {7.5f, -7.5f, 1.0f, 0.3f}), int4);
    QVERIFY(a);
    const std::vector<double> intLevels = groupLevels(*a, 0);
    const LevelCodes intCodes = groupLevelCodes(*a, 0);
    QCOMPARE(intCodes.codes.front(), std::int64_t(-8));
    QCOMPARE(intCodes.codes.back(), std::int64_t(7));
    QCOMPARE(intCodes.codes.size(), intLevels.size());
    QuantParams p;
    p.bits = 4;
    p.qmin = -8;
    p.qmax = 7;
    p.scale = a->quantization.scales[0];
    for (std::size_t k = 0; k < intLevels.size(); ++k)
        QCOMPARE(double(dequantizeValue(intCodes.codes[k], p)), intLevels[k]);

    const auto fp8 = analyze(*makeTensor({2, 2}, {448.0f, 1.0f, -3.0f, 0.5f}),
                             formatSpec(NumberFormat::Fp8E4M3, channel()));
    QVERIFY(fp8);
    const std::vector<double> fp8Levels = groupLevels(*fp8, 0);
    const LevelCodes fp8Codes = groupLevelCodes(*fp8, 0);
    QCOMPARE(fp8Codes.codes.size(), fp8Levels.size());
    QCOMPARE(fp8Codes.hexDigits, 2);
    QCOMPARE(fp8Codes.codes.front(), std::int64_t(0xFE));
    QCOMPARE(fp8Codes.codes.back(), std::int64_t(0x7E));
    for (std::size_t k = 0; k < fp8Levels.size(); ++k)
        QCOMPARE(double(decodeMiniFloat(MiniFloat::E4M3, std::uint8_t(fp8Codes.codes[k]))), fp8Levels[k]);

    std::vector<float> block(32, 0.7f);
    block[0] = 6.0f; // E8M0 scale 1: the levels are e2m1's values
    const auto mx = analyze(*makeTensor({1, 32}, block), formatSpec(NumberFormat::MxFp4));
    QVERIFY(mx);
    const std::vector<double> mxLevels = groupLevels(*mx, 0);
    const LevelCodes mxCodes = groupLevelCodes(*mx, 0);
    QCOMPARE(mxCodes.codes.size(), mxLevels.size());
    QCOMPARE(mxCodes.hexDigits, 1);
    for (std::size_t k = 0; k < mxLevels.size(); ++k)
        QCOMPARE(double(decodeMiniFloat(MiniFloat::E2M1, std::uint8_t(mxCodes.codes[k]))), mxLevels[k]);

    std::vector<float> nf4Block(64, 0.25f);
    nf4Block[3] = -2.0f;
    const auto nf4 = analyze(*makeTensor({64}, nf4Block), formatSpec(NumberFormat::Nf4));
    QVERIFY(nf4);
    const std::vector<double> nf4Levels = groupLevels(*nf4, 0);
    const LevelCodes nf4Codes = groupLevelCodes(*nf4, 0);
    QCOMPARE(nf4Codes.codes.size(), nf4Levels.size());
    for (std::size_t k = 0; k < nf4Levels.size(); ++k)
        QCOMPARE(2.0 * double(nf4Codebook()[std::size_t(nf4Codes.codes[k])]), nf4Levels[k]);

    QuantSpec f16 = formatSpec(NumberFormat::F16);
    const auto cast = analyze(*makeTensor({4}, {-1.0f, 0.0f, 0.5f, 1.0f}), f16);
    QVERIFY(cast);
    const std::vector<double> castLevels = groupLevels(*cast, 0);
    const LevelCodes castCodes = groupLevelCodes(*cast, 0);
    QVERIFY(castLevels.size() > 2);
    QCOMPARE(castCodes.codes.size(), castLevels.size());
    QCOMPARE(castCodes.hexDigits, 4);
    for (std::size_t k = 0; k < castLevels.size(); ++k)
        QCOMPARE(double(decodeHalf(HalfFormat::F16, std::uint16_t(castCodes.codes[k]))), castLevels[k]);
    QVERIFY(std::find(castCodes.codes.begin(), castCodes.codes.end(), std::int64_t(0x3C00)) !=
            castCodes.codes.end()); // 1.0
    QVERIFY(std::find(castCodes.codes.begin(), castCodes.codes.end(), std::int64_t(0xBC00)) !=
            castCodes.codes.end());                                   // -1.0
    QCOMPARE(groupLevelCodes(*cast, 1).codes.size(), std::size_t(0)); // out of range
}

void TestSchemeAnalysis::worstGroupIsLargestMse() {
    std::vector<float> values;
    for (int g = 0; g < 8; ++g)
        appendEven(values, 128, -0.1 * (g % 3 + 1), 0.05 * (g + 1)); // ranges differ per group
    QuantSpec spec = intSpec(4, Scheme::Symmetric);
    spec.granularity = group(128);
    const auto tensor = makeTensor({8, 128}, values);
    const auto a = analyze(*tensor, spec);
    QVERIFY(a);
    std::size_t worst = 0;
    std::vector<double> mse(8, 0.0);
    for (std::size_t g = 0; g < 8; ++g) {
        for (std::size_t i = 0; i < 128; ++i) {
            const double e = double(values[g * 128 + i]) - double(a->quantization.dequantized[g * 128 + i]);
            mse[g] += e * e / 128.0;
        }
        QVERIFY(std::abs(mse[g] - a->groupMse[g]) <= 1e-12 + 1e-9 * mse[g]);
        if (mse[g] > mse[worst])
            worst = g;
    }
    QCOMPARE(a->worstGroup, std::int64_t(worst));
}

void TestSchemeAnalysis::rejectedComboSaysWhy() {
    const auto tensor = makeTensor({1, 32}, std::vector<float>(32, 1.0f));
    const auto result = analyzeScheme(*tensor, formatSpec(NumberFormat::MxFp4, group(128)));
    QVERIFY(!result);
    QVERIFY(QString::fromStdString(result.error()).contains(QStringLiteral("does not apply to mxfp4")));
}

// Levels {0, 1}: each half of [0, 1] is within 1/2 of its level: ∫ d² = 2 · (1/2)³ / 3 = 1/12.
// Beyond the last level, [1, 3] is all clipping to 1: mean of d² over [0, 2] = 4/3.
void TestSchemeAnalysis::meanSquaredDistanceByHand() {
    const std::vector<double> levels{0.0, 1.0};
    std::size_t cell = 0;
    QCOMPARE(meanSquaredDistance(0.0, 1.0, levels, cell), 1.0 / 12.0);
    QCOMPARE(meanSquaredDistance(1.0, 3.0, levels, cell), 4.0 / 3.0);
    cell = 0;
    QCOMPARE(meanSquaredDistance(0.25, 0.25, levels, cell), 0.0625); // a point
}

void TestSchemeAnalysis::estimateMatchesEvenlySpreadGroups_data() {
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("bits");
    QTest::addColumn<bool>("asymmetric");
    QTest::addColumn<double>("ratio");
    for (double ratio : {1.0, 0.8, 0.55}) {
        QTest::addRow("int4 sym %.2f", ratio) << int(NumberFormat::Int) << 4 << false << ratio;
        QTest::addRow("int4 asym %.2f", ratio) << int(NumberFormat::Int) << 4 << true << ratio;
        QTest::addRow("int8 sym %.2f", ratio) << int(NumberFormat::Int) << 8 << false << ratio;
        QTest::addRow("fp8 %.2f", ratio) << int(NumberFormat::Fp8E4M3) << 8 << false << ratio;
    }
}

// Groups whose values are spread evenly over ranges of different widths and offsets: the
// estimate equals the exact MSE within 3 % (tolerance for float32 scales, and for bins that
// straddle a level boundary with a slightly uneven spread).
void TestSchemeAnalysis::estimateMatchesEvenlySpreadGroups() {
    QFETCH(int, format);
    QFETCH(int, bits);
    QFETCH(bool, asymmetric);
    QFETCH(double, ratio);
    std::vector<float> values;
    constexpr int kGroups = 6;
    constexpr std::size_t kPerGroup = 8192;
    for (int g = 0; g < kGroups; ++g) {
        const double width = 0.02 * (g + 1);
        const double lo = asymmetric ? -width * (0.2 + 0.1 * g) : -width;
        appendEven(values, kPerGroup, lo, width);
    }
    QuantSpec spec = intSpec(bits, asymmetric ? Scheme::Asymmetric : Scheme::Symmetric);
    spec.format = NumberFormat(format);
    spec.granularity = group(std::int64_t(kPerGroup));
    const auto tensor = makeTensor({kGroups, std::int64_t(kPerGroup)}, values);
    const auto grid = ParamGrid::make(tensor->info().shape, spec.granularity).value();
    const GroupedEstimateInput input = groupedEstimateInput(tensor->tensor->values(), grid, spec);
    const double exact = exactMse(*tensor, spec, ratio);
    const double estimate = estimateGroupedError(input, ratio).mse;
    QVERIFY2(std::abs(estimate - exact) <= 0.03 * exact,
             qPrintable(QStringLiteral("estimate %1, exact %2").arg(estimate).arg(exact)));
}

// The estimate runs over the input's bins, whose number does not grow with the tensor.
void TestSchemeAnalysis::estimatorSizeIndependentOfTensor() {
    QuantSpec spec = intSpec(4, Scheme::Symmetric);
    spec.granularity = group(64);
    std::size_t cells[2] = {};
    for (std::size_t rows : {4u, 256u}) {
        std::vector<float> values;
        appendEven(values, rows * 64, -1.0, 1.0);
        const auto grid = ParamGrid::make({std::int64_t(rows), 64}, spec.granularity).value();
        const GroupedEstimateInput input = groupedEstimateInput(values, grid, spec, 512);
        QCOMPARE(input.classes.size(), std::size_t(1)); // symmetric: one zero point
        cells[rows == 4u ? 0 : 1] = input.classes.front().bins();
    }
    QCOMPARE(cells[0], cells[1]);
}

void TestSchemeAnalysis::ratioSweepEndsAtMinMax() {
    std::vector<float> values;
    for (int i = 0; i < 4096; ++i)
        values.push_back(float(std::sin(0.7 * i) * std::exp(-0.001 * (i % 500))));
    QuantSpec spec = intSpec(4, Scheme::Symmetric);
    spec.granularity = group(128);
    const auto tensor = makeTensor({32, 128}, values);
    const auto a = analyze(*tensor, spec);
    QVERIFY(a);
    QVERIFY(!a->ratioSweep.empty());
    QCOMPARE(a->ratioSweep.back().ratio, 1.0);
    QVERIFY(a->bestRatio.mse <= a->ratioSweep.back().mse);
    // At ratio 1 the estimate is close to the exact figure of the min-max spec.
    QVERIFY(std::abs(a->ratioSweep.back().mse - a->error.mse) <= 0.1 * a->error.mse);
}

// x / s over all groups: symmetric 4-bit, every group's values reach ±7.5 in units of its scale.
void TestSchemeAnalysis::normalisedHistogramInGridUnits() {
    std::vector<float> values;
    appendEven(values, 128, -0.5, 0.5);
    appendEven(values, 128, -3.0, 3.0);
    QuantSpec spec = intSpec(4, Scheme::Symmetric);
    spec.granularity = group(128);
    const auto tensor = makeTensor({2, 128}, values);
    const auto a = analyze(*tensor, spec);
    QVERIFY(a);
    QVERIFY(a->normalised.lo >= -7.6 && a->normalised.lo <= -7.4);
    QVERIFY(a->normalised.hi >= 7.4 && a->normalised.hi <= 7.6);
    QCOMPARE(a->normalised.total(), std::int64_t(256));
    const std::vector<double> levels = normalisedLevels(*a, 1, 0.5);
    QCOMPARE(levels.front(), -4.0); // 0.5 · −8
}

void TestSchemeAnalysis::constantAndNanTensors() {
    QuantSpec spec = intSpec(4, Scheme::Asymmetric);
    spec.granularity = group(4);
    const auto zeros = makeTensor({2, 4}, std::vector<float>(8, 0.0f));
    const auto a = analyze(*zeros, spec);
    QVERIFY(a);
    QCOMPARE(a->error.mse, 0.0);
    QVERIFY(!groupLevels(*a, 0).empty());
    const auto nan = makeTensor({1, 4}, {NAN, 1.0f, -1.0f, NAN});
    const auto b = analyze(*nan, spec);
    QVERIFY(b);
    QVERIFY(std::isfinite(b->error.mse));
    QVERIFY(estimateGroupedError(b->estimator, 0.7).mse >= 0.0);
}

QTEST_GUILESS_MAIN(TestSchemeAnalysis)
#include "tst_schemeanalysis.moc"
