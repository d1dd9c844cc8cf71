#include "ggmlrows.h"
#include "io/ggmlblocks.h"
#include "quant/ggmlencode.h"
#include "quant/ggmlfit.h"

#include <QScopeGuard>
#include <QTest>

#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace qs;
using namespace qs::test::ggmlrows;

namespace {

QByteArray hex(const Bytes &bytes) {
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size())).toHex(' ');
}

// The input rows of scripts/ggml-reference-blocks.sh (its inputValue, redone here): every value
// an integer times a power of two, so C and C++ make the same floats.
std::uint32_t mix(std::uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

int draw(int row, int i, int salt, int lo, int hi) {
    const std::uint32_t h = mix(std::uint32_t(row) * 0x9E3779B9U + std::uint32_t(i) * 0x85EBCA6BU +
                                std::uint32_t(salt) * 0xC2B2AE35U);
    return lo + int(h % std::uint32_t(hi - lo + 1));
}

float referenceInput(int kind, int row, int i) {
    const int block = i / 32;
    switch (kind) {
    case 0:
        return std::ldexp(float(draw(row, i, 0, -32768, 32767)), -15);
    case 1: {
        int s = 0;
        for (int k = 0; k < 4; ++k)
            s += draw(row, i, k, -4096, 4095);
        return std::ldexp(float(s), i % 37 == 5 ? -8 : -14);
    }
    case 2:
        return i % 32 == 0 ? (block % 2 ? -127.0f : 127.0f)
                           : std::ldexp(float(draw(row, i, 0, -254, 254)), -1);
    case 3:
        return i % 32 == 0 ? -8.0f : std::ldexp(float(draw(row, i, 0, -16, 16)), -1);
    case 4:
        return 3.0f + std::ldexp(float(draw(row, i, 0, 0, 4095)), -10);
    case 5:
        if (block == 2)
            return 0.0f;
        if (block == 5)
            return 0.75f;
        if (block == 6)
            return -1.25f;
        return draw(row, i, 1, 0, 3) == 0 ? std::ldexp(float(draw(row, i, 0, -2048, 2047)), -11) : 0.0f;
    case 6:
        return std::ldexp(float(draw(row, i, 0, -1000, 1000)), -30);
    case 7:
        return std::ldexp(float(draw(row, i, 0, -4096, 4095)), draw(row, i, 1, -20, 2));
    default: {
        static const float kExtremes[] = {3.4028234663852886e38f,
                                          -3.4028234663852886e38f,
                                          0.0f,
                                          1.4012984643248171e-45f,
                                          -1e38f,
                                          1.0f,
                                          -2.5e-40f,
                                          65504.0f};
        return kExtremes[draw(row, i, 0, 0, 7)];
    }
    }
}

constexpr int kReferenceRows = 9;
constexpr int kReferenceKinds = 9;

std::vector<float> referenceRow(int kind, int row) {
    std::vector<float> values(256);
    for (int i = 0; i < 256; ++i)
        values[std::size_t(i)] = referenceInput(kind, row, i);
    return values;
}

// The script's importanceValue: quant_weights 0 ... 4 in steps of 1/16.
float referenceImportance(int row, int i) {
    return std::ldexp(float(draw(row, i, 7, 0, 64)), -4);
}

std::vector<float> referenceImportanceRow(int row) {
    std::vector<float> values(256);
    for (int i = 0; i < 256; ++i)
        values[std::size_t(i)] = referenceImportance(row, i);
    return values;
}

struct ReferenceBlocks {
    int type;
    int row;
    bool weighted;
    const char *base64;
};

struct ReferenceDigest {
    int type;
    int rows;
    bool weighted;
    std::uint64_t fnv1a;
};

#include "data/ggml_reference_blocks.inc"

std::uint64_t fnv1a(std::uint64_t h, const Bytes &bytes) {
    for (std::uint8_t b : bytes) {
        h ^= b;
        h *= 0x100000001b3ULL;
    }
    return h;
}

double rms(const std::vector<float> &v) {
    double sum = 0.0;
    for (float x : v)
        sum += double(x) * x;
    return std::sqrt(sum / double(v.size()));
}

double rmsError(const std::vector<float> &a, const std::vector<float> &b) {
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    return std::sqrt(sum / double(a.size()));
}

} // namespace

class TestGgmlEncode : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void layoutSharedWithReader();
    void bitsPerWeight_data();
    void bitsPerWeight();
    void nearestIntRoundsHalfToEven();
    void fp16RoundsToNearestEven_data();
    void fp16RoundsToNearestEven();
    void q8_0Ramp();
    void q8_0HalvesRoundAwayFromZero();
    void q4_0KnownMax();
    void constantRow();
    void allZeros_data();
    void allZeros();
    void matchesLlamaCppReference();
    void matchesLlamaCppReferenceDigests();
    void matchesLlamaCppReferenceAtNarrowerWidths();
    void roundTrip_data();
    void roundTrip();
    void reencodingIsStable_data();
    void reencodingIsStable();
    void rejectsBadSizes();
    void rejectsTypesWithoutEncoder();
    void importanceErrors();
    void importanceFavoursWeightedValues_data();
    void importanceFavoursWeightedValues();
    void q8_0IgnoresImportance();
    void nonFiniteInputFails();
    void extremeFiniteInputIsDefined();
    void tensorMatchesRows();
    void tensorErrors();
    void tensorCancel();
};

void TestGgmlEncode::layoutSharedWithReader() {
    // The reader's traits and the encoders' layout are one table; every type the reader knows
    // agrees with it, and the encoders write exactly whole blocks.
    for (std::uint32_t id = 0; id < 64; ++id) {
        const GgmlTypeTraits *traits = ggmlTypeTraits(id);
        const GgmlBlockLayout *layout = ggmlBlockLayout(id);
        QCOMPARE(traits != nullptr, layout != nullptr);
        if (!traits)
            continue;
        QCOMPARE(traits->name, layout->name);
        QCOMPARE(traits->blockElements, layout->blockElements);
        QCOMPARE(traits->blockBytes, layout->blockBytes);
    }
    for (GgmlType type : kEncodable) {
        const GgmlBlockLayout &layout = ggmlBlockLayout(type);
        QVERIFY(canQuantizeGgml(type));
        QCOMPARE(ggmlEncodedBytes(type, 3 * layout.blockElements).value(), 3 * layout.blockBytes);
    }
}

void TestGgmlEncode::bitsPerWeight_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<double>("bits");
    // ggml's own figures (llama.cpp's quantize --help and ggml-common.h's block sizes).
    QTest::addRow("Q8_0") << int(GgmlType::Q8_0) << 8.5;
    QTest::addRow("Q4_0") << int(GgmlType::Q4_0) << 4.5;
    QTest::addRow("Q4_1") << int(GgmlType::Q4_1) << 5.0;
    QTest::addRow("Q5_0") << int(GgmlType::Q5_0) << 5.5;
    QTest::addRow("Q5_1") << int(GgmlType::Q5_1) << 6.0;
    QTest::addRow("Q2_K") << int(GgmlType::Q2_K) << 2.625;
    QTest::addRow("Q3_K") << int(GgmlType::Q3_K) << 3.4375;
    QTest::addRow("Q4_K") << int(GgmlType::Q4_K) << 4.5;
    QTest::addRow("Q5_K") << int(GgmlType::Q5_K) << 5.5;
    QTest::addRow("Q6_K") << int(GgmlType::Q6_K) << 6.5625;
    QTest::addRow("F16") << int(GgmlType::F16) << 16.0;
}

void TestGgmlEncode::bitsPerWeight() {
    QFETCH(int, type);
    QFETCH(double, bits);
    QCOMPARE(ggmlBitsPerWeight(GgmlType(type)), bits);
}

void TestGgmlEncode::nearestIntRoundsHalfToEven() {
    // ggml's nearest_int adds 1.5·2^23: halves go to the even neighbour.
    QCOMPARE(ggml::nearestInt(0.5f), 0);
    QCOMPARE(ggml::nearestInt(1.5f), 2);
    QCOMPARE(ggml::nearestInt(2.5f), 2);
    QCOMPARE(ggml::nearestInt(-0.5f), 0);
    QCOMPARE(ggml::nearestInt(-1.5f), -2);
    QCOMPARE(ggml::nearestInt(-2.5f), -2);
    QCOMPARE(ggml::nearestInt(2.4999998f), 2);
    QCOMPARE(ggml::nearestInt(4194303.0f), 4194303);
    QCOMPARE(ggml::nearestInt(-4194303.0f), -4194303);
}

void TestGgmlEncode::fp16RoundsToNearestEven_data() {
    QTest::addColumn<float>("value");
    QTest::addColumn<int>("bits");
    // IEEE 754 binary16 (sign, 5-bit exponent biased by 15, 10-bit mantissa). The conversion was
    // also compared offline with ggml's ggml_compute_fp32_to_fp16 for all 2^32 floats: no difference.
    QTest::addRow("one") << 1.0f << 0x3C00;
    QTest::addRow("tie 1 + 2^-11 goes to even 1") << 1.00048828125f << 0x3C00;
    QTest::addRow("tie 1 + 3·2^-11 goes to even 1 + 2^-9") << 1.00146484375f << 0x3C02;
    QTest::addRow("just above the tie") << std::nextafter(1.00048828125f, 2.0f) << 0x3C01;
    QTest::addRow("largest") << 65504.0f << 0x7BFF;
    QTest::addRow("below the overflow tie") << std::nextafter(65520.0f, 0.0f) << 0x7BFF;
    QTest::addRow("overflow tie goes to inf") << 65520.0f << 0x7C00;
    QTest::addRow("negative") << -2.0f << 0xC000;
    QTest::addRow("negative zero") << -0.0f << 0x8000;
    QTest::addRow("smallest normal 2^-14") << 6.103515625e-05f << 0x0400;
    QTest::addRow("largest subnormal 1023·2^-24") << 6.097555160522461e-05f << 0x03FF;
    QTest::addRow("smallest subnormal 2^-24") << 5.960464477539063e-08f << 0x0001;
    QTest::addRow("tie 2^-25 goes to even 0") << 2.9802322387695312e-08f << 0x0000;
    QTest::addRow("tie 3·2^-25 goes to even 2·2^-24") << 8.940696716308594e-08f << 0x0002;
    QTest::addRow("above the tie 2^-25") << std::nextafter(2.9802322387695312e-08f, 1.0f) << 0x0001;
    QTest::addRow("subnormal tie 5·2^-25 goes to even 2·2^-24") << 1.4901161193847656e-07f << 0x0002;
    QTest::addRow("NaN") << std::numeric_limits<float>::quiet_NaN() << 0x7E00;
}

void TestGgmlEncode::fp16RoundsToNearestEven() {
    QFETCH(float, value);
    QFETCH(int, bits);
    QCOMPARE(int(ggml::fp16Bits(value)), bits);
}

void TestGgmlEncode::q8_0Ramp() {
    // x = 0, 1, ..., 31: amax = 31, d = 31/127 = 0.2440945 → f16 0x33D0 (2000·2^-13 = 0.244140625,
    // the nearest of the 2^-13 steps in [0.125, 0.25)); q_j = round(j · 127/31), computed with the
    // float32 d and never near a tie (127·j/31 is a multiple of 1/31).
    std::vector<float> row(32);
    Bytes expected(34, 0);
    putHalf(expected, 0, 0x33D0);
    for (int j = 0; j < 32; ++j) {
        row[std::size_t(j)] = float(j);
        expected[std::size_t(2 + j)] = std::uint8_t(std::lround(127.0 * j / 31.0));
    }
    QCOMPARE(expected[2 + 6], std::uint8_t(25)); // 24.58
    QCOMPARE(expected[2 + 31], std::uint8_t(127));
    QCOMPARE(hex(encode(GgmlType::Q8_0, row)), hex(expected));
    QCOMPARE(decode(GgmlType::Q8_0, expected)[31], 127 * 0.244140625f);
}

void TestGgmlEncode::q8_0HalvesRoundAwayFromZero() {
    // amax 127 makes d = 1 (f16 0x3C00) and id = 1; Q8_0 uses roundf, so ±2.5 → ±3, ±0.5 → ±1
    // (nearest_int would give ±2 and 0), and 126.5 → 127.
    std::vector<float> row(32, 0.0f);
    row[0] = 127.0f;
    row[1] = 2.5f;
    row[2] = -2.5f;
    row[3] = 0.5f;
    row[4] = -0.5f;
    row[5] = 126.5f;
    Bytes expected(34, 0);
    putHalf(expected, 0, 0x3C00);
    const int levels[] = {127, 3, -3, 1, -1, 127};
    for (int j = 0; j < 6; ++j)
        expected[std::size_t(2 + j)] = std::uint8_t(std::int8_t(levels[j]));
    QCOMPARE(hex(encode(GgmlType::Q8_0, row)), hex(expected));
}

void TestGgmlEncode::q4_0KnownMax() {
    // The largest magnitude is +4, so d = 4 / -8 = -0.5 (f16 0xB800) and id = -2; a level is
    // min(15, trunc(-2x + 8.5)). x = 4 → 0; x = k/2 → 8 - k, which decodes back to x exactly;
    // the ties ±0.25 land on trunc(8) = 8 and trunc(9) = 9 (decoding to 0 and -0.5).
    std::vector<float> row(32);
    std::vector<int> levels(32);
    row[0] = 4.0f;
    levels[0] = 0;
    row[1] = 0.25f;
    levels[1] = 8;
    row[2] = -0.25f;
    levels[2] = 9;
    for (int j = 3; j < 32; ++j) {
        const int k = j % 9 - 4;
        row[std::size_t(j)] = 0.5f * float(k);
        levels[std::size_t(j)] = 8 - k;
    }
    Bytes expected(18, 0);
    putHalf(expected, 0, 0xB800);
    for (int j = 0; j < 16; ++j)
        expected[std::size_t(2 + j)] =
            std::uint8_t(levels[std::size_t(j)] | (levels[std::size_t(j + 16)] << 4));
    const Bytes actual = encode(GgmlType::Q4_0, row);
    QCOMPARE(hex(actual), hex(expected));
    const std::vector<float> decoded = decode(GgmlType::Q4_0, actual);
    QCOMPARE(decoded[0], 4.0f);
    QCOMPARE(decoded[1], 0.0f);
    QCOMPARE(decoded[2], -0.5f);
    for (int j = 3; j < 32; ++j)
        QCOMPARE(decoded[std::size_t(j)], row[std::size_t(j)]);
}

void TestGgmlEncode::constantRow() {
    const std::vector<float> row(32, 1.5f);
    // Q8_0: d = 1.5/127 = 0.0118110 → f16 0x220C (1548·2^-17, the nearest 2^-17 step in
    // [2^-7, 2^-6)); every level 127, decoding to 127·1548·2^-17 = 1.4999085.
    Bytes q8(34, 0x7F);
    putHalf(q8, 0, 0x220C);
    QCOMPARE(hex(encode(GgmlType::Q8_0, row)), hex(q8));
    QCOMPARE(decode(GgmlType::Q8_0, q8)[0], 1.4999084f);
    // Q4_1: min = max = 1.5, so d = 0 and id = 0; m = 1.5 (f16 0x3E00); every level 0. Exact.
    Bytes q41(20, 0);
    putHalf(q41, 2, 0x3E00);
    QCOMPARE(hex(encode(GgmlType::Q4_1, row)), hex(q41));
    QCOMPARE(decode(GgmlType::Q4_1, q41), row);
    // Q4_0: d = 1.5 / -8 = -0.1875 (f16 0xB200), id = -16/3; 1.5·id + 8.5 = 0.5 → level 0.
    Bytes q40(18, 0);
    putHalf(q40, 0, 0xB200);
    QCOMPARE(hex(encode(GgmlType::Q4_0, row)), hex(q40));
    QCOMPARE(decode(GgmlType::Q4_0, q40), row);
}

void TestGgmlEncode::allZeros_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<QByteArray>("block");
    // Q4_0 / Q5_0: d = 0 / -8 is -0 (f16 0x8000) and id = 0, so every level is the zero point:
    // trunc(8.5) = 8 → nibbles 0x88; trunc(16.5) = 16 → nibbles 0 and all 32 fifth bits set.
    // Q8_0, Q4_1, Q5_1: d = +0, levels 0. K types: every group is "all zero" (below
    // GROUP_MAX_EPS or max == min), so scales, levels and d are 0: the whole block is zero.
    QByteArray q40(18, '\x88');
    q40[0] = '\x00';
    q40[1] = '\x80';
    QTest::addRow("Q4_0") << int(GgmlType::Q4_0) << q40;
    QByteArray q50(22, '\0');
    q50[1] = '\x80';
    for (int i = 2; i < 6; ++i)
        q50[i] = '\xFF';
    QTest::addRow("Q5_0") << int(GgmlType::Q5_0) << q50;
    for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_1, GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K,
                          GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K})
        QTest::addRow("%s", nameOf(type))
            << int(type) << QByteArray(qsizetype(ggmlBlockLayout(type).blockBytes), '\0');
}

void TestGgmlEncode::allZeros() {
    QFETCH(int, type);
    QFETCH(QByteArray, block);
    const GgmlType t = GgmlType(type);
    const std::vector<float> row(ggmlBlockLayout(t).blockElements, 0.0f);
    const Bytes actual = encode(t, row);
    QCOMPARE(hex(actual), block.toHex(' '));
    QCOMPARE(decode(t, actual), row);
}

void TestGgmlEncode::matchesLlamaCppReference() {
    // Golden blocks from llama.cpp's quantize_row_<type>_ref (see the .inc header for package,
    // version and file; scripts/ggml-reference-blocks.sh regenerates them).
    int compared = 0;
    for (const ReferenceBlocks &ref : kReferenceBlocks) {
        const GgmlType type = GgmlType(ref.type);
        const QByteArray bytes = QByteArray::fromBase64(ref.base64);
        const Bytes expected(bytes.begin(), bytes.end());
        const std::vector<float> importance =
            ref.weighted ? referenceImportanceRow(ref.row) : std::vector<float>();
        const Bytes actual = encode(type, referenceRow(ref.row, ref.row), importance);
        if (actual != expected) {
            qWarning("%s row %d%s differs from llama.cpp", nameOf(type), ref.row,
                     ref.weighted ? " with importance" : "");
            QCOMPARE(hex(actual), hex(expected));
        }
        ++compared;
    }
    QCOMPARE(compared, 10 * (kReferenceRows + 4)); // every type, every row, four with importance
}

void TestGgmlEncode::matchesLlamaCppReferenceDigests() {
    // The same source, over 4096 more rows per type: catches differences too rare for the rows
    // above (a trial scale of make_qkx2_quants that wins once in a few thousand rows).
    QCOMPARE(std::size(kReferenceDigests), 2 * std::size(kEncodable));
    for (const ReferenceDigest &ref : kReferenceDigests) {
        const GgmlType type = GgmlType(ref.type);
        std::uint64_t h = 0xcbf29ce484222325ULL;
        for (int row = kReferenceRows; row < kReferenceRows + ref.rows; ++row) {
            const std::vector<float> importance =
                ref.weighted ? referenceImportanceRow(row) : std::vector<float>();
            h = fnv1a(h, encode(type, referenceRow(row % kReferenceKinds, row), importance));
        }
        QVERIFY2(h == ref.fnv1a, qPrintable(QStringLiteral("%1%2").arg(
                                     QLatin1String(nameOf(type)),
                                     ref.weighted ? QStringLiteral(" with importance") : QString())));
    }
}

void TestGgmlEncode::matchesLlamaCppReferenceAtNarrowerWidths() {
    // The K types fit sub-blocks with the widest vectors the CPU has; the AVX2 and baseline (SSE2)
    // builds of those fits must give llama.cpp's blocks too.
    const auto restore = qScopeGuard([] { ggml::setLaneWidth(ggml::LaneWidth::Widest); });
    for (ggml::LaneWidth width : {ggml::LaneWidth::Avx2, ggml::LaneWidth::Baseline}) {
        ggml::setLaneWidth(width);
        matchesLlamaCppReference();
        matchesLlamaCppReferenceDigests();
    }
}

void TestGgmlEncode::roundTrip_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<double>("maxRelativeRms");
    // RMS error / RMS value on this unit gaussian row, as measured: 0.0053 (Q8_0), 0.085 / 0.078
    // (Q4_0 / Q4_1), 0.042 / 0.038 (Q5_0 / Q5_1), 0.296 (Q2_K), 0.150 (Q3_K), 0.071 (Q4_K),
    // 0.036 (Q5_K), 0.018 (Q6_K); the bounds are 20 % above. For the 32-value types this is about
    // spacing / sqrt(12) with spacing = E[max |x| of 32] / levels ≈ 2.1 / 127 (Q8_0: 0.0047),
    // 2.1 / 8 (Q4_0: 0.076), plus the clipped top level.
    QTest::addRow("Q8_0") << int(GgmlType::Q8_0) << 0.0064;
    QTest::addRow("Q4_0") << int(GgmlType::Q4_0) << 0.102;
    QTest::addRow("Q4_1") << int(GgmlType::Q4_1) << 0.094;
    QTest::addRow("Q5_0") << int(GgmlType::Q5_0) << 0.051;
    QTest::addRow("Q5_1") << int(GgmlType::Q5_1) << 0.046;
    QTest::addRow("Q2_K") << int(GgmlType::Q2_K) << 0.355;
    QTest::addRow("Q3_K") << int(GgmlType::Q3_K) << 0.18;
    QTest::addRow("Q4_K") << int(GgmlType::Q4_K) << 0.085;
    QTest::addRow("Q5_K") << int(GgmlType::Q5_K) << 0.043;
    QTest::addRow("Q6_K") << int(GgmlType::Q6_K) << 0.021;
}

void TestGgmlEncode::roundTrip() {
    QFETCH(int, type);
    QFETCH(double, maxRelativeRms);
    const GgmlType t = GgmlType(type);
    std::mt19937 rng(20240601);
    const std::vector<float> row = gaussianRow(rng, 256 * 64);
    const Bytes bytes = encode(t, row);
    const std::vector<float> decoded = decode(t, bytes);
    const double relative = rmsError(row, decoded) / rms(row);
    qInfo("%s: relative RMS error %.4f", nameOf(t), relative);
    QVERIFY2(relative < maxRelativeRms, qPrintable(QString::number(relative)));
    QVERIFY(relative > maxRelativeRms / 4); // it does quantize

    // Every value lies within one level spacing of its decoded value, except where a K type's
    // fitted range clips the group's extremes: allow those a few spacings.
    const std::size_t group = ggmlScaleGroupElements(t);
    std::vector<float> scales(row.size() / group);
    QVERIFY(ggmlEffectiveScales(t, std::as_bytes(std::span(bytes)), scales));
    const bool kType = ggmlBlockLayout(t).blockElements == 256;
    for (std::size_t i = 0; i < row.size(); ++i) {
        const float step = scales[i / group];
        const float err = std::fabs(row[i] - decoded[i]);
        const float bound = kType ? 4.0f * step + 1e-3f : 1.01f * step;
        if (err > bound)
            QFAIL(qPrintable(QStringLiteral("value %1: %2 vs %3, spacing %4")
                                 .arg(i)
                                 .arg(row[i])
                                 .arg(decoded[i])
                                 .arg(step)));
    }
}

void TestGgmlEncode::reencodingIsStable_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<bool>("sameBytes");
    // Symmetric absmax types re-encode their own output to the same bytes: the extreme value decodes
    // to exactly -8·d (Q4_0), -16·d (Q5_0) or ±127·d (Q8_0), which gives back the same f16 d, and
    // every other decoded value is an integer multiple of it. The others need not reach a fixed
    // point in one step (d and m of Q4_1/Q5_1 are rounded to f16 again, K types refit).
    QTest::addRow("Q8_0") << int(GgmlType::Q8_0) << true;
    QTest::addRow("Q4_0") << int(GgmlType::Q4_0) << true;
    QTest::addRow("Q5_0") << int(GgmlType::Q5_0) << true;
    QTest::addRow("Q4_1") << int(GgmlType::Q4_1) << false;
    QTest::addRow("Q5_1") << int(GgmlType::Q5_1) << false;
    QTest::addRow("Q2_K") << int(GgmlType::Q2_K) << false;
    QTest::addRow("Q3_K") << int(GgmlType::Q3_K) << false;
    QTest::addRow("Q4_K") << int(GgmlType::Q4_K) << false;
    QTest::addRow("Q5_K") << int(GgmlType::Q5_K) << false;
    QTest::addRow("Q6_K") << int(GgmlType::Q6_K) << false;
}

void TestGgmlEncode::reencodingIsStable() {
    QFETCH(int, type);
    QFETCH(bool, sameBytes);
    const GgmlType t = GgmlType(type);
    std::mt19937 rng(7);
    const std::vector<float> row = gaussianRow(rng, 256 * 16, 0.05f);
    const Bytes first = encode(t, row);
    const std::vector<float> once = decode(t, first);
    const Bytes second = encode(t, once);
    const std::vector<float> twice = decode(t, second);
    if (sameBytes) {
        QCOMPARE(hex(second), hex(first));
        return;
    }
    // Requantizing values that already sit on a grid moves them far less than the first pass.
    const double firstError = rmsError(row, once);
    const double secondError = rmsError(once, twice);
    qInfo("%s: first pass %.3g, second pass %.3g", nameOf(t), firstError, secondError);
    QVERIFY(secondError < 0.5 * firstError);
}

void TestGgmlEncode::rejectsBadSizes() {
    const Result<std::size_t> partial = ggmlEncodedBytes(GgmlType::Q4_K, 300);
    QVERIFY(!partial);
    QCOMPARE(QString::fromStdString(partial.error()),
             QStringLiteral("Q4_K: a row of 300 values is not a multiple of the block size 256"));
    QVERIFY(!ggmlEncodedBytes(GgmlType::Q8_0, 33));
    QCOMPARE(ggmlEncodedBytes(GgmlType::Q8_0, 0).value(), std::size_t(0));

    std::vector<float> row(64, 1.0f);
    std::vector<std::byte> small(35);
    const Status status = quantizeGgmlRow(GgmlType::Q8_0, row, small);
    QVERIFY(!status);
    QVERIFY(status.error().find("68 bytes") != std::string::npos);
    std::vector<float> odd(40, 1.0f);
    QVERIFY(!quantizeGgmlRow(GgmlType::Q8_0, odd, small));
}

void TestGgmlEncode::rejectsTypesWithoutEncoder() {
    for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::Q8_K, GgmlType::BF16}) {
        QVERIFY(!canQuantizeGgml(type));
        QCOMPARE(ggmlScaleGroupElements(type), std::size_t(0));
        const Result<std::size_t> bytes = ggmlEncodedBytes(type, 256);
        QVERIFY(!bytes);
        QVERIFY(bytes.error().find(nameOf(type)) == 0);
    }
}

void TestGgmlEncode::importanceErrors() {
    std::vector<float> row(32, 1.0f);
    Bytes out(18, 0xAA);
    const std::vector<float> shortWeights(5, 1.0f);
    const Status wrongCount =
        quantizeGgmlRow(GgmlType::Q4_0, row, std::as_writable_bytes(std::span(out)), shortWeights);
    QCOMPARE(QString::fromStdString(wrongCount.error()),
             QStringLiteral("Q4_0: 5 importance weights for 32 values per row"));
    std::vector<float> weights(32, 1.0f);
    weights[3] = std::numeric_limits<float>::infinity();
    const Status infinite =
        quantizeGgmlRow(GgmlType::Q4_0, row, std::as_writable_bytes(std::span(out)), weights);
    QCOMPARE(QString::fromStdString(infinite.error()), QStringLiteral("Q4_0: importance weight 3 is +inf"));
    QCOMPARE(hex(out), hex(Bytes(18, 0)));
    QVERIFY(!quantizeGgmlTensor(GgmlType::Q4_0, row, 1, 32, {}, shortWeights));
}

void TestGgmlEncode::importanceFavoursWeightedValues_data() {
    QTest::addColumn<int>("type");
    for (GgmlType type : kEncodable) {
        if (type != GgmlType::Q8_0)
            QTest::addRow("%s", nameOf(type)) << int(type);
    }
}

void TestGgmlEncode::importanceFavoursWeightedValues() {
    // Weighting every fourth value 100 times more than the rest makes the fit favour them: their
    // error drops below what the reference path gives them.
    QFETCH(int, type);
    const GgmlType t = GgmlType(type);
    std::mt19937 rng(11);
    const std::size_t cols = 1024;
    const std::vector<float> row = gaussianRow(rng, cols);
    std::vector<float> importance(cols, 0.01f);
    for (std::size_t i = 0; i < cols; i += 4)
        importance[i] = 1.0f;
    const std::vector<float> plain = decode(t, encode(t, row));
    const std::vector<float> weighted = decode(t, encode(t, row, importance));
    auto errorOnWeighted = [&](const std::vector<float> &decoded) {
        double sum = 0.0;
        for (std::size_t i = 0; i < cols; i += 4)
            sum += (double(row[i]) - decoded[i]) * (double(row[i]) - decoded[i]);
        return std::sqrt(sum / double(cols / 4));
    };
    qInfo("%s: error on the weighted values %.4f with importance, %.4f without", nameOf(t),
          errorOnWeighted(weighted), errorOnWeighted(plain));
    QVERIFY(errorOnWeighted(weighted) < 0.95 * errorOnWeighted(plain));
}

void TestGgmlEncode::q8_0IgnoresImportance() {
    std::mt19937 rng(3);
    const std::vector<float> row = gaussianRow(rng, 64);
    const std::vector<float> importance(64, 3.0f);
    QCOMPARE(hex(encode(GgmlType::Q8_0, row, importance)), hex(encode(GgmlType::Q8_0, row)));
}

void TestGgmlEncode::nonFiniteInputFails() {
    // ggml asserts (and llama-quantize rejects the result); we fail, name the value and leave
    // zero blocks, which decode to zeros.
    for (GgmlType type : kEncodable) {
        for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()}) {
            std::vector<float> row(256, 0.25f);
            row[77] = bad;
            Bytes out(ggmlEncodedBytes(type, 256).value(), 0xAA);
            const Status status = quantizeGgmlRow(type, row, std::as_writable_bytes(std::span(out)));
            QVERIFY(!status);
            QVERIFY2(status.error().find("value 77 is ") != std::string::npos, status.error().c_str());
            QCOMPARE(hex(out), hex(Bytes(out.size(), 0)));
            for (float v : decode(type, out))
                QCOMPARE(v, 0.0f);
        }
    }
}

void TestGgmlEncode::extremeFiniteInputIsDefined() {
    // Values up to FLT_MAX and f32 subnormals: no crash or undefined behaviour (the asan preset
    // checks), the same bytes each time; row 8 of the reference rows holds such values and its
    // blocks match llama.cpp's (matchesLlamaCppReference).
    std::vector<float> row(256);
    for (std::size_t i = 0; i < row.size(); ++i)
        row[i] = i % 3 == 0 ? FLT_MAX : i % 3 == 1 ? -FLT_MAX : 1e-45f;
    for (GgmlType type : kEncodable) {
        Bytes out(ggmlEncodedBytes(type, 256).value());
        QVERIFY(quantizeGgmlRow(type, row, std::as_writable_bytes(std::span(out))));
        QCOMPARE(encode(type, row), out);
    }
}

void TestGgmlEncode::tensorMatchesRows() {
    const std::size_t rows = 37;
    const std::size_t cols = 512;
    std::mt19937 rng(5);
    const std::vector<float> values = gaussianRow(rng, rows * cols);
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q5_K}) {
        RunControl single;
        single.threads = 1;
        RunControl many;
        many.threads = 4;
        const auto a = quantizeGgmlTensor(type, values, rows, cols, single);
        const auto b = quantizeGgmlTensor(type, values, rows, cols, many);
        QVERIFY(a && b);
        QVERIFY(a.value() == b.value());
        const std::size_t rowBytes = ggmlEncodedBytes(type, cols).value();
        QCOMPARE(a.value().size(), rows * rowBytes);
        for (std::size_t r = 0; r < rows; r += 12) {
            const std::vector<float> row(values.begin() + std::ptrdiff_t(r * cols),
                                         values.begin() + std::ptrdiff_t((r + 1) * cols));
            const Bytes expected = encode(type, row);
            QVERIFY(std::equal(expected.begin(), expected.end(),
                               reinterpret_cast<const std::uint8_t *>(a.value().data() + r * rowBytes)));
        }
    }
}

void TestGgmlEncode::tensorErrors() {
    std::vector<float> values(4 * 256, 1.0f);
    const auto partial = quantizeGgmlTensor(GgmlType::Q6_K, values, 8, 128);
    QVERIFY(!partial);
    QCOMPARE(QString::fromStdString(partial.error()),
             QStringLiteral("Q6_K: a row of 128 values is not a multiple of the block size 256"));
    QVERIFY(!quantizeGgmlTensor(GgmlType::Q6_K, values, 3, 256)); // 1024 values are not 3 × 256
    QVERIFY(!quantizeGgmlTensor(GgmlType::Q8_0, values, std::numeric_limits<std::size_t>::max() / 2, 64));
    values[2 * 256 + 9] = std::numeric_limits<float>::quiet_NaN();
    const auto nan = quantizeGgmlTensor(GgmlType::Q8_0, values, 4, 256);
    QVERIFY(!nan);
    QVERIFY2(nan.error().find("row 2, column 9 is NaN") != std::string::npos, nan.error().c_str());
    const auto empty = quantizeGgmlTensor(GgmlType::Q8_0, {}, 0, 256);
    QVERIFY(empty && empty.value().empty());
}

void TestGgmlEncode::tensorCancel() {
    const std::vector<float> values(64 * 1024, 0.5f);
    RunControl control;
    control.isCanceled = [] { return true; };
    const auto result = quantizeGgmlTensor(GgmlType::Q4_K, values, 64, 1024, control);
    QVERIFY(!result);
    QCOMPARE(QString::fromStdString(result.error()), QStringLiteral("cancelled"));
}

QTEST_GUILESS_MAIN(TestGgmlEncode)
#include "tst_ggmlencode.moc"
