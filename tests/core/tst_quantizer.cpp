#include "quant/quantizer.h"
#include "stats/statkernels.h"

#include <QTest>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace qs;

Q_DECLARE_METATYPE(qs::QuantSpec)

namespace {

QuantSpec makeSpec(int bits, Scheme scheme, bool narrow = false) {
    QuantSpec spec;
    spec.bits = bits;
    spec.scheme = scheme;
    spec.narrow = narrow;
    return spec;
}

QuantSpec symmetric(int bits) {
    return makeSpec(bits, Scheme::Symmetric);
}

QuantSpec narrowSymmetric(int bits) {
    return makeSpec(bits, Scheme::Symmetric, true);
}

QuantSpec asymmetric(int bits) {
    return makeSpec(bits, Scheme::Asymmetric);
}

bool sameBits(float a, float b) {
    return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

constexpr float kEps = std::numeric_limits<float>::epsilon();
constexpr float kInfF = std::numeric_limits<float>::infinity();

} // namespace

class TestQuantizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void manyRangesAsOneByOne();
    void integerRanges_data();
    void integerRanges();
    void params_data();
    void params();
    void quantize_data();
    void quantize();
    void tiesGoToEven_data();
    void tiesGoToEven();
    void degenerateRangesAreFinite_data();
    void degenerateRangesAreFinite();
    void bitsOutsideRangeAreClamped();
    void nonFiniteThresholdsStayFinite_data();
    void nonFiniteThresholdsStayFinite();
    void saturatingUsesThresholdsInEitherOrder();
    void nonSaturatingUsesTensorRange();
    void spanMatchesScalar_data();
    void spanMatchesScalar();
    void namesRoundTrip();
};

void TestQuantizer::integerRanges_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<qint64>("qmin");
    QTest::addColumn<qint64>("qmax");
    // From the spec: symmetric [-2^(b-1), 2^(b-1)-1], narrow [-(2^(b-1)-1), 2^(b-1)-1],
    // asymmetric [0, 2^b - 1].
    QTest::addRow("sym 2") << symmetric(2) << qint64(-2) << qint64(1);
    QTest::addRow("sym 4") << symmetric(4) << qint64(-8) << qint64(7);
    QTest::addRow("sym 8") << symmetric(8) << qint64(-128) << qint64(127);
    QTest::addRow("sym 16") << symmetric(16) << qint64(-32768) << qint64(32767);
    QTest::addRow("narrow 2") << narrowSymmetric(2) << qint64(-1) << qint64(1);
    QTest::addRow("narrow 8") << narrowSymmetric(8) << qint64(-127) << qint64(127);
    QTest::addRow("asym 2") << asymmetric(2) << qint64(0) << qint64(3);
    QTest::addRow("asym 8") << asymmetric(8) << qint64(0) << qint64(255);
    QTest::addRow("asym 16") << asymmetric(16) << qint64(0) << qint64(65535);
}

void TestQuantizer::integerRanges() {
    QFETCH(QuantSpec, spec);
    QFETCH(qint64, qmin);
    QFETCH(qint64, qmax);
    const auto [lo, hi] = integerRange(spec);
    QCOMPARE(lo, qmin);
    QCOMPARE(hi, qmax);
}

void TestQuantizer::params_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    QTest::addColumn<float>("scale");
    QTest::addColumn<qint64>("zeroPoint");
    QTest::addColumn<double>("clipMin");
    QTest::addColumn<double>("clipMax");
    // amax = max(|-1|, |0.5|) = 1; scale = 1 / ((127 - -128) / 2) = 1 / 127.5 in float32.
    QTest::addRow("sym 8 [-1, 0.5]") << symmetric(8) << -1.0 << 0.5 << 1.0f / 127.5f << qint64(0) << -1.0
                                     << 1.0;
    // Narrow: scale = amax / qmax = 1 / 127.
    QTest::addRow("narrow 8 [-1, 0.5]")
        << narrowSymmetric(8) << -1.0 << 0.5 << 1.0f / 127.0f << qint64(0) << -1.0 << 1.0;
    // amax = 2 (from lo); clip range reported as ±amax.
    QTest::addRow("sym 8 [-2, 1]") << symmetric(8) << -2.0 << 1.0 << 2.0f / 127.5f << qint64(0) << -2.0
                                   << 2.0;
    // scale = (1 - -0.2) / 255 in float32 = 0.0047058826; -0.2 / scale = -42.5 exactly in
    // float32, round-half-even gives -42, so z = 0 - (-42) = 42 (not 43).
    QTest::addRow("asym 8 [-0.2, 1]")
        << asymmetric(8) << -0.2 << 1.0 << (1.0f + 0.2f) / 255.0f << qint64(42) << -0.2 << 1.0;
    // [0.5, 2] does not contain 0: widened to [0, 2]; scale = 2 / 255, z = 0 - round(0) = 0.
    QTest::addRow("asym 8 [0.5, 2]") << asymmetric(8) << 0.5 << 2.0 << 2.0f / 255.0f << qint64(0) << 0.0
                                     << 2.0;
    // [-2, -0.5] widened to [-2, 0]; scale = 2 / 255; -2 / scale = -254.99998 -> -255, z = 255.
    QTest::addRow("asym 8 [-2, -0.5]")
        << asymmetric(8) << -2.0 << -0.5 << 2.0f / 255.0f << qint64(255) << -2.0 << 0.0;
    // 2 bits: [-2, 1], scale = 1 / ((1 - -2) / 2) = 1 / 1.5.
    QTest::addRow("sym 2 [-1, 1]") << symmetric(2) << -1.0 << 1.0 << 1.0f / 1.5f << qint64(0) << -1.0 << 1.0;
    // 2 bits asymmetric [0, 3]: scale = 3 / 3 = 1, z = 0.
    QTest::addRow("asym 2 [0, 3]") << asymmetric(2) << 0.0 << 3.0 << 1.0f << qint64(0) << 0.0 << 3.0;
    // 16 bits: scale = 1 / ((32767 - -32768) / 2) = 1 / 32767.5.
    QTest::addRow("sym 16 [-1, 1]") << symmetric(16) << -1.0 << 1.0 << 1.0f / 32767.5f << qint64(0) << -1.0
                                    << 1.0;
    // 16 bits asymmetric [-32768, 32767]: scale = 65535 / 65535 = 1, z = 0 - (-32768) = 32768.
    QTest::addRow("asym 16 [-32768, 32767]")
        << asymmetric(16) << -32768.0 << 32767.0 << 1.0f << qint64(32768) << -32768.0 << 32767.0;
    // Degenerate: all zero gives 0 / 127.5 = 0, floored at float32 epsilon.
    QTest::addRow("sym 8 zeros") << symmetric(8) << 0.0 << 0.0 << kEps << qint64(0) << 0.0 << 0.0;
    QTest::addRow("asym 8 zeros") << asymmetric(8) << 0.0 << 0.0 << kEps << qint64(0) << 0.0 << 0.0;
    // Constant 0.7: symmetric amax = 0.7, scale = 0.7 / 127.5; asymmetric widened to [0, 0.7].
    QTest::addRow("sym 8 constant") << symmetric(8) << 0.7 << 0.7 << 0.7f / 127.5f << qint64(0) << -0.7
                                    << 0.7;
    QTest::addRow("asym 8 constant") << asymmetric(8) << 0.7 << 0.7 << 0.7f / 255.0f << qint64(0) << 0.0
                                     << 0.7;
    // A range narrower than epsilon * 255: scale floored at epsilon, z = -round(-1e-6 / eps)
    // = -round(-8.39) = 8.
    QTest::addRow("asym 8 tiny") << asymmetric(8) << -1e-6 << 0.0 << kEps << qint64(8) << -1e-6 << 0.0;
}

void TestQuantizer::params() {
    QFETCH(QuantSpec, spec);
    QFETCH(double, lo);
    QFETCH(double, hi);
    QFETCH(float, scale);
    QFETCH(qint64, zeroPoint);
    QFETCH(double, clipMin);
    QFETCH(double, clipMax);
    const QuantParams p = computeParams(spec, lo, hi);
    QVERIFY2(sameBits(p.scale, scale),
             qPrintable(QStringLiteral("scale %1 != %2").arg(p.scale, 0, 'g', 10).arg(scale, 0, 'g', 10)));
    QCOMPARE(p.zeroPoint, zeroPoint);
    QCOMPARE(p.clipMin, clipMin);
    QCOMPARE(p.clipMax, clipMax);
    QCOMPARE(p.bits, spec.bits);
    const auto [qmin, qmax] = integerRange(spec);
    QCOMPARE(p.qmin, qmin);
    QCOMPARE(p.qmax, qmax);
}

void TestQuantizer::quantize_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    QTest::addColumn<float>("x");
    QTest::addColumn<qint64>("q");
    // x is multiplied by the float32 reciprocal of the scale, as PyTorch's fake quantization does.
    // scale = float32(1/127.5) = 0.0078431377 is a little above 1/127.5, so 1/scale = 127.49999
    // and -1 · (1/scale) = -127.49999 rounds to -127 (not to the tie -127.5).
    QTest::addRow("sym 8 x=-1") << symmetric(8) << -1.0 << 0.5 << -1.0f << qint64(-127);
    QTest::addRow("sym 8 x=1") << symmetric(8) << -1.0 << 0.5 << 1.0f << qint64(127);
    // 0.5 · (1/scale) = 63.749996 -> 64.
    QTest::addRow("sym 8 x=0.5") << symmetric(8) << -1.0 << 0.5 << 0.5f << qint64(64);
    // Where the reciprocal and the division part: [-0.3, 0.3], scale = float32(0.3f / 127.5) =
    // 0.0023529413, 1/scale = 424.99997 (float32). -0.3f · (1/scale) = -127.49999 -> -127, where
    // -0.3f / scale would be the tie -127.5 -> -128; likewise -0.29764709f (the tie -126.5
    // by the reciprocal, -> -126 even; -126.50001 -> -127 by division).
    QTest::addRow("reciprocal x=-0.3") << symmetric(8) << -0.3 << 0.3 << -0.3f << qint64(-127);
    QTest::addRow("reciprocal tie") << symmetric(8) << -0.3 << 0.3 << -0.297647088766098f << qint64(-126);
    // ±2 · (1/scale) = ±254.99998 -> ±255, clamped to qmin = -128 and qmax = 127.
    QTest::addRow("sym 8 clamp low") << symmetric(8) << -1.0 << 0.5 << -2.0f << qint64(-128);
    QTest::addRow("sym 8 clamp high") << symmetric(8) << -1.0 << 0.5 << 2.0f << qint64(127);
    // Narrow: scale = float32(1/127); 1/scale = 127 exactly; -2 -> -254 clamps to -127.
    QTest::addRow("narrow 8 x=-1") << narrowSymmetric(8) << -1.0 << 0.5 << -1.0f << qint64(-127);
    QTest::addRow("narrow 8 clamp") << narrowSymmetric(8) << -1.0 << 0.5 << -2.0f << qint64(-127);
    // Asymmetric [-0.2, 1], z = 42 (the zero point divides: -0.2 / scale = -42.5 -> -42);
    // 1/scale = 212.49998: -0.2 -> -42.499996 -> -42, + 42 = 0; 1 -> 212.49998 -> 212, + 42 = 254;
    // 0 -> 42.
    QTest::addRow("asym 8 x=-0.2") << asymmetric(8) << -0.2 << 1.0 << -0.2f << qint64(0);
    QTest::addRow("asym 8 x=1") << asymmetric(8) << -0.2 << 1.0 << 1.0f << qint64(254);
    QTest::addRow("asym 8 x=0") << asymmetric(8) << -0.2 << 1.0 << 0.0f << qint64(42);
    QTest::addRow("asym 8 clamp low") << asymmetric(8) << -0.2 << 1.0 << -1.0f << qint64(0);
    // Widened [0, 2]: 1/scale = 127.49999; 0.5 -> 63.749996 -> 64; 2 -> 254.99998 -> 255.
    QTest::addRow("asym 8 [0.5,2] x=0.5") << asymmetric(8) << 0.5 << 2.0 << 0.5f << qint64(64);
    QTest::addRow("asym 8 [0.5,2] x=2") << asymmetric(8) << 0.5 << 2.0 << 2.0f << qint64(255);
    // 2 bits, scale = float32(1/1.5), 1/scale = 1.5 exactly: -1 -> -1.5 -> -2 (even);
    // 0.3 -> 0.45 -> 0; 0.5 -> 0.75 -> 1; 1 -> 1.5 -> 2, clamped to qmax 1.
    QTest::addRow("sym 2 x=-1") << symmetric(2) << -1.0 << 1.0 << -1.0f << qint64(-2);
    QTest::addRow("sym 2 x=0.3") << symmetric(2) << -1.0 << 1.0 << 0.3f << qint64(0);
    QTest::addRow("sym 2 x=0.5") << symmetric(2) << -1.0 << 1.0 << 0.5f << qint64(1);
    QTest::addRow("sym 2 x=1") << symmetric(2) << -1.0 << 1.0 << 1.0f << qint64(1);
    // 16 bits, scale = float32(1/32767.5), 1/scale = 32767.5 exactly: -1 -> -32767.5 -> -32768
    // (even); 0.25 -> 8191.875 -> 8192.
    QTest::addRow("sym 16 x=-1") << symmetric(16) << -1.0 << 1.0 << -1.0f << qint64(-32768);
    QTest::addRow("sym 16 x=0.25") << symmetric(16) << -1.0 << 1.0 << 0.25f << qint64(8192);
    // 16 bits asymmetric [0, 65535], scale 1: values are their own codes, clamped to [0, 65535].
    QTest::addRow("asym 16 x=65535") << asymmetric(16) << 0.0 << 65535.0 << 65535.0f << qint64(65535);
    QTest::addRow("asym 16 x=70000") << asymmetric(16) << 0.0 << 65535.0 << 70000.0f << qint64(65535);
    QTest::addRow("asym 16 x=-1") << asymmetric(16) << 0.0 << 65535.0 << -1.0f << qint64(0);
    QTest::addRow("asym 16 x=1234.5") << asymmetric(16) << 0.0 << 65535.0 << 1234.5f << qint64(1234);
}

void TestQuantizer::quantize() {
    QFETCH(QuantSpec, spec);
    QFETCH(double, lo);
    QFETCH(double, hi);
    QFETCH(float, x);
    QFETCH(qint64, q);
    const QuantParams p = computeParams(spec, lo, hi);
    QCOMPARE(quantizeValue(x, p), q);
    // x̂ = (q - z) * scale, in float32.
    const float expected = float(q - p.zeroPoint) * p.scale;
    QVERIFY(sameBits(dequantizeValue(q, p), expected));
    QVERIFY(sameBits(fakeQuantize(x, p), expected));
}

void TestQuantizer::tiesGoToEven_data() {
    QTest::addColumn<float>("x");
    QTest::addColumn<qint64>("q");
    // Symmetric 8 bits on [-127.5, 127.5] has scale exactly 1, so x · (1/scale) is x itself and
    // halves are true ties: round half to even.
    QTest::addRow("0.5") << 0.5f << qint64(0);
    QTest::addRow("1.5") << 1.5f << qint64(2);
    QTest::addRow("2.5") << 2.5f << qint64(2);
    QTest::addRow("-0.5") << -0.5f << qint64(0);
    QTest::addRow("-1.5") << -1.5f << qint64(-2);
    QTest::addRow("-2.5") << -2.5f << qint64(-2);
    QTest::addRow("126.5") << 126.5f << qint64(126);
    // 127.5 -> 128 (even) then clamped to qmax 127; -127.5 -> -128 = qmin.
    QTest::addRow("127.5") << 127.5f << qint64(127);
    QTest::addRow("-127.5") << -127.5f << qint64(-128);
}

void TestQuantizer::tiesGoToEven() {
    QFETCH(float, x);
    QFETCH(qint64, q);
    const QuantParams p = computeParams(symmetric(8), -127.5, 127.5);
    QCOMPARE(p.scale, 1.0f);
    QCOMPARE(quantizeValue(x, p), q);
    std::vector<float> out(1);
    fakeQuantize(std::span<const float>(&x, 1), out, p);
    QCOMPARE(out[0], float(q));
}

void TestQuantizer::degenerateRangesAreFinite_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<float>("value");
    QTest::addRow("sym zeros") << symmetric(8) << 0.0f;
    QTest::addRow("asym zeros") << asymmetric(8) << 0.0f;
    QTest::addRow("narrow zeros") << narrowSymmetric(4) << 0.0f;
    QTest::addRow("sym constant") << symmetric(8) << 0.7f;
    QTest::addRow("asym constant") << asymmetric(8) << -3.25f;
    QTest::addRow("sym 2 constant") << symmetric(2) << 1e-30f;
}

void TestQuantizer::degenerateRangesAreFinite() {
    QFETCH(QuantSpec, spec);
    QFETCH(float, value);
    const QuantParams p = paramsForTensor(spec, value, value);
    QVERIFY(std::isfinite(p.scale));
    QVERIFY(p.scale >= kEps);
    QVERIFY(p.zeroPoint >= p.qmin && p.zeroPoint <= p.qmax);
    const float x = fakeQuantize(value, p);
    QVERIFY(std::isfinite(x));
    // Zero is always exactly representable: all-zero tensors come back unchanged.
    if (value == 0.0f)
        QCOMPARE(x, 0.0f);
    // Otherwise the error stays within one step (the extreme value sits at a tie or a clamp).
    QVERIFY(std::abs(double(x) - double(value)) <= double(p.scale) * 0.5001 + 1e-30);
}

void TestQuantizer::bitsOutsideRangeAreClamped() {
    // Bits are clamped to [2, 16]: 1 bit behaves as 2, 40 bits as 16.
    const QuantParams low = computeParams(symmetric(1), -1.0, 1.0);
    QCOMPARE(low.bits, 2);
    QCOMPARE(low.qmin, qint64(-2));
    QCOMPARE(low.qmax, qint64(1));
    const QuantParams high = computeParams(asymmetric(40), -1.0, 1.0);
    QCOMPARE(high.bits, 16);
    QCOMPARE(high.qmax, qint64(65535));
}

void TestQuantizer::nonFiniteThresholdsStayFinite_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    constexpr double inf = std::numeric_limits<double>::infinity();
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    QTest::addRow("sym nan") << symmetric(8) << nan << 1.0;
    QTest::addRow("sym inf") << symmetric(8) << -inf << inf;
    QTest::addRow("asym inf") << asymmetric(8) << -inf << inf;
    QTest::addRow("asym nan") << asymmetric(4) << nan << nan;
    QTest::addRow("asym huge") << asymmetric(8) << -1e300 << 0.5;
}

void TestQuantizer::nonFiniteThresholdsStayFinite() {
    QFETCH(QuantSpec, spec);
    QFETCH(double, lo);
    QFETCH(double, hi);
    // User thresholds such as --clip=-inf,nan must not give an infinite or NaN mapping.
    const QuantParams p = computeParams(spec, lo, hi);
    QVERIFY(std::isfinite(p.scale) && p.scale >= kEps);
    QVERIFY(p.zeroPoint >= p.qmin && p.zeroPoint <= p.qmax);
    QVERIFY(std::isfinite(p.clipMin) && std::isfinite(p.clipMax));
    QVERIFY(std::isfinite(fakeQuantize(0.25f, p)));
}

void TestQuantizer::saturatingUsesThresholdsInEitherOrder() {
    QuantSpec spec = symmetric(8);
    spec.rangeMode = RangeMode::Saturating;
    spec.clipLo = 0.5;
    spec.clipHi = -0.3;
    const auto [lo, hi] = requestedRange(spec, -10.0, 10.0);
    QCOMPARE(lo, -0.3);
    QCOMPARE(hi, 0.5);
    // Symmetric: amax = 0.5 whatever the tensor's range; values beyond clamp.
    const QuantParams p = paramsForTensor(spec, -10.0, 10.0);
    QCOMPARE(p.clipMin, -0.5);
    QCOMPARE(p.clipMax, 0.5);
    QVERIFY(sameBits(p.scale, 0.5f / 127.5f));
    QCOMPARE(quantizeValue(-10.0f, p), qint64(-128));
}

void TestQuantizer::nonSaturatingUsesTensorRange() {
    QuantSpec spec = asymmetric(8);
    spec.clipLo = -0.1; // ignored unless saturating
    spec.clipHi = 0.1;
    const auto [lo, hi] = requestedRange(spec, -0.2, 1.0);
    QCOMPARE(lo, -0.2);
    QCOMPARE(hi, 1.0);
    QCOMPARE(paramsForTensor(spec, -0.2, 1.0), computeParams(spec, -0.2, 1.0));
}

void TestQuantizer::spanMatchesScalar_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addColumn<double>("lo");
    QTest::addColumn<double>("hi");
    QTest::addRow("sym 8") << symmetric(8) << -0.8 << 0.6;
    QTest::addRow("narrow 4") << narrowSymmetric(4) << -0.5 << 0.5;
    QTest::addRow("asym 8") << asymmetric(8) << -0.3 << 1.1;
    QTest::addRow("asym 2") << asymmetric(2) << -1.0 << 0.2;
    QTest::addRow("sym 16") << symmetric(16) << -1.0 << 1.0;
    QTest::addRow("asym 16") << asymmetric(16) << -2.0 << 0.5;
    QTest::addRow("zeros") << symmetric(8) << 0.0 << 0.0;
}

void TestQuantizer::spanMatchesScalar() {
    QFETCH(QuantSpec, spec);
    QFETCH(double, lo);
    QFETCH(double, hi);
    const QuantParams p = computeParams(spec, lo, hi);
    // An odd length exercises the vector tail; values reach past the range to hit both clamps.
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(float(lo) * 1.3f - 0.1f, float(hi) * 1.3f + 0.1f);
    std::vector<float> in(10007);
    for (float &x : in)
        x = dist(rng);
    // Exact ties and the range ends too.
    in[0] = float(lo);
    in[1] = float(hi);
    in[2] = 0.5f * p.scale;
    in[3] = -2.5f * p.scale;
    // Far outside the codes, infinite and subnormal: all must clamp or round like the scalar path.
    const float specials[] = {kInfF, -kInfF, 3e38f, -3e38f, 1e-45f, -1e-45f, 0.0f, -0.0f};
    std::copy(std::begin(specials), std::end(specials), in.begin() + 4);
    // Halfway points between codes, where round-half-to-even matters.
    for (int k = -100; k < 100; ++k)
        in[std::size_t(200 + k)] = (float(k) + 0.5f) * p.scale;
    // NaN stays NaN and ±inf clamps, in the vector body and in the tail alike.
    std::vector<float> special = in;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::size_t tail = in.size() - 1; // 10007 values: the last 3 (SSE2) to 7 (AVX-512) are the tail
    for (const std::size_t at : {std::size_t(12), tail})
        special[at] = nan;
    special[13] = kInfF;
    special[tail - 1] = -kInfF;

    // Every build of the lane kernel the processor runs (SSE2, AVX2, AVX-512).
    for (const std::string &isa : qs::detail::laneKernelIsas()) {
        QVERIFY(qs::detail::setLaneKernelIsa(isa));
        std::vector<float> out(in.size());
        fakeQuantize(in, out, p);
        for (std::size_t i = 0; i < in.size(); ++i)
            QVERIFY2(
                sameBits(out[i], fakeQuantize(in[i], p)),
                qPrintable(QStringLiteral("%1: %2").arg(QString::fromStdString(isa)).arg(in[i], 0, 'g', 9)));
        fakeQuantize(special, out, p);
        for (const std::size_t at : {std::size_t(12), tail})
            QVERIFY(std::isnan(out[at]));
        QVERIFY(sameBits(out[13], fakeQuantize(kInfF, p)));
        QVERIFY(sameBits(out[tail - 1], fakeQuantize(-kInfF, p)));
    }
    QVERIFY(qs::detail::setLaneKernelIsa({}));
}

void TestQuantizer::namesRoundTrip() {
    // Names from the spec's CLI and export vocabulary.
    QCOMPARE(schemeName(Scheme::Symmetric), std::string_view("symmetric"));
    QCOMPARE(schemeName(Scheme::Asymmetric), std::string_view("asymmetric"));
    QCOMPARE(rangeModeName(RangeMode::NonSaturating), std::string_view("non-saturating"));
    QCOMPARE(rangeModeName(RangeMode::Saturating), std::string_view("saturating"));
    for (Scheme s : {Scheme::Symmetric, Scheme::Asymmetric})
        QCOMPARE(schemeFromName(schemeName(s)), std::optional<Scheme>(s));
    for (RangeMode m : {RangeMode::NonSaturating, RangeMode::Saturating})
        QCOMPARE(rangeModeFromName(rangeModeName(m)), std::optional<RangeMode>(m));
    QVERIFY(!schemeFromName("Symmetric"));
    QVERIFY(!schemeFromName(""));
    QVERIFY(!rangeModeFromName("clipped"));
}

// The batch form gives each range what one call per range gives, field for field: symmetric,
// asymmetric and narrow codes, a clip ratio, reversed, empty, NaN and infinite bounds.
void TestQuantizer::manyRangesAsOneByOne() {
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<std::pair<float, float>> ranges{{-0.2f, 1.0f},   {-0.05f, 0.03f}, {0.0f, 0.0f},
                                                      {0.4f, -0.1f},   {nan, 0.5f},     {-inf, inf},
                                                      {1e-30f, 2e-30f}};
    for (const Scheme scheme : {Scheme::Symmetric, Scheme::Asymmetric})
        for (const bool narrow : {false, true})
            for (const float ratio : {1.0f, 0.5f}) {
                QuantSpec spec = intSpec(4, scheme);
                spec.narrow = narrow && scheme == Scheme::Symmetric;
                std::vector<QuantParams> batch;
                computeParams(spec, ranges, ratio, batch);
                QCOMPARE(batch.size(), ranges.size());
                for (std::size_t g = 0; g < ranges.size(); ++g)
                    QCOMPARE(batch[g], computeParams(spec, double(ranges[g].first * ratio),
                                                     double(ranges[g].second * ratio)));
            }
}

QTEST_GUILESS_MAIN(TestQuantizer)
#include "tst_quantizer.moc"
