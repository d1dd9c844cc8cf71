#include "exactfloat.h"
#include "quant/blocklayout.h"
#include "quant/minifloat.h"

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

Q_DECLARE_METATYPE(qs::MiniFloat)

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

// Same bits (so +0 and -0 differ), or both NaN.
QByteArray mismatch(float actual, float expected) {
    return QByteArray::number(double(actual), 'g', 10) +
           " != " + QByteArray::number(double(expected), 'g', 10);
}

#define COMPARE_EXACT(actual, expected)                                                                      \
    do {                                                                                                     \
        const float a_ = (actual);                                                                           \
        const float e_ = (expected);                                                                         \
        QVERIFY2(identical(a_, e_), mismatch(a_, e_).constData());                                           \
    } while (false)

struct Fields {
    int exponentBits;
    int mantissaBits;
    int bias;
};

Fields fieldsOf(MiniFloat format) {
    switch (format) {
    case MiniFloat::E4M3:
        return {4, 3, 7};
    case MiniFloat::E5M2:
        return {5, 2, 15};
    case MiniFloat::E2M1:
        break;
    }
    return {2, 1, 1};
}

// The value of a code from its sign, exponent and mantissa fields, as the formats define it
// (OCP 8-bit FP spec, OCP MX spec for e2m1): (-1)^s · 2^(e - bias) · (1 + m / 2^M) for e > 0,
// (-1)^s · 2^(1 - bias) · (m / 2^M) for e = 0; e4m3 S.1111.111 is NaN, e5m2 e = 31 is Inf/NaN.
double referenceValue(MiniFloat format, unsigned code) {
    const Fields f = fieldsOf(format);
    const unsigned signBit = 1u << (f.exponentBits + f.mantissaBits);
    const unsigned e = (code >> f.mantissaBits) & ((1u << f.exponentBits) - 1);
    const unsigned m = code & ((1u << f.mantissaBits) - 1);
    const double sign = (code & signBit) ? -1.0 : 1.0;
    if (format == MiniFloat::E4M3 && e == 15 && m == 7)
        return std::nan("");
    if (format == MiniFloat::E5M2 && e == 31)
        return m == 0 ? sign * HUGE_VAL : std::nan("");
    const double fraction = double(m) / double(1u << f.mantissaBits);
    if (e == 0)
        return sign * std::ldexp(fraction, 1 - f.bias);
    return sign * std::ldexp(1.0 + fraction, int(e) - f.bias);
}

int codeCount(MiniFloat format) {
    return format == MiniFloat::E2M1 ? 16 : 256;
}

// The nearest non-negative level to a >= 0 by exhaustive search, ties to the even code,
// saturating at the largest: an independent reference for encodeMiniFloat.
unsigned bruteForceMagnitudeCode(MiniFloat format, double a) {
    const unsigned maxCode = miniFloatInfo(format).maxCode;
    unsigned best = 0;
    for (unsigned code = 1; code <= maxCode; ++code) {
        const double distance = std::abs(referenceValue(format, code) - a);
        const double bestDistance = std::abs(referenceValue(format, best) - a);
        if (distance < bestDistance || (distance == bestDistance && code % 2 == 0))
            best = code;
    }
    return best;
}

float pow2(int k) {
    return std::ldexp(1.0f, k);
}

} // namespace

class TestMiniFloat : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void formats_data();
    void decodeEveryCode_data();
    void decodeEveryCode();
    void decodeAnchors_data();
    void decodeAnchors();
    void roundTripEveryCode_data();
    void roundTripEveryCode();
    void encodeMatchesExhaustiveSearch_data();
    void encodeMatchesExhaustiveSearch();
    void tiesGoToEven_data();
    void tiesGoToEven();
    void subnormals();
    void saturates_data();
    void saturates();
    void nanInputs();
    void levels_data();
    void levels();
    void scaledGroupByHand();
    void scaledE5M2ByHand();
    void scaledZeroGroup();
    void scaledNonFinite();
    void scaledRows();
    void scaledRowsRejectsBadShapes();
    void scaledRowsSameWhenSplitByRows();
    void bitsPerWeight();
};

void TestMiniFloat::formats_data() {
    QTest::addColumn<MiniFloat>("format");
    QTest::addRow("fp8_e4m3") << MiniFloat::E4M3;
    QTest::addRow("fp8_e5m2") << MiniFloat::E5M2;
    QTest::addRow("e2m1") << MiniFloat::E2M1;
}

void TestMiniFloat::decodeEveryCode_data() {
    formats_data();
}

void TestMiniFloat::decodeEveryCode() {
    QFETCH(MiniFloat, format);
    for (int code = 0; code < codeCount(format); ++code) {
        const float expected = float(referenceValue(format, unsigned(code)));
        const float actual = decodeMiniFloat(format, std::uint8_t(code));
        QVERIFY2(identical(actual, expected),
                 (QByteArray::number(code, 16) + ": " + mismatch(actual, expected)).constData());
    }
}

void TestMiniFloat::decodeAnchors_data() {
    QTest::addColumn<MiniFloat>("format");
    QTest::addColumn<int>("code");
    QTest::addColumn<float>("value");
    // From the OCP 8-bit FP spec's tables of e4m3/e5m2 special values and the MX spec's e2m1.
    QTest::addRow("e4m3 max 448") << MiniFloat::E4M3 << 0x7E << 448.0f;
    QTest::addRow("e4m3 -max") << MiniFloat::E4M3 << 0xFE << -448.0f;
    QTest::addRow("e4m3 one") << MiniFloat::E4M3 << 0x38 << 1.0f;
    QTest::addRow("e4m3 min normal 2^-6") << MiniFloat::E4M3 << 0x08 << pow2(-6);
    QTest::addRow("e4m3 max subnormal 7*2^-9") << MiniFloat::E4M3 << 0x07 << 7.0f * pow2(-9);
    QTest::addRow("e4m3 min subnormal 2^-9") << MiniFloat::E4M3 << 0x01 << pow2(-9);
    QTest::addRow("e4m3 -0") << MiniFloat::E4M3 << 0x80 << -0.0f;
    QTest::addRow("e4m3 NaN 0x7F") << MiniFloat::E4M3 << 0x7F << kNan;
    QTest::addRow("e4m3 NaN 0xFF") << MiniFloat::E4M3 << 0xFF << kNan;
    QTest::addRow("e5m2 max 57344") << MiniFloat::E5M2 << 0x7B << 57344.0f;
    QTest::addRow("e5m2 inf") << MiniFloat::E5M2 << 0x7C << kInf;
    QTest::addRow("e5m2 -inf") << MiniFloat::E5M2 << 0xFC << -kInf;
    QTest::addRow("e5m2 NaN") << MiniFloat::E5M2 << 0x7E << kNan;
    QTest::addRow("e5m2 one") << MiniFloat::E5M2 << 0x3C << 1.0f;
    QTest::addRow("e5m2 min normal 2^-14") << MiniFloat::E5M2 << 0x04 << pow2(-14);
    QTest::addRow("e5m2 min subnormal 2^-16") << MiniFloat::E5M2 << 0x01 << pow2(-16);
    const float e2m1[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    for (int code = 0; code < 8; ++code) {
        QTest::addRow("e2m1 %d", code) << MiniFloat::E2M1 << code << e2m1[code];
        QTest::addRow("e2m1 %d", code | 8) << MiniFloat::E2M1 << (code | 8) << -e2m1[code];
    }
}

void TestMiniFloat::decodeAnchors() {
    QFETCH(MiniFloat, format);
    QFETCH(int, code);
    QFETCH(float, value);
    COMPARE_EXACT(decodeMiniFloat(format, std::uint8_t(code)), value);
}

void TestMiniFloat::roundTripEveryCode_data() {
    formats_data();
}

// Every code comes back from encode(decode(code)), -0 and e4m3's two NaNs included (the sign of
// NaN is kept). The exceptions are e5m2's: ±Inf saturate to ±max (0x7B/0xFB), and its six NaN
// codes collapse onto the canonical 0x7E/0xFE.
void TestMiniFloat::roundTripEveryCode() {
    QFETCH(MiniFloat, format);
    for (int code = 0; code < codeCount(format); ++code) {
        const int sign = code & 0x80;
        int expected = code;
        if (format == MiniFloat::E5M2 && (code & 0x7F) == 0x7C)
            expected = sign | 0x7B;
        else if (format == MiniFloat::E5M2 && (code & 0x7F) > 0x7C)
            expected = sign | 0x7E;
        const int actual = encodeMiniFloat(format, decodeMiniFloat(format, std::uint8_t(code)));
        QVERIFY2(actual == expected,
                 (QByteArray::number(code, 16) + " -> " + QByteArray::number(actual, 16)).constData());
    }
}

void TestMiniFloat::encodeMatchesExhaustiveSearch_data() {
    formats_data();
}

// Every midpoint between neighbouring levels, the floats just beside it, the levels themselves,
// points beyond the maximum and a few thousand random magnitudes, both signs: the bit-twiddled
// encoder and rounder must pick the code an exhaustive nearest-even search picks.
void TestMiniFloat::encodeMatchesExhaustiveSearch() {
    QFETCH(MiniFloat, format);
    const MiniFloatInfo &info = miniFloatInfo(format);
    std::vector<float> probes;
    for (unsigned code = 0; code <= info.maxCode; ++code) {
        const double level = referenceValue(format, code);
        const double next = code < info.maxCode ? referenceValue(format, code + 1) : 2.0 * level;
        const float mid = float((level + next) / 2.0);
        probes.insert(probes.end(),
                      {float(level), mid, std::nextafter(mid, 0.0f), std::nextafter(mid, kInf)});
    }
    std::mt19937 rng(12345);
    std::uniform_real_distribution<double> log2Magnitude(std::log2(double(info.minSubnormal)) - 3.0,
                                                         std::log2(double(info.maxValue)) + 2.0);
    for (int i = 0; i < 4000; ++i)
        probes.push_back(float(std::exp2(log2Magnitude(rng))));
    const unsigned signBit = 1u << (info.bits - 1);
    for (const float probe : probes) {
        const unsigned expected = bruteForceMagnitudeCode(format, double(probe));
        QVERIFY2(encodeMiniFloat(format, probe) == expected,
                 QByteArray::number(double(probe), 'g', 10).constData());
        QVERIFY2(encodeMiniFloat(format, -probe) == (expected | signBit),
                 QByteArray::number(double(-probe), 'g', 10).constData());
        // roundToMiniFloat rounds in float without the table; it must land on the same level.
        COMPARE_EXACT(roundToMiniFloat(format, probe), float(referenceValue(format, expected)));
        COMPARE_EXACT(roundToMiniFloat(format, -probe), float(referenceValue(format, expected | signBit)));
    }
}

void TestMiniFloat::tiesGoToEven_data() {
    QTest::addColumn<MiniFloat>("format");
    QTest::addColumn<float>("input");
    QTest::addColumn<float>("expected");
    // e4m3 steps by 1/8 in [1, 2): 1.0625 lies halfway between 1.0 (mantissa 000) and 1.125
    // (001) and goes to 1.0; 1.1875 between 1.125 (001) and 1.25 (010) goes to 1.25.
    QTest::addRow("e4m3 1.0625") << MiniFloat::E4M3 << 1.0625f << 1.0f;
    QTest::addRow("e4m3 1.1875") << MiniFloat::E4M3 << 1.1875f << 1.25f;
    QTest::addRow("e4m3 -1.1875") << MiniFloat::E4M3 << -1.1875f << -1.25f;
    // Steps of 32 in [256, 448]: 272 between 256 (000) and 288 (001) goes down, 432 between
    // 416 (101) and 448 (110) goes up.
    QTest::addRow("e4m3 272") << MiniFloat::E4M3 << 272.0f << 256.0f;
    QTest::addRow("e4m3 432") << MiniFloat::E4M3 << 432.0f << 448.0f;
    // Subnormal steps of 2^-9: 1.5·2^-9 goes to 2·2^-9 (mantissa 010), 0.5·2^-9 to 0.
    QTest::addRow("e4m3 1.5*2^-9") << MiniFloat::E4M3 << 1.5f * pow2(-9) << 2.0f * pow2(-9);
    QTest::addRow("e4m3 0.5*2^-9") << MiniFloat::E4M3 << 0.5f * pow2(-9) << 0.0f;
    QTest::addRow("e4m3 -0.5*2^-9") << MiniFloat::E4M3 << -0.5f * pow2(-9) << -0.0f;
    // The largest normal 2^-6 · 15/8 and the smallest normal 2^-6 straddle the subnormals:
    // halfway between 7·2^-9 (111) and 2^-6 (1.000) goes up.
    QTest::addRow("e4m3 7.5*2^-9") << MiniFloat::E4M3 << 7.5f * pow2(-9) << pow2(-6);
    // e5m2 steps by 1/4 in [1, 2): 1.125 goes to 1.0, 1.375 to 1.5.
    QTest::addRow("e5m2 1.125") << MiniFloat::E5M2 << 1.125f << 1.0f;
    QTest::addRow("e5m2 1.375") << MiniFloat::E5M2 << 1.375f << 1.5f;
    QTest::addRow("e5m2 0.5*2^-16") << MiniFloat::E5M2 << 0.5f * pow2(-16) << 0.0f;
    // e2m1 levels 0, 0.5, 1, 1.5, 2, 3, 4, 6 (mantissa bit 0, 1, 0, 1, 0, 1, 0, 1).
    QTest::addRow("e2m1 0.25") << MiniFloat::E2M1 << 0.25f << 0.0f;
    QTest::addRow("e2m1 0.75") << MiniFloat::E2M1 << 0.75f << 1.0f;
    QTest::addRow("e2m1 1.25") << MiniFloat::E2M1 << 1.25f << 1.0f;
    QTest::addRow("e2m1 1.75") << MiniFloat::E2M1 << 1.75f << 2.0f;
    QTest::addRow("e2m1 2.5") << MiniFloat::E2M1 << 2.5f << 2.0f;
    QTest::addRow("e2m1 3.5") << MiniFloat::E2M1 << 3.5f << 4.0f;
    QTest::addRow("e2m1 5") << MiniFloat::E2M1 << 5.0f << 4.0f;
    QTest::addRow("e2m1 -5") << MiniFloat::E2M1 << -5.0f << -4.0f;
}

void TestMiniFloat::tiesGoToEven() {
    QFETCH(MiniFloat, format);
    QFETCH(float, input);
    QFETCH(float, expected);
    COMPARE_EXACT(roundToMiniFloat(format, input), expected);
    COMPARE_EXACT(decodeMiniFloat(format, encodeMiniFloat(format, input)), expected);
}

void TestMiniFloat::subnormals() {
    QCOMPARE(miniFloatInfo(MiniFloat::E4M3).minSubnormal, pow2(-9));
    QCOMPARE(miniFloatInfo(MiniFloat::E5M2).minSubnormal, pow2(-16));
    QCOMPARE(miniFloatInfo(MiniFloat::E2M1).minSubnormal, 0.5f);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, pow2(-9))), 0x01);
    // Just above half the smallest subnormal rounds up to it, just below down to 0.
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, std::nextafter(pow2(-10), 1.0f))), 0x01);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, std::nextafter(pow2(-10), 0.0f))), 0x00);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, -pow2(-11))), 0x80);
    // 5·2^-9 is subnormal mantissa 101; 3·2^-8 = 6·2^-9 is 110.
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, 5.0f * pow2(-9))), 0x05);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, 3.0f * pow2(-8))), 0x06);
    // Float32 subnormals are far below every format's step: they round to a signed zero.
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, std::numeric_limits<float>::denorm_min())), 0x00);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E5M2, -std::numeric_limits<float>::denorm_min())), 0x80);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E5M2, 3.0f * pow2(-16))), 0x03);
}

void TestMiniFloat::saturates_data() {
    QTest::addColumn<MiniFloat>("format");
    QTest::addColumn<float>("input");
    QTest::addColumn<float>("expected");
    QTest::addRow("e4m3 500") << MiniFloat::E4M3 << 500.0f << 448.0f;
    QTest::addRow("e4m3 1e9") << MiniFloat::E4M3 << 1e9f << 448.0f;
    QTest::addRow("e4m3 -1e9") << MiniFloat::E4M3 << -1e9f << -448.0f;
    // 464 would be the tie between 448 and a 480 the format lacks (S.1111.111 is NaN).
    QTest::addRow("e4m3 464") << MiniFloat::E4M3 << 464.0f << 448.0f;
    QTest::addRow("e4m3 inf") << MiniFloat::E4M3 << kInf << 448.0f;
    QTest::addRow("e4m3 -inf") << MiniFloat::E4M3 << -kInf << -448.0f;
    QTest::addRow("e4m3 float max") << MiniFloat::E4M3 << std::numeric_limits<float>::max() << 448.0f;
    QTest::addRow("e5m2 60000") << MiniFloat::E5M2 << 60000.0f << 57344.0f;
    QTest::addRow("e5m2 1e9") << MiniFloat::E5M2 << 1e9f << 57344.0f;
    QTest::addRow("e5m2 -1e9") << MiniFloat::E5M2 << -1e9f << -57344.0f;
    QTest::addRow("e5m2 inf") << MiniFloat::E5M2 << kInf << 57344.0f;
    QTest::addRow("e5m2 -inf") << MiniFloat::E5M2 << -kInf << -57344.0f;
    QTest::addRow("e2m1 7") << MiniFloat::E2M1 << 7.0f << 6.0f;
    QTest::addRow("e2m1 1e9") << MiniFloat::E2M1 << 1e9f << 6.0f;
    QTest::addRow("e2m1 -inf") << MiniFloat::E2M1 << -kInf << -6.0f;
}

void TestMiniFloat::saturates() {
    QFETCH(MiniFloat, format);
    QFETCH(float, input);
    QFETCH(float, expected);
    COMPARE_EXACT(roundToMiniFloat(format, input), expected);
}

void TestMiniFloat::nanInputs() {
    const float negativeNan = std::copysign(kNan, -1.0f);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, kNan)), 0x7F);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E4M3, negativeNan)), 0xFF);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E5M2, kNan)), 0x7E);
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E5M2, negativeNan)), 0xFE);
    // e2m1 has no NaN: the code is -0, but rounding keeps NaN.
    QCOMPARE(int(encodeMiniFloat(MiniFloat::E2M1, kNan)), 0x8);
    QVERIFY(std::isnan(roundToMiniFloat(MiniFloat::E2M1, kNan)));
    QVERIFY(std::isnan(roundToMiniFloat(MiniFloat::E4M3, kNan)));
    QVERIFY(std::isnan(roundToMiniFloat(MiniFloat::E5M2, negativeNan)));
}

void TestMiniFloat::levels_data() {
    QTest::addColumn<MiniFloat>("format");
    QTest::addColumn<int>("count");
    QTest::addColumn<float>("largest");
    // e4m3: codes 0x00..0x7E (0x7F is NaN); e5m2: 0x00..0x7B (0x7C.. are Inf/NaN); e2m1: 0..7.
    QTest::addRow("fp8_e4m3") << MiniFloat::E4M3 << 127 << 448.0f;
    QTest::addRow("fp8_e5m2") << MiniFloat::E5M2 << 124 << 57344.0f;
    QTest::addRow("e2m1") << MiniFloat::E2M1 << 8 << 6.0f;
}

void TestMiniFloat::levels() {
    QFETCH(MiniFloat, format);
    QFETCH(int, count);
    QFETCH(float, largest);
    const std::span<const float> levels = miniFloatLevels(format);
    QCOMPARE(int(levels.size()), count);
    COMPARE_EXACT(levels.front(), 0.0f);
    COMPARE_EXACT(levels.back(), largest);
    QCOMPARE(miniFloatInfo(format).maxValue, largest);
    for (std::size_t i = 0; i < levels.size(); ++i) {
        COMPARE_EXACT(levels[i], float(referenceValue(format, unsigned(i))));
        if (i > 0)
            QVERIFY(levels[i] > levels[i - 1]);
    }
}

// amax 7 gives s = 7 / 448 = 2^-6 exactly, so x / s = 64x:
//  -3.5 → -224 (1.75·2^7, representable) → -3.5;  0.1 → 6.4 → 6.5 (steps of 0.5 in [4, 8)) →
//  0.1015625;  0.3 → 19.2 → 20 (steps of 2 in [16, 32)) → 0.3125;  1 → 64 → 1;  7 → 448 → 7.
void TestMiniFloat::scaledGroupByHand() {
    const std::vector<float> in = {-3.5f, 0.1f, 0.3f, 1.0f, 7.0f};
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeScaledGroup(MiniFloat::E4M3, in, out), pow2(-6));
    const std::vector<float> expected = {-3.5f, 0.1015625f, 0.3125f, 1.0f, 7.0f};
    for (std::size_t i = 0; i < in.size(); ++i)
        COMPARE_EXACT(out[i], expected[i]);
}

// amax 56 gives s = 56 / 57344 = 2^-10, x / s = 1024x: 0.1 → 102.4 → 96 (steps of 16 in
// [64, 128)) → 0.09375;  -20 → -20480 → -20480 (1.25·2^14);  56 → 57344 → 56.
void TestMiniFloat::scaledE5M2ByHand() {
    const std::vector<float> in = {0.1f, -20.0f, 56.0f};
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeScaledGroup(MiniFloat::E5M2, in, out), pow2(-10));
    COMPARE_EXACT(out[0], 0.09375f);
    COMPARE_EXACT(out[1], -20.0f);
    COMPARE_EXACT(out[2], 56.0f);
}

// A group without a non-zero finite value reports scale 0 and dequantizes to 0; NaN stays NaN.
void TestMiniFloat::scaledZeroGroup() {
    const std::vector<float> in = {0.0f, kNan, -0.0f, kInf};
    std::vector<float> out(in.size(), 1.0f);
    QCOMPARE(fakeQuantizeScaledGroup(MiniFloat::E4M3, in, out), 0.0f);
    COMPARE_EXACT(out[0], 0.0f);
    QVERIFY(std::isnan(out[1]));
    COMPARE_EXACT(out[2], 0.0f);
    COMPARE_EXACT(out[3], 0.0f);
    QCOMPARE(miniFloatScale(MiniFloat::E4M3, 0.0f), 0.0f);
}

// amax ignores Inf and NaN (7 → s = 2^-6); ±Inf saturate to ±s · 448 = ±7, NaN stays NaN.
void TestMiniFloat::scaledNonFinite() {
    const std::vector<float> in = {kInf, 1.0f, -kInf, kNan, 7.0f};
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeScaledGroup(MiniFloat::E4M3, in, out), pow2(-6));
    COMPARE_EXACT(out[0], 7.0f);
    COMPARE_EXACT(out[1], 1.0f);
    COMPARE_EXACT(out[2], -7.0f);
    QVERIFY(std::isnan(out[3]));
    COMPARE_EXACT(out[4], 7.0f);
}

// [2, 4] in groups of 2: amaxes 7, 0.875, 0 (all zero), 14 give scales 2^-6, 2^-9, 0, 2^-5;
// 0.1 / 2^-9 = 51.2 → 52 (steps of 4 in [32, 64)) → 52 · 2^-9 = 0.1015625; 3.3 / 2^-5 = 105.6 →
// 104 (steps of 8 in [64, 128)) → 3.25.
void TestMiniFloat::scaledRows() {
    const std::vector<float> in = {7.0f, -3.5f, 0.1f, 0.875f, 0.0f, -0.0f, 3.3f, -14.0f};
    std::vector<float> out(in.size());
    const auto scales = fakeQuantizeScaledRows(MiniFloat::E4M3, in, out, 2, 4, 2);
    QVERIFY2(scales, scales.error().c_str());
    QCOMPARE(scales.value(), (std::vector<float>{pow2(-6), pow2(-9), 0.0f, pow2(-5)}));
    const std::vector<float> expected = {7.0f, -3.5f, 0.1015625f, 0.875f, 0.0f, 0.0f, 3.25f, -14.0f};
    for (std::size_t i = 0; i < in.size(); ++i)
        COMPARE_EXACT(out[i], expected[i]);
    // One group per row (per channel): amaxes 7 and 14.
    const auto perRow = fakeQuantizeScaledRows(MiniFloat::E4M3, in, out, 2, 4, 4);
    QVERIFY(perRow);
    QCOMPARE(perRow.value(), (std::vector<float>{pow2(-6), pow2(-5)}));
}

void TestMiniFloat::scaledRowsRejectsBadShapes() {
    std::vector<float> in(12, 1.0f), out(12);
    const auto notMultiple = fakeQuantizeScaledRows(MiniFloat::E4M3, in, out, 2, 6, 4);
    QVERIFY(!notMultiple);
    QCOMPARE(QString::fromStdString(notMultiple.error()),
             QStringLiteral("row length 6 is not a multiple of the group size 4"));
    QVERIFY(!fakeQuantizeScaledRows(MiniFloat::E4M3, in, out, 3, 6, 2));
    QVERIFY(!fakeQuantizeScaledRows(MiniFloat::E4M3, in, std::span<float>(out).first(10), 2, 6, 2));
    QVERIFY(!fakeQuantizeScaledRows(MiniFloat::E4M3, in, out, 2, 6, 0));
    const auto empty = fakeQuantizeScaledRows(MiniFloat::E4M3, {}, {}, 0, 0, 0);
    QVERIFY(empty);
    QVERIFY(empty.value().empty());
}

// The caller parallelises by rows: quantizing row blocks separately must give the same bits.
void TestMiniFloat::scaledRowsSameWhenSplitByRows() {
    constexpr std::size_t rows = 6, cols = 64, group = 16;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> in(rows * cols);
    for (float &v : in)
        v = normal(rng);
    std::vector<float> whole(in.size()), pieces(in.size());
    const auto allScales = fakeQuantizeScaledRows(MiniFloat::E4M3, in, whole, rows, cols, group);
    QVERIFY(allScales);
    std::vector<float> pieceScales;
    for (std::size_t row = 0; row < rows; row += 2) {
        const auto part =
            fakeQuantizeScaledRows(MiniFloat::E4M3, std::span<const float>(in).subspan(row * cols, 2 * cols),
                                   std::span<float>(pieces).subspan(row * cols, 2 * cols), 2, cols, group);
        QVERIFY(part);
        pieceScales.insert(pieceScales.end(), part.value().begin(), part.value().end());
    }
    QCOMPARE(pieceScales, allScales.value());
    QVERIFY(std::equal(whole.begin(), whole.end(), pieces.begin(), identical));
}

void TestMiniFloat::bitsPerWeight() {
    // Element bits plus an F16 scale per group; one scale per tensor counts as free.
    QCOMPARE(scaledMiniFloatBitsPerWeight(MiniFloat::E4M3, 0), 8.0);
    QCOMPARE(scaledMiniFloatBitsPerWeight(MiniFloat::E5M2, 128), 8.125);
    QCOMPARE(scaledMiniFloatBitsPerWeight(MiniFloat::E4M3, 4096), 8.0 + 16.0 / 4096.0);
    QCOMPARE(scaledMiniFloatBitsPerWeight(MiniFloat::E2M1, 32), 4.5);
}

QTEST_GUILESS_MAIN(TestMiniFloat)
#include "tst_minifloat.moc"
