// llama.cpp's per-group scales and level grids read from encoded blocks: ggmlEffectiveScales
// and ggmlGroupGrids against what dequantizeGgml decodes.
#include "ggmlrows.h"
#include "quant/ggmlencode.h"

#include <QTest>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace qs;
using namespace qs::test::ggmlrows;

class TestGgmlScales : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void effectiveScalesSpaceTheLevels_data();
    void effectiveScalesSpaceTheLevels();
    void effectiveScalesOfKnownBlocks();
    void groupGridsHoldEveryDecodedValue_data();
    void groupGridsHoldEveryDecodedValue();
};

void TestGgmlScales::effectiveScalesSpaceTheLevels_data() {
    QTest::addColumn<int>("type");
    for (GgmlType type : kEncodable)
        QTest::addRow("%s", nameOf(type)) << int(type);
}

void TestGgmlScales::effectiveScalesSpaceTheLevels() {
    // Within a scale group every decoded value differs from the others by a whole number of
    // effective scales, whatever the group's min.
    QFETCH(int, type);
    const GgmlType t = GgmlType(type);
    std::mt19937 rng(99);
    const std::vector<float> row = gaussianRow(rng, 512);
    const Bytes bytes = encode(t, row);
    const std::vector<float> decoded = decode(t, bytes);
    const std::size_t group = ggmlScaleGroupElements(t);
    QCOMPARE(ggmlBlockLayout(t).blockElements % group, std::size_t(0));
    std::vector<float> scales(row.size() / group);
    QVERIFY(ggmlEffectiveScales(t, std::as_bytes(std::span(bytes)), scales));
    for (std::size_t g = 0; g < scales.size(); ++g) {
        QVERIFY(scales[g] > 0.0f);
        for (std::size_t i = g * group; i < (g + 1) * group; ++i) {
            const double steps = (double(decoded[i]) - decoded[g * group]) / scales[g];
            QVERIFY2(std::fabs(steps - std::round(steps)) < 1e-3, qPrintable(QString::number(steps)));
        }
    }
}

void TestGgmlScales::groupGridsHoldEveryDecodedValue_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("bits");
    // The element widths of ggml-common.h's block types.
    const int bits[] = {4, 4, 5, 5, 8, 2, 3, 4, 5, 6};
    for (std::size_t i = 0; i < std::size(kEncodable); ++i)
        QTest::addRow("%s", nameOf(kEncodable[i])) << int(kEncodable[i]) << bits[i];
}

void TestGgmlScales::groupGridsHoldEveryDecodedValue() {
    // Every value the decoder gives is, to the bit, one of its scale group's 2^bits levels
    // step · k - offset: for encoded rows (a Gaussian one, and a positive one that gives the
    // min types a non-zero offset) and for random bytes, whose scales and mins take any finite
    // value and sign.
    QFETCH(int, type);
    QFETCH(int, bits);
    const GgmlType t = GgmlType(type);
    const GgmlLevelCodes codes = ggmlLevelCodes(t);
    QCOMPARE(codes.highest - codes.lowest + 1, 1 << bits);
    std::mt19937 rng(7);
    std::vector<float> positive = gaussianRow(rng, 512);
    for (float &v : positive)
        v = std::fabs(v) + 0.25f;
    Bytes noise(encode(t, positive).size());
    std::uniform_int_distribution<int> byte(0, 255);
    for (std::uint8_t &b : noise)
        b = std::uint8_t(byte(rng));
    const GgmlBlockLayout &layout = ggmlBlockLayout(t);
    for (std::size_t at = 0; at < noise.size(); at += layout.blockBytes) {
        noise[at + layout.d + 1] &= 0xBF; // an f16 exponent below 16: finite scales
        if (layout.dmin != kNoGgmlField)
            noise[at + layout.dmin + 1] &= 0xBF;
    }
    const std::size_t group = ggmlScaleGroupElements(t);
    for (const Bytes &bytes : {encode(t, gaussianRow(rng, 512)), encode(t, positive), noise}) {
        const std::vector<float> decoded = decode(t, bytes);
        std::vector<GgmlGroupGrid> grids(decoded.size() / group);
        std::vector<float> scales(grids.size());
        QVERIFY(ggmlGroupGrids(t, std::as_bytes(std::span(bytes)), grids));
        QVERIFY(ggmlEffectiveScales(t, std::as_bytes(std::span(bytes)), scales));
        for (std::size_t g = 0; g < grids.size(); ++g) {
            QCOMPARE(std::fabs(grids[g].step), scales[g]);
            for (std::size_t i = g * group; i < (g + 1) * group; ++i) {
                bool found = false;
                for (int k = codes.lowest; k <= codes.highest && !found; ++k)
                    found = grids[g].step * float(k) - grids[g].offset == decoded[i];
                QVERIFY2(found, qPrintable(QStringLiteral("value %1 (%2) is no level of group %3: step %4, "
                                                          "offset %5")
                                               .arg(i)
                                               .arg(double(decoded[i]), 0, 'g', 9)
                                               .arg(g)
                                               .arg(double(grids[g].step), 0, 'g', 9)
                                               .arg(double(grids[g].offset), 0, 'g', 9)));
            }
        }
    }
    std::vector<GgmlGroupGrid> wrong(3);
    QVERIFY(!ggmlGroupGrids(t, std::as_bytes(std::span(noise)), wrong));
}

void TestGgmlScales::effectiveScalesOfKnownBlocks() {
    // Q4_0 block with d = -0.5 → 0.5. Q6_K block with d = 2^-10 (f16 0x1400) and scales
    // 1, -2, 3, ... → |d·sc| = 2^-10, 2^-9, 3·2^-10, ...
    Bytes q40(18, 0);
    putHalf(q40, 0, 0xB800);
    std::vector<float> one(1);
    QVERIFY(ggmlEffectiveScales(GgmlType::Q4_0, std::as_bytes(std::span(q40)), one));
    QCOMPARE(one[0], 0.5f);

    Bytes q6(210, 0);
    putHalf(q6, 208, 0x1400);
    for (int j = 0; j < 16; ++j)
        q6[std::size_t(192 + j)] = std::uint8_t(std::int8_t((j % 2 ? -1 : 1) * (j + 1)));
    std::vector<float> sixteen(16);
    QVERIFY(ggmlEffectiveScales(GgmlType::Q6_K, std::as_bytes(std::span(q6)), sixteen));
    for (int j = 0; j < 16; ++j)
        QCOMPARE(sixteen[std::size_t(j)], float(j + 1) / 1024.0f);

    std::vector<float> wrong(3);
    QVERIFY(!ggmlEffectiveScales(GgmlType::Q6_K, std::as_bytes(std::span(q6)), wrong));
}

QTEST_GUILESS_MAIN(TestGgmlScales)
#include "tst_ggmlscales.moc"
