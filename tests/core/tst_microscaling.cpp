#include "exactfloat.h"
#include "quant/blocklayout.h"
#include "quant/microscaling.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace qs;
using qs::test::compareExactly;
using qs::test::identical;

Q_DECLARE_METATYPE(qs::MxFormat)
Q_DECLARE_METATYPE(std::vector<float>)

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kFloatMax = std::numeric_limits<float>::max();

float pow2(int k) {
    return std::ldexp(1.0f, k);
}

// A [rows, cols] tensor of zeros with the given leading values in each row.
std::vector<float> rowsStartingWith(std::size_t cols, const std::vector<std::vector<float>> &heads) {
    std::vector<float> values(heads.size() * cols, 0.0f);
    for (std::size_t row = 0; row < heads.size(); ++row)
        std::copy(heads[row].begin(), heads[row].end(), values.begin() + std::ptrdiff_t(row * cols));
    return values;
}

std::vector<float> randomNormal(std::size_t count, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> values(count);
    for (float &v : values)
        v = normal(rng);
    return values;
}

} // namespace

class TestMicroscaling : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void mxBlocksByHand_data();
    void mxBlocksByHand();
    void mxScalesInRowMajorOrder();
    void mxZeroBlock_data();
    void mxZeroBlock();
    void mxScaleClampsToE8M0();
    void mxNonFinite();
    void mxRejectsPartialBlocks();
    void nvFp4BlocksByHand();
    void nvFp4ZeroAndTinyTensors();
    void nvFp4NonFinite();
    void nvFp4RejectsPartialBlocks();
    void sameWhenSplitByRows();
    void bitsPerWeight();
};

// Three rows of one 32-value block each; each block's amax gives its scale
// 2^(floor(log2 amax) - emax), every value is x / scale rounded to the element format (ties to
// even, saturating) times the scale. Worked by hand:
//  amax 5    → floor(log2) 2;  amax 7.9 → 2;  amax 0.1 → -4 (0.1 = 1.6 · 2^-4).
//  mxfp4 (emax 2), e2m1 levels 0 0.5 1 1.5 2 3 4 6:
//   row 0, scale 2^0: 5 → 4 (tie 4|6, even), 0.3 → 0.5, -0.75 → -1 (tie), 2.5 → 2 (tie),
//          -3.4 → -3, 1.25 → 1 (tie), 0.2 → 0, 4.9 → 4
//   row 1, scale 2^0: 7.9 → 6 (saturated), -7 → -6, 0.5 → 0.5, 6.5 → 6, -0 stays -0
//   row 2, scale 2^-6 (x · 64): 6.4 → 6, 3.2 → 3, -1.28 → -1.5, 0.384 → 0.5
//  mxfp8 (emax 8), e4m3 steps 1 in [8,16), 2 in [16,32), 8 in [64,128), 16 in [128,256), 32 above:
//   row 0, scale 2^-6 (x · 64): 320 → 320, 19.2 → 20, -48, 160, -217.6 → -224, 80, 12.8 → 13,
//          313.6 → 320
//   row 1, scale 2^-6: 505.6 → 448 (saturated), -448, 32, 416, -0
//   row 2, scale 2^-12 (x · 4096): 409.6 → 416, 204.8 → 208, -81.92 → -80, 24.576 → 24
void TestMicroscaling::mxBlocksByHand_data() {
    QTest::addColumn<MxFormat>("format");
    QTest::addColumn<std::vector<float>>("scales");
    QTest::addColumn<std::vector<float>>("expected");
    const std::vector<std::vector<float>> fp4 = {
        {4.0f, 0.5f, -1.0f, 2.0f, -3.0f, 1.0f, 0.0f, 4.0f},
        {6.0f, -6.0f, 0.5f, 6.0f, -0.0f},
        {6.0f / 64, 3.0f / 64, -1.5f / 64, 0.5f / 64},
    };
    QTest::addRow("mxfp4") << MxFormat::MxFp4 << std::vector<float>{1.0f, 1.0f, pow2(-6)}
                           << rowsStartingWith(kMxBlockSize, fp4);
    const std::vector<std::vector<float>> fp8 = {
        {5.0f, 0.3125f, -0.75f, 2.5f, -3.5f, 1.25f, 0.203125f, 5.0f},
        {7.0f, -7.0f, 0.5f, 6.5f, -0.0f},
        {416.0f / 4096, 208.0f / 4096, -80.0f / 4096, 24.0f / 4096},
    };
    QTest::addRow("mxfp8") << MxFormat::MxFp8 << std::vector<float>{pow2(-6), pow2(-6), pow2(-12)}
                           << rowsStartingWith(kMxBlockSize, fp8);
}

void TestMicroscaling::mxBlocksByHand() {
    QFETCH(MxFormat, format);
    QFETCH(std::vector<float>, scales);
    QFETCH(std::vector<float>, expected);
    const std::vector<std::vector<float>> heads = {
        {5.0f, 0.3f, -0.75f, 2.5f, -3.4f, 1.25f, 0.2f, 4.9f},
        {7.9f, -7.0f, 0.5f, 6.5f, -0.0f},
        {0.1f, 0.05f, -0.02f, 0.006f},
    };
    const std::vector<float> in = rowsStartingWith(kMxBlockSize, heads);
    std::vector<float> out(in.size());
    const auto result = fakeQuantizeMx(format, in, out, 3, kMxBlockSize);
    QVERIFY2(result, result.error().c_str());
    compareExactly(result.value(), scales);
    compareExactly(out, expected);
}

// Blocks follow each other along a row: [2, 64] gives scales (row 0 block 0, row 0 block 1,
// row 1 block 0, row 1 block 1) for amaxes 5, 0.1, 7.9 and 0 (the smallest E8M0 scale).
void TestMicroscaling::mxScalesInRowMajorOrder() {
    std::vector<float> in(2 * 64, 0.0f);
    in[3] = 5.0f;
    in[32 + 7] = -0.1f;
    in[64 + 31] = 7.9f;
    std::vector<float> out(in.size());
    const auto scales = fakeQuantizeMx(MxFormat::MxFp4, in, out, 2, 64);
    QVERIFY2(scales, scales.error().c_str());
    compareExactly(scales.value(), {1.0f, pow2(-6), 1.0f, pow2(-127)});
    QCOMPARE(out[3], 4.0f);
    QCOMPARE(out[32 + 7], -6.0f / 64);
    QCOMPARE(out[64 + 31], 6.0f);
}

void TestMicroscaling::mxZeroBlock_data() {
    QTest::addColumn<MxFormat>("format");
    QTest::addRow("mxfp4") << MxFormat::MxFp4;
    QTest::addRow("mxfp8") << MxFormat::MxFp8;
}

// amax = 0: log2 would be -inf, which E8M0's range clamps to the smallest scale 2^-127; every
// element is then 0 / 2^-127 = 0. NaN is not a magnitude (amax stays 0) and stays NaN.
void TestMicroscaling::mxZeroBlock() {
    QFETCH(MxFormat, format);
    std::vector<float> in(kMxBlockSize, 0.0f);
    in[5] = kNan;
    std::vector<float> out(in.size(), 1.0f);
    QCOMPARE(fakeQuantizeMxBlock(format, in, out), pow2(-127));
    QCOMPARE(mxScale(format, 0.0f), pow2(-127));
    for (std::size_t i = 0; i < out.size(); ++i)
        QVERIFY(i == 5 ? std::isnan(out[i]) : identical(out[i], 0.0f));
}

// The shared exponent floor(log2 amax) - emax is clamped to E8M0's [-127, 127]:
//  amax 2^-128 (a float32 subnormal): -130 (mxfp4) / -136 (mxfp8) clamp to -127, so
//  2^-128 → 0.5 (exact in both), 2^-130 → 0.125 (e2m1: 0, e4m3: exact 2^-3),
//  2^-140 → 2^-13 (0 in both: below half the smallest e4m3 subnormal 2^-9).
//  The top clamp cannot be reached from float32: floor(log2 FLT_MAX) = 127 gives 125 and 119.
void TestMicroscaling::mxScaleClampsToE8M0() {
    const std::vector<float> in = {pow2(-128), pow2(-130), -pow2(-140), 0.0f};
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeMxBlock(MxFormat::MxFp4, in, out), pow2(-127));
    compareExactly(out, {pow2(-128), 0.0f, -0.0f, 0.0f});
    QCOMPARE(fakeQuantizeMxBlock(MxFormat::MxFp8, in, out), pow2(-127));
    compareExactly(out, {pow2(-128), pow2(-130), -0.0f, 0.0f});

    QCOMPARE(mxScale(MxFormat::MxFp4, kFloatMax), pow2(125));
    QCOMPARE(mxScale(MxFormat::MxFp8, kFloatMax), pow2(119));
    // FLT_MAX / 2^125 = 7.99... saturates to 6: 6 · 2^125 = 1.5 · 2^127.
    const std::vector<float> huge = {kFloatMax, 1.0f};
    std::vector<float> hugeOut(huge.size());
    fakeQuantizeMxBlock(MxFormat::MxFp4, huge, hugeOut);
    compareExactly(hugeOut, {1.5f * pow2(127), 0.0f});
}

// amax ignores ±Inf and NaN: amax 3 → floor(log2) 1 → mxfp4 scale 2^-1, mxfp8 2^-7. Inf
// saturates to ±element max · scale: ±6 · 0.5 = ±3 and ±448 · 2^-7 = ±3.5.
void TestMicroscaling::mxNonFinite() {
    const std::vector<float> in = {1.0f, kInf, -kInf, kNan, 3.0f};
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeMxBlock(MxFormat::MxFp4, in, out), 0.5f);
    compareExactly(out, {1.0f, 3.0f, -3.0f, kNan, 3.0f});
    QCOMPARE(fakeQuantizeMxBlock(MxFormat::MxFp8, in, out), pow2(-7));
    compareExactly(out, {1.0f, 3.5f, -3.5f, kNan, 3.0f});
}

void TestMicroscaling::mxRejectsPartialBlocks() {
    std::vector<float> in(2 * 48, 1.0f), out(in.size(), -1.0f);
    const auto result = fakeQuantizeMx(MxFormat::MxFp8, in, out, 2, 48);
    QVERIFY(!result);
    QCOMPARE(QString::fromStdString(result.error()),
             QStringLiteral("row length 48 is not a multiple of the block size 32"));
    QCOMPARE(out.front(), -1.0f);                              // nothing written
    QVERIFY(!fakeQuantizeMx(MxFormat::MxFp4, in, out, 2, 32)); // 96 values are not 2 × 32
}

// [5, 16], tensor amax 12 → g = 448 · 6 / 12 = 224. Per row s_b = e4m3(224 · amax_b / 6),
// x̂ = s_b · e2m1(x · 224 / s_b) / 224:
//  row 0, amax 12: s_b = 448, x · 224 / 448 = x / 2: 12 → 6 → 12; 5 → 2.5 → 2 (tie, even) → 4;
//         -1.1 → -0.55 → -0.5 → -1; 0.4 → 0.2 → 0
//  row 1, amax 3: s_b = 112, x · 2: 3 → 6 → 3; -0.7 → -1.4 → -1.5 → -0.75; 1.3 → 2.6 → 3 → 1.5
//  row 2, amax 1: 224 / 6 = 37.33 → s_b = 36 (e4m3 steps of 4 in [32, 64)), x · 224 / 36:
//         1 → 6.22 → 6 → 216 / 224 = 27/28; 0.5 → 3.11 → 3 → 27/56; -0.25 → -1.56 → -1.5 → -27/112
//  row 3, amax 0: s_b = 0, x̂ = 0 (NaN stays NaN)
//  row 4, amax 1e-6: 224e-6 / 6 = 3.7e-5 is below half the smallest e4m3 subnormal (2^-10), so
//         s_b = 0 and x̂ = 0.
void TestMicroscaling::nvFp4BlocksByHand() {
    const std::vector<std::vector<float>> heads = {
        {12.0f, 5.0f, -1.1f, 0.4f}, {3.0f, -0.7f, 1.3f}, {1.0f, 0.5f, -0.25f}, {0.0f, kNan}, {1e-6f, -5e-7f},
    };
    const std::vector<std::vector<float>> expectedHeads = {
        {12.0f, 4.0f, -1.0f, 0.0f},
        {3.0f, -0.75f, 1.5f},
        {float(27.0 / 28), float(27.0 / 56), float(-27.0 / 112)},
        {0.0f, kNan},
        {0.0f, 0.0f},
    };
    const std::vector<float> in = rowsStartingWith(kNvFp4BlockSize, heads);
    const float g = nvFp4GlobalScale(finiteAbsMax(in));
    QCOMPARE(g, 224.0f);
    std::vector<float> out(in.size());
    const auto scales = fakeQuantizeNvFp4(in, out, 5, kNvFp4BlockSize, g);
    QVERIFY2(scales, scales.error().c_str());
    compareExactly(scales.value(), {448.0f, 112.0f, 36.0f, 0.0f, 0.0f});
    compareExactly(out, rowsStartingWith(kNvFp4BlockSize, expectedHeads));
    QCOMPARE(nvFp4BlockScale(224.0f, 1.0f), 36.0f);
}

// amax 0: g would be 2688 / 0 = Inf; it is capped at FLT_MAX, every s_b = e4m3(FLT_MAX · 0 / 6)
// = 0 and x̂ = 0. A tiny amax (1e-37, where 2688 / amax overflows) takes the same cap and still
// quantizes: s_b = e4m3(FLT_MAX · 1e-37 / 6 = 5.67) = 5.5, x̂ = 5.5 · 6 / FLT_MAX ≈ 9.7e-38.
void TestMicroscaling::nvFp4ZeroAndTinyTensors() {
    QCOMPARE(nvFp4GlobalScale(0.0f), kFloatMax);
    QCOMPARE(nvFp4GlobalScale(kNan), kFloatMax);
    std::vector<float> zeros(32, 0.0f), out(32, 1.0f);
    const auto zeroScales = fakeQuantizeNvFp4(zeros, out, 1, 32, nvFp4GlobalScale(finiteAbsMax(zeros)));
    QVERIFY(zeroScales);
    compareExactly(zeroScales.value(), {0.0f, 0.0f});
    compareExactly(out, zeros);

    const std::vector<float> tiny = {1e-37f, 0.0f};
    std::vector<float> tinyOut(tiny.size());
    const float g = nvFp4GlobalScale(finiteAbsMax(tiny));
    QCOMPARE(g, kFloatMax);
    QCOMPARE(fakeQuantizeNvFp4Block(tiny, tinyOut, g), 5.5f);
    QCOMPARE(tinyOut[0], 33.0f / kFloatMax);
    QCOMPARE(tinyOut[1], 0.0f);
}

// amax ignores ±Inf and NaN (3 → s_b = 112 with g = 224); ±Inf saturate to ±6 · 112 / 224 = ±3.
void TestMicroscaling::nvFp4NonFinite() {
    const std::vector<float> in = {kInf, kNan, 3.0f, -kInf};
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeNvFp4Block(in, out, 224.0f), 112.0f);
    compareExactly(out, {3.0f, kNan, 3.0f, -3.0f});
    // A global scale that is not positive and finite gives s_b = 0 and x̂ = 0.
    QCOMPARE(fakeQuantizeNvFp4Block(in, out, kNan), 0.0f);
    compareExactly(out, {0.0f, kNan, 0.0f, 0.0f});
}

void TestMicroscaling::nvFp4RejectsPartialBlocks() {
    std::vector<float> in(2 * 24, 1.0f), out(in.size());
    const auto result = fakeQuantizeNvFp4(in, out, 2, 24, 224.0f);
    QVERIFY(!result);
    QCOMPARE(QString::fromStdString(result.error()),
             QStringLiteral("row length 24 is not a multiple of the block size 16"));
}

// The caller parallelises by rows (NVFP4 with the tensor's global scale computed first):
// quantizing groups of rows separately gives the same bits and scales.
void TestMicroscaling::sameWhenSplitByRows() {
    constexpr std::size_t rows = 8, cols = 96;
    const std::vector<float> in = randomNormal(rows * cols, 11);
    const float g = nvFp4GlobalScale(finiteAbsMax(in));
    const auto run = [&](std::size_t rowsPerCall, int scheme) {
        std::vector<float> out(in.size()), scales;
        for (std::size_t row = 0; row < rows; row += rowsPerCall) {
            const auto inPart = std::span<const float>(in).subspan(row * cols, rowsPerCall * cols);
            const auto outPart = std::span<float>(out).subspan(row * cols, rowsPerCall * cols);
            const auto part = scheme == 2
                                  ? fakeQuantizeNvFp4(inPart, outPart, rowsPerCall, cols, g)
                                  : fakeQuantizeMx(MxFormat(scheme), inPart, outPart, rowsPerCall, cols);
            scales.insert(scales.end(), part.value().begin(), part.value().end());
        }
        scales.insert(scales.end(), out.begin(), out.end());
        return scales;
    };
    for (int scheme = 0; scheme < 3; ++scheme) {
        const std::vector<float> whole = run(rows, scheme);
        compareExactly(run(1, scheme), whole);
        compareExactly(run(4, scheme), whole);
    }
}

void TestMicroscaling::bitsPerWeight() {
    // Element bits plus an 8-bit scale per block: 4 + 8/32, 8 + 8/32, 4 + 8/16.
    QCOMPARE(mxBitsPerWeight(MxFormat::MxFp4), 4.25);
    QCOMPARE(mxBitsPerWeight(MxFormat::MxFp8), 8.25);
    QCOMPARE(nvFp4BitsPerWeight(), 4.5);
    QCOMPARE(QString::fromUtf8(mxFormatName(MxFormat::MxFp4).data()), QStringLiteral("mxfp4"));
    QCOMPARE(mxElementEmax(MxFormat::MxFp8), 8);
}

QTEST_GUILESS_MAIN(TestMicroscaling)
#include "tst_microscaling.moc"
