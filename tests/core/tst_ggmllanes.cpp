#include "quant/ggmlblockencoders.h"
#include "quant/ggmlencode.h"
#include "quant/ggmlfit.h"

#include <QTest>

#include <array>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

// The ggml encoders fit eight sub-blocks at once (quant/ggmlfitlanes.h); these tests hold those
// fits to the scalar fits of quant/ggmlfit.cpp, which the golden llama.cpp blocks of
// tst_ggmlencode check, bit for bit, on groups the golden rows rarely contain: all-zero and
// constant groups next to ordinary ones, single non-zero values, f32 extremes and subnormals.

using namespace qs;
using namespace qs::ggml;

namespace {

constexpr int kGroupsPerCall = kFitLanes;
constexpr int kCalls = 1500;

std::uint32_t bitsOf(float v) {
    return std::bit_cast<std::uint32_t>(v);
}

// One group of n values of a randomly chosen kind.
void fillGroup(std::mt19937 &rng, float *x, int n) {
    std::uniform_int_distribution<int> kindOf(0, 9);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> exponent(-140, 120);
    std::uniform_int_distribution<int> index(0, n - 1);
    const int kind = kindOf(rng);
    const float scale = std::ldexp(1.0f, exponent(rng));
    for (int i = 0; i < n; ++i)
        x[i] = normal(rng) * scale;
    switch (kind) {
    case 0: // all zero
        std::fill(x, x + n, 0.0f);
        break;
    case 1: { // one non-zero value
        const float v = x[0];
        std::fill(x, x + n, 0.0f);
        x[index(rng)] = v;
        break;
    }
    case 2: // constant
        std::fill(x, x + n, x[0]);
        break;
    case 3: // f32 extremes and subnormals
        for (int i = 0; i < n; ++i) {
            static const float kExtremes[] = {FLT_MAX, -FLT_MAX, 1e-45f, -2.5e-40f, 0.0f, 1.0f, 65504.0f};
            x[i] = kExtremes[std::uniform_int_distribution<int>(0, 6)(rng)];
        }
        break;
    case 4: // non-negative
        for (int i = 0; i < n; ++i)
            x[i] = std::fabs(x[i]);
        break;
    case 5: // small integers: many ties between levels
        for (int i = 0; i < n; ++i)
            x[i] = float(std::uniform_int_distribution<int>(-8, 8)(rng));
        break;
    default: // Gaussian at the drawn scale, with an outlier now and then
        if (kind == 6)
            x[index(rng)] *= 40.0f;
        break;
    }
}

std::vector<float> randomGroups(std::mt19937 &rng, int n) {
    std::vector<float> x(std::size_t(kGroupsPerCall * n));
    for (int g = 0; g < kGroupsPerCall; ++g)
        fillGroup(rng, x.data() + g * n, n);
    return x;
}

// Importance-like weights: |x|, rms + |x| of the group, or random (with zeros) as an imatrix gives.
std::vector<float> randomWeights(std::mt19937 &rng, const std::vector<float> &x) {
    std::vector<float> w(x.size());
    const int kind = std::uniform_int_distribution<int>(0, 2)(rng);
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (kind == 0)
            w[i] = std::fabs(x[i]);
        else if (kind == 1)
            w[i] = 0.25f + std::fabs(x[i]);
        else
            w[i] = std::ldexp(float(std::uniform_int_distribution<int>(0, 64)(rng)), -4);
    }
    return w;
}

struct WidthGuard {
    explicit WidthGuard(LaneWidth width) { setLaneWidth(width); }
    ~WidthGuard() { setLaneWidth(LaneWidth::Widest); }
};

template <int N>
bool affineMatches(std::mt19937 &rng, const AffineSearch &search) {
    const std::vector<float> x = randomGroups(rng, N);
    const std::vector<float> w = randomWeights(rng, x);
    std::vector<std::uint8_t> levels(x.size(), 0xAA);
    const auto fits = fitAffineLevelsLanes<N>(x.data(), w.data(), search, levels.data());
    for (int g = 0; g < kGroupsPerCall; ++g) {
        std::array<std::uint8_t, N> expected{};
        const AffineFit fit = fitAffineLevels({x.data() + g * N, N}, {w.data() + g * N, N}, search, expected);
        if (bitsOf(fit.scale) != bitsOf(fits[std::size_t(g)].scale) ||
            bitsOf(fit.negatedMin) != bitsOf(fits[std::size_t(g)].negatedMin) ||
            !std::equal(expected.begin(), expected.end(), levels.begin() + g * N)) {
            qWarning("affine group %d of %d: scale %.9g vs %.9g, min %.9g vs %.9g", g, N, double(fit.scale),
                     double(fits[std::size_t(g)].scale), double(fit.negatedMin),
                     double(fits[std::size_t(g)].negatedMin));
            return false;
        }
    }
    return true;
}

template <int N>
bool signedMatches(std::mt19937 &rng, int nmax, bool weighted, bool byValue) {
    const std::vector<float> x = randomGroups(rng, N);
    const std::vector<float> w = weighted ? randomWeights(rng, x) : std::vector<float>();
    std::vector<std::int8_t> levels(x.size(), 0x55);
    std::array<float, kFitLanes> scales{};
    if constexpr (N == 16) {
        if (byValue)
            scales = fitSignedLevelsByValueLanes<N>(x.data(), nmax, levels.data());
    }
    if (!byValue)
        scales = fitSignedLevelsLanes<N>(x.data(), nmax, weighted ? w.data() : nullptr, levels.data());
    for (int g = 0; g < kGroupsPerCall; ++g) {
        std::array<std::int8_t, N> expected{};
        const std::span<const float> group(x.data() + g * N, N);
        const float scale = byValue ? fitSignedLevelsByValue(group, nmax, expected)
                                    : fitSignedLevels(group, nmax,
                                                      weighted ? std::span<const float>(w.data() + g * N, N)
                                                               : std::span<const float>(),
                                                      expected);
        if (bitsOf(scale) != bitsOf(scales[std::size_t(g)]) ||
            !std::equal(expected.begin(), expected.end(), levels.begin() + g * N)) {
            qWarning("signed group %d of %d (nmax %d%s%s): scale %.9g vs %.9g", g, N, nmax,
                     weighted ? ", weighted" : "", byValue ? ", by value" : "", double(scale),
                     double(scales[std::size_t(g)]));
            return false;
        }
    }
    return true;
}

} // namespace

Q_DECLARE_METATYPE(qs::ggml::LaneWidth)

class TestGgmlLanes : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void affineLanesMatchScalar_data();
    void affineLanesMatchScalar();
    void signedLanesMatchScalar_data();
    void signedLanesMatchScalar();
    void blockPairsMatchSingleBlocks_data();
    void blockPairsMatchSingleBlocks();
    void legacyBlocksMatchScalarEncoders_data();
    void legacyBlocksMatchScalarEncoders();
};

void TestGgmlLanes::affineLanesMatchScalar_data() {
    // Widest is AVX-512 where the CPU has it; rows for widths it lacks run the next one down.
    QTest::addColumn<LaneWidth>("width");
    QTest::newRow("widest") << LaneWidth::Widest;
    QTest::newRow("at most AVX2") << LaneWidth::Avx2;
    QTest::newRow("baseline") << LaneWidth::Baseline;
}

void TestGgmlLanes::affineLanesMatchScalar() {
    // Every make_qkx2/qkx3_quants search the encoders run (Q2_K, Q4_K, Q5_K and their
    // importance paths, whose search Q4_1 / Q5_1 share), at every vector width.
    QFETCH(LaneWidth, width);
    const WidthGuard guard(width);
    std::mt19937 rng(11);
    for (int call = 0; call < kCalls; ++call) {
        QVERIFY(affineMatches<16>(rng, {3, -0.5f, 0.1f, 15, true}));
        QVERIFY(affineMatches<16>(rng, {3, -0.9f, 0.05f, 36, false}));
        QVERIFY(affineMatches<32>(rng, {15, -1.0f, 0.1f, 20, false}));
        QVERIFY(affineMatches<32>(rng, {31, -0.5f, 0.1f, 15, false}));
        QVERIFY(affineMatches<32>(rng, {15, -0.9f, 0.05f, 36, false}));
    }
}

void TestGgmlLanes::signedLanesMatchScalar_data() {
    affineLanesMatchScalar_data();
}

void TestGgmlLanes::signedLanesMatchScalar() {
    // make_qx_quants as Q6_K (nmax 32, with and without weights), Q3_K's importance path (nmax 4)
    // and Q4_0 / Q5_0's (32 values, nmax 8 and 16); make_q3_quants as Q3_K (nmax 4, by value).
    QFETCH(LaneWidth, width);
    const WidthGuard guard(width);
    std::mt19937 rng(12);
    for (int call = 0; call < kCalls; ++call) {
        QVERIFY(signedMatches<16>(rng, 32, false, false));
        QVERIFY(signedMatches<16>(rng, 32, true, false));
        QVERIFY(signedMatches<16>(rng, 4, true, false));
        QVERIFY(signedMatches<32>(rng, 8, true, false));
        QVERIFY(signedMatches<32>(rng, 16, true, false));
        QVERIFY(signedMatches<16>(rng, 4, false, true));
    }
}

void TestGgmlLanes::blockPairsMatchSingleBlocks_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<bool>("weighted");
    for (GgmlType type : {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
        const char *name = ggmlBlockLayout(type).name.data();
        QTest::addRow("%s", name) << int(type) << false;
        QTest::addRow("%s with importance", name) << int(type) << true;
    }
}

void TestGgmlLanes::blockPairsMatchSingleBlocks() {
    // Q4_K and Q5_K fit two super-blocks per call when a row has two left (the golden rows are
    // one block each): a row of three blocks must give the bytes of its blocks encoded alone.
    QFETCH(int, type);
    QFETCH(bool, weighted);
    const GgmlType ggmlType = GgmlType(type);
    const std::size_t blockBytes = ggmlBlockLayout(ggmlType).blockBytes;
    std::mt19937 rng(13);
    for (int row = 0; row < 40; ++row) {
        // Gaussian rows, a quarter of their 32-value groups of the odd kinds above.
        std::vector<float> values(3 * 256);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (float &v : values)
            v = normal(rng);
        for (std::size_t at = 0; at < values.size(); at += 32)
            if (rng() % 4 == 0)
                fillGroup(rng, values.data() + at, 32);
        const std::vector<float> importance = weighted ? randomWeights(rng, values) : std::vector<float>();
        std::vector<std::byte> whole(3 * blockBytes);
        QVERIFY(quantizeGgmlRow(ggmlType, values, whole, importance));
        for (std::size_t b = 0; b < 3; ++b) {
            std::vector<std::byte> single(blockBytes);
            const auto slice = [b](const std::vector<float> &v) {
                return v.empty() ? std::span<const float>() : std::span<const float>(v).subspan(256 * b, 256);
            };
            QVERIFY(quantizeGgmlRow(ggmlType, slice(values), single, slice(importance)));
            QVERIFY2(std::equal(single.begin(), single.end(), whole.begin() + std::ptrdiff_t(b * blockBytes)),
                     qPrintable(QStringLiteral("row %1, block %2").arg(row).arg(b)));
        }
    }
}

void TestGgmlLanes::legacyBlocksMatchScalarEncoders_data() {
    QTest::addColumn<int>("type");
    QTest::addColumn<LaneWidth>("width");
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0}) {
        const char *name = ggmlBlockLayout(type).name.data();
        QTest::addRow("%s widest", name) << int(type) << LaneWidth::Widest;
        QTest::addRow("%s at most AVX2", name) << int(type) << LaneWidth::Avx2;
        QTest::addRow("%s baseline", name) << int(type) << LaneWidth::Baseline;
    }
}

void TestGgmlLanes::legacyBlocksMatchScalarEncoders() {
    // The 32-value types' reference path runs a block's values in the lanes (encodeLegacyBlocks);
    // it must give the bytes of the per-block encoders, which tst_ggmlencode holds to llama.cpp's
    // golden blocks. Besides fillGroup's kinds, blocks whose extreme is a zero of either sign, or
    // a magnitude that comes first negative and then positive: the scalar loops keep the first
    // value equal to the extreme, and its sign reaches the f16 bits.
    QFETCH(int, type);
    QFETCH(LaneWidth, width);
    const WidthGuard guard(width);
    const GgmlType ggmlType = GgmlType(type);
    const GgmlBlockLayout &layout = ggmlBlockLayout(ggmlType);
    const ggml::BlockEncoder scalar = ggmlType == GgmlType::Q4_0   ? &encodeQ4_0
                                      : ggmlType == GgmlType::Q4_1 ? &encodeQ4_1
                                      : ggmlType == GgmlType::Q5_0 ? &encodeQ5_0
                                      : ggmlType == GgmlType::Q5_1 ? &encodeQ5_1
                                                                   : &encodeQ8_0;
    constexpr std::size_t kBlocks = 64;
    std::mt19937 rng(14);
    for (int call = 0; call < 200; ++call) {
        std::vector<float> x(kBlocks * 32);
        for (std::size_t b = 0; b < kBlocks; ++b) {
            float *block = x.data() + 32 * b;
            fillGroup(rng, block, 32);
            const int at = int(rng() % 32);
            switch (rng() % 8) {
            case 0: // zeros of both signs, the negative one first
                std::fill(block, block + 32, 0.0f);
                block[at] = -0.0f;
                break;
            case 1: // non-negative but for -0, below the first +0
                for (int i = 0; i < 32; ++i)
                    block[i] = std::fabs(block[i]);
                block[at] = -0.0f;
                block[(at + 7) % 32] = 0.0f;
                break;
            case 2: { // the largest magnitude twice, with opposite signs
                float amax = 0.0f;
                for (int i = 0; i < 32; ++i)
                    amax = std::max(amax, std::fabs(block[i]));
                block[at] = (rng() % 2 ? -1.0f : 1.0f) * amax;
                block[(at + 5) % 32] = -block[at];
                break;
            }
            default:
                break;
            }
        }
        std::vector<std::uint8_t> lanes(kBlocks * layout.blockBytes, 0xAA);
        QVERIFY(encodeLegacyBlocks(ggmlType, x.data(), kBlocks, lanes.data()));
        for (std::size_t b = 0; b < kBlocks; ++b) {
            std::vector<std::uint8_t> expected(layout.blockBytes, 0);
            scalar(x.data() + 32 * b, nullptr, expected.data());
            QVERIFY2(std::equal(expected.begin(), expected.end(),
                                lanes.begin() + std::ptrdiff_t(b * layout.blockBytes)),
                     qPrintable(QStringLiteral("call %1, block %2: first value %3")
                                    .arg(call)
                                    .arg(b)
                                    .arg(double(x[32 * b]), 0, 'g', 9)));
        }
    }
    QVERIFY(!encodeLegacyBlocks(GgmlType::Q4_K, nullptr, 0, nullptr));
}

QTEST_GUILESS_MAIN(TestGgmlLanes)
#include "tst_ggmllanes.moc"
