// The statistics, error and moment lane kernels (stats/statkernels.h) are built for SSE2, AVX2 and
// AVX-512 and the widest the processor runs is chosen at run time. Every lane does the same IEEE
// operations in every build, so each build must give the same bits: this runs every build this
// processor has through the passes that use the kernels and compares the results bit for bit.
#include "analysis/modelscan.h"
#include "quant/microscaling.h"
#include "quant/minifloat.h"
#include "quant/minifloatkernel.h"
#include "quant/nf4.h"
#include "quant/quantizer.h"
#include "quant/valueerror.h"
#include "stats/errorstats.h"
#include "stats/statkernels.h"
#include "stats/statsanderror.h"
#include "stats/tensorstats.h"

#include <QTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

using namespace qs;

namespace {

// Normal values with a few wide ones, and a length that leaves a ragged last piece and a tail
// shorter than a lane group.
std::vector<float> sampleValues() {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> v(3 * detail::kLaneMaxPiece + 1000 + 13);
    for (float &x : v)
        x = normal(rng);
    for (std::size_t i = 0; i < v.size(); i += 1777)
        v[i] *= 40.0f;
    return v;
}

// Every double of a pass's result as its bits, and every count, in one list to compare.
struct Bits {
    std::vector<std::uint64_t> words;
    void add(double d) { words.push_back(std::bit_cast<std::uint64_t>(d)); }
    void add(std::int64_t n) { words.push_back(std::uint64_t(n)); }
};

Bits runPasses(const std::vector<float> &x) {
    Bits bits;
    RunControl one;
    one.threads = 1;
    const TensorStats stats = *computeStats(x, one);
    for (double d : {stats.min, stats.max, stats.mean, stats.std, stats.sumSquares})
        bits.add(d);
    for (std::int64_t c : stats.histogram.counts)
        bits.add(c);
    QuantSpec spec;
    spec.bits = 4;
    spec.rangeMode = RangeMode::Saturating;
    spec.clipLo = -0.05;
    spec.clipHi = 0.05;
    const QuantParams params = paramsForTensor(spec, stats.min, stats.max);
    const ErrorStats error = *computeError(x, params, stats, one);
    for (double d : {error.mse, error.sqnrDb.value_or(-1.0), error.maxAbsError, error.cosine})
        bits.add(d);
    bits.add(error.clippedCount);
    for (std::int64_t c : error.errorHistogram.counts)
        bits.add(c);
    const StatsAndError both = *computeStatsAndError(
        x, [&](const TensorStats &s) { return paramsForTensor(spec, s.min, s.max); }, one);
    for (double d : {both.stats.std, both.stats.sumSquares, both.error.mse, both.error.cosine})
        bits.add(d);
    for (std::int64_t c : both.error.errorHistogram.counts)
        bits.add(c);
    std::vector<float> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        y[i] = x[i] * 0.99f + 1e-4f;
    const ValueError compared = compareValues(x, y, one);
    for (double d : {compared.mse, compared.sqnrDb.value_or(-1.0), compared.maxAbsError, compared.cosine})
        bits.add(d);
    const ValueMoments moments = *computeMoments(x, one);
    for (double d : {moments.mean, moments.std, moments.rms, moments.kurtosis, moments.maxAbs})
        bits.add(d);
    return bits;
}

// The smallest and largest non-NaN value of x[0, n) and whether one is NaN, by the obvious loop.
detail::LaneRange rangeByValue(const float *x, std::size_t n) {
    detail::LaneRange r{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                        false};
    for (std::size_t i = 0; i < n; ++i) {
        r.nan = r.nan || std::isnan(x[i]);
        if (!std::isnan(x[i])) {
            r.min = std::min(r.min, x[i]);
            r.max = std::max(r.max, x[i]);
        }
    }
    return r;
}

// The compare sums of two kernels, bit for bit.
bool sameSums(const detail::ValueErrorPartial &a, const detail::ValueErrorPartial &b) {
    auto same = [](double x, double y) {
        return std::bit_cast<std::uint64_t>(x) == std::bit_cast<std::uint64_t>(y);
    };
    return same(a.sumSquares, b.sumSquares) && same(a.sumErrorSquares, b.sumErrorSquares) &&
           same(a.sumProducts, b.sumProducts) && same(a.sumDequantizedSquares, b.sumDequantizedSquares) &&
           a.maxError == b.maxError && a.count == b.count;
}

} // namespace

class TestStatKernels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyBuildGivesTheSameBits();
    void unknownBuildRefused();
    void everyValueCountedOnce();
    void rangeAndClipCountAsValueByValue();
    void runRangesAsValueByValue();
    void errorRunsAsQuantizedRunByRun();
    void momentSumsLargestMagnitude();
    void kernelsStepThePrefetchStream();
    void miniFloatKernelsAsScalar();
    void mxScaleFromBits();
};

void TestStatKernels::everyBuildGivesTheSameBits() {
    const std::vector<float> x = sampleValues();
    const std::vector<std::string> isas = detail::laneKernelIsas();
    QVERIFY(!isas.empty());
    QCOMPARE(isas.front(), std::string("sse2"));
    QVERIFY(detail::setLaneKernelIsa(isas.front()));
    QCOMPARE(std::string(detail::laneKernelIsa()), isas.front());
    const Bits reference = runPasses(x);
    QVERIFY(reference.words.size() > 4096);
    for (std::size_t k = 1; k < isas.size(); ++k) {
        QVERIFY(detail::setLaneKernelIsa(isas[k]));
        QCOMPARE(std::string(detail::laneKernelIsa()), isas[k]);
        const Bits built = runPasses(x);
        QCOMPARE(built.words.size(), reference.words.size());
        for (std::size_t i = 0; i < built.words.size(); ++i)
            QVERIFY2(built.words[i] == reference.words[i],
                     qPrintable(QStringLiteral("%1 differs from sse2 at result word %2")
                                    .arg(QString::fromStdString(isas[k]))
                                    .arg(i)));
    }
    QVERIFY(detail::setLaneKernelIsa({}));
    QCOMPARE(std::string(detail::laneKernelIsa()), isas.back());
    qInfo("builds compared: %zu (widest %s)", isas.size(), isas.back().c_str());
}

// The kernels count a group's bins while later groups are worked on, and the last groups after
// the loop. Pieces of every length around those seams (a group is kStatLanes values, the counting
// runs 128 values behind) must count each value once, in the bin LaneBinning::binOf gives it,
// against x̂ from fakeQuantize for the error bins; in every build.
void TestStatKernels::everyValueCountedOnce() {
    const std::vector<float> all = sampleValues();
    const auto lanes = std::size_t(detail::kStatLanes);
    const detail::LaneBinning binning{-0.1f, 512.0f / 0.2f, 511.0f};
    QuantParams params;
    params.bits = 4;
    params.scale = 0.01f;
    params.qmin = -8;
    params.qmax = 7;
    params.clipMin = -0.08;
    params.clipMax = 0.07;
    detail::LaneErrorSetup setup;
    setup.quant = detail::LaneQuant::of(params);
    setup.belowLimit = -0.08f;
    setup.aboveLimit = 0.07f;
    setup.errorBins = {-0.006f, 64.0f / 0.012f, 63.0f};
    for (const std::string &isa : detail::laneKernelIsas()) {
        QVERIFY(detail::setLaneKernelIsa(isa));
        for (std::size_t n :
             {std::size_t(1), lanes - 1, lanes, lanes + 1, 4 * lanes - 1, 4 * lanes, 4 * lanes + 1, 5 * lanes,
              8 * lanes + 3, detail::kLaneMaxPiece - lanes, detail::kLaneMaxPiece}) {
            const std::span<const float> x(all.data(), n);
            std::vector<std::uint32_t> spread(512, 0), spreadWant(512, 0);
            detail::laneSpread(x.data(), n, 0.0f, binning, spread.data());
            for (float v : x)
                ++spreadWant[std::size_t(binning.binOf(v))];
            QVERIFY2(
                spread == spreadWant,
                qPrintable(QStringLiteral("%1: spread, %2 values").arg(QString::fromStdString(isa)).arg(n)));

            std::vector<float> dequantized(n);
            fakeQuantize(x, dequantized, params);
            std::vector<std::uint32_t> error(64, 0), errorWant(64, 0);
            detail::laneError(x.data(), n, setup, error.data());
            for (std::size_t i = 0; i < n; ++i)
                ++errorWant[std::size_t(setup.errorBins.binOf(x[i] - dequantized[i]))];
            QVERIFY2(
                error == errorWant,
                qPrintable(
                    QStringLiteral("%1: error bins, %2 values").arg(QString::fromStdString(isa)).arg(n)));

            // One read for both: the same counts and the same sums as the two kernels.
            std::vector<std::uint32_t> fusedSpread(512, 0), fusedError(64, 0);
            std::vector<std::uint32_t> alone(512, 0);
            const detail::LaneSpread spreadAlone =
                detail::laneSpread(x.data(), n, 0.001f, binning, alone.data());
            const detail::LaneError errorAlone = detail::laneError(x.data(), n, setup, nullptr);
            const detail::LaneSpreadError both = detail::laneSpreadError(
                x.data(), n, 0.001f, binning, fusedSpread.data(), setup, fusedError.data());
            const QString where =
                QStringLiteral("%1: both, %2 values").arg(QString::fromStdString(isa)).arg(n);
            QVERIFY2(fusedSpread == spreadWant && fusedError == errorWant, qPrintable(where));
            QVERIFY2(std::bit_cast<std::uint64_t>(both.spread.sumSquares) ==
                             std::bit_cast<std::uint64_t>(spreadAlone.sumSquares) &&
                         std::bit_cast<std::uint64_t>(both.spread.sumSquaredDeviations) ==
                             std::bit_cast<std::uint64_t>(spreadAlone.sumSquaredDeviations),
                     qPrintable(where));
            QVERIFY2(sameSums(both.error.compare.sums, errorAlone.compare.sums) &&
                         both.error.clipped == errorAlone.clipped,
                     qPrintable(where));
            // Without the error histogram nothing is counted there.
            std::vector<std::uint32_t> spreadOnly(512, 0);
            const detail::LaneSpreadError noErrorBins =
                detail::laneSpreadError(x.data(), n, 0.001f, binning, spreadOnly.data(), setup, nullptr);
            QVERIFY2(spreadOnly == spreadWant && noErrorBins.error.clipped == errorAlone.clipped,
                     qPrintable(where));
        }
    }
    QVERIFY(detail::setLaneKernelIsa({}));
}

// The range and clip-count kernels against the obvious loop, in every build, for lengths around
// a lane group and with NaN, infinities and both zeros placed in the lanes and in the tail.
void TestStatKernels::rangeAndClipCountAsValueByValue() {
    const std::vector<float> normal = sampleValues();
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto lanes = std::size_t(detail::kStatLanes);
    for (const std::string &isa : detail::laneKernelIsas()) {
        QVERIFY(detail::setLaneKernelIsa(isa));
        for (std::size_t n : {std::size_t(0), std::size_t(1), lanes - 1, lanes, lanes + 7, 3 * lanes + 5,
                              detail::kLaneMaxPiece + 3}) {
            for (int variant = 0; variant < 4; ++variant) {
                std::vector<float> x(normal.begin(), normal.begin() + std::ptrdiff_t(n));
                if (n > 0 && variant == 1)
                    x[n / 2] = nan; // in the lanes for n >= a group, else in the tail
                if (n > 0 && variant == 2)
                    x[n - 1] = -inf;
                if (n > 1 && variant == 3) {
                    x[0] = inf;
                    x[n - 1] = nan;
                }
                const detail::LaneRange want = rangeByValue(x.data(), n);
                std::int64_t finite = 0, outside = 0;
                for (float v : x) {
                    if (std::isfinite(v)) {
                        ++finite;
                        outside += (v < -0.03f || v > 0.025f) ? 1 : 0;
                    }
                }
                const QString where = QStringLiteral("%1: %2 values, variant %3")
                                          .arg(QString::fromStdString(isa))
                                          .arg(n)
                                          .arg(variant);
                const detail::LaneRange range = detail::laneRange(x.data(), n);
                QVERIFY2(range.min == want.min && range.max == want.max && range.nan == want.nan,
                         qPrintable(where));
                const detail::LaneClipCount clips = detail::laneClipCount(x.data(), n, -0.03f, 0.025f);
                QVERIFY2(clips.finite == finite && clips.outside == outside, qPrintable(where));
                QVERIFY2(n < 100 || (outside > 0 && outside < finite), qPrintable(where));
            }
        }
    }
    QVERIFY(detail::setLaneKernelIsa({}));
}

// laneRunRanges against the obvious loop over each run, in every build: runs of one lane group
// and of several, each value of a lane group in turn the run's only NaN, infinity or extreme (so
// every lane and every part of the fold across the register is the one that must win), and runs
// of zeros of both signs.
void TestStatKernels::runRangesAsValueByValue() {
    const std::vector<float> normal = sampleValues();
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto lanes = std::size_t(detail::kStatLanes);
    for (const std::string &isa : detail::laneKernelIsas()) {
        QVERIFY(detail::setLaneKernelIsa(isa));
        for (std::size_t length : {lanes, 4 * lanes, 11 * lanes}) {
            const std::size_t runCount = 5 * lanes;
            std::vector<float> x(normal.begin(), normal.begin() + std::ptrdiff_t(runCount * length));
            for (std::size_t r = 0; r < runCount; ++r) {
                float *run = x.data() + r * length;
                const std::size_t at = (r * 7) % length; // a different lane in every run
                switch (r % 5) {
                case 0:
                    run[at] = 9.0f;
                    break;
                case 1:
                    run[at] = -9.0f;
                    break;
                case 2:
                    run[at] = nan;
                    break;
                case 3:
                    run[at] = r % 2 ? inf : -inf;
                    break;
                default:
                    std::fill(run, run + length, r % 2 ? -0.0f : 0.0f);
                    run[at] = 0.0f;
                    break;
                }
            }
            std::vector<detail::LaneRange> got(runCount);
            detail::laneRunRanges(x.data(), runCount, length, got.data());
            for (std::size_t r = 0; r < runCount; ++r) {
                const detail::LaneRange want = rangeByValue(x.data() + r * length, length);
                QVERIFY2(got[r].min == want.min && got[r].max == want.max && got[r].nan == want.nan,
                         qPrintable(QStringLiteral("%1: run %2 of %3 values")
                                        .arg(QString::fromStdString(isa))
                                        .arg(r)
                                        .arg(length)));
            }
        }
    }
    QVERIFY(detail::setLaneKernelIsa({}));
}

// laneErrorRuns against x̂ from fakeQuantize run by run and laneCompare, in every build: runs of
// one lane group, two and more than a piece, a piece starting inside a run, and each run with
// its own scale, zero point and clip limits. Three kinds of runs, for the kernel's three loops:
// narrow ranges, symmetric and asymmetric in turn (values clip; zero points); and each run's own
// range widened by a tenth, all symmetric or all asymmetric, its clip flag cleared as
// measureScheme clears it (nothing can clip: the loops without the clip count, with and without
// the zero point).
void TestStatKernels::errorRunsAsQuantizedRunByRun() {
    const std::vector<float> all = sampleValues();
    const auto lanes = std::size_t(detail::kStatLanes);
    enum Kind { Narrow, WideSymmetric, WideAsymmetric };
    for (const std::string &isa : detail::laneKernelIsas()) {
        QVERIFY(detail::setLaneKernelIsa(isa));
        for (Kind kind : {Narrow, WideSymmetric, WideAsymmetric})
            for (std::size_t runLength : {lanes, 2 * lanes, 5000 / lanes * lanes})
                for (std::size_t offset : {std::size_t(0), lanes, 3 * lanes}) {
                    const std::size_t n = detail::kLaneMaxPiece - lanes;
                    const std::size_t runCount = (offset + n) / runLength + 1;
                    const float *x = all.data();
                    std::vector<QuantParams> params(runCount);
                    std::vector<detail::LaneErrorSetup> runs(runCount);
                    for (std::size_t k = 0; k < runCount; ++k) {
                        QuantSpec spec;
                        spec.bits = 4;
                        spec.scheme = kind == WideAsymmetric || (kind == Narrow && k % 2) ? Scheme::Asymmetric
                                                                                          : Scheme::Symmetric;
                        // The run's values in this piece (value i belongs to run (offset + i) / runLength).
                        const std::size_t first = std::max(k * runLength, offset) - offset;
                        const std::size_t last =
                            std::max(std::min((k + 1) * runLength, offset + n), offset) - offset;
                        float lo = 0.0f;
                        float hi = 0.0f;
                        for (std::size_t i = first; i < last; ++i) {
                            lo = std::min(lo, x[i]);
                            hi = std::max(hi, x[i]);
                        }
                        params[k] = kind == Narrow ? computeParams(spec, -0.02 - 0.01 * double(k % 3),
                                                                   0.03 + 0.005 * double(k % 4))
                                                   : computeParams(spec, 1.1 * double(lo), 1.1 * double(hi));
                        runs[k].quant = detail::LaneQuant::of(params[k]);
                        runs[k].belowLimit = float(params[k].clipMin);
                        runs[k].aboveLimit = float(params[k].clipMax);
                        if (kind != Narrow) {
                            runs[k].clips = !(lo >= runs[k].belowLimit && hi <= runs[k].aboveLimit);
                            QVERIFY(!runs[k].clips);
                        }
                    }
                    std::vector<float> y(n);
                    std::int64_t clipped = 0;
                    bool shifted = false;
                    for (std::size_t i = 0; i < n; ++i) {
                        const detail::LaneErrorSetup &run = runs[(offset + i) / runLength];
                        const QuantParams &p = params[(offset + i) / runLength];
                        fakeQuantize(std::span<const float>(x + i, 1), std::span<float>(&y[i], 1), p);
                        clipped += (x[i] < run.belowLimit || x[i] > run.aboveLimit) ? 1 : 0;
                        shifted = shifted || p.zeroPoint != 0;
                    }
                    const detail::LaneCompare want = detail::laneCompare(x, y.data(), n);
                    const detail::LaneError got = detail::laneErrorRuns(x, n, runs.data(), runLength, offset);
                    const QString where = QStringLiteral("%1: kind %2, runs of %3 from %4")
                                              .arg(QString::fromStdString(isa))
                                              .arg(int(kind))
                                              .arg(runLength)
                                              .arg(offset);
                    QVERIFY2(sameSums(got.compare.sums, want.sums), qPrintable(where));
                    QVERIFY2(got.clipped == clipped && (clipped > 0) == (kind == Narrow), qPrintable(where));
                    if (kind != Narrow)
                        QVERIFY2(shifted == (kind == WideAsymmetric), qPrintable(where));
                }
    }
    QVERIFY(detail::setLaneKernelIsa({}));
}

void TestStatKernels::unknownBuildRefused() {
    QVERIFY(!detail::setLaneKernelIsa("neon"));
    QVERIFY(detail::setLaneKernelIsa({}));
}

// The moments' largest |x| in every build, with the extreme in each lane in turn, negative and
// positive, and -0 against +0: the sign is cleared, not compared.
void TestStatKernels::momentSumsLargestMagnitude() {
    const std::size_t n = 4 * std::size_t(detail::kStatLanes) + 3; // lane groups and a tail
    for (const std::string &isa : detail::laneKernelIsas()) {
        QVERIFY(detail::setLaneKernelIsa(isa));
        for (std::size_t at = 0; at < n; ++at) {
            for (float extreme : {-7.5f, 7.5f}) {
                std::vector<float> x(n, 0.25f);
                for (std::size_t i = 0; i < n; i += 3)
                    x[i] = -0.5f;
                x[at] = extreme;
                const detail::LaneMomentSums sums = detail::laneMomentSums(x.data(), n);
                QVERIFY2(sums.maxAbs == 7.5, qPrintable(QStringLiteral("%1: at %2, %3")
                                                            .arg(QString::fromStdString(isa))
                                                            .arg(at)
                                                            .arg(double(extreme))));
            }
        }
        const std::vector<float> zeros{-0.0f, 0.0f, -0.0f};
        const std::vector<float> many(std::size_t(detail::kStatLanes), -0.0f);
        QVERIFY(!std::signbit(detail::laneMomentSums(zeros.data(), zeros.size()).maxAbs));
        QVERIFY(!std::signbit(detail::laneMomentSums(many.data(), many.size()).maxAbs));
    }
    QVERIFY(detail::setLaneKernelIsa({}));
}

// The stream of the next chunk's bytes advances as the kernels go through their blocks, in
// every build, and is the caller's again (empty here) once StreamNext is gone.
void TestStatKernels::kernelsStepThePrefetchStream() {
    const std::vector<float> x = sampleValues();
    const std::vector<char> next(1 << 20);
    for (const std::string &isa : detail::laneKernelIsas()) {
        QVERIFY(detail::setLaneKernelIsa(isa));
        {
            const detail::StreamNext streaming(next.data(), next.size());
            QCOMPARE(detail::prefetchStream().at, next.data());
            detail::laneMomentSums(x.data(), detail::kLaneMaxPiece);
            const char *afterMoments = detail::prefetchStream().at;
            QVERIFY2(afterMoments > next.data(), isa.c_str());
            detail::laneSpread(x.data(), detail::kLaneMaxPiece, 0.0f, {-1.0f, 100.0f, 199.0f},
                               std::vector<std::uint32_t>(200).data());
            QVERIFY2(detail::prefetchStream().at > afterMoments, isa.c_str());
            QVERIFY(detail::prefetchStream().end == next.data() + next.size());
        }
        QVERIFY(detail::prefetchStream().at == nullptr && detail::prefetchStream().end == nullptr);
    }
    QVERIFY(detail::setLaneKernelIsa({}));
}

namespace {

// Values that reach every branch of the element rounding: normal and subnormal magnitudes of
// each format around the scales used, exact ties, ±0, ±inf, NaN, the largest floats, and float
// subnormals; in blocks of 32 so that some blocks are all zero, hold an inf or a NaN.
std::vector<float> miniFloatSamples() {
    std::mt19937 rng(21);
    std::uniform_int_distribution<int> exponent(-30, 20);
    std::uniform_int_distribution<int> kind(0, 19);
    std::uniform_real_distribution<float> mantissa(-2.0f, 2.0f);
    const float specials[] = {0.0f,
                              -0.0f,
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::max(),
                              -std::numeric_limits<float>::max(),
                              1e-45f,
                              -3e-39f,
                              0.25f,
                              0.75f,
                              5.0f,
                              448.0f,
                              464.0f,
                              57344.0f};
    std::vector<float> v(32 * 700 + 19);
    for (float &x : v) {
        const int k = kind(rng);
        x = k == 0 ? specials[rng() % std::size(specials)] : std::ldexp(mantissa(rng), exponent(rng));
    }
    std::fill(v.begin() + 64, v.begin() + 96, 0.0f); // a block of zeros
    std::fill(v.begin() + 96, v.begin() + 128, -0.0f);
    // An NF4 block of absmax 1 holding every threshold of either sign: a value on a threshold
    // keeps the lower code.
    std::fill(v.begin() + 128, v.begin() + 192, 0.0f);
    v[128] = 1.0f;
    for (std::size_t k = 0; k < detail::kNf4Thresholds.size(); ++k) {
        v[129 + k] = detail::kNf4Thresholds[k];
        v[129 + 15 + k] = -detail::kNf4Thresholds[k];
        v[129 + 30 + k] = std::nextafter(detail::kNf4Thresholds[k], 1.0f);
    }
    return v;
}

bool sameBits(std::span<const float> a, std::span<const float> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](float x, float y) {
               return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
           });
}

} // namespace

// The fp8, MX, NF4 and NVFP4 element kernels in the lanes against the scalar rounding they replace
// (quant/minifloatkernel.h's roundTo, fakeQuantizeMxBlock, fakeQuantizeNf4Block,
// fakeQuantizeNvFp4Block), bit for bit
// in every build, NaN and infinities included; and finiteAbsMax's maximum skipping NaN and inf.
void TestStatKernels::miniFloatKernelsAsScalar() {
    const std::vector<float> x = miniFloatSamples();
    const std::size_t blocks32 = x.size() / kMxBlockSize;
    const std::size_t blocks16 = x.size() / kNvFp4BlockSize;
    for (const std::string &isa : detail::laneKernelIsas()) {
        QVERIFY(detail::setLaneKernelIsa(isa));
        const QByteArray where = QByteArray::fromStdString(isa);
        for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(31), std::size_t(64), x.size()}) {
            float expected = 0.0f;
            for (std::size_t i = 0; i < n; ++i) {
                const float a = std::fabs(x[i]);
                expected = a <= std::numeric_limits<float>::max() && a > expected ? a : expected;
            }
            QCOMPARE(detail::laneFiniteAbsMax(x.data() + 64, std::min(n, x.size() - 64)), [&] {
                float e = 0.0f;
                for (std::size_t i = 64; i < 64 + std::min(n, x.size() - 64); ++i) {
                    const float a = std::fabs(x[i]);
                    e = a <= std::numeric_limits<float>::max() && a > e ? a : e;
                }
                return e;
            }());
            QCOMPARE(detail::laneFiniteAbsMax(x.data(), n), expected);
        }
        std::vector<float> lanes(x.size());
        std::vector<float> scalar(x.size());
        const auto scaledAs = [&](auto format, float scale) {
            constexpr MiniFloat kFormat = decltype(format)::value;
            detail::laneMiniFloatScaled(kFormat, x.data(), lanes.data(), x.size(), scale);
            for (std::size_t i = 0; i < x.size(); ++i)
                scalar[i] = scale * detail::roundTo<kFormat>(x[i] / scale);
            return sameBits(lanes, scalar);
        };
        for (float scale : {1.0f, 0.0123f, 3.5e-3f, 1e-30f, 7e5f}) {
            QVERIFY2(scaledAs(std::integral_constant<MiniFloat, MiniFloat::E4M3>(), scale), where);
            QVERIFY2(scaledAs(std::integral_constant<MiniFloat, MiniFloat::E5M2>(), scale), where);
            QVERIFY2(scaledAs(std::integral_constant<MiniFloat, MiniFloat::E2M1>(), scale), where);
        }
        for (MxFormat format : {MxFormat::MxFp4, MxFormat::MxFp8}) {
            std::vector<float> scales(blocks32);
            detail::laneMxBlocks(format, x.data(), lanes.data(), blocks32, scales.data());
            for (std::size_t b = 0; b < blocks32; ++b) {
                const std::span<const float> in(x.data() + b * kMxBlockSize, kMxBlockSize);
                const float scale = fakeQuantizeMxBlock(
                    format, in, std::span(scalar).subspan(b * kMxBlockSize, kMxBlockSize));
                QVERIFY2(std::bit_cast<std::uint32_t>(scale) == std::bit_cast<std::uint32_t>(scales[b]),
                         where);
            }
            QVERIFY2(sameBits(std::span(lanes).first(blocks32 * kMxBlockSize),
                              std::span(scalar).first(blocks32 * kMxBlockSize)),
                     where);
        }
        {
            const std::size_t blocks64 = x.size() / kNf4BlockSize;
            std::vector<float> absmax(blocks64);
            detail::laneNf4Blocks(x.data(), lanes.data(), blocks64, absmax.data());
            for (std::size_t b = 0; b < blocks64; ++b) {
                const std::span<const float> in(x.data() + b * kNf4BlockSize, kNf4BlockSize);
                const float amax =
                    fakeQuantizeNf4Block(in, std::span(scalar).subspan(b * kNf4BlockSize, kNf4BlockSize));
                QVERIFY2(std::bit_cast<std::uint32_t>(amax) == std::bit_cast<std::uint32_t>(absmax[b]),
                         where);
            }
            QVERIFY2(sameBits(std::span(lanes).first(blocks64 * kNf4BlockSize),
                              std::span(scalar).first(blocks64 * kNf4BlockSize)),
                     where);
        }
        for (float global : {nvFp4GlobalScale(3.0f), nvFp4GlobalScale(1e-20f), nvFp4GlobalScale(0.0f)}) {
            std::vector<float> scales(blocks16);
            detail::laneNvFp4Blocks(x.data(), lanes.data(), blocks16, global, scales.data());
            for (std::size_t b = 0; b < blocks16; ++b) {
                const std::span<const float> in(x.data() + b * kNvFp4BlockSize, kNvFp4BlockSize);
                const float scale = fakeQuantizeNvFp4Block(
                    in, std::span(scalar).subspan(b * kNvFp4BlockSize, kNvFp4BlockSize), global);
                QVERIFY2(std::bit_cast<std::uint32_t>(scale) == std::bit_cast<std::uint32_t>(scales[b]),
                         where);
            }
            QVERIFY2(sameBits(std::span(lanes).first(blocks16 * kNvFp4BlockSize),
                              std::span(scalar).first(blocks16 * kNvFp4BlockSize)),
                     where);
        }
    }
    QVERIFY(detail::setLaneKernelIsa({}));
}

// mxScale from the float's bits equals 2^(clamp(ilogb(amax) - emax, -127, 127)) by ilogb and
// ldexp, over normal and subnormal magnitudes and the values that take the smallest scale.
void TestStatKernels::mxScaleFromBits() {
    std::vector<float> amaxes = {0.0f,
                                 -1.0f,
                                 std::numeric_limits<float>::infinity(),
                                 std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::min(),
                                 std::numeric_limits<float>::denorm_min(),
                                 1e-40f,
                                 6.0f,
                                 448.0f};
    for (int e = -149; e <= 127; ++e) {
        amaxes.push_back(std::ldexp(1.0f, e));
        amaxes.push_back(std::nextafter(std::ldexp(1.0f, e), 0.0f));
    }
    for (MxFormat format : {MxFormat::MxFp4, MxFormat::MxFp8}) {
        for (float amax : amaxes) {
            int exponent = kE8M0MinExponent;
            if (amax > 0.0f && amax <= std::numeric_limits<float>::max())
                exponent =
                    std::clamp(std::ilogb(amax) - mxElementEmax(format), kE8M0MinExponent, kE8M0MaxExponent);
            const float expected = std::ldexp(1.0f, exponent);
            QVERIFY2(std::bit_cast<std::uint32_t>(mxScale(format, amax)) ==
                         std::bit_cast<std::uint32_t>(expected),
                     qPrintable(QString::number(double(amax), 'g', 9)));
        }
    }
}

QTEST_GUILESS_MAIN(TestStatKernels)
#include "tst_statkernels.moc"
