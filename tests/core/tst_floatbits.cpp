#include "quant/floatbits.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

using namespace qs;

Q_DECLARE_METATYPE(qs::FloatLayout)

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

} // namespace

// Goldens are hand computations from the formats' definitions: value = (−1)^s · 2^(e − bias) ·
// (1 + m / 2^M) for normal codes, (−1)^s · 2^(1 − bias) · m / 2^M for subnormal ones.
class TestFloatBits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void layoutFacts_data();
    void layoutFacts();
    void pointOneInFp32();
    void pointOneInHalves();
    void tinyValueUnderflowsF16NotBf16();
    void f16Overflow();
    void e4m3Saturates();
    void e2m1Levels_data();
    void e2m1Levels();
    void tiesToEven();
    void neighboursOfOne();
    void subnormalBoundary();
    void zeroNeighbours();
    void infinityAndNan();
    void elementLayouts();
    void exactDecimal_data();
    void exactDecimal();
};

void TestFloatBits::layoutFacts_data() {
    QTest::addColumn<FloatLayout>("layout");
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("exponentBits");
    QTest::addColumn<int>("mantissaBits");
    QTest::addColumn<int>("bias");
    QTest::addColumn<double>("maxFinite");
    QTest::addColumn<double>("minNormal");
    QTest::addColumn<double>("minSubnormal");
    QTest::addColumn<bool>("infinity");
    QTest::addColumn<bool>("saturates");
    // IEEE 754 binary32/binary16; bfloat16 = binary32's top half; OCP FP8 spec (E4M3 max
    // 1.75 · 2^8, E5M2 max 1.75 · 2^15); OCP MX spec's FP4 E2M1 (max 1.5 · 2^2).
    QTest::addRow("f32") << FloatLayout::F32 << 32 << 8 << 23 << 127 << 0x1.fffffep127 << 0x1p-126 << 0x1p-149
                         << true << false;
    QTest::addRow("f16") << FloatLayout::F16 << 16 << 5 << 10 << 15 << 65504.0 << 0x1p-14 << 0x1p-24 << true
                         << false;
    QTest::addRow("bf16") << FloatLayout::BF16 << 16 << 8 << 7 << 127 << 0x1.fep127 << 0x1p-126 << 0x1p-133
                          << true << false;
    QTest::addRow("e4m3") << FloatLayout::E4M3 << 8 << 4 << 3 << 7 << 448.0 << 0x1p-6 << 0x1p-9 << false
                          << true;
    QTest::addRow("e5m2") << FloatLayout::E5M2 << 8 << 5 << 2 << 15 << 57344.0 << 0x1p-14 << 0x1p-16 << true
                          << true;
    QTest::addRow("e2m1") << FloatLayout::E2M1 << 4 << 2 << 1 << 1 << 6.0 << 1.0 << 0.5 << false << true;
}

void TestFloatBits::layoutFacts() {
    QFETCH(FloatLayout, layout);
    const FloatLayoutInfo &info = floatLayoutInfo(layout);
    QCOMPARE(info.layout, layout);
    QTEST(info.totalBits, "bits");
    QTEST(info.exponentBits, "exponentBits");
    QTEST(info.mantissaBits, "mantissaBits");
    QTEST(info.bias, "bias");
    QTEST(info.maxFinite, "maxFinite");
    QTEST(info.minNormal, "minNormal");
    QTEST(info.minSubnormal, "minSubnormal");
    QTEST(info.hasInfinity, "infinity");
    QFETCH(bool, saturates);
    QCOMPARE(info.outOfRange == OutOfRange::Saturate, saturates);
    // The largest finite code decodes to maxFinite.
    QCOMPARE(explainFloat(layout, float(info.maxFinite)).code, info.maxFiniteCode);
    QCOMPARE(floatLayouts().size(), std::size_t(6));
}

// 0.1f = 0x3DCCCCCD: 2^-4 · (1 + 0x4CCCCD / 2^23), the nearest float32 to 0.1.
void TestFloatBits::pointOneInFp32() {
    const FloatBits b = explainFloat(FloatLayout::F32, 0.1f);
    QCOMPARE(b.code, 0x3DCCCCCDu);
    QCOMPARE(b.sign, 0);
    QCOMPARE(b.exponentField, 123u);
    QCOMPARE(b.mantissaField, 0x4CCCCDu);
    QCOMPARE(b.signBits, std::string("0"));
    QCOMPARE(b.exponentBits, std::string("01111011"));
    QCOMPARE(b.mantissaBits, std::string("10011001100110011001101"));
    QCOMPARE(b.kind, FloatKind::Normal);
    QCOMPARE(b.exponent, -4);
    QCOMPARE(b.value, double(0.1f));
    QCOMPARE(b.absoluteError, 0.0);
    QCOMPARE(b.relativeError, 0.0);
    // One ulp (2^-27) either side: codes 0x3DCCCCCC and 0x3DCCCCCE.
    QCOMPARE(*b.below, double(std::bit_cast<float>(0x3DCCCCCCu)));
    QCOMPARE(*b.above, double(std::bit_cast<float>(0x3DCCCCCEu)));
    QCOMPARE(*b.above - b.value, 0x1p-27);
    QVERIFY(!b.overflow && !b.underflow);
}

// F16: 0.1 → 0x2E66 = 2^(11 − 15) · (1 + 0x266 / 1024) = 1638 / 16384 = 0.0999755859375.
// BF16: 0.1 → 0x3DCD = 2^(123 − 127) · (1 + 0x4D / 128) = 205 / 2048 = 0.10009765625.
void TestFloatBits::pointOneInHalves() {
    const FloatBits f16 = explainFloat(FloatLayout::F16, 0.1f);
    QCOMPARE(f16.code, 0x2E66u);
    QCOMPARE(f16.exponentField, 11u);
    QCOMPARE(f16.mantissaField, 0x266u);
    QCOMPARE(f16.exponentBits, std::string("01011"));
    QCOMPARE(f16.mantissaBits, std::string("1001100110"));
    QCOMPARE(f16.exponent, -4);
    QCOMPARE(f16.value, 0.0999755859375);
    // 0.0999755859375 − 0.100000001490116119384765625, exact in double.
    QCOMPARE(f16.absoluteError, -0.000024415552616119384765625);
    QVERIFY(std::abs(f16.relativeError - (-2.44155522523e-4)) < 1e-14);
    QCOMPARE(*f16.below, 1637.0 / 16384);
    QCOMPARE(*f16.above, 1639.0 / 16384);

    const FloatBits bf16 = explainFloat(FloatLayout::BF16, 0.1f);
    QCOMPARE(bf16.code, 0x3DCDu);
    QCOMPARE(bf16.exponentField, 123u);
    QCOMPARE(bf16.mantissaField, 0x4Du);
    QCOMPARE(bf16.value, 0.10009765625);
    QCOMPARE(bf16.absoluteError, 0.000097654759883880615234375);
    QCOMPARE(*bf16.below, 204.0 / 2048);
    QCOMPARE(*bf16.above, 206.0 / 2048);
}

// 1e-30f = 0x0DA24260 (exponent field 27, i.e. 2^-100): far below F16's 2^-25 (half its
// smallest subnormal), well within BF16's normal range (float32's exponent): 0x0DA2 rounds the
// low 16 bits 0x4260 < 0x8000 down, = 2^-100 · (1 + 0x22/128).
void TestFloatBits::tinyValueUnderflowsF16NotBf16() {
    const FloatBits f16 = explainFloat(FloatLayout::F16, 1e-30f);
    QCOMPARE(f16.code, 0x0000u);
    QCOMPARE(f16.kind, FloatKind::Zero);
    QCOMPARE(f16.value, 0.0);
    QVERIFY(f16.underflow);
    QCOMPARE(f16.relativeError, -1.0);

    const FloatBits bf16 = explainFloat(FloatLayout::BF16, 1e-30f);
    QCOMPARE(bf16.code, 0x0DA2u);
    QCOMPARE(bf16.kind, FloatKind::Normal);
    QCOMPARE(bf16.exponentField, 27u);
    QCOMPARE(bf16.exponent, -100);
    QCOMPARE(bf16.value, std::ldexp(1.0 + 0x22 / 128.0, -100));
    QVERIFY(!bf16.underflow);
    QVERIFY(std::abs(bf16.relativeError) < 0x1p-8); // half a BF16 ulp at most
}

// F16's largest finite value is 65504 = 2^15 · (1 + 1023/1024), code 0x7BFF; the next step
// would be 65536, so the rounding boundary is 65520: below it 65504, from it on infinity.
void TestFloatBits::f16Overflow() {
    const FloatBits max = explainFloat(FloatLayout::F16, 65504.0f);
    QCOMPARE(max.code, 0x7BFFu);
    QCOMPARE(max.kind, FloatKind::Normal);
    QCOMPARE(*max.below, 65472.0);
    QVERIFY(!max.above);
    QVERIFY(!max.overflow);

    const FloatBits under = explainFloat(FloatLayout::F16, 65519.0f);
    QCOMPARE(under.code, 0x7BFFu);
    QVERIFY(!under.overflow);
    QCOMPARE(under.absoluteError, -15.0);

    const FloatBits over = explainFloat(FloatLayout::F16, -65520.0f);
    QCOMPARE(over.code, 0xFC00u);
    QCOMPARE(over.kind, FloatKind::Infinity);
    QCOMPARE(over.sign, 1);
    QCOMPARE(over.exponentField, 31u);
    QCOMPARE(over.mantissaField, 0u);
    QVERIFY(over.overflow);
    QVERIFY(std::isinf(over.absoluteError));
    QCOMPARE(*over.above, -65504.0);
    QVERIFY(!over.below);
}

// E4M3: 448 = 2^(15 − 7) · 1.75 is S.1111.110 (0x7E); S.1111.111 is NaN. The encoder saturates.
void TestFloatBits::e4m3Saturates() {
    const FloatBits max = explainFloat(FloatLayout::E4M3, 448.0f);
    QCOMPARE(max.code, 0x7Eu);
    QCOMPARE(max.exponentField, 15u);
    QCOMPARE(max.mantissaField, 6u);
    QCOMPARE(max.kind, FloatKind::Normal);
    QCOMPARE(*max.below, 416.0); // 2^8 · 1.625
    QVERIFY(!max.above);
    QVERIFY(!max.overflow);

    const FloatBits big = explainFloat(FloatLayout::E4M3, 500.0f);
    QCOMPARE(big.code, 0x7Eu);
    QCOMPARE(big.value, 448.0);
    QCOMPARE(big.absoluteError, -52.0);
    QVERIFY(big.overflow);

    const FloatBits inf = explainFloat(FloatLayout::E4M3, -kInf);
    QCOMPARE(inf.code, 0xFEu);
    QCOMPARE(inf.value, -448.0);
    QVERIFY(inf.overflow);

    const FloatBits e5m2 = explainFloat(FloatLayout::E5M2, 1e6f);
    QCOMPARE(e5m2.code, 0x7Bu); // 2^(30 − 15) · 1.75 = 57344, not the Inf code 0x7C
    QCOMPARE(e5m2.kind, FloatKind::Normal);
    QVERIFY(e5m2.overflow);
}

// E2M1's eight magnitudes, codes 0–7: 0, 0.5 (subnormal), 1, 1.5, 2, 3, 4, 6.
void TestFloatBits::e2m1Levels_data() {
    QTest::addColumn<float>("x");
    QTest::addColumn<uint>("code");
    QTest::addColumn<double>("value");
    QTest::addColumn<int>("kind");
    QTest::addRow("0") << 0.0f << 0u << 0.0 << int(FloatKind::Zero);
    QTest::addRow("0.5") << 0.5f << 1u << 0.5 << int(FloatKind::Subnormal);
    QTest::addRow("1") << 1.0f << 2u << 1.0 << int(FloatKind::Normal);
    QTest::addRow("1.5") << 1.5f << 3u << 1.5 << int(FloatKind::Normal);
    QTest::addRow("2") << 2.0f << 4u << 2.0 << int(FloatKind::Normal);
    QTest::addRow("3") << 3.0f << 5u << 3.0 << int(FloatKind::Normal);
    QTest::addRow("4") << 4.0f << 6u << 4.0 << int(FloatKind::Normal);
    QTest::addRow("6") << 6.0f << 7u << 6.0 << int(FloatKind::Normal);
    QTest::addRow("-3") << -3.0f << 0xDu << -3.0 << int(FloatKind::Normal);
    // Ties go to the even code: 2.5 between 2 (0b100) and 3 (0b101) → 2; 5 → 4; 0.25 → 0.
    QTest::addRow("2.5 tie") << 2.5f << 4u << 2.0 << int(FloatKind::Normal);
    QTest::addRow("5 tie") << 5.0f << 6u << 4.0 << int(FloatKind::Normal);
    QTest::addRow("0.25 tie") << 0.25f << 0u << 0.0 << int(FloatKind::Zero);
    QTest::addRow("7 saturates") << 7.0f << 7u << 6.0 << int(FloatKind::Normal);
}

void TestFloatBits::e2m1Levels() {
    QFETCH(float, x);
    const FloatBits b = explainFloat(FloatLayout::E2M1, x);
    QTEST(uint(b.code), "code");
    QTEST(b.value, "value");
    QTEST(int(b.kind), "kind");
    QCOMPARE(int(b.exponentBits.size()), 2);
    QCOMPARE(int(b.mantissaBits.size()), 1);
    QCOMPARE(b.overflow, x > 6.0f);
    QCOMPARE(b.underflow, x == 0.25f);
}

// F16 near 1 has ulp 2^-10: 1 + 2^-11 is a tie between 0x3C00 (even) and 0x3C01 → 1;
// 1 + 3 · 2^-11 is a tie between 0x3C01 and 0x3C02 (even) → 1 + 2^-9.
void TestFloatBits::tiesToEven() {
    QCOMPARE(explainFloat(FloatLayout::F16, 1.0f + 0x1p-11f).code, 0x3C00u);
    QCOMPARE(explainFloat(FloatLayout::F16, 1.0f + 3 * 0x1p-11f).code, 0x3C02u);
    // BF16 ulp at 1 is 2^-7: 1 + 2^-8 → 0x3F80, 1 + 3 · 2^-8 → 0x3F82.
    QCOMPARE(explainFloat(FloatLayout::BF16, 1.0f + 0x1p-8f).code, 0x3F80u);
    QCOMPARE(explainFloat(FloatLayout::BF16, 1.0f + 3 * 0x1p-8f).code, 0x3F82u);
}

// 1.0 in F16 is 0x3C00; 0x3BFF = 1 − 2^-11 = 0.99951171875, 0x3C01 = 1 + 2^-10 = 1.0009765625.
void TestFloatBits::neighboursOfOne() {
    const FloatBits one = explainFloat(FloatLayout::F16, 1.0f);
    QCOMPARE(one.code, 0x3C00u);
    QCOMPARE(one.exponentField, 15u);
    QCOMPARE(one.exponent, 0);
    QCOMPARE(*one.below, 0.99951171875);
    QCOMPARE(*one.above, 1.0009765625);
    const FloatBits minusOne = explainFloat(FloatLayout::F16, -1.0f);
    QCOMPARE(minusOne.code, 0xBC00u);
    QCOMPARE(*minusOne.below, -1.0009765625);
    QCOMPARE(*minusOne.above, -0.99951171875);
}

// F16's smallest normal is 2^-14 (0x0400, exponent field 1), the largest subnormal
// 2^-14 − 2^-24 (0x03FF), the smallest subnormal 2^-24 (0x0001); both have exponent 1 − 15.
void TestFloatBits::subnormalBoundary() {
    const FloatBits normal = explainFloat(FloatLayout::F16, 0x1p-14f);
    QCOMPARE(normal.code, 0x0400u);
    QCOMPARE(normal.kind, FloatKind::Normal);
    QCOMPARE(normal.exponent, -14);
    QCOMPARE(*normal.below, 0x1p-14 - 0x1p-24);
    const FloatBits largestSub = explainFloat(FloatLayout::F16, 0x1p-14f - 0x1p-24f);
    QCOMPARE(largestSub.code, 0x03FFu);
    QCOMPARE(largestSub.kind, FloatKind::Subnormal);
    QCOMPARE(largestSub.exponent, -14);
    QCOMPARE(largestSub.mantissaField, 0x3FFu);
    const FloatBits smallest = explainFloat(FloatLayout::F16, 0x1p-24f);
    QCOMPARE(smallest.code, 0x0001u);
    QCOMPARE(smallest.kind, FloatKind::Subnormal);
    QCOMPARE(*smallest.below, 0.0);
    QCOMPARE(*smallest.above, 0x1p-23);
    // 2^-25 is a tie between 0 (even) and 2^-24: zero, an underflow; 1.5 · 2^-25 rounds up.
    const FloatBits half = explainFloat(FloatLayout::F16, 0x1p-25f);
    QCOMPARE(half.code, 0x0000u);
    QVERIFY(half.underflow);
    QCOMPARE(explainFloat(FloatLayout::F16, 0x1.8p-25f).code, 0x0001u);
}

// From ±0 the next codes are ∓/± the smallest subnormal.
void TestFloatBits::zeroNeighbours() {
    const FloatBits plus = explainFloat(FloatLayout::F16, 0.0f);
    QCOMPARE(*plus.below, -0x1p-24);
    QCOMPARE(*plus.above, 0x1p-24);
    QCOMPARE(plus.relativeError, 0.0);
    QVERIFY(!plus.underflow);
    const FloatBits minus = explainFloat(FloatLayout::E4M3, -0.0f);
    QCOMPARE(minus.code, 0x80u);
    QCOMPARE(minus.sign, 1);
    QCOMPARE(minus.kind, FloatKind::Zero);
    QCOMPARE(*minus.below, -0x1p-9);
    QCOMPARE(*minus.above, 0x1p-9);
}

void TestFloatBits::infinityAndNan() {
    const FloatBits inf = explainFloat(FloatLayout::F32, kInf);
    QCOMPARE(inf.code, 0x7F800000u);
    QCOMPARE(inf.kind, FloatKind::Infinity);
    QCOMPARE(*inf.below, double(std::numeric_limits<float>::max()));
    QVERIFY(!inf.above);
    QVERIFY(!inf.overflow); // it was infinite already
    QVERIFY(std::isnan(inf.relativeError));

    const FloatBits nan = explainFloat(FloatLayout::F16, kNan);
    QCOMPARE(nan.kind, FloatKind::NaN);
    QCOMPARE(nan.exponentField, 31u);
    QVERIFY(nan.mantissaField != 0);
    QVERIFY(!nan.below && !nan.above);
    QCOMPARE(explainFloat(FloatLayout::E4M3, kNan).code, 0x7Fu); // S.1111.111
    QCOMPARE(explainFloat(FloatLayout::E4M3, kNan).kind, FloatKind::NaN);
    // E2M1 has no NaN: its encoder gives −0 (0x8), as ml_dtypes does.
    QCOMPARE(explainFloat(FloatLayout::E2M1, kNan).code, 0x8u);
    QCOMPARE(explainFloat(FloatLayout::E2M1, kNan).kind, FloatKind::Zero);
}

// Which float the formats store their elements in (numberformat.h, the OCP MX and NVFP4 specs).
void TestFloatBits::elementLayouts() {
    QCOMPARE(elementLayout(NumberFormat::F16), std::optional(FloatLayout::F16));
    QCOMPARE(elementLayout(NumberFormat::BF16), std::optional(FloatLayout::BF16));
    QCOMPARE(elementLayout(NumberFormat::Fp8E4M3), std::optional(FloatLayout::E4M3));
    QCOMPARE(elementLayout(NumberFormat::MxFp8), std::optional(FloatLayout::E4M3));
    QCOMPARE(elementLayout(NumberFormat::Fp8E5M2), std::optional(FloatLayout::E5M2));
    QCOMPARE(elementLayout(NumberFormat::MxFp4), std::optional(FloatLayout::E2M1));
    QCOMPARE(elementLayout(NumberFormat::NvFp4), std::optional(FloatLayout::E2M1));
    QVERIFY(!elementLayout(NumberFormat::Int));
    QVERIFY(!elementLayout(NumberFormat::Nf4));
    QVERIFY(!elementLayout(NumberFormat::Q4_K));
}

// Every binary fraction has a finite decimal expansion: m · 2^-k = m · 5^k / 10^k.
void TestFloatBits::exactDecimal_data() {
    QTest::addColumn<double>("x");
    QTest::addColumn<QString>("text");
    QTest::addRow("0.1f") << double(0.1f) << QStringLiteral("0.100000001490116119384765625");
    QTest::addRow("f16 0.1") << 0.0999755859375 << QStringLiteral("0.0999755859375");
    QTest::addRow("65504") << 65504.0 << QStringLiteral("65504");
    QTest::addRow("-1.5") << -1.5 << QStringLiteral("-1.5");
    QTest::addRow("2^-7") << 0x1p-7 << QStringLiteral("0.0078125");
    QTest::addRow("2^-24") << 0x1p-24 << QStringLiteral("5.9604644775390625e-8");
    QTest::addRow("2^70") << 0x1p70 << QStringLiteral("1.180591620717411303424e21");
    QTest::addRow("-0") << -0.0 << QStringLiteral("-0");
    QTest::addRow("inf") << double(kInf) << QStringLiteral("inf");
}

void TestFloatBits::exactDecimal() {
    QFETCH(double, x);
    QTEST(QString::fromStdString(qs::exactDecimal(x)), "text");
}

QTEST_GUILESS_MAIN(TestFloatBits)
#include "tst_floatbits.moc"
