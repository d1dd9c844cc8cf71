#include "quant/groupquant.h"
#include "quant/quantizer.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <random>

using namespace qs;

namespace {

GroupParams paramsOf(const std::vector<float> &values, const std::vector<std::int64_t> &shape,
                     const char *granularity, const QuantSpec &spec, double ratio = 1.0) {
    const auto grid = ParamGrid::make(shape, parseGranularity(granularity).value());
    return intGroupParams(values, grid.value(), spec, ratio);
}

} // namespace

// The int format at channel and group granularity, checked against PyTorch's per-channel
// observer formulas (torch.ao.quantization's _calculate_qparams, in float32) worked by hand.
class TestGroupQuant : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void perChannelSymmetric();
    void perChannelAsymmetric();
    void groupsWithShortTail();
    void clipRatioScalesEachRange();
    void nonFiniteValuesIgnored();
    void rangesMatchValueByValue();
    void fakeQuantizeUsesReciprocal();
};

// Rows [-1, 0.5, 0.25, 1] and [0, 2, 4, 3]: amax 1 and 4, s = amax / 127.5 for 8 bits.
void TestGroupQuant::perChannelSymmetric() {
    const GroupParams p =
        paramsOf({-1, 0.5f, 0.25f, 1, 0, 2, 4, 3}, {2, 4}, "channel", intSpec(8, Scheme::Symmetric));
    QCOMPARE(p.groups.size(), std::size_t(2));
    QCOMPARE(p.groups[0].scale, 1.0f / 127.5f);
    QCOMPARE(p.groups[1].scale, 4.0f / 127.5f);
    QCOMPARE(p.groups[0].zeroPoint, std::int64_t(0));
    QCOMPARE(p.groups[1].clipMax, 4.0);
}

// Asymmetric 8 bits: row 0 [-1, 1]: s = float32(2 / 255) = 0.0078431377 (a little above 2/255),
// so -1 / s in float32 is -127.49999237, not the tie -127.5, and z = 0 - round(-127.49999) = 127,
// as PyTorch's float32 observer gets; row 1 [0, 4]: s = 4 / 255, z = 0.
void TestGroupQuant::perChannelAsymmetric() {
    const GroupParams p =
        paramsOf({-1, 0.5f, 0.25f, 1, 0, 2, 4, 3}, {2, 4}, "channel", intSpec(8, Scheme::Asymmetric));
    QCOMPARE(p.groups[0].scale, 2.0f / 255.0f);
    QCOMPARE(-1.0f / (2.0f / 255.0f), -127.49999237f);
    QCOMPARE(p.groups[0].zeroPoint, std::int64_t(127));
    QCOMPARE(p.groups[1].scale, 4.0f / 255.0f);
    QCOMPARE(p.groups[1].zeroPoint, std::int64_t(0));
}

// Ten values in groups of 4: [0, 1, 2, 3], [4, 5, 6, 7] and the short [8, 9]; symmetric 4 bits
// gives s = max / 7.5.
void TestGroupQuant::groupsWithShortTail() {
    std::vector<float> values;
    for (int i = 0; i < 10; ++i)
        values.push_back(float(i));
    const GroupParams p = paramsOf(values, {10}, "group:4", intSpec(4, Scheme::Symmetric));
    QCOMPARE(p.groups.size(), std::size_t(3));
    QCOMPARE(p.groups[0].scale, 3.0f / 7.5f);
    QCOMPARE(p.groups[1].scale, 7.0f / 7.5f);
    QCOMPARE(p.groups[2].scale, 9.0f / 7.5f);
}

void TestGroupQuant::clipRatioScalesEachRange() {
    const GroupParams p =
        paramsOf({-1, 0.5f, 0.25f, 1, 0, 2, 4, 3}, {2, 4}, "channel", intSpec(8, Scheme::Symmetric), 0.5);
    QCOMPARE(p.groups[0].scale, 0.5f / 127.5f);
    QCOMPARE(p.groups[1].scale, 2.0f / 127.5f);
    QCOMPARE(p.groups[1].clipMax, 2.0);
}

// NaN and ±Inf take no part in a group's range; a group of only NaN gets the floor scale.
void TestGroupQuant::nonFiniteValuesIgnored() {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const GroupParams p =
        paramsOf({nan, 2, -inf, 1, nan, nan, nan, nan}, {2, 4}, "channel", intSpec(8, Scheme::Symmetric));
    QCOMPARE(p.groups[0].scale, 2.0f / 127.5f);
    QCOMPARE(p.groups[1].scale, std::numeric_limits<float>::epsilon());
}

// 3 in row [0, 4] asymmetric: 1/s = 1 / (4/255) in float32, 3 · (1/s) rounds to 191, and
// x̂ = 191 · s; checked against the same float32 steps written out, and against division,
// which rounds differently for some values.
void TestGroupQuant::fakeQuantizeUsesReciprocal() {
    const std::vector<float> values{-1, 0.5f, 0.25f, 1, 0, 2, 4, 3};
    const GroupParams p = paramsOf(values, {2, 4}, "channel", intSpec(8, Scheme::Asymmetric));
    std::vector<float> out(values.size());
    fakeQuantizeGroups(values, p, out);
    const float s = 4.0f / 255.0f;
    const float inverse = 1.0f / s;
    QCOMPARE(std::nearbyint(3.0f * inverse), 191.0f);
    QCOMPARE(out[7], 191.0f * s);
    for (std::size_t i = 0; i < values.size(); ++i) {
        const QuantParams &g = p.groups[i / 4];
        const float q = std::clamp(std::nearbyint(values[i] * (1.0f / g.scale)) + float(g.zeroPoint),
                                   float(g.qmin), float(g.qmax));
        QCOMPARE(out[i], (q - float(g.zeroPoint)) * g.scale);
    }
}

QTEST_GUILESS_MAIN(TestGroupQuant)
// The one-pass range (four lanes, then a tail) gives what a plain loop over the finite values
// gives, wherever a NaN or an infinity sits: in the lanes, in the tail, or nowhere; and each group's
// finite flag says whether it held one.
void TestGroupQuant::rangesMatchValueByValue() {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const float specials[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
    for (const std::int64_t cols : {1, 3, 4, 7, 37, 128}) {
        const std::int64_t rows = 12;
        std::vector<float> values(std::size_t(rows * cols));
        for (float &v : values)
            v = normal(rng);
        for (std::int64_t r = 0; r < rows; r += 2) // every other row gets a special value somewhere
            values[std::size_t(r * cols + (r * 5) % cols)] = specials[(r / 2) % 3];
        const auto grid = ParamGrid::make({rows, cols}, parseGranularity("channel").value()).value();
        std::vector<std::uint8_t> finite(static_cast<std::size_t>(rows));
        const auto ranges = groupRanges(values, grid, finite);
        for (std::int64_t r = 0; r < rows; ++r) {
            float lo = std::numeric_limits<float>::infinity();
            float hi = -lo;
            bool allFinite = true;
            for (std::int64_t c = 0; c < cols; ++c) {
                const float x = values[std::size_t(r * cols + c)];
                allFinite = allFinite && std::isfinite(x);
                if (std::isfinite(x)) {
                    lo = std::min(lo, x);
                    hi = std::max(hi, x);
                }
            }
            if (!(lo <= hi))
                lo = hi = 0.0f;
            QCOMPARE(ranges[std::size_t(r)].first, lo);
            QCOMPARE(ranges[std::size_t(r)].second, hi);
            QCOMPARE(finite[std::size_t(r)] != 0, allFinite);
            QCOMPARE(allFinite, r % 2 == 1);
        }
    }
}

#include "tst_groupquant.moc"
