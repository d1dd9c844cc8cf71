#include "io/ggmlblocks.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <vector>

using namespace qs;

Q_DECLARE_METATYPE(std::vector<float>)

namespace {

// f16 bit patterns of the scales used below (sign | exponent+15 << 10 | mantissa).
constexpr quint16 kHalfQuarter = 0x3400;  // 0.25
constexpr quint16 kHalfHalf = 0x3800;     // 0.5
constexpr quint16 kHalfOne = 0x3C00;      // 1.0
constexpr quint16 kHalfTwo = 0x4000;      // 2.0
constexpr quint16 kHalfMinusOne = 0xBC00; // -1.0

// A block of `size` zero bytes to be filled in field by field, as the spec lays it out.
class BlockBuilder {
public:
    explicit BlockBuilder(int size)
        : m_bytes(size, '\0') {}
    BlockBuilder &byte(int at, quint8 value) {
        m_bytes[at] = char(value);
        return *this;
    }
    BlockBuilder &half(int at, quint16 bits) {
        return byte(at, quint8(bits & 0xFF)).byte(at + 1, quint8(bits >> 8));
    }
    BlockBuilder &u32(int at, quint32 value) {
        for (int i = 0; i < 4; ++i)
            byte(at + i, quint8(value >> (8 * i)));
        return *this;
    }
    QByteArray bytes() const { return m_bytes; }

private:
    QByteArray m_bytes;
};

// Expected values: a constant background, ranges and single values set from the hand computation.
class Expected {
public:
    Expected(std::size_t count, float background)
        : m_values(count, background) {}
    Expected &at(std::size_t index, float value) {
        m_values[index] = value;
        return *this;
    }
    Expected &range(std::size_t begin, std::size_t end, float value) {
        for (std::size_t i = begin; i < end; ++i)
            m_values[i] = value;
        return *this;
    }
    std::vector<float> values() const { return m_values; }

private:
    std::vector<float> m_values;
};

std::vector<float> decode(GgmlType type, const QByteArray &bytes, std::size_t count) {
    std::vector<float> values(count, -12345.0f);
    const Status status = dequantizeGgml(
        type, {reinterpret_cast<const std::byte *>(bytes.constData()), std::size_t(bytes.size())}, values);
    if (!status)
        qWarning("%s", status.error().c_str());
    return values;
}

} // namespace

class TestGgmlBlocks : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void layout_data();
    void layout();
    void dequantize_data();
    void dequantize();
    void mxfp4ScaleExtremes();
    void blocksFollowEachOther();
    void rejectsPartialBlocks();
    void namesUnsupportedTypes();
};

void TestGgmlBlocks::layout_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("elements");
    QTest::addColumn<int>("bytes");
    // Sizes from ggml-common.h's block structs (static_asserts there): e.g. Q4_K = 2 f16 + 12 + 128.
    QTest::addRow("Q4_0") << 2 << "Q4_0" << 32 << 18;
    QTest::addRow("Q4_1") << 3 << "Q4_1" << 32 << 20;
    QTest::addRow("Q5_0") << 6 << "Q5_0" << 32 << 22;
    QTest::addRow("Q5_1") << 7 << "Q5_1" << 32 << 24;
    QTest::addRow("Q8_0") << 8 << "Q8_0" << 32 << 34;
    QTest::addRow("Q2_K") << 10 << "Q2_K" << 256 << 84;
    QTest::addRow("Q3_K") << 11 << "Q3_K" << 256 << 110;
    QTest::addRow("Q4_K") << 12 << "Q4_K" << 256 << 144;
    QTest::addRow("Q5_K") << 13 << "Q5_K" << 256 << 176;
    QTest::addRow("Q6_K") << 14 << "Q6_K" << 256 << 210;
    QTest::addRow("Q8_K") << 15 << "Q8_K" << 256 << 292;
    // IQ4_NL = f16 + 16; IQ4_XS = f16 + u16 + 4 + 128; TQ1_0 = 48 + 4 + f16; TQ2_0 = 64 + f16;
    // MXFP4 = 1 (E8M0) + 16.
    QTest::addRow("IQ4_NL") << 20 << "IQ4_NL" << 32 << 18;
    QTest::addRow("IQ4_XS") << 23 << "IQ4_XS" << 256 << 136;
    QTest::addRow("TQ1_0") << 34 << "TQ1_0" << 256 << 54;
    QTest::addRow("TQ2_0") << 35 << "TQ2_0" << 256 << 66;
    QTest::addRow("MXFP4") << 39 << "MXFP4" << 32 << 17;
    QTest::addRow("BF16") << 30 << "BF16" << 1 << 2;
    QTest::addRow("F64") << 28 << "F64" << 1 << 8;
}

void TestGgmlBlocks::layout() {
    QFETCH(int, type);
    QFETCH(QString, name);
    QFETCH(int, elements);
    QFETCH(int, bytes);
    const GgmlTypeTraits *traits = ggmlTypeTraits(std::uint32_t(type));
    QVERIFY(traits);
    QCOMPARE(QString::fromUtf8(traits->name.data(), qsizetype(traits->name.size())), name);
    QCOMPARE(int(traits->blockElements), elements);
    QCOMPARE(int(traits->blockBytes), bytes);
}

void TestGgmlBlocks::dequantize_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<QByteArray>("block");
    QTest::addColumn<std::vector<float>>("expected");

    // Q4_0 (d, qs[16]): y[j] = (lo(qs[j]) - 8)·d, y[j+16] = (hi(qs[j]) - 8)·d; d = 0.5.
    // qs = 0x88 elsewhere gives (8 - 8)·0.5 = 0.
    // qs[0] = 0xF0: y0 = (0 - 8)·0.5 = -4, y16 = (15 - 8)·0.5 = 3.5. qs[1] = 0x98: y1 = 0, y17 = 0.5.
    BlockBuilder q40(18);
    q40.half(0, kHalfHalf);
    for (int j = 0; j < 16; ++j)
        q40.byte(2 + j, 0x88);
    q40.byte(2, 0xF0).byte(3, 0x98);
    QTest::addRow("Q4_0") << 2 << q40.bytes()
                          << Expected(32, 0.0f).at(0, -4.0f).at(16, 3.5f).at(17, 0.5f).values();

    // Q4_1 (d, m, qs[16]): y = nibble·d + m; d = 0.25, m = -1, zero nibbles give -1.
    // qs[3] = 0x4C: y3 = 12·0.25 - 1 = 2, y19 = 4·0.25 - 1 = 0.
    QTest::addRow("Q4_1")
        << 3 << BlockBuilder(20).half(0, kHalfQuarter).half(2, kHalfMinusOne).byte(4 + 3, 0x4C).bytes()
        << Expected(32, -1.0f).at(3, 2.0f).at(19, 0.0f).values();

    // Q5_0 (d, qh u32, qs[16]): y = ((nibble | bit·16) - 16)·d, bit j of qh for value j; d = 2.
    // Zero nibbles, clear bit: (0 - 16)·2 = -32. qh bits 0, 16, 31 set: y0 = y16 = y31 = (16 - 16)·2 = 0.
    // qs[2] = 0x3F: y2 = (15 - 16)·2 = -2, y18 = (3 - 16)·2 = -26.
    QTest::addRow("Q5_0")
        << 6 << BlockBuilder(22).half(0, kHalfTwo).u32(2, 0x80010001u).byte(6 + 2, 0x3F).bytes()
        << Expected(32, -32.0f).at(0, 0.0f).at(16, 0.0f).at(31, 0.0f).at(2, -2.0f).at(18, -26.0f).values();

    // Q5_1 (d, m, qh, qs[16]): y = (nibble | bit·16)·d + m; d = 0.5, m = 1, zeros give 1.
    // qh bit 1: y1 = 16·0.5 + 1 = 9. qs[0] = 0xA5: y0 = 5·0.5 + 1 = 3.5, y16 = 10·0.5 + 1 = 6.
    QTest::addRow("Q5_1")
        << 7 << BlockBuilder(24).half(0, kHalfHalf).half(2, kHalfOne).u32(4, 0x2u).byte(8, 0xA5).bytes()
        << Expected(32, 1.0f).at(1, 9.0f).at(0, 3.5f).at(16, 6.0f).values();

    // Q8_0 (d, qs[32] int8): y = q·d; d = 0.25. qs[0] = -128: -32; qs[1] = 127: 31.75; qs[31] = -1: -0.25.
    QTest::addRow("Q8_0")
        << 8 << BlockBuilder(34).half(0, kHalfQuarter).byte(2, 0x80).byte(3, 0x7F).byte(33, 0xFF).bytes()
        << Expected(32, 0.0f).at(0, -32.0f).at(1, 31.75f).at(31, -0.25f).values();

    // Q2_K (scales[16], qs[64], d, dmin): sub-block s (16 values) has dl = d·lo(scales[s]),
    // ml = dmin·hi(scales[s]); y = dl·q - ml. Half h uses qs[32h..32h+31]; sub-block 8h + p reads
    // qs[32h + 16(p%2) + l] at shift 2(p/2). d = 1, dmin = 0.5; zero scales give 0.
    // scales[0] = 0x21: dl = 1, ml = 1; qs[0] = 0x9B (2-bit fields 3, 2, 1, 2): y0 = 3 - 1 = 2, y1..15 = -1.
    // scales[1] = 0x03: dl = 3, ml = 0; qs[16] = 0x02: y16 = 6.
    // scales[6] = 0x01 (sub-block 6 = qs[l] at shift 6): y96 = 1·2 - 0 = 2.
    // scales[8] = 0x45: dl = 5, ml = 4·0.5 = 2; qs[32] = 0x03: y128 = 15 - 2 = 13, y129..143 = -2.
    QTest::addRow("Q2_K") << 10
                          << BlockBuilder(84)
                                 .byte(0, 0x21)
                                 .byte(1, 0x03)
                                 .byte(6, 0x01)
                                 .byte(8, 0x45)
                                 .byte(16 + 0, 0x9B)
                                 .byte(16 + 16, 0x02)
                                 .byte(16 + 32, 0x03)
                                 .half(80, kHalfOne)
                                 .half(82, kHalfHalf)
                                 .bytes()
                          << Expected(256, 0.0f)
                                 .at(0, 2.0f)
                                 .range(1, 16, -1.0f)
                                 .at(16, 6.0f)
                                 .at(96, 2.0f)
                                 .at(128, 13.0f)
                                 .range(129, 144, -2.0f)
                                 .values();

    // Q3_K (hmask[32], qs[64], scales[12], d): 6-bit scale i = (low nibble of byte i%8, high for
    // i >= 8) | (bits 2(i/4) of byte 8 + i%4) << 4, minus 32. Quant = 2 low bits - (hmask bit ? 0 : 4).
    // Bytes 8..11 = 0xAA give every scale high bits 2, so 32 - 32 = 0 and values 0 unless changed.
    // Scale 0 = 33 - 32 = 1 (byte0 = 0x01), dl = 0.5·1: qs[0] = 3 with hmask[0] bit 0: y0 = 0.5·3 = 1.5;
    //   qs[1] = 1 without: y1 = 0.5·(1 - 4) = -1.5; others y2..15 = 0.5·(0 - 4) = -2.
    // Scale 9 = 0x35 - 32 = 21 (byte1 = 0x50, byte9 bits 4-5 = 3: 0xBA), dl = 10.5; sub-block 9 reads
    //   qs[32 + 16 + l] at shift 0 and hmask[16 + l] bit 4: byte 80 = 0x42, hmask[16] = 0x90:
    //   y144 = 10.5·2 = 21, y145..159 = 10.5·-4 = -42.
    // Scale 15 = 10 - 32 = -22 (byte7 = 0xA0, byte11 bits 6-7 = 0: 0x2A), dl = -11; sub-block 15 reads
    //   the same bytes at shift 6 and hmask bit 7: y240 = -11·1 = -11, y241..255 = -11·-4 = 44.
    QTest::addRow("Q3_K") << 11
                          << BlockBuilder(110)
                                 .byte(0, 0x01)
                                 .byte(16, 0x90)
                                 .byte(32 + 0, 0x03)
                                 .byte(32 + 1, 0x01)
                                 .byte(80, 0x42)
                                 .byte(96 + 0, 0x01)
                                 .byte(96 + 1, 0x50)
                                 .byte(96 + 7, 0xA0)
                                 .byte(96 + 8, 0xAA)
                                 .byte(96 + 9, 0xBA)
                                 .byte(96 + 10, 0xAA)
                                 .byte(96 + 11, 0x2A)
                                 .half(108, kHalfHalf)
                                 .bytes()
                          << Expected(256, 0.0f)
                                 .at(0, 1.5f)
                                 .at(1, -1.5f)
                                 .range(2, 16, -2.0f)
                                 .at(144, 21.0f)
                                 .range(145, 160, -42.0f)
                                 .at(240, -11.0f)
                                 .range(241, 256, 44.0f)
                                 .values();

    // Q4_K (d, dmin, scales[12], qs[128]): group g of 64 values: qs[32g + l] low nibble with
    // (sc, m) number 2g, high nibble with 2g + 1; y = d·sc·q - dmin·m. d = 0.5, dmin = 0.25.
    // j = 0: sc = scales[0] & 63 = 2, m = scales[4] & 63 = 4: d1 = 1, m1 = 1; qs[0] = 0x5F:
    //   y0 = 15 - 1 = 14, y1..31 = -1; j = 1 is zero so y32..63 = 0.
    // j = 7: sc = lo(scales[11]) | (scales[3] >> 6) << 4 = 3 | 16 = 19, m = hi(scales[11]) |
    //   (scales[7] >> 6) << 4 = 1 | 32 = 33: d2 = 9.5, m2 = 8.25; qs[96] = 0x20: y224 = 19 - 8.25 = 10.75,
    //   y225..255 = -8.25.
    QTest::addRow("Q4_K") << 12
                          << BlockBuilder(144)
                                 .half(0, kHalfHalf)
                                 .half(2, kHalfQuarter)
                                 .byte(4 + 0, 2)
                                 .byte(4 + 3, 0x40)
                                 .byte(4 + 4, 4)
                                 .byte(4 + 7, 0x80)
                                 .byte(4 + 11, 0x13)
                                 .byte(16 + 0, 0x5F)
                                 .byte(16 + 96, 0x20)
                                 .bytes()
                          << Expected(256, 0.0f)
                                 .at(0, 14.0f)
                                 .range(1, 32, -1.0f)
                                 .at(224, 10.75f)
                                 .range(225, 256, -8.25f)
                                 .values();

    // Q5_K (d, dmin, scales[12], qh[32], qs[128]): as Q4_K plus 16 when bit 2g (low nibble) or
    // 2g + 1 (high nibble) of qh[l] is set. d = 1, dmin = 0.5.
    // j = 0: sc 1, m 2: d1 = 1, m1 = 1; j = 1: sc 3, m 0: d2 = 3.
    // qs[0] = 0x21, qh[0] bit 0: y0 = 1·(1 + 16) - 1 = 16, y32 = 3·2 = 6. qh[1] bit 1: y33 = 3·16 = 48.
    // y1..31 = 1·0 - 1 = -1. j = 6: sc = lo(scales[10]) = 1; qh[2] bit 6: y194 = 1·16 = 16.
    QTest::addRow("Q5_K") << 13
                          << BlockBuilder(176)
                                 .half(0, kHalfOne)
                                 .half(2, kHalfHalf)
                                 .byte(4 + 0, 1)
                                 .byte(4 + 1, 3)
                                 .byte(4 + 4, 2)
                                 .byte(4 + 10, 1)
                                 .byte(16 + 0, 0x01)
                                 .byte(16 + 1, 0x02)
                                 .byte(16 + 2, 0x40)
                                 .byte(48 + 0, 0x21)
                                 .bytes()
                          << Expected(256, 0.0f)
                                 .at(0, 16.0f)
                                 .range(1, 32, -1.0f)
                                 .at(32, 6.0f)
                                 .at(33, 48.0f)
                                 .at(194, 16.0f)
                                 .values();

    // Q6_K (ql[128], qh[64], scales[16] int8, d): half h, l < 32, is = l/16:
    //   y[128h + l]      = d·sc[8h + is]    ·((lo(ql[64h + l])      | (qh[32h + l]      & 3) << 4) - 32)
    //   y[128h + l + 32] = d·sc[8h + is + 2]·((lo(ql[64h + l + 32]) | (qh >> 2 & 3) << 4) - 32)
    //   y[128h + l + 64] = d·sc[8h + is + 4]·((hi(ql[64h + l])      | (qh >> 4 & 3) << 4) - 32)
    //   y[128h + l + 96] = d·sc[8h + is + 6]·((hi(ql[64h + l + 32]) | (qh >> 6 & 3) << 4) - 32)
    // d = 0.5. sc[0] = 2: ql[0] = 0x0F, qh[0] = 0xC6 (fields 2, 1, 0, 3): y0 = 1·(15 + 32 - 32) = 15;
    //   y1..15 = 1·-32. sc[2] = -1: ql[32] = 0x03: y32 = -0.5·(3 + 16 - 32) = 6.5, y33..47 = 16.
    //   sc[6] = 4: y96 = 2·(0 + 48 - 32) = 32, y97..111 = 2·-32 = -64.
    // Half 1, sc[15] = 1: y240 reads hi(ql[64 + 48]) = 7 with qh[48] = 0: 0.5·(7 - 32) = -12.5;
    //   y241..255 = 0.5·-32 = -16.
    QTest::addRow("Q6_K") << 14
                          << BlockBuilder(210)
                                 .byte(0, 0x0F)
                                 .byte(32, 0x03)
                                 .byte(112, 0x70)
                                 .byte(128, 0xC6)
                                 .byte(192 + 0, 2)
                                 .byte(192 + 2, 0xFF)
                                 .byte(192 + 6, 4)
                                 .byte(192 + 15, 1)
                                 .half(208, kHalfHalf)
                                 .bytes()
                          << Expected(256, 0.0f)
                                 .at(0, 15.0f)
                                 .range(1, 16, -32.0f)
                                 .at(32, 6.5f)
                                 .range(33, 48, 16.0f)
                                 .at(96, 32.0f)
                                 .range(97, 112, -64.0f)
                                 .at(240, -12.5f)
                                 .range(241, 256, -16.0f)
                                 .values();

    // Q8_K (d f32, qs[256] int8, bsums[16]): y = d·q; d = 0.5 (0x3F000000). qs[0] = -3: -1.5;
    // qs[255] = 100: 50. bsums do not affect values (set to garbage on purpose).
    QTest::addRow("Q8_K")
        << 15
        << BlockBuilder(292).u32(0, 0x3F000000u).byte(4, 0xFD).byte(4 + 255, 100).byte(260, 0x77).bytes()
        << Expected(256, 0.0f).at(0, -1.5f).at(255, 50.0f).values();

    // The codebook of IQ4_NL and IQ4_XS (ggml-common.h's kvalues_iq4nl), by index:
    //   0: -127, 1: -104, 2: -83, 3: -65, 4: -49, 5: -35, 6: -22, 7: -10,
    //   8: 1, 9: 13, 10: 25, 11: 38, 12: 53, 13: 69, 14: 89, 15: 113.
    // IQ4_NL (d, qs[16]): y[j] = d·kv[lo(qs[j])], y[j+16] = d·kv[hi(qs[j])]; d = 0.5.
    // qs = 0x88 elsewhere: 0.5·kv[8] = 0.5·1 = 0.5.
    // qs[0] = 0x30: y0 = 0.5·kv[0] = -63.5, y16 = 0.5·kv[3] = 0.5·-65 = -32.5.
    // qs[15] = 0xF7: y15 = 0.5·kv[7] = -5, y31 = 0.5·kv[15] = 56.5.
    BlockBuilder iq4nl(18);
    iq4nl.half(0, kHalfHalf);
    for (int j = 0; j < 16; ++j)
        iq4nl.byte(2 + j, 0x88);
    iq4nl.byte(2, 0x30).byte(2 + 15, 0xF7);
    QTest::addRow("IQ4_NL")
        << 20 << iq4nl.bytes()
        << Expected(32, 0.5f).at(0, -63.5f).at(16, -32.5f).at(15, -5.0f).at(31, 56.5f).values();

    // IQ4_XS (d, scales_h u16, scales_l[4], qs[128]): sub-block ib (32 values, qs[16ib ..]) has
    // scale ls = (nibble ib%2 of scales_l[ib/2] | bits 2ib..2ib+1 of scales_h << 4) - 32 and
    // y = (d·ls)·kv[nibble] in IQ4_NL's order; d = 0.25, qs = 0x88 (kv 1) everywhere but below.
    // Most sub-blocks: low nibble 1, high bits 2: 33 - 32 = 1, y = 0.25·1·1 = 0.25.
    // ib = 3: low nibble 0 (scales_l[1] = 0x01), high bits 0: ls = -32, y = (0.25·-32)·1 = -8;
    //   qs[48 + 5] = 0x70: y101 = -8·kv[0] = 1016, y117 = -8·kv[7] = 80.
    // ib = 7: low nibble 15 (scales_l[3] = 0xF1), high bits 3 (scales_h bits 14-15, its high
    //   byte): ls = 63 - 32 = 31, y = 7.75.
    // ib = 0: qs[0] = 0x0F: y0 = 0.25·kv[15] = 28.25, y16 = 0.25·kv[0] = -31.75.
    // scales_h = 0xAAAA with bits 6-7 cleared and 14-15 set = 0xEA2A.
    BlockBuilder iq4xs(136);
    iq4xs.half(0, kHalfQuarter).half(2, 0xEA2A).byte(4, 0x11).byte(5, 0x01).byte(6, 0x11).byte(7, 0xF1);
    for (int j = 0; j < 128; ++j)
        iq4xs.byte(8 + j, 0x88);
    iq4xs.byte(8, 0x0F).byte(8 + 48 + 5, 0x70);
    QTest::addRow("IQ4_XS") << 23 << iq4xs.bytes()
                            << Expected(256, 0.25f)
                                   .at(0, 28.25f)
                                   .at(16, -31.75f)
                                   .range(96, 128, -8.0f)
                                   .at(101, 1016.0f)
                                   .at(117, 80.0f)
                                   .range(224, 256, 7.75f)
                                   .values();

    // TQ1_0 (qs[48], qh[4], d): a byte holds base-3 digits t0 t1 t2 t3 t4 (t0 first) as
    // q = ceil(v·256/243) with v = 81 t0 + 27 t1 + 9 t2 + 3 t3 + t4; trit n is
    // ((q·3^n mod 256)·3) >> 8 and the value (trit - 1)·d. qs[0..31] give y[32n + m],
    // qs[32..47] y[160 + 16n + m], qh[0..3] (trits 0..3) y[240 + 4n + j]; d = 0.5.
    // 0x80 (all trits 1: v = 121, q = 128) everywhere else gives 0.
    // qs[0] = 0x00: every trit 0: y0, y32, y64, y96, y128 = -0.5.
    // qs[1] = 0xFF (22222: v = 242, q = 255): y1, y33, y65, y97, y129 = +0.5.
    // qs[40] = 0xBB (20120: v = 177, q = 187): y168 = +0.5, y184 = -0.5, y200 = 0, y216 = +0.5,
    //   y232 = -0.5.
    // qh[2] = 0x43 (0210 then ·3: v = 63, q = 67): y242 = -0.5, y246 = +0.5, y250 = 0, y254 = -0.5.
    BlockBuilder tq1(54);
    for (int j = 0; j < 52; ++j)
        tq1.byte(j, 0x80);
    tq1.byte(0, 0x00).byte(1, 0xFF).byte(40, 0xBB).byte(48 + 2, 0x43).half(52, kHalfHalf);
    Expected tq1Values(256, 0.0f);
    for (std::size_t n = 0; n < 5; ++n)
        tq1Values.at(32 * n, -0.5f).at(32 * n + 1, 0.5f);
    QTest::addRow("TQ1_0") << 34 << tq1.bytes()
                           << tq1Values.at(168, 0.5f)
                                  .at(184, -0.5f)
                                  .at(216, 0.5f)
                                  .at(232, -0.5f)
                                  .at(242, -0.5f)
                                  .at(246, 0.5f)
                                  .at(254, -0.5f)
                                  .values();

    // TQ2_0 (qs[64], d): each 32-byte half h gives y[128h + 32l + m] = (((qs[32h + m] >> 2l) & 3) - 1)·d;
    // d = 2, 0x55 (every field 1) elsewhere gives 0.
    // qs[0] = 0x1B (fields 3, 2, 1, 0 from the low bits): y0 = 2·2 = 4 (3 is not a trit but
    //   decodes as ggml does), y32 = 2, y64 = 0, y96 = -2.
    // qs[63] = 0x00: y159, y191, y223, y255 = -2.
    BlockBuilder tq2(66);
    for (int j = 0; j < 64; ++j)
        tq2.byte(j, 0x55);
    tq2.byte(0, 0x1B).byte(63, 0x00).half(64, kHalfTwo);
    QTest::addRow("TQ2_0") << 35 << tq2.bytes()
                           << Expected(256, 0.0f)
                                  .at(0, 4.0f)
                                  .at(32, 2.0f)
                                  .at(96, -2.0f)
                                  .at(159, -2.0f)
                                  .at(191, -2.0f)
                                  .at(223, -2.0f)
                                  .at(255, -2.0f)
                                  .values();

    // MXFP4 (e, qs[16]): y[j] = kv[lo(qs[j])]·2^(e - 128), y[j+16] = kv[hi(qs[j])]·2^(e - 128)
    // with ggml's doubled E2M1 table kv = 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12.
    // e = 130: scale 2^(130-127) = 8, halved 4. qs = 0 elsewhere gives 0.
    // qs[0] = 0x97: y0 = 12·4 = 48 (E2M1 6 times 8), y16 = -1·4 = -4 (E2M1 -0.5 times 8).
    // qs[15] = 0x8B: y15 = -3·4 = -12, y31 = 0 (code 8 is E2M1's -0).
    QTest::addRow("MXFP4") << 39 << BlockBuilder(17).byte(0, 130).byte(1, 0x97).byte(1 + 15, 0x8B).bytes()
                           << Expected(32, 0.0f).at(0, 48.0f).at(16, -4.0f).at(15, -12.0f).values();

    // Plain types: F16 0x3C00 = 1, 0xC000 = -2; BF16 0x3F80 = 1, 0xC040 = -3; I16 0xFFFE = -2.
    QTest::addRow("F16") << 1 << BlockBuilder(4).half(0, 0x3C00).half(2, 0xC000).bytes()
                         << std::vector<float>{1.0f, -2.0f};
    QTest::addRow("BF16") << 30 << BlockBuilder(4).half(0, 0x3F80).half(2, 0xC040).bytes()
                          << std::vector<float>{1.0f, -3.0f};
    QTest::addRow("I16") << 25 << BlockBuilder(2).half(0, 0xFFFE).bytes() << std::vector<float>{-2.0f};
}

void TestGgmlBlocks::dequantize() {
    QFETCH(int, type);
    QFETCH(QByteArray, block);
    QFETCH(std::vector<float>, expected);
    const std::vector<float> actual = decode(GgmlType(type), block, expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (actual[i] != expected[i])
            QFAIL(qPrintable(
                QStringLiteral("value %1: got %2, expected %3").arg(i).arg(actual[i]).arg(expected[i])));
    }
}

void TestGgmlBlocks::mxfp4ScaleExtremes() {
    // One block per scale byte e, each with qs[0] = 0x71: y0 = kv[1]·2^(e-128) = 2^(e-128) and
    // y16 = kv[7]·2^(e-128) = 12·2^(e-128). e = 0 and 1 are float subnormals (2^-128, 2^-127),
    // e = 2 the smallest normal 2^-126; e = 255 is 2^127, not NaN as in the OCP spec, and
    // 12·2^127 overflows to +inf, which is what ggml's float arithmetic gives too.
    const std::vector<int> scales{0, 1, 2, 127, 128, 254, 255};
    QByteArray bytes;
    for (int e : scales)
        bytes += BlockBuilder(17).byte(0, quint8(e)).byte(1, 0x71).bytes();
    const std::vector<float> values = decode(GgmlType::MXFP4, bytes, 32 * scales.size());
    for (std::size_t b = 0; b < scales.size(); ++b) {
        const float scale = std::ldexp(1.0f, scales[b] - 128);
        QCOMPARE(values[32 * b], scale);
        QCOMPARE(values[32 * b + 1], 0.0f);
        QCOMPARE(values[32 * b + 16], 12.0f * scale);
    }
    QCOMPARE(values[0], 0x1p-128f);
    QVERIFY(std::fpclassify(values[0]) == FP_SUBNORMAL);
    QCOMPARE(values[32 * 6], 0x1p127f);
    QCOMPARE(values[32 * 6 + 16], std::numeric_limits<float>::infinity());
}

void TestGgmlBlocks::blocksFollowEachOther() {
    // Two Q8_0 blocks: the second starts at byte 34 and its values at index 32.
    // Block 0: d = 1, qs[0] = 5 -> y0 = 5. Block 1: d = 2, qs[0] = -3 -> y32 = -6.
    const QByteArray bytes = BlockBuilder(34).half(0, kHalfOne).byte(2, 5).bytes() +
                             BlockBuilder(34).half(0, kHalfTwo).byte(2, 0xFD).bytes();
    const std::vector<float> values = decode(GgmlType::Q8_0, bytes, 64);
    QCOMPARE(values[0], 5.0f);
    QCOMPARE(values[31], 0.0f);
    QCOMPARE(values[32], -6.0f);
}

void TestGgmlBlocks::rejectsPartialBlocks() {
    std::vector<float> values(32);
    const QByteArray bytes(17, '\0'); // one byte short of a Q4_0 block
    const Status partial = dequantizeGgml(
        GgmlType::Q4_0, {reinterpret_cast<const std::byte *>(bytes.constData()), std::size_t(bytes.size())},
        values);
    QVERIFY(!partial);
    QVERIFY2(partial.error().find("Q4_0") != std::string::npos, partial.error().c_str());
    const QByteArray block(18, '\0');
    std::vector<float> tooFew(31);
    const Status mismatch = dequantizeGgml(
        GgmlType::Q4_0, {reinterpret_cast<const std::byte *>(block.constData()), std::size_t(block.size())},
        tooFew);
    QVERIFY(!mismatch);
    QVERIFY2(mismatch.error().find("not 31") != std::string::npos, mismatch.error().c_str());
}

void TestGgmlBlocks::namesUnsupportedTypes() {
    // ggml.h: 16 = IQ2_XXS (known, not decodable), 4 was removed, 999 never existed; 20 (IQ4_NL),
    // 23 (IQ4_XS), 34 (TQ1_0), 35 (TQ2_0) and 39 (MXFP4) decode.
    for (std::uint32_t id : {20u, 23u, 34u, 35u, 39u})
        QVERIFY(ggmlTypeTraits(id));
    QVERIFY(!ggmlTypeTraits(16u));
    QCOMPARE(std::string(ggmlTypeName(16)), std::string("IQ2_XXS"));
    QVERIFY(ggmlTypeName(4).empty());
    QVERIFY(!ggmlTypeTraits(999u));
    QCOMPARE(std::string(ggmlTypeName(12)), std::string("Q4_K"));
}

QTEST_GUILESS_MAIN(TestGgmlBlocks)
#include "tst_ggmlblocks.moc"
