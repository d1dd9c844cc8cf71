#include "io/dtype.h"
#include "io/dtypedecode.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

using namespace qs;

Q_DECLARE_METATYPE(qs::DType)

class TestDType : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void namesAndSizes_data();
    void namesAndSizes();
    void unknownNames();
    void e4m3_data();
    void e4m3();
    void e4m3NaN();
    void e5m2_data();
    void e5m2();
    void e5m2Special();
    void halfDecodeEveryCode();
    void bfloat16DecodeEveryCode();
};

void TestDType::namesAndSizes_data() {
    QTest::addColumn<DType>("type");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("size");
    QTest::addColumn<bool>("floating");
    // Names and sizes from the safetensors format's dtype list.
    QTest::addRow("F64") << DType::F64 << "F64" << 8 << true;
    QTest::addRow("F32") << DType::F32 << "F32" << 4 << true;
    QTest::addRow("F16") << DType::F16 << "F16" << 2 << true;
    QTest::addRow("BF16") << DType::BF16 << "BF16" << 2 << true;
    QTest::addRow("F8_E4M3") << DType::F8_E4M3 << "F8_E4M3" << 1 << true;
    QTest::addRow("F8_E5M2") << DType::F8_E5M2 << "F8_E5M2" << 1 << true;
    QTest::addRow("I64") << DType::I64 << "I64" << 8 << false;
    QTest::addRow("I32") << DType::I32 << "I32" << 4 << false;
    QTest::addRow("I16") << DType::I16 << "I16" << 2 << false;
    QTest::addRow("I8") << DType::I8 << "I8" << 1 << false;
    QTest::addRow("U8") << DType::U8 << "U8" << 1 << false;
    QTest::addRow("U16") << DType::U16 << "U16" << 2 << false;
    QTest::addRow("U32") << DType::U32 << "U32" << 4 << false;
    QTest::addRow("U64") << DType::U64 << "U64" << 8 << false;
    QTest::addRow("BOOL") << DType::BOOL << "BOOL" << 1 << false;
}

void TestDType::namesAndSizes() {
    QFETCH(DType, type);
    QFETCH(QString, name);
    QFETCH(int, size);
    QFETCH(bool, floating);
    QCOMPARE(QString::fromUtf8(dtypeName(type)), name);
    QCOMPARE(dtypeFromName(name.toStdString()), std::optional<DType>(type));
    QCOMPARE(int(dtypeSize(type)), size);
    QCOMPARE(isFloatingPoint(type), floating);
}

void TestDType::unknownNames() {
    QVERIFY(!dtypeFromName("F128"));
    QVERIFY(!dtypeFromName("f32")); // names are case-sensitive in safetensors
    QVERIFY(!dtypeFromName(""));
}

// Golden values from the OCP 8-bit floating point specification (E4M3: bias 7, 3 mantissa
// bits; value = 2^(e-7) * (1 + m/8), subnormals 2^-6 * m/8).
void TestDType::e4m3_data() {
    QTest::addColumn<int>("bits");
    QTest::addColumn<double>("expected");
    QTest::addRow("zero") << 0x00 << 0.0;
    QTest::addRow("one 0x38: e=7") << 0x38 << 1.0;
    QTest::addRow("1.5 0x3C: e=7 m=4") << 0x3C << 1.5;
    QTest::addRow("two 0x40: e=8") << 0x40 << 2.0;
    QTest::addRow("max 0x7E: 2^8*1.75") << 0x7E << 448.0;
    QTest::addRow("-max 0xFE") << 0xFE << -448.0;
    QTest::addRow("min normal 0x08: 2^-6") << 0x08 << 0.015625;
    QTest::addRow("min subnormal 0x01: 2^-6/8") << 0x01 << 0.001953125;
    QTest::addRow("max subnormal 0x07: 2^-6*7/8") << 0x07 << 0.013671875;
    QTest::addRow("-0.5 0xB0: e=6") << 0xB0 << -0.5;
    QTest::addRow("0x78: e=15 m=0 is finite 256") << 0x78 << 256.0;
}

void TestDType::e4m3() {
    QFETCH(int, bits);
    QFETCH(double, expected);
    QCOMPARE(double(decodeFloat8E4M3(std::uint8_t(bits))), expected);
}

void TestDType::e4m3NaN() {
    // The spec's only NaN encodings are S.1111.111; E4M3 has no infinities.
    QVERIFY(std::isnan(decodeFloat8E4M3(0x7F)));
    QVERIFY(std::isnan(decodeFloat8E4M3(0xFF)));
    for (int bits = 0; bits < 256; ++bits) {
        if ((bits & 0x7F) != 0x7F)
            QVERIFY2(std::isfinite(decodeFloat8E4M3(std::uint8_t(bits))), qPrintable(QString::number(bits)));
    }
    QVERIFY(std::signbit(decodeFloat8E4M3(0x80))); // negative zero
}

// E5M2: bias 15, 2 mantissa bits; value = 2^(e-15) * (1 + m/4), subnormals 2^-14 * m/4.
void TestDType::e5m2_data() {
    QTest::addColumn<int>("bits");
    QTest::addColumn<double>("expected");
    QTest::addRow("zero") << 0x00 << 0.0;
    QTest::addRow("one 0x3C: e=15") << 0x3C << 1.0;
    QTest::addRow("1.5 0x3E: e=15 m=2") << 0x3E << 1.5;
    QTest::addRow("two 0x40: e=16") << 0x40 << 2.0;
    QTest::addRow("-two 0xC0") << 0xC0 << -2.0;
    QTest::addRow("max 0x7B: 2^15*1.75") << 0x7B << 57344.0;
    QTest::addRow("min normal 0x04: 2^-14") << 0x04 << 0.00006103515625;
    QTest::addRow("min subnormal 0x01: 2^-16") << 0x01 << 0.0000152587890625;
}

void TestDType::e5m2() {
    QFETCH(int, bits);
    QFETCH(double, expected);
    QCOMPARE(double(decodeFloat8E5M2(std::uint8_t(bits))), expected);
}

void TestDType::e5m2Special() {
    // IEEE-like: exponent all ones is infinity with a zero mantissa, NaN otherwise.
    QCOMPARE(decodeFloat8E5M2(0x7C), std::numeric_limits<float>::infinity());
    QCOMPARE(decodeFloat8E5M2(0xFC), -std::numeric_limits<float>::infinity());
    for (int bits : {0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF})
        QVERIFY(std::isnan(decodeFloat8E5M2(std::uint8_t(bits))));
}

// The float32 bits of IEEE half code h, from its fields: bias 15, 10 mantissa bits; subnormals
// m · 2^-24; exponent all ones is infinity (m = 0) or NaN, whose mantissa is kept as it is
// (shifted up 13 bits, not quieted).
std::uint32_t referenceHalfBits(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
    const int e = (h >> 10) & 0x1F;
    const std::uint32_t m = h & 0x3FF;
    if (e == 0x1F)
        return sign | 0x7F800000u | (m << 13);
    const float magnitude =
        e == 0 ? std::ldexp(float(m), -24) : std::ldexp(1.0f + float(m) / 1024.0f, e - 15);
    return sign | std::bit_cast<std::uint32_t>(magnitude);
}

// All 65,536 codes through the F16 decoder, whole and from odd offsets (so the eight-at-a-time
// path, its per-value fallback for groups holding a NaN, and the tail all run), bit for bit.
void TestDType::halfDecodeEveryCode() {
    std::vector<std::byte> bytes(2 * 65536);
    for (std::uint32_t h = 0; h < 65536; ++h) {
        bytes[2 * h] = std::byte(h & 0xFF);
        bytes[2 * h + 1] = std::byte(h >> 8);
    }
    const DecodeFn decode = littleEndianDecoder(DType::F16);
    std::vector<float> out(65536);
    decode(bytes.data(), out.data(), out.size());
    for (std::uint32_t h = 0; h < 65536; ++h)
        QVERIFY2(std::bit_cast<std::uint32_t>(out[h]) == referenceHalfBits(std::uint16_t(h)),
                 qPrintable(QStringLiteral("code 0x%1").arg(h, 4, 16, QLatin1Char('0'))));
    for (std::size_t begin : {std::size_t(3), std::size_t(0x7BF9), std::size_t(0xFBFD)}) {
        const std::size_t n = 13;
        decode(bytes.data() + 2 * begin, out.data(), n);
        for (std::size_t i = 0; i < n; ++i)
            QCOMPARE(std::bit_cast<std::uint32_t>(out[i]), referenceHalfBits(std::uint16_t(begin + i)));
    }
}

// BF16 code h is the float32 with bits h << 16, NaN payloads included: all 65,536 codes, whole
// (the sixteen- and eight-at-a-time paths) and from an odd offset (the tail).
void TestDType::bfloat16DecodeEveryCode() {
    std::vector<std::byte> bytes(2 * 65536);
    for (std::uint32_t h = 0; h < 65536; ++h) {
        bytes[2 * h] = std::byte(h & 0xFF);
        bytes[2 * h + 1] = std::byte(h >> 8);
    }
    const DecodeFn decode = littleEndianDecoder(DType::BF16);
    std::vector<float> out(65536);
    decode(bytes.data(), out.data(), out.size());
    for (std::uint32_t h = 0; h < 65536; ++h)
        QCOMPARE(std::bit_cast<std::uint32_t>(out[h]), h << 16);
    decode(bytes.data() + 2 * 0x7F81, out.data(), 29);
    for (std::uint32_t i = 0; i < 29; ++i)
        QCOMPARE(std::bit_cast<std::uint32_t>(out[i]), (0x7F81 + i) << 16);
}

QTEST_GUILESS_MAIN(TestDType)
#include "tst_dtype.moc"
