#include "stats/tensorstats.h"
#include "util/parallel.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace qs;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// The obvious single-threaded computation in double, one value at a time.
struct Reference {
    std::int64_t count = 0;
    std::int64_t nanCount = 0;
    std::int64_t infCount = 0;
    double min = 0.0;
    double max = 0.0;
    double mean = 0.0;
    double std = 0.0;
    double sumSquares = 0.0;
    double sumAbs = 0.0;
};

Reference reference(const std::vector<float> &values) {
    Reference r;
    double sum = 0.0;
    r.min = std::numeric_limits<double>::infinity();
    r.max = -r.min;
    for (float v : values) {
        if (std::isnan(v)) {
            ++r.nanCount;
        } else if (std::isinf(v)) {
            ++r.infCount;
        } else {
            ++r.count;
            sum += v;
            r.sumAbs += std::abs(double(v));
            r.sumSquares += double(v) * double(v);
            r.min = std::min(r.min, double(v));
            r.max = std::max(r.max, double(v));
        }
    }
    if (r.count == 0)
        return Reference{0, r.nanCount, r.infCount};
    r.mean = sum / double(r.count);
    double deviations = 0.0;
    for (float v : values)
        if (std::isfinite(v))
            deviations += (double(v) - r.mean) * (double(v) - r.mean);
    r.std = std::sqrt(deviations / double(r.count));
    return r;
}

std::vector<std::int64_t> referenceHistogram(const std::vector<float> &values, const Histogram &shape) {
    std::vector<std::int64_t> counts(shape.bins(), 0);
    for (float v : values)
        if (std::isfinite(v))
            ++counts[shape.binOf(v)];
    return counts;
}

std::int64_t valuesNearBinEdges(const std::vector<float> &values, const Histogram &shape) {
    std::int64_t near = 0;
    for (float v : values) {
        if (!std::isfinite(v))
            continue;
        const double t = (double(v) - shape.lo) / (shape.hi - shape.lo) * double(shape.bins());
        const double frac = t - std::floor(t);
        near += (frac < 1e-3 || frac > 1.0 - 1e-3) ? 1 : 0;
    }
    return near;
}

// Normal values around an offset, with a NaN and an Inf sprinkled in every `special`-th place.
std::vector<float> makeValues(std::size_t n, double offset, std::size_t special, unsigned seed = 1) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(float(offset), 0.05f);
    std::vector<float> values(n);
    for (float &v : values)
        v = dist(rng);
    if (special > 0)
        for (std::size_t i = special / 2; i < n; i += special)
            values[i] = (i / special) % 2 == 0 ? kNaN : -kInf;
    return values;
}

bool sameBits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

bool identical(const TensorStats &a, const TensorStats &b) {
    return a.count == b.count && a.nanCount == b.nanCount && a.infCount == b.infCount &&
           sameBits(a.min, b.min) && sameBits(a.max, b.max) && sameBits(a.mean, b.mean) &&
           sameBits(a.std, b.std) && sameBits(a.sumSquares, b.sumSquares) &&
           sameBits(a.histogram.lo, b.histogram.lo) && sameBits(a.histogram.hi, b.histogram.hi) &&
           a.histogram.counts == b.histogram.counts && a.distinctValues == b.distinctValues;
}

TensorStats statsAt(const std::vector<float> &values, int threads, int bins = kFineBins) {
    RunControl control;
    control.threads = threads;
    const std::optional<TensorStats> stats = computeStats(values, control, bins);
    return stats.value_or(TensorStats{});
}

// Tensors whose distinct finite values are known by construction.
enum class Distinct {
    Few,
    SignedZeros,
    NonFinite,
    Int8Codes,
    Levels257,
    Bf16Grid,
    AtCap,
    AboveCap,
    Normal,
    Mixed
};

// n distinct floats with low mantissa bits set (they take the hash path, not the bitmap):
// 1 + k·2^-23 for k = 1, 3, 5, ... (odd k keeps the lowest bit set).
std::vector<float> oddUlpsAboveOne(std::size_t n) {
    std::vector<float> values(n);
    for (std::size_t k = 0; k < n; ++k)
        values[k] = std::bit_cast<float>(std::bit_cast<std::uint32_t>(1.0f) + std::uint32_t(2 * k + 1));
    return values;
}

// `levels` values repeated in a shuffled order over `chunks` chunks.
std::vector<float> repeated(const std::vector<float> &levels, std::size_t chunks) {
    std::vector<float> values(chunks * kChunkSize);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = levels[(i * 7919) % levels.size()];
    std::shuffle(values.begin(), values.end(), std::mt19937(3));
    return values;
}

std::vector<float> distinctCase(Distinct kind) {
    switch (kind) {
    case Distinct::Few:
        return {1.0f, 2.0f, 1.0f, 3.0f, 2.0f};
    case Distinct::SignedZeros:
        return {0.0f, -0.0f, 1.0f, -0.0f};
    case Distinct::NonFinite:
        return {1.0f, kNaN, kInf, -kInf, 1.0f};
    case Distinct::Int8Codes: { // what int8 fake quantization leaves: (q - 0) * s, q in [-128, 127]
        std::vector<float> levels;
        for (int q = -128; q <= 127; ++q)
            levels.push_back(float(q) * 0.0123f);
        return repeated(levels, 3);
    }
    case Distinct::Levels257: {
        std::vector<float> levels;
        for (int q = 0; q <= 256; ++q)
            levels.push_back(float(q) * 0.5f);
        return repeated(levels, 2);
    }
    case Distinct::Bf16Grid: { // values rounded to bfloat16: low 16 bits zero
        std::vector<float> values = makeValues(4 * kChunkSize, 0.0, 0);
        for (float &v : values)
            v = std::bit_cast<float>(std::bit_cast<std::uint32_t>(v) & 0xFFFF0000u);
        return values;
    }
    case Distinct::AtCap:
        return repeated(oddUlpsAboveOne(std::size_t(kDistinctValuesCap)), 3);
    case Distinct::AboveCap:
        return repeated(oddUlpsAboveOne(std::size_t(kDistinctValuesCap) + 1), 3);
    case Distinct::Normal:
        return makeValues(20 * kChunkSize, 0.0, 0);
    case Distinct::Mixed: { // 100 bitmap values (multiples of 0.25) and 100 hashed ones
        std::vector<float> levels = oddUlpsAboveOne(100);
        for (int i = 0; i < 100; ++i)
            levels.push_back(float(i) * 0.25f);
        return repeated(levels, 2);
    }
    }
    return {};
}

// Exact count by sorting, the obvious way (-0 folded into +0).
std::int64_t referenceDistinct(std::vector<float> values) {
    std::erase_if(values, [](float v) { return !std::isfinite(v); });
    for (float &v : values)
        v += 0.0f;
    std::sort(values.begin(), values.end());
    return std::int64_t(std::unique(values.begin(), values.end()) - values.begin());
}

} // namespace

Q_DECLARE_METATYPE(Distinct)

class TestTensorStats : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesReference_data();
    void matchesReference();
    void handComputed();
    void nanAndInfAreCountedAndExcluded();
    void emptyTensor();
    void hugeFiniteValues();
    void allNonFinite();
    void constantTensor();
    void binCountIsHonoured();
    void cancelReturnsNullopt_data();
    void cancelReturnsNullopt();
    void progressEndsAtOne();
    void distinctValues_data();
    void distinctValues();
    void alreadyQuantizedRule_data();
    void alreadyQuantizedRule();
    void distinctValuesOfNothing();
};

void TestTensorStats::matchesReference_data() {
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<double>("offset");
    QTest::addColumn<qsizetype>("special");
    QTest::addRow("one value") << qsizetype(1) << 0.3 << qsizetype(0);
    QTest::addRow("small") << qsizetype(1000) << 0.0 << qsizetype(0);
    QTest::addRow("one chunk") << qsizetype(kChunkSize) << -0.1 << qsizetype(0);
    QTest::addRow("chunk plus one") << qsizetype(kChunkSize + 1) << 0.0 << qsizetype(0);
    QTest::addRow("ragged chunks") << qsizetype(3 * kChunkSize + 17) << 1.0 << qsizetype(0);
    QTest::addRow("ragged with nan/inf") << qsizetype(5 * kChunkSize + 333) << 0.0 << qsizetype(40'001);
    QTest::addRow("dense nan/inf") << qsizetype(2 * kChunkSize + 5) << 2.0 << qsizetype(7);
    QTest::addRow("many chunks") << qsizetype(40 * kChunkSize + 1) << -0.02 << qsizetype(0);
}

void TestTensorStats::matchesReference() {
    QFETCH(qsizetype, size);
    QFETCH(double, offset);
    QFETCH(qsizetype, special);
    const std::vector<float> values = makeValues(std::size_t(size), offset, std::size_t(special));
    const Reference ref = reference(values);
    const TensorStats one = statsAt(values, 1);

    // Identical bits whatever the thread count.
    QVERIFY(identical(one, statsAt(values, 2)));
    QVERIFY(identical(one, statsAt(values, 8)));

    QCOMPARE(one.count, ref.count);
    QCOMPARE(one.nanCount, ref.nanCount);
    QCOMPARE(one.infCount, ref.infCount);
    QCOMPARE(one.min, ref.min);
    QCOMPARE(one.max, ref.max);
    // Sums run in float within 64-value blocks: relative error ~1e-7 of Σ|x| at worst.
    const double n = double(ref.count);
    QVERIFY2(std::abs(one.mean - ref.mean) <= 1e-6 * ref.sumAbs / n,
             qPrintable(QStringLiteral("mean %1 vs %2").arg(one.mean, 0, 'g', 17).arg(ref.mean, 0, 'g', 17)));
    QVERIFY(std::abs(one.std - ref.std) <= 1e-6 * ref.std);
    QVERIFY(std::abs(one.sumSquares - ref.sumSquares) <= 1e-6 * ref.sumSquares);

    // The histogram spans [min, max] and holds every finite value once.
    QCOMPARE(one.histogram.bins(), std::size_t(kFineBins));
    if (ref.max > ref.min) {
        QCOMPARE(one.histogram.lo, ref.min);
        QCOMPARE(one.histogram.hi, ref.max);
    } else { // a single value: a small interval around it
        QVERIFY(one.histogram.lo < ref.min && one.histogram.hi > ref.max);
    }
    QCOMPARE(one.histogram.total(), ref.count);
    // Bins are found in float32: only a value within float rounding of a bin edge (here: a
    // thousandth of a bin) may land in the neighbouring bin of the double reference.
    const std::vector<std::int64_t> refCounts = referenceHistogram(values, one.histogram);
    std::int64_t moved = 0;
    for (std::size_t i = 0; i < refCounts.size(); ++i)
        moved += std::abs(refCounts[i] - one.histogram.counts[i]);
    const std::int64_t nearEdge = valuesNearBinEdges(values, one.histogram);
    QVERIFY2(moved <= 2 * nearEdge,
             qPrintable(QStringLiteral("%1 moved, %2 near edges").arg(moved).arg(nearEdge)));
}

void TestTensorStats::handComputed() {
    // {0, 1, 2, 3}: mean 1.5; deviations ±1.5, ±0.5 -> variance (2.25+0.25)*2/4 = 1.25;
    // Σx² = 0+1+4+9 = 14. Four bins over [0, 3] of width 0.75: 0 -> bin 0, 1 -> 1 (1.33),
    // 2 -> 2 (2.67), 3 -> last bin (the last bin includes hi).
    const std::vector<float> values{0.0f, 1.0f, 2.0f, 3.0f};
    const TensorStats s = statsAt(values, 2, 4);
    QCOMPARE(s.count, std::int64_t(4));
    QCOMPARE(s.mean, 1.5);
    QCOMPARE(s.std, std::sqrt(1.25));
    QCOMPARE(s.sumSquares, 14.0);
    QCOMPARE(s.histogram.counts, (std::vector<std::int64_t>{1, 1, 1, 1}));
}

void TestTensorStats::nanAndInfAreCountedAndExcluded() {
    // Finite values {1, 2, -3}: count 3, mean 0, Σx² = 14, std = sqrt(14/3).
    const std::vector<float> values{1.0f, kNaN, -kInf, 2.0f, kInf, kNaN, -3.0f};
    const TensorStats s = statsAt(values, 1, 16);
    QCOMPARE(s.count, std::int64_t(3));
    QCOMPARE(s.nanCount, std::int64_t(2));
    QCOMPARE(s.infCount, std::int64_t(2));
    QCOMPARE(s.min, -3.0);
    QCOMPARE(s.max, 2.0);
    QCOMPARE(s.mean, 0.0);
    QCOMPARE(s.sumSquares, 14.0);
    QCOMPARE(s.std, std::sqrt(14.0 / 3.0));
    QCOMPARE(s.histogram.total(), std::int64_t(3));
}

void TestTensorStats::hugeFiniteValues() {
    // Float sums overflow here; the values are finite and the double totals are not:
    // mean = (3e38 + 3e38 - 1) / 3 = 2e38 (to double precision).
    const std::vector<float> values{3e38f, 3e38f, -1.0f};
    const TensorStats s = statsAt(values, 1, 8);
    QCOMPARE(s.count, std::int64_t(3));
    QCOMPARE(s.infCount, std::int64_t(0));
    QCOMPARE(s.max, double(3e38f));
    QCOMPARE(s.mean, (2.0 * double(3e38f) - 1.0) / 3.0);
    QCOMPARE(s.histogram.total(), std::int64_t(3));
    QCOMPARE(s.histogram.counts.front(), std::int64_t(1));
    QCOMPARE(s.histogram.counts.back(), std::int64_t(2));
}

void TestTensorStats::emptyTensor() {
    const std::optional<TensorStats> s = computeStats(std::span<const float>());
    QVERIFY(s.has_value());
    QCOMPARE(s->count, std::int64_t(0));
    QCOMPARE(s->nanCount, std::int64_t(0));
    QCOMPARE(s->min, 0.0);
    QCOMPARE(s->max, 0.0);
    QVERIFY(s->histogram.counts.empty());
}

void TestTensorStats::allNonFinite() {
    const std::vector<float> values(kChunkSize + 3, kNaN);
    std::vector<float> mixed = values;
    mixed[5] = kInf;
    const TensorStats s = statsAt(mixed, 2);
    QCOMPARE(s.count, std::int64_t(0));
    QCOMPARE(s.nanCount, std::int64_t(values.size() - 1));
    QCOMPARE(s.infCount, std::int64_t(1));
    QCOMPARE(s.min, 0.0);
    QCOMPARE(s.max, 0.0);
    QCOMPARE(s.std, 0.0);
    QVERIFY(s.histogram.counts.empty());
}

void TestTensorStats::constantTensor() {
    const std::vector<float> values(kChunkSize * 2 + 1, 2.5f);
    const TensorStats s = statsAt(values, 2);
    QCOMPARE(s.min, 2.5);
    QCOMPARE(s.max, 2.5);
    QCOMPARE(s.mean, 2.5);
    QCOMPARE(s.std, 0.0);
    // A small interval around the value, holding every value.
    QVERIFY(s.histogram.lo < 2.5 && s.histogram.hi > 2.5);
    QVERIFY(s.histogram.hi - s.histogram.lo < 0.1);
    QCOMPARE(s.histogram.total(), s.count);
    const TensorStats zeros = statsAt(std::vector<float>(100, 0.0f), 1);
    QVERIFY(zeros.histogram.lo < 0.0 && zeros.histogram.hi > 0.0);
    QCOMPARE(zeros.histogram.total(), std::int64_t(100));
}

void TestTensorStats::binCountIsHonoured() {
    const std::vector<float> values = makeValues(100'000, 0.0, 0);
    const TensorStats s = statsAt(values, 2, 64);
    QCOMPARE(s.histogram.bins(), std::size_t(64));
    QCOMPARE(s.histogram.total(), std::int64_t(100'000));
    // Normal data: the two middle bins hold more than the outermost ones.
    QVERIFY(s.histogram.counts[31] > s.histogram.counts[0]);
    QVERIFY(s.histogram.counts[32] > s.histogram.counts[63]);
}

void TestTensorStats::cancelReturnsNullopt_data() {
    QTest::addColumn<int>("chunksBeforeCancel");
    QTest::addRow("at once") << 0;
    QTest::addRow("in the first pass") << 3;
    QTest::addRow("in the histogram pass") << 12;
}

void TestTensorStats::cancelReturnsNullopt() {
    QFETCH(int, chunksBeforeCancel);
    // 10 chunks, so polls 0..10 fall in the first pass and later ones in the second.
    const std::vector<float> values = makeValues(10 * kChunkSize, 0.0, 0);
    std::atomic<int> polls{0};
    RunControl control;
    control.threads = 1;
    control.isCanceled = [&] { return polls.fetch_add(1) >= chunksBeforeCancel; };
    QVERIFY(!computeStats(values, control).has_value());
}

void TestTensorStats::progressEndsAtOne() {
    const std::vector<float> values = makeValues(4 * kChunkSize, 0.0, 0);
    std::atomic<double> last{0.0};
    RunControl control;
    control.threads = 1;
    control.progress = [&](double f) {
        QVERIFY(f >= last.load());
        last = f;
    };
    QVERIFY(computeStats(values, control).has_value());
    QCOMPARE(last.load(), 1.0);
}

void TestTensorStats::distinctValues_data() {
    QTest::addColumn<Distinct>("kind");
    QTest::addColumn<qint64>("expected"); // -1: above the cap (nullopt)
    // {1, 2, 1, 3, 2}: values 1, 2, 3.
    QTest::addRow("three values") << Distinct::Few << qint64(3);
    // 0 and -0 compare equal, so they are one value; plus 1.
    QTest::addRow("signed zeros are one") << Distinct::SignedZeros << qint64(2);
    // NaN and ±Inf are excluded like everywhere in the stats: only 1 remains.
    QTest::addRow("nan and inf excluded") << Distinct::NonFinite << qint64(1);
    // q·s for q in [-128, 127]: 256 codes, the most 8 bits give.
    QTest::addRow("int8 codes") << Distinct::Int8Codes << qint64(256);
    // 0, 0.5, ..., 128: 257 values, one more than 8 bits can code: the count stops, as the
    // tensor can no longer be flagged as quantized.
    QTest::addRow("257 levels") << Distinct::Levels257 << qint64(-1);
    // Normal values rounded to bfloat16 (thousands of distinct values, -2 would count them with
    // the sort reference): above the cap, so the count stops early instead of hashing them all.
    QTest::addRow("bfloat16 grid") << Distinct::Bf16Grid << qint64(-1);
    // The cap itself is still counted exactly; one more is "above".
    QTest::addRow("at the cap") << Distinct::AtCap << qint64(kDistinctValuesCap);
    QTest::addRow("cap plus one") << Distinct::AboveCap << qint64(-1);
    // 1.3 M float32 normal samples: nearly all distinct.
    QTest::addRow("float32 normal") << Distinct::Normal << qint64(-1);
    // 100 values on the bitmap path and 100 on the hash path.
    QTest::addRow("mixed paths") << Distinct::Mixed << qint64(200);
}

void TestTensorStats::distinctValues() {
    QFETCH(Distinct, kind);
    QFETCH(qint64, expected);
    const std::vector<float> values = distinctCase(kind);
    if (expected == -2)
        expected = referenceDistinct(values);
    const TensorStats one = statsAt(values, 1);
    const std::optional<std::int64_t> want =
        expected >= 0 ? std::optional<std::int64_t>(expected) : std::nullopt;
    QCOMPARE(one.distinctValues, want);
    // Identical at any thread count.
    QCOMPARE(statsAt(values, 2).distinctValues, want);
    QCOMPARE(statsAt(values, 8).distinctValues, want);
}

void TestTensorStats::alreadyQuantizedRule_data() {
    QTest::addColumn<int>("levels");  // distinct values, spaced 0.125
    QTest::addColumn<int>("repeats"); // copies of each
    QTest::addColumn<bool>("quantized");
    // The rule: at most 256 distinct values and at least 16 values per distinct value.
    QTest::addRow("16-element bias, all different") << 16 << 1 << false;
    QTest::addRow("16 levels x 15") << 16 << 15 << false;
    QTest::addRow("16 levels x 16") << 16 << 16 << true;
    QTest::addRow("3 values x 2") << 3 << 2 << false;
    QTest::addRow("256 codes x 16") << 256 << 16 << true;
    QTest::addRow("256 codes x 3") << 256 << 3 << false;
    QTest::addRow("257 levels x 100") << 257 << 100 << false;
    QTest::addRow("one value x 16") << 1 << 16 << true;
    QTest::addRow("one value x 15") << 1 << 15 << false;
}

void TestTensorStats::alreadyQuantizedRule() {
    QFETCH(int, levels);
    QFETCH(int, repeats);
    QFETCH(bool, quantized);
    std::vector<float> values;
    for (int r = 0; r < repeats; ++r)
        for (int q = 0; q < levels; ++q)
            values.push_back(float(q - levels / 2) * 0.125f);
    const TensorStats s = statsAt(values, 1);
    // Counted exactly up to kDistinctValuesCap (256), "more" above it.
    QCOMPARE(s.distinctValues,
             levels <= kDistinctValuesCap ? std::optional<std::int64_t>(levels) : std::nullopt);
    QCOMPARE(s.alreadyQuantized(), quantized);
}

void TestTensorStats::distinctValuesOfNothing() {
    // No finite value: no distinct value, and nothing that looks quantized.
    const TensorStats s = statsAt({kNaN, kInf}, 1);
    QCOMPARE(s.distinctValues, std::optional<std::int64_t>(0));
    QVERIFY(!s.alreadyQuantized());
}

QTEST_GUILESS_MAIN(TestTensorStats)
#include "tst_tensorstats.moc"
