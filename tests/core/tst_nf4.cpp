#include "exactfloat.h"
#include "quant/nf4.h"

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

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

// The NF4 code values as the product owner specified them (bitsandbytes' NF4 table).
constexpr float kCodes[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

// bitsandbytes' decision thresholds (csrc/kernels.cu, dQuantizeNF4), ascending, as the float
// literals it writes: v > kBnbThresholds[i] sends v above code i.
constexpr float kBnbThresholds[15] = {
    -0.8480964004993439f,  -0.6106329262256622f,  -0.4599952697753906f,   -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f,   0.2035212516784668f,   0.2920137718319893f,    0.3893125355243683f,
    0.5016634166240692f,   0.6427869200706482f,   0.8614784181118011f,
};

// bitsandbytes' code for v: the number of thresholds v lies above.
int bnbCode(float v) {
    int code = 0;
    for (const float t : kBnbThresholds)
        code += v > t ? 1 : 0;
    return code;
}

// Nearest code by exhaustive search in double, the lower code on a tie.
int bruteForceCode(float v) {
    int best = 0;
    for (int i = 1; i < 16; ++i)
        if (std::abs(double(kCodes[i]) - double(v)) < std::abs(double(kCodes[best]) - double(v)))
            best = i;
    return best;
}

} // namespace

class TestNf4 : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void codebook();
    void codesMapToThemselves();
    void tiesGoToTheLowerCode();
    void nearestOverASweep();
    void blockByHand();
    void normalisesByTheReciprocal();
    void flattenedBlocks();
    void zeroAndNonFiniteBlocks();
    void rejectsMismatchedOutput();
    void sameWhenSplitAtBlocks();
    void bitsPerWeight();
};

void TestNf4::codebook() {
    const auto book = nf4Codebook();
    for (int i = 0; i < 16; ++i)
        QVERIFY2(identical(book[i], kCodes[i]), QByteArray::number(i).constData());
}

void TestNf4::codesMapToThemselves() {
    for (int i = 0; i < 16; ++i)
        QCOMPARE(int(encodeNf4(kCodes[i])), i);
    // A block with absmax 1 reproduces every code exactly.
    const std::vector<float> in(std::begin(kCodes), std::end(kCodes));
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeNf4Block(in, out), 1.0f);
    compareExactly(out, in);
}

// A value exactly halfway between two codes goes to the lower one. Half of code 8 (0.0398...)
// and half of code 6 (-0.0455...) are exact floats, so they are true ties: 0 and code 6 win.
// For every pair, the float at or below the exact midpoint goes down and the next float up.
void TestNf4::tiesGoToTheLowerCode() {
    QCOMPARE(int(encodeNf4(kCodes[8] / 2.0f)), 7);
    QCOMPARE(int(encodeNf4(kCodes[6] / 2.0f)), 6);
    QCOMPARE(int(encodeNf4(std::nextafter(kCodes[8] / 2.0f, 1.0f))), 8);
    QCOMPARE(int(encodeNf4(std::nextafter(kCodes[6] / 2.0f, 0.0f))), 7);
    // On each of bitsandbytes' thresholds the lower code, one float above it the upper. Where the
    // float threshold lies above the exact midpoint, a value between them goes to the lower code
    // although the upper one is nearer: bitsandbytes' choice, which Quantscope follows.
    int roundedUp = 0;
    for (int i = 0; i < 15; ++i) {
        const float t = kBnbThresholds[i];
        QCOMPARE(int(encodeNf4(t)), i);
        QCOMPARE(int(encodeNf4(std::nextafter(t, kInf))), i + 1);
        const double mid = (double(kCodes[i]) + double(kCodes[i + 1])) / 2.0;
        roundedUp += double(t) > mid ? 1 : 0;
    }
    QVERIFY(roundedUp >= 1);
}

void TestNf4::nearestOverASweep() {
    for (int k = -120000; k <= 120000; ++k) {
        const float v = float(k) / 100000.0f;
        QVERIFY2(int(encodeNf4(v)) == bnbCode(v), QByteArray::number(double(v), 'g', 10).constData());
        // bitsandbytes' code is the nearest one but within a float ulp of a midpoint.
        if (bnbCode(v) != bruteForceCode(v)) {
            const int lower = std::min(bnbCode(v), bruteForceCode(v));
            const double mid = (double(kCodes[lower]) + double(kCodes[lower + 1])) / 2.0;
            QVERIFY(std::abs(double(v) - mid) <= std::abs(double(std::nextafter(v, kInf)) - double(v)));
        }
    }
    // The block kernel picks its codes without encodeNf4; with absmax 1 it must agree too.
    std::vector<float> in;
    for (int k = -100000; k <= 100000; ++k)
        in.push_back(float(k) / 100000.0f);
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeNf4Block(in, out), 1.0f);
    for (std::size_t i = 0; i < in.size(); ++i)
        QVERIFY2(identical(out[i], kCodes[bnbCode(in[i])]), QByteArray::number(double(in[i])).constData());
    QCOMPARE(int(encodeNf4(kInf)), 15);
    QCOMPARE(int(encodeNf4(-kInf)), 0);
    QCOMPARE(int(encodeNf4(kNan)), 7);
}

// absmax 2; each x / 2 goes to its nearest code, x̂ = code · 2:
//  2 → 1 → 2;  -1 → -0.5 → code 2 (-0.5251, 0.025 away; code 3 is 0.105 away);
//  0.5 → 0.25 → code 10 (0.2461);  0.1 → 0.05 → code 8 (0.0796; above the midpoint 0.0398);
//  -0.05 → -0.025 → code 7 (0; above the midpoint -0.0455);  1.2 → 0.6 → code 13 (0.5626);
//  -1.9 → -0.95 → code 0 (-1).
void TestNf4::blockByHand() {
    const std::vector<float> in = {2.0f, -1.0f, 0.5f, 0.1f, -0.05f, 1.2f, -1.9f};
    std::vector<float> out(in.size());
    QCOMPARE(fakeQuantizeNf4Block(in, out), 2.0f);
    compareExactly(
        out, {2.0f, kCodes[2] * 2.0f, kCodes[10] * 2.0f, kCodes[8] * 2.0f, 0.0f, kCodes[13] * 2.0f, -2.0f});
}

// 130 values are blocks of 64, 64 and 2 over the flattened tensor, each with its own absmax:
// 1, 4 and 0.5; in the short block -0.25 / 0.5 = -0.5 → code 2 → -0.5251 · 0.5.
// bitsandbytes computes x · (1 / absmax), not x / absmax; the two differ in the last bit for some
// x, and near a threshold that changes the code. Look for such x next to every threshold for a
// few absmax values; the kernel must pick the reciprocal's code for each.
void TestNf4::normalisesByTheReciprocal() {
    int differing = 0;
    for (const float absmax : {3.0f, 7.0f, 0.3f, 1.7f, 11.0f, 0.013f}) {
        const float reciprocal = 1.0f / absmax;
        for (const float t : kBnbThresholds) {
            float x = t * absmax;
            for (int step = 0; step < 8; ++step, x = std::nextafter(x, -kInf)) {
                const float x2 = std::nextafter(t * absmax, kInf);
                for (const float v : {x, x2}) {
                    if (bnbCode(v * reciprocal) == bnbCode(v / absmax))
                        continue;
                    ++differing;
                    const std::vector<float> in = {absmax, v};
                    std::vector<float> out(2);
                    QCOMPARE(fakeQuantizeNf4Block(in, out), absmax);
                    QVERIFY(identical(out[1], kCodes[bnbCode(v * reciprocal)] * absmax));
                }
            }
        }
    }
    QVERIFY(differing > 0);
}

void TestNf4::flattenedBlocks() {
    std::vector<float> in(130, 0.0f);
    in[0] = 1.0f;
    in[63] = 0.5f;
    in[64] = -4.0f;
    in[128] = 0.5f;
    in[129] = -0.25f;
    std::vector<float> out(in.size(), 99.0f);
    const auto absmax = fakeQuantizeNf4(in, out);
    QVERIFY2(absmax, absmax.error().c_str());
    compareExactly(absmax.value(), {1.0f, 4.0f, 0.5f});
    QCOMPARE(out[0], 1.0f);
    QCOMPARE(out[63], kCodes[12]); // 0.5 / 1 → code 12 (0.4407; the midpoint to code 13 is 0.5017)
    QCOMPARE(out[64], -4.0f);
    QCOMPARE(out[128], 0.5f);
    QCOMPARE(out[129], kCodes[2] * 0.5f);
    QCOMPARE(out[1], 0.0f);
}

// absmax 0 gives x̂ = 0 (NaN stays NaN); absmax ignores ±Inf, which go to ±absmax.
void TestNf4::zeroAndNonFiniteBlocks() {
    const std::vector<float> zeros = {0.0f, kNan, -0.0f, kInf};
    std::vector<float> out(zeros.size());
    QCOMPARE(fakeQuantizeNf4Block(zeros, out), 0.0f);
    compareExactly(out, {0.0f, kNan, 0.0f, 0.0f});

    const std::vector<float> nonFinite = {kInf, -kInf, kNan, 0.5f};
    QCOMPARE(fakeQuantizeNf4Block(nonFinite, out), 0.5f);
    compareExactly(out, {0.5f, -0.5f, kNan, 0.5f});
}

void TestNf4::rejectsMismatchedOutput() {
    std::vector<float> in(100, 1.0f), out(99);
    const auto result = fakeQuantizeNf4(in, out);
    QVERIFY(!result);
    QCOMPARE(QString::fromStdString(result.error()),
             QStringLiteral("the output holds 99 values, the input 100"));
    const auto empty = fakeQuantizeNf4({}, {});
    QVERIFY(empty);
    QVERIFY(empty.value().empty());
}

// Cutting the work at multiples of 64 values gives the same bits as one call.
void TestNf4::sameWhenSplitAtBlocks() {
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> in(1000);
    for (float &v : in)
        v = normal(rng);
    std::vector<float> whole(in.size()), pieces(in.size());
    const auto wholeAbsmax = fakeQuantizeNf4(in, whole);
    QVERIFY(wholeAbsmax);
    std::vector<float> pieceAbsmax;
    for (std::size_t begin = 0; begin < in.size(); begin += 256) {
        const std::size_t count = std::min<std::size_t>(256, in.size() - begin);
        const auto part = fakeQuantizeNf4(std::span<const float>(in).subspan(begin, count),
                                          std::span<float>(pieces).subspan(begin, count));
        QVERIFY(part);
        pieceAbsmax.insert(pieceAbsmax.end(), part.value().begin(), part.value().end());
    }
    compareExactly(pieceAbsmax, wholeAbsmax.value());
    compareExactly(pieces, whole);
}

void TestNf4::bitsPerWeight() {
    // 4 bits plus a float32 absmax per 64 values.
    QCOMPARE(nf4BitsPerWeight(), 4.5);
}

QTEST_GUILESS_MAIN(TestNf4)
#include "tst_nf4.moc"
