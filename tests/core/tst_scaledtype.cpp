#include "calib/groupedestimate.h"
#include "quant/minifloat.h"
#include "quant/quantizer.h"
#include "quant/scaledtype.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"

#include "exactfloat.h"
#include "schemefixtures.h"

#include <QTest>

#include <Eigen/Core>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

using namespace qs;
using qs::test::compareExactly;
using qs::test::identical;
using qs::test::schemeOf;

namespace {

QuantSpec withScaleDtype(QuantSpec spec, ScaleDtype dtype) {
    spec.scaleDtype = dtype;
    return spec;
}

std::vector<float> normalValues(std::size_t n, unsigned seed, float sigma = 0.02f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<float> v(n);
    for (float &x : v)
        x = normal(rng);
    return v;
}

bool representable(float s, ScaleDtype dtype) {
    if (dtype == ScaleDtype::BF16)
        return (std::bit_cast<std::uint32_t>(s) & 0xFFFFu) == 0;
    return float(Eigen::half(s)) == s;
}

} // namespace

// The scale dtype: int and FP8 scales rounded to F16 or BF16 before quantizing, as runtimes that
// store them in the weight's dtype do. Golden values are computed by hand in the comments.
class TestScaleDtype : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void names();
    void roundScaleGolden();
    void roundScaleEdges();
    void f32IsToday();
    void perChannelInt4Bf16();
    void asymmetricZeroPointFromRoundedScale();
    void f16Int8();
    void f16Overflow();
    void fp8Scale();
    void codesReproduceStoredX();
    void measureAgrees();
    void estimatesUseStoredScale();
    void refusedWhereItDoesNotApply();
};

void TestScaleDtype::names() {
    for (ScaleDtype dtype : {ScaleDtype::F32, ScaleDtype::F16, ScaleDtype::BF16})
        QCOMPARE(scaleDtypeFromName(scaleDtypeName(dtype)), std::optional(dtype));
    QCOMPARE(scaleDtypeName(ScaleDtype::BF16), std::string_view("bf16"));
    QVERIFY(!scaleDtypeFromName("fp16"));
    QVERIFY(!scaleDtypeFromName("BF16"));
}

void TestScaleDtype::roundScaleGolden() {
    // 1/7.5 in float32 is 0x3E088889. BF16 keeps the upper half, 0x3E08, and the lower half
    // 0x8889 > 0x8000 rounds up: 0x3E09 = 2^-3 · (1 + 9/128) = 137/1024 = 0.1337890625.
    const float s = 1.0f / 7.5f;
    QCOMPARE(std::bit_cast<std::uint32_t>(s), 0x3E088889u);
    QVERIFY(identical(roundScale(s, ScaleDtype::BF16), 137.0f / 1024.0f));
    // F16 has 10 mantissa bits: 1/7.5 = 2^-3 · 1.0666..., 0.0666 · 1024 = 68.27 → 68:
    // 2^-3 · (1 + 68/1024) = 1092/8192 = 0.13330078125.
    QVERIFY(identical(roundScale(s, ScaleDtype::F16), 1092.0f / 8192.0f));
    // A tie rounds to even: 1 + 2^-8 lies halfway between BF16's 1 and 1 + 2^-7; 1 + 3·2^-8
    // halfway between 1 + 2^-7 and 1 + 2^-6 (even mantissa 2 → 1 + 2^-6).
    QVERIFY(identical(roundScale(1.0f + 0x1p-8f, ScaleDtype::BF16), 1.0f));
    QVERIFY(identical(roundScale(1.0f + 3 * 0x1p-8f, ScaleDtype::BF16), 1.0f + 0x1p-6f));
    // F16: 1 + 2^-11 is the tie between 1 and 1 + 2^-10.
    QVERIFY(identical(roundScale(1.0f + 0x1p-11f, ScaleDtype::F16), 1.0f));
}

void TestScaleDtype::roundScaleEdges() {
    QVERIFY(identical(roundScale(0.0f, ScaleDtype::BF16), 0.0f));
    QVERIFY(identical(roundScale(0.0f, ScaleDtype::F16), 0.0f));
    // F16's largest finite value is 65504; beyond it the scale clamps there, never to infinity.
    QVERIFY(identical(roundScale(1e6f, ScaleDtype::F16), 65504.0f));
    QVERIFY(identical(roundScale(65519.0f, ScaleDtype::F16), 65504.0f));
    // BF16's largest finite value is 0x7F7F0000; float32's maximum would round up to infinity.
    QVERIFY(identical(roundScale(std::numeric_limits<float>::max(), ScaleDtype::BF16),
                      std::bit_cast<float>(0x7F7F0000u)));
    // A positive scale never becomes 0: F16's smallest subnormal is 2^-24.
    QVERIFY(identical(roundScale(1e-12f, ScaleDtype::F16), 0x1p-24f));
    // float32 epsilon, the int scale floor, is exact in both.
    QVERIFY(identical(roundScale(0x1p-23f, ScaleDtype::F16), 0x1p-23f));
    QVERIFY(identical(roundScale(0x1p-23f, ScaleDtype::BF16), 0x1p-23f));
}

void TestScaleDtype::f32IsToday() {
    // F32 leaves every scale alone, bit for bit, and so gives exactly the default spec's results.
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> any(0, 0x7F7FFFFFu);
    for (int i = 0; i < 10000; ++i) {
        const float s = std::bit_cast<float>(any(rng));
        QVERIFY(identical(roundScale(s, ScaleDtype::F32), s));
    }
    const std::vector<float> v = normalValues(64 * 256, 11);
    for (const char *granularity : {"tensor", "channel", "group:32"}) {
        const QuantSpec spec = schemeOf(NumberFormat::Int, granularity, 4, Scheme::Asymmetric);
        const auto today = quantizeScheme(v, {64, 256}, spec);
        const auto f32 = quantizeScheme(v, {64, 256}, withScaleDtype(spec, ScaleDtype::F32));
        QVERIFY(today && f32);
        compareExactly(f32->dequantized, today->dequantized);
        compareExactly(f32->scales, today->scales);
        QCOMPARE(f32->zeroPoints, today->zeroPoints);
    }
}

void TestScaleDtype::perChannelInt4Bf16() {
    // One channel of int4 symmetric, amax 1: scale = 1 / 7.5 (divisor (7 - (-8)) / 2), whose
    // BF16 is 137/1024 = 0.1337890625 (roundScaleGolden). Codes round(x · (1/s)) with the float32
    // reciprocal 7.4744525 of the rounded scale:
    //   1.0    →  7.474 →  7  → x̂ =  7 · 137/1024 =  0.9365234375
    //   -0.75  → -5.606 → -6  → x̂ = -6 · 137/1024 = -0.802734375
    //   0.2005 →  1.4986 → 1  → x̂ =  137/1024     =  0.1337890625  (F32 scale: 1.5037 → 2)
    //   0      →  0
    // The second channel, amax 0.5, has scale 1/15 (0x3D888889), BF16 0x3D89 = 137/2048.
    const std::vector<float> v{1.0f, -0.75f, 0.2005f, 0.0f, 0.5f, 0.25f, -0.1f, 0.0f};
    const QuantSpec spec = withScaleDtype(schemeOf(NumberFormat::Int, "channel", 4), ScaleDtype::BF16);
    const auto q = quantizeScheme(v, {2, 4}, spec);
    QVERIFY2(q, q ? "" : q.error().c_str());
    compareExactly(q->scales, {137.0f / 1024.0f, 137.0f / 2048.0f});
    QCOMPARE(q->zeroPoints, (std::vector<std::int64_t>{0, 0}));
    // Second channel: 0.5 · 14.948905 = 7.47 → 7; 0.25 → 3.737 → 4; -0.1 → -1.49 → -1.
    const float s0 = 137.0f / 1024.0f;
    const float s1 = 137.0f / 2048.0f;
    compareExactly(q->dequantized, {7 * s0, -6 * s0, 1 * s0, 0.0f, 7 * s1, 4 * s1, -1 * s1, 0.0f});
    QVERIFY(identical(q->dequantized[0], 0.9365234375f));
    QVERIFY(identical(q->dequantized[1], -0.802734375f));
    // With F32 scales the third value takes code 2 instead: the rounding is not cosmetic.
    const auto f32 = quantizeScheme(v, {2, 4}, schemeOf(NumberFormat::Int, "channel", 4));
    QVERIFY(identical(f32->dequantized[2], 2.0f * (1.0f / 7.5f)));
}

void TestScaleDtype::asymmetricZeroPointFromRoundedScale() {
    // int4 asymmetric per tensor over [-1, 0.43]: scale = 1.43 / 15 = 0.09533334 in float32;
    // BF16 0x3DC3 = 195/2048 = 0.09521484375. The zero point is -round(lo / s):
    //   F32:  -1 / 0.09533334 = -10.4895 → z = 10
    //   BF16: -1 / 0.09521484 = -10.5026 → z = 11   (the rounded scale moves the zero point)
    // Codes clamp(round(x · (1/s)) + z, 0, 15) with the BF16 scale, 1/s = 10.502564:
    //   -1   → -10.50 → -11 + 11 = 0  → x̂ = (0 - 11) · s = -2145/2048 = -1.04736328125
    //   0.43 →  4.516 →   5 + 11 = 16 → 15 → x̂ = 4 · s = 0.380859375
    //   0    → 11 → x̂ = 0
    //   0.2  →  2.1005 →  2 + 11 = 13 → x̂ = 2 · s = 0.1904296875
    const std::vector<float> v{-1.0f, 0.43f, 0.0f, 0.2f};
    const QuantSpec spec = schemeOf(NumberFormat::Int, "tensor", 4, Scheme::Asymmetric);
    const QuantParams f32 = paramsForTensor(spec, -1.0, double(0.43f));
    const QuantParams bf16 = paramsForTensor(withScaleDtype(spec, ScaleDtype::BF16), -1.0, double(0.43f));
    QCOMPARE(f32.zeroPoint, std::int64_t(10));
    QCOMPARE(bf16.zeroPoint, std::int64_t(11));
    QVERIFY(identical(bf16.scale, 195.0f / 2048.0f));
    const auto q = quantizeScheme(v, {1, 4}, withScaleDtype(spec, ScaleDtype::BF16));
    QVERIFY(q);
    compareExactly(q->scales, {195.0f / 2048.0f});
    QCOMPARE(q->zeroPoints, (std::vector<std::int64_t>{11}));
    compareExactly(q->dequantized, {-1.04736328125f, 0.380859375f, 0.0f, 0.1904296875f});
}

void TestScaleDtype::f16Int8() {
    // int8 symmetric, amax 1: scale = 1 / 127.5 = 0.0078431377 (0x3C008081). In F16, 2^-7 ·
    // (1 + m/1024) with m = 0.00392 · 1024 = 4.02 → 4: 257/32768 = 0.007843017578125, a little
    // below the float32 scale, so -1 / s = -127.502 rounds to code -128 (F32: -127.49999 → -127).
    //   1.0  → 127.502 → 127 → x̂ = 127 · 257/32768 = 0.996063232421875
    //   -1.0 → -128 → x̂ = -128 · 257/32768 = -1.00390625
    //   0.5  → 63.751 → 64 → x̂ = 0.501953125
    //   -0.3 → -38.2506 → -38 → x̂ = -0.29803466796875
    const std::vector<float> v{1.0f, -1.0f, 0.5f, -0.3f};
    const QuantSpec spec = withScaleDtype(schemeOf(NumberFormat::Int, "tensor", 8), ScaleDtype::F16);
    const auto q = quantizeScheme(v, {1, 4}, spec);
    QVERIFY(q);
    compareExactly(q->scales, {257.0f / 32768.0f});
    compareExactly(q->dequantized, {0.996063232421875f, -1.00390625f, 0.501953125f, -0.29803466796875f});
    const auto f32 = quantizeScheme(v, {1, 4}, schemeOf(NumberFormat::Int, "tensor", 8));
    QVERIFY(identical(f32->dequantized[1], -127.0f * (1.0f / 127.5f)));
}

void TestScaleDtype::f16Overflow() {
    // amax 1e7 needs scale 1e7 / 127.5 = 78431, beyond F16's 65504: the scale clamps to 65504
    // and the values beyond 127 · 65504 = 8319008 clip to the largest code.
    const std::vector<float> v{1e7f, -5e6f, 0.0f, 65504.0f};
    const QuantSpec spec = withScaleDtype(schemeOf(NumberFormat::Int, "tensor", 8), ScaleDtype::F16);
    const auto q = quantizeScheme(v, {1, 4}, spec);
    QVERIFY(q);
    compareExactly(q->scales, {65504.0f});
    // -5e6 / 65504 = -76.33 → -76.
    compareExactly(q->dequantized, {127.0f * 65504.0f, -76.0f * 65504.0f, 0.0f, 65504.0f});
}

void TestScaleDtype::fp8Scale() {
    // FP8 E4M3 per channel: scale = amax / 448. amax 1: 1/448 = 0x3B124925 (0.00223214); BF16
    // upper half 0x3B12, lower 0x4925 < 0x8000 rounds down: 0x3B12 = 2^-9 · (1 + 18/128) =
    // 146/65536 = 0.002227783203125. x̂ = s · e4m3(x / s): 1 / s = 448.877 saturates to 448, so
    // x̂ = 448 · 146/65536 = 0.998046875.
    const std::vector<float> v{1.0f, 0.5f, -0.25f, 0.0f};
    const QuantSpec spec = withScaleDtype(schemeOf(NumberFormat::Fp8E4M3, "channel"), ScaleDtype::BF16);
    const auto q = quantizeScheme(v, {1, 4}, spec);
    QVERIFY2(q, q ? "" : q.error().c_str());
    const float s = 146.0f / 65536.0f;
    compareExactly(q->scales, {s});
    // 0.5 / s = 224.44 → e4m3 224 (spacing 16 above 128... 224 exact); -0.25 / s = -112.22 → -112.
    compareExactly(q->dequantized, {448.0f * s, 224.0f * s, -112.0f * s, 0.0f});
    QVERIFY(identical(q->dequantized[0], 0.998046875f));
}

void TestScaleDtype::codesReproduceStoredX() {
    // The contract a weights writer relies on: every stored scale is exact in the dtype, and
    // x̂ = (q - z) · s for an integer code q in [qmin, qmax], bit for bit.
    const std::vector<float> v = normalValues(32 * 256, 5);
    for (ScaleDtype dtype : {ScaleDtype::F16, ScaleDtype::BF16}) {
        for (Scheme scheme : {Scheme::Symmetric, Scheme::Asymmetric}) {
            const QuantSpec spec = withScaleDtype(schemeOf(NumberFormat::Int, "group:128", 4, scheme), dtype);
            const auto q = quantizeScheme(v, {32, 256}, spec);
            QVERIFY(q);
            const auto [qmin, qmax] = integerRange(spec);
            const ParamGrid grid = ParamGrid::make({32, 256}, spec.granularity).value();
            for (std::int64_t g = 0; g < grid.groupCount(); ++g) {
                const float s = q->scales[std::size_t(g)];
                const std::int64_t z = q->zeroPoints[std::size_t(g)];
                QVERIFY(representable(s, dtype));
                grid.forEachRun(g, [&](std::int64_t b, std::int64_t e) {
                    for (std::int64_t i = b; i < e; ++i) {
                        const float xh = q->dequantized[std::size_t(i)];
                        const double code = double(xh) / double(s) + double(z);
                        const auto k = std::int64_t(std::llround(code));
                        QVERIFY(k >= qmin && k <= qmax);
                        QVERIFY(identical(float(k - z) * s, xh));
                    }
                });
            }
        }
    }
}

void TestScaleDtype::measureAgrees() {
    // The chunked measurement (the analysis pass) stores the same rounded scales and x̂.
    const std::vector<float> v = normalValues(16 * 256, 9);
    for (const char *format : {"int", "fp8_e4m3"}) {
        for (const char *granularity : {"tensor", "channel", "group:64"}) {
            QuantSpec spec = schemeOf(formatFromName(format).value(), granularity, 4, Scheme::Asymmetric);
            if (spec.format != NumberFormat::Int) {
                spec.bits = 8;
                spec.scheme = Scheme::Symmetric;
            }
            spec.scaleDtype = ScaleDtype::BF16;
            const auto q = quantizeScheme(v, {16, 256}, spec);
            std::vector<float> xh(v.size());
            const auto m = measureScheme(v, {16, 256}, spec, {}, xh);
            QVERIFY(q && m);
            compareExactly(m->quantization.scales, q->scales);
            compareExactly(xh, q->dequantized);
            for (float s : q->scales)
                QVERIFY(representable(s, ScaleDtype::BF16));
        }
    }
}

void TestScaleDtype::estimatesUseStoredScale() {
    // The per-tensor estimate takes the parameters, so it sees the rounded scale; the grouped
    // estimate normalises by the stored scale at ratio 1, so a BF16 sweep differs from F32's.
    const std::vector<float> v = normalValues(8 * 512, 13);
    const ParamGrid grid = ParamGrid::make({8, 512}, parseGranularity("group:128").value()).value();
    const QuantSpec f32 = schemeOf(NumberFormat::Int, "group:128", 4);
    const QuantSpec bf16 = withScaleDtype(f32, ScaleDtype::BF16);
    const double estF32 = estimateGroupedError(groupedEstimateInput(v, grid, f32), 1.0).mse;
    const double estBf16 = estimateGroupedError(groupedEstimateInput(v, grid, bf16), 1.0).mse;
    QVERIFY(estF32 != estBf16);
    // Both stay within 10 % of the exact MSE of their own scheme.
    for (const auto &[spec, estimate] : {std::pair{f32, estF32}, std::pair{bf16, estBf16}}) {
        const auto q = quantizeScheme(v, {8, 512}, spec);
        double sum = 0.0;
        for (std::size_t i = 0; i < v.size(); ++i)
            sum += std::pow(double(v[i]) - double(q->dequantized[i]), 2);
        const double exact = sum / double(v.size());
        QVERIFY2(std::abs(estimate - exact) < 0.1 * exact,
                 qPrintable(QStringLiteral("%1 vs %2").arg(estimate).arg(exact)));
    }
}

void TestScaleDtype::refusedWhereItDoesNotApply() {
    const std::vector<std::int64_t> shape{4, 256};
    for (NumberFormat format :
         {NumberFormat::Q4_K, NumberFormat::MxFp4, NumberFormat::NvFp4, NumberFormat::Nf4}) {
        QuantSpec spec;
        spec.format = format;
        QVERIFY(checkScheme(spec, shape));
        spec.scaleDtype = ScaleDtype::BF16;
        const Status refused = checkScheme(spec, shape);
        QVERIFY(!refused);
        const std::string expected =
            "scale_dtype does not apply to " + std::string(formatTraits(format).name);
        QVERIFY2(refused.error().starts_with(expected), refused.error().c_str());
    }
    QuantSpec hqq = schemeOf(NumberFormat::Int, "group:128", 4, Scheme::Asymmetric);
    hqq.method = CalibMethod::Hqq;
    QVERIFY(checkScheme(hqq, shape));
    hqq.scaleDtype = ScaleDtype::F16;
    QVERIFY(!checkScheme(hqq, shape));
    QVERIFY(checkScheme(withScaleDtype(schemeOf(NumberFormat::Fp8E5M2, "group:32"), ScaleDtype::F16), shape));
}

QTEST_GUILESS_MAIN(TestScaleDtype)
#include "tst_scaledtype.moc"
