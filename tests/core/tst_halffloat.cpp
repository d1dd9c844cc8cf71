// The f16 and bf16 casts: hand-picked goldens (ties, the largest finite values, the subnormal
// boundaries, overflow), every one of the 65,536 codes of each type against a bit-level
// reference written here, the analysis counts, and the casts as schemes.

#include "quant/formatkernels.h"
#include "quant/halffloat.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"

#include <QtTest>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

using namespace qs;

namespace {

float bitsToFloat(std::uint32_t bits) {
    return std::bit_cast<float>(bits);
}

// The reference decoder: sign, exponent and mantissa fields read off the code by hand.
double referenceDecode(std::uint16_t code, int exponentBits, int mantissaBits) {
    const int bias = (1 << (exponentBits - 1)) - 1;
    const bool negative = (code >> (exponentBits + mantissaBits)) & 1u;
    const std::uint32_t exponent = (code >> mantissaBits) & ((1u << exponentBits) - 1u);
    const std::uint32_t mantissa = code & ((1u << mantissaBits) - 1u);
    double value = 0.0;
    if (exponent == (1u << exponentBits) - 1u)
        value = mantissa == 0 ? std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::quiet_NaN();
    else if (exponent == 0)
        value = std::ldexp(double(mantissa), 1 - bias - mantissaBits);
    else
        value = std::ldexp(double(mantissa + (1u << mantissaBits)), int(exponent) - bias - mantissaBits);
    return negative ? -value : value;
}

struct Layout {
    HalfFormat format;
    int exponentBits;
    int mantissaBits;
};

constexpr Layout kLayouts[] = {{HalfFormat::F16, 5, 10}, {HalfFormat::BF16, 8, 7}};

bool isNanCode(std::uint16_t code, const Layout &l) {
    const std::uint32_t exponent = (code >> l.mantissaBits) & ((1u << l.exponentBits) - 1u);
    return exponent == (1u << l.exponentBits) - 1u && (code & ((1u << l.mantissaBits) - 1u)) != 0;
}

std::vector<std::int64_t> shapeOf(std::size_t n) {
    return {1, std::int64_t(n)};
}

} // namespace

class TestHalfFloat : public QObject {
    Q_OBJECT

private slots:
    void f16Goldens();
    void bf16Goldens();
    void everyCodeAgainstReference();
    void castCounts();
    void castAsScheme_data();
    void castAsScheme();
    void castRefusals();
};

// IEEE binary16 by hand: 0.1 = 1.6 · 2^-4, mantissa round(0.6 · 1024) = 614 = 0x266, exponent
// -4 + 15 = 11 → 0x2E66 = 1638/16384 = 0.0999755859375.
void TestHalfFloat::f16Goldens() {
    const HalfFormat f = HalfFormat::F16;
    QCOMPARE(encodeHalf(f, 1.0f), std::uint16_t(0x3C00));
    QCOMPARE(encodeHalf(f, 0.1f), std::uint16_t(0x2E66));
    QCOMPARE(decodeHalf(f, 0x2E66), 0.0999755859375f);
    QCOMPARE(encodeHalf(f, -0.0f), std::uint16_t(0x8000));
    // The largest finite value and the overflow edge: 65504 + half an ulp (16) = 65520 ties to
    // the even code 0x7C00, which is +inf; the float just below it stays 65504.
    QCOMPARE(encodeHalf(f, 65504.0f), std::uint16_t(0x7BFF));
    QCOMPARE(encodeHalf(f, std::nextafter(65520.0f, 0.0f)), std::uint16_t(0x7BFF));
    QCOMPARE(encodeHalf(f, 65520.0f), std::uint16_t(0x7C00));
    QCOMPARE(encodeHalf(f, -65520.0f), std::uint16_t(0xFC00));
    QCOMPARE(halfFormatInfo(f).maxFinite, 65504.0f);
    QCOMPARE(halfFormatInfo(f).overflowThreshold, 65520.0f);
    // Ties to even: 1 + 2^-11 lies halfway between 1 (mantissa 0) and 1 + 2^-10 (mantissa 1);
    // 1 + 3 · 2^-11 halfway between mantissas 1 and 2.
    QCOMPARE(encodeHalf(f, 1.0f + 0x1p-11f), std::uint16_t(0x3C00));
    QCOMPARE(encodeHalf(f, 1.0f + 3 * 0x1p-11f), std::uint16_t(0x3C02));
    QCOMPARE(encodeHalf(f, std::nextafter(1.0f + 0x1p-11f, 2.0f)), std::uint16_t(0x3C01));
    // Subnormals: the smallest normal 2^-14 = 0x0400, the largest subnormal 1023 · 2^-24 = 0x03FF,
    // the smallest 2^-24 = 0x0001; 2^-25 ties between 0 and it and goes to 0 (even).
    QCOMPARE(encodeHalf(f, 0x1p-14f), std::uint16_t(0x0400));
    QCOMPARE(encodeHalf(f, 1023 * 0x1p-24f), std::uint16_t(0x03FF));
    QCOMPARE(encodeHalf(f, 0x1p-24f), std::uint16_t(0x0001));
    QCOMPARE(encodeHalf(f, 0x1p-25f), std::uint16_t(0x0000));
    QCOMPARE(encodeHalf(f, 1.5f * 0x1p-25f), std::uint16_t(0x0001));
    QCOMPARE(encodeHalf(f, 1e-30f), std::uint16_t(0x0000));
    QVERIFY(std::isnan(roundToHalf(f, std::numeric_limits<float>::quiet_NaN())));
    QCOMPARE(roundToHalf(f, std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
}

// bfloat16 is float32's upper half, rounded: 0.1f = 0x3DCCCCCD → 0x3DCD (the low half 0xCCCD is
// above the tie 0x8000) = 0.10009765625.
void TestHalfFloat::bf16Goldens() {
    const HalfFormat f = HalfFormat::BF16;
    QCOMPARE(encodeHalf(f, 1.0f), std::uint16_t(0x3F80));
    QCOMPARE(encodeHalf(f, 0.1f), std::uint16_t(0x3DCD));
    QCOMPARE(decodeHalf(f, 0x3DCD), 0.10009765625f);
    // 1e-30f = 0x0DA24260: a normal bf16 (low half 0x4260 below the tie) → 0x0DA2.
    QCOMPARE(std::bit_cast<std::uint32_t>(1e-30f), std::uint32_t(0x0DA24260));
    QCOMPARE(encodeHalf(f, 1e-30f), std::uint16_t(0x0DA2));
    // Ties to even on the upper half: 0x3F808000 → 0x3F80, 0x3F818000 → 0x3F82.
    QCOMPARE(encodeHalf(f, bitsToFloat(0x3F808000)), std::uint16_t(0x3F80));
    QCOMPARE(encodeHalf(f, bitsToFloat(0x3F818000)), std::uint16_t(0x3F82));
    // The largest finite value 0x7F7F; its tie with infinity, 0x7F7F8000, goes to the even code
    // 0x7F80 = +inf, the float below it stays finite.
    QCOMPARE(encodeHalf(f, bitsToFloat(0x7F7F7FFF)), std::uint16_t(0x7F7F));
    QCOMPARE(encodeHalf(f, bitsToFloat(0x7F7F8000)), std::uint16_t(0x7F80));
    QCOMPARE(halfFormatInfo(f).maxFinite, bitsToFloat(0x7F7F0000));
    // Subnormals: bf16's smallest is 2^-133 (code 0x0001); float32's 2^-149 is far below half of
    // it and rounds to 0; 2^-126 is the smallest normal, 0x0080.
    QCOMPARE(encodeHalf(f, 0x1p-133f), std::uint16_t(0x0001));
    QCOMPARE(encodeHalf(f, 0x1p-149f), std::uint16_t(0x0000));
    QCOMPARE(encodeHalf(f, 0x1p-126f), std::uint16_t(0x0080));
}

// Every code decodes as the reference reads its fields; every finite or infinite code encodes
// back to itself; the midpoint between two neighbouring codes goes to the even one, and the
// floats either side of it to the nearer one.
void TestHalfFloat::everyCodeAgainstReference() {
    for (const Layout &l : kLayouts) {
        int checked = 0;
        for (std::uint32_t c = 0; c < 0x10000u; ++c) {
            const auto code = std::uint16_t(c);
            const double expected = referenceDecode(code, l.exponentBits, l.mantissaBits);
            const float decoded = decodeHalf(l.format, code);
            if (isNanCode(code, l)) {
                QVERIFY(std::isnan(decoded));
                QVERIFY(isNanCode(encodeHalf(l.format, decoded), l));
                continue;
            }
            QCOMPARE(double(decoded), expected);
            QCOMPARE(encodeHalf(l.format, decoded), code);
            // The next code up in magnitude, while it is finite.
            const auto next = std::uint16_t(code + 1);
            const std::uint32_t magnitude = c & 0x7FFFu;
            const double upper = referenceDecode(next, l.exponentBits, l.mantissaBits);
            if (magnitude >= 0x7FFFu || !std::isfinite(upper) || !std::isfinite(expected))
                continue;
            const auto mid = float((expected + upper) / 2.0); // exact: one bit more than the type
            QCOMPARE(double(mid), (expected + upper) / 2.0);
            const std::uint16_t even = (code & 1u) == 0 ? code : next;
            QCOMPARE(encodeHalf(l.format, mid), even);
            QCOMPARE(encodeHalf(l.format, std::nextafter(mid, float(expected))), code);
            QCOMPARE(encodeHalf(l.format, std::nextafter(mid, float(upper))), next);
            ++checked;
        }
        // Every finite code but the two largest magnitudes (each sign) has a finite upper
        // neighbour: F16 31 · 1024 - 1 per sign, BF16 255 · 128 - 1.
        const int finitePerSign = ((1 << l.exponentBits) - 1) << l.mantissaBits;
        QCOMPARE(checked, 2 * (finitePerSign - 1));
    }
}

// Overflow is held at ± the largest finite value and counted; underflow counts the non-zero
// values that become subnormal or zero; ±inf and NaN pass through uncounted.
void TestHalfFloat::castCounts() {
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> in{
        70000.0f, -65520.0f,     65519.0f, 1e-30f, 3e-5f, 0.0f, std::numeric_limits<float>::quiet_NaN(),
        -inf,     6.1035156e-05f};
    std::vector<float> out(in.size());
    CastCounts counts;
    castSaturating(HalfFormat::F16, in, out, counts);
    QCOMPARE(counts.overflow, std::int64_t(2));
    QCOMPARE(counts.underflow, std::int64_t(2)); // 1e-30 → 0, 3e-5 → subnormal; 2^-14 is normal
    QCOMPARE(out[0], 65504.0f);
    QCOMPARE(out[1], -65504.0f);
    QCOMPARE(out[2], 65504.0f);
    QCOMPARE(out[3], 0.0f);
    QCOMPARE(out[4], roundToHalf(HalfFormat::F16, 3e-5f));
    QVERIFY(std::isnan(out[6]));
    QCOMPARE(out[7], -inf);
    CastCounts bf;
    castSaturating(HalfFormat::BF16, in, out, bf);
    QCOMPARE(bf.overflow, std::int64_t(0));
    QCOMPARE(bf.underflow, std::int64_t(0)); // bf16 keeps 1e-30 and 3e-5 normal
    QCOMPARE(out[3], roundToHalf(HalfFormat::BF16, 1e-30f));
    QVERIFY(out[3] > 0.0f);
}

// As a scheme: x̂ is the cast, bit for bit the per-value conversion (also on the vectorised
// paths: float32 subnormals, ties, NaN and ±inf included), 16 bits per weight, one "group" with
// scale 1 whose clip range makes the clipped fraction exactly the overflow fraction; the chunked
// measurement agrees with the whole-tensor pass bit for bit at any thread count.
void TestHalfFloat::castAsScheme_data() {
    QTest::addColumn<int>("format");
    QTest::addRow("f16") << int(NumberFormat::F16);
    QTest::addRow("bf16") << int(NumberFormat::BF16);
}

void TestHalfFloat::castAsScheme() {
    QFETCH(int, format);
    const HalfFormat half = format == int(NumberFormat::F16) ? HalfFormat::F16 : HalfFormat::BF16;
    const float limit = halfFormatInfo(half).overflowThreshold;
    std::vector<float> values(300001);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] =
            float(std::sin(double(i) * 0.37) * (i % 1000 == 0 ? 1e5 : 3.0) + (i % 7 == 0 ? 1e-7 : 0.0));
    const float specials[] = {0x1p-149f,
                              -0x1p-140f,
                              1.0f + 0x1p-11f,
                              bitsToFloat(0x3F808000),
                              bitsToFloat(0x3F818000),
                              limit,
                              -limit,
                              std::nextafter(limit, 0.0f),
                              std::numeric_limits<float>::quiet_NaN(),
                              -std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::max(),
                              -0.0f};
    for (std::size_t k = 0; k < std::size(specials); ++k)
        values[1000 + 3 * k] = specials[k];
    QuantSpec spec;
    spec.format = NumberFormat(format);
    const auto q = quantizeScheme(values, shapeOf(values.size()), spec);
    QVERIFY2(q, q ? "" : q.error().c_str());
    QCOMPARE(q->bitsPerWeight, 16.0);
    QCOMPARE(q->scales, std::vector<float>{1.0f});
    std::int64_t overflow = 0;
    std::int64_t finite = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const float x = values[i];
        const float rounded = roundToHalf(half, x);
        const bool over = std::isfinite(x) && std::isinf(rounded);
        overflow += over ? 1 : 0;
        finite += std::isfinite(x) ? 1 : 0;
        const float expected = over ? std::copysign(halfFormatInfo(half).maxFinite, x) : rounded;
        if (std::bit_cast<std::uint32_t>(q->dequantized[i]) != std::bit_cast<std::uint32_t>(expected))
            QFAIL(qPrintable(QStringLiteral("value %1 (%2): %3, expected %4")
                                 .arg(i)
                                 .arg(double(x), 0, 'g', 9)
                                 .arg(double(q->dequantized[i]), 0, 'g', 9)
                                 .arg(double(expected), 0, 'g', 9)));
    }
    QVERIFY(overflow > 0);
    QCOMPARE(q->cast.overflow, overflow);
    const auto clipped = clippedFraction(values, shapeOf(values.size()), spec, q.value());
    QVERIFY(clipped);
    QCOMPARE(*clipped, double(overflow) / double(finite));
    for (int threads : {1, 2, 3}) {
        RunControl control;
        control.threads = threads;
        std::vector<float> xhat(values.size());
        const auto m = measureScheme(values, shapeOf(values.size()), spec, control, xhat);
        QVERIFY(m);
        QCOMPARE(m->quantization.cast.overflow, q->cast.overflow);
        QCOMPARE(m->quantization.cast.underflow, q->cast.underflow);
        QCOMPARE(m->quantization.clipMax, q->clipMax);
        QVERIFY(std::memcmp(xhat.data(), q->dequantized.data(), xhat.size() * sizeof(float)) == 0);
    }
}

// A cast has no scale: granularity, a method, a clip and a scale dtype are refused by name.
void TestHalfFloat::castRefusals() {
    QuantSpec spec;
    spec.format = NumberFormat::BF16;
    const std::vector<std::int64_t> shape{4, 256};
    QVERIFY(checkScheme(spec, shape));
    QuantSpec grouped = spec;
    grouped.granularity = parseGranularity("group:128").value();
    QCOMPARE(QString::fromStdString(checkScheme(grouped, shape).error()),
             QStringLiteral("granularity group:128 does not apply to bf16: a cast has no scale"));
    QuantSpec mse = spec;
    mse.method = CalibMethod::Mse;
    QCOMPARE(QString::fromStdString(checkScheme(mse, shape).error()),
             QStringLiteral("method mse does not apply to bf16: a cast has no range to calibrate"));
    QuantSpec ratio = spec;
    ratio.clipRatio = 0.9;
    QVERIFY(!checkScheme(ratio, shape));
    QuantSpec scaled = spec;
    scaled.scaleDtype = ScaleDtype::F16;
    QCOMPARE(QString::fromStdString(checkScheme(scaled, shape).error()),
             QStringLiteral("scale_dtype does not apply to bf16: a cast has no scale"));
    QCOMPARE(schemeBitsPerWeight(spec, shape), 16.0);
    QCOMPARE(castClipLimit(NumberFormat::F16), double(std::nextafter(65520.0f, 0.0f)));
}

QTEST_GUILESS_MAIN(TestHalfFloat)
#include "tst_halffloat.moc"
