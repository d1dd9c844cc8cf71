// Times the analysis of one 4096x4096 F32 tensor, step by step, at 1 and 2 threads, and
// prints a Markdown table of medians. Usage: bench_analysis [runs] (QS_BENCH_ISA=avx2 times another
// build of the lane kernels)
#include "benchtiming.h"
#include "calib/mseestimator.h"
#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"
#include "quant/quantizer.h"
#include "stats/errorstats.h"
#include "stats/statkernels.h"
#include "stats/statsanderror.h"
#include "stats/tensorstats.h"
#include "util/parallel.h"

#include <Eigen/Core>
#include <QCoreApplication>
#include <QTemporaryDir>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::int64_t kSide = 4096;
constexpr std::size_t kLargeCount = 50'000'000;
constexpr int kEstimateCalls = 10'000;
constexpr int kThreadCounts[] = {1, 2};

using qs::bench::Clock;
using qs::bench::loadAverage;
using qs::bench::medianMs;
using qs::bench::weights;

struct Row {
    std::string step;
    std::vector<double> ms; // one per thread count
};

std::shared_ptr<const qs::CheckpointReader> openOrDie(const std::string &path) {
    auto reader = qs::openCheckpoint(path);
    if (!reader) {
        std::fprintf(stderr, "error: %s\n", reader.error().c_str());
        std::exit(1);
    }
    return reader.value();
}

std::shared_ptr<const qs::FloatTensor> loadOrDie(const qs::CheckpointReader &reader,
                                                 const qs::RunControl &c) {
    auto tensor = reader.loadFloat(0, c);
    if (!tensor) {
        std::fprintf(stderr, "error: %s\n", tensor.error().c_str());
        std::exit(1);
    }
    return tensor.value();
}

std::string writeTensor(const QTemporaryDir &dir, qs::DType dtype) {
    const std::vector<float> values = weights(std::size_t(kSide * kSide));
    qs::TensorBlob blob{
        "model.layers.0.mlp.down_proj.weight", dtype, {kSide, kSide}, qs::encodeFloats(values, dtype)};
    const std::string path = dir.filePath(dtype == qs::DType::BF16 ? QStringLiteral("bf16.safetensors")
                                                                   : QStringLiteral("f32.safetensors"))
                                 .toStdString();
    const qs::Status written = qs::writeSafetensors(path, {blob});
    if (!written) {
        std::fprintf(stderr, "error: %s\n", written.error().c_str());
        std::exit(1);
    }
    return path;
}

// The bins of every value in the statistics' histogram and in the error pass's error histogram,
// computed once outside the timing, so a row can time the two histograms' counting alone.
struct StoredBins {
    std::vector<std::uint16_t> fine;
    std::vector<std::uint16_t> error;
};

StoredBins binsOf(std::span<const float> values, const qs::TensorStats &stats, const qs::QuantParams &params,
                  const qs::ErrorStats &error) {
    auto binning = [](const qs::Histogram &h) {
        return qs::detail::LaneBinning{float(h.lo), float(double(h.bins()) / (h.hi - h.lo)),
                                       float(h.bins() - 1)};
    };
    const qs::detail::LaneBinning fine = binning(stats.histogram);
    const qs::detail::LaneBinning errorBinning = binning(error.errorHistogram);
    std::vector<float> dequantized(values.size());
    qs::fakeQuantize(values, dequantized, params);
    StoredBins bins{std::vector<std::uint16_t>(values.size()), std::vector<std::uint16_t>(values.size())};
    for (std::size_t i = 0; i < values.size(); ++i) {
        bins.fine[i] = std::uint16_t(fine.binOf(values[i]));
        bins.error[i] = std::uint16_t(errorBinning.binOf(values[i] - dequantized[i]));
    }
    return bins;
}

// One increment per value in each of the two histograms, from the stored bins, in the passes'
// chunks: the part of statistics + error that no arithmetic is left in. With cached, value i
// takes the bins of value i % kCachedBins: bins and counters stay in the L1 cache, so nothing but
// the increments themselves (a load, an add and a store each) is timed: the rate of the core's
// stores to unrelated cache lines.
constexpr std::size_t kCachedBins = 4096;
template <bool kCached>
double countStoredBins(const StoredBins &bins, std::size_t fineBins, std::size_t errorBins,
                       const qs::RunControl &c) {
    std::atomic<std::uint64_t> checksum{0};
    qs::parallelChunks(bins.fine.size(), qs::kChunkSize, c,
                       [&](std::size_t, std::size_t begin, std::size_t end) {
                           std::vector<std::uint32_t> fine(fineBins), error(errorBins);
                           for (std::size_t i = begin; i < end; ++i) {
                               const std::size_t at = kCached ? i % kCachedBins : i;
                               ++fine[bins.fine[at]];
                               ++error[bins.error[at]];
                           }
                           checksum += fine[fineBins / 2] + error[errorBins / 2];
                       });
    return double(checksum.load());
}

// The core's clock while busy, in GHz: a chain of dependent integer additions retires one a cycle.
// The empty asm hides x from the compiler, which would otherwise fold the chain into one addition;
// it emits nothing, so the timing holds on any processor GCC or Clang builds for.
double clockGhz() {
    constexpr long kAdds = 200'000'000;
    double best = 0.0;
    for (int run = 0; run < 3; ++run) {
        std::uint64_t x = 0;
        const auto start = Clock::now();
        for (long i = 0; i < kAdds; ++i) {
            asm volatile("" : "+r"(x));
            ++x;
        }
        const double s = std::chrono::duration<double>(Clock::now() - start).count();
        best = std::max(best, double(kAdds) / s * 1e-9);
    }
    return best;
}

// Σx of every chunk, each chunk an Eigen sum, run as the passes run their chunks.
double plainRead(std::span<const float> values, const qs::RunControl &c) {
    std::vector<float> sums(qs::chunkCount(values.size()));
    qs::parallelChunks(
        values.size(), qs::kChunkSize, c, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
            sums[chunk] =
                Eigen::Map<const Eigen::ArrayXf>(values.data() + begin, Eigen::Index(end - begin)).sum();
        });
    double total = 0.0;
    for (float s : sums)
        total += double(s);
    return total;
}

// min, max and Σx of every chunk by the statistics' own scan kernel: what must be known before a
// value can be binned, one read that no counting can ride along.
double scanRead(std::span<const float> values, const qs::RunControl &c) {
    std::vector<float> spans(qs::chunkCount(values.size()));
    qs::parallelChunks(
        values.size(), qs::kChunkSize, c, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
            const qs::detail::LaneScan s = qs::detail::laneScan(values.data() + begin, end - begin);
            spans[chunk] = s.max - s.min + float(s.sum);
        });
    double total = 0.0;
    for (float s : spans)
        total += double(s);
    return total;
}

// Every step at one thread count; the order of the rows is fixed by the first call.
void timeSteps(const std::string &path, const std::string &bf16Path, const std::vector<float> &large,
               int threads, int runs, std::vector<Row> &rows) {
    qs::RunControl c;
    c.threads = threads;
    std::size_t r = 0;
    auto add = [&](const char *name, double ms) {
        if (rows.size() <= r)
            rows.push_back({name, {}});
        rows[r++].ms.push_back(ms);
    };
    const qs::QuantSpec spec; // 8-bit symmetric, non-saturating
    auto reader = openOrDie(path);
    auto tensor = loadOrDie(*reader, c);
    const auto values = tensor->values();
    const qs::TensorStats stats = *qs::computeStats(values, c);
    const qs::QuantParams params = qs::paramsForTensor(spec, stats.min, stats.max);
    volatile double sink = 0.0;

    // A vectorised float sum over the passes' chunks on the same threads: the cost of one pass
    // over the tensor that does nothing but read it. (One thread alone does not reach the
    // memory's speed here: on the 2-core VM a second thread halves the read.)
    add("baseline: one plain read of the tensor (vectorised float sum, same chunks and threads)",
        medianMs(runs, [&] { sink = plainRead(values, c); }));
    add("scan alone: min, max and sum (what must be known before any value is binned)",
        medianMs(runs, [&] { sink = scanRead(values, c); }));
    add("open + list tensors", medianMs(runs, [&] { sink = double(openOrDie(path)->tensors().size()); }));
    add("loadFloat (F32 view of the mapped file)",
        medianMs(runs, [&] { sink = double(loadOrDie(*reader, c)->values().size()); }));
    add("computeStats (count, min, max, mean, std, 4096-bin histogram)",
        medianMs(runs, [&] { sink = qs::computeStats(values, c)->std; }));
    add("computeError (8-bit symmetric: MSE, SQNR, max, clipped, error histogram)",
        medianMs(runs, [&] { sink = qs::computeError(values, params, stats, c)->mse; }));
    const qs::ParamsFromScan paramsFromScan = [&](const qs::TensorStats &s) {
        return qs::paramsForTensor(spec, s.min, s.max);
    };
    add("computeStatsAndError: both from one read after the scan (512-bin error histogram)",
        medianMs(runs, [&] { sink = qs::computeStatsAndError(values, paramsFromScan, c)->error.mse; }));
    add("computeStatsAndError without the error histogram (what analyze runs)", medianMs(runs, [&] {
            sink = qs::computeStatsAndError(values, paramsFromScan, c, qs::kFineBins, 0)->error.mse;
        }));
    add("open + load + stats + error, fresh mapping each run", medianMs(runs, [&] {
            auto fresh = loadOrDie(*openOrDie(path), c);
            const qs::TensorStats s = *qs::computeStats(fresh->values(), c);
            sink = qs::computeError(fresh->values(), qs::paramsForTensor(spec, s.min, s.max), s, c)->mse;
        }));
    const qs::ErrorStats error = *qs::computeError(values, params, stats, c);
    const StoredBins stored = binsOf(values, stats, params, error);
    add("counting alone: both histograms' increments from stored bins (floor of stats + error)",
        medianMs(runs, [&] {
            sink = countStoredBins<false>(stored, stats.histogram.counts.size(),
                                          error.errorHistogram.counts.size(), c);
        }));
    add("counting alone, bins in the L1 cache (the increments' own rate)", medianMs(runs, [&] {
            sink = countStoredBins<true>(stored, stats.histogram.counts.size(),
                                         error.errorHistogram.counts.size(), c);
        }));
    add("computeError without the error histogram (what analyze reports)",
        medianMs(runs, [&] { sink = qs::computeError(values, params, stats, c, 0)->mse; }));
    // The same tensor stored as BF16: loadChunked leaves it in the mapped file and the passes
    // decode 4096 values at a time.
    auto bf16Reader = openOrDie(bf16Path);
    auto bf16 = bf16Reader->loadChunked(0, c).value();
    const qs::TensorStats bf16Stats = *qs::computeStats(*bf16, c);
    add("BF16: computeStats, decoded piece by piece",
        medianMs(runs, [&] { sink = qs::computeStats(*bf16, c)->std; }));
    add("BF16: computeError, decoded piece by piece",
        medianMs(runs, [&] { sink = qs::computeError(*bf16, params, bf16Stats, c)->mse; }));
    add("estimateError (per call, mean of 10^4 calls; 1 thread by design)",
        medianMs(runs, [&] {
            for (int i = 0; i < kEstimateCalls; ++i) {
                qs::QuantSpec clipped = spec;
                clipped.rangeMode = qs::RangeMode::Saturating;
                clipped.clipHi = stats.max * (0.2 + 0.8 * double(i) / kEstimateCalls);
                clipped.clipLo = -clipped.clipHi;
                sink = qs::estimateError(stats, qs::paramsForTensor(clipped, stats.min, stats.max)).mse;
            }
        }) / kEstimateCalls);
    add("sweepThresholds (200 thresholds; 1 thread by design)",
        medianMs(runs, [&] { sink = qs::sweepThresholds(stats, spec).best.fraction; }));
    add("computeStats on 50M elements",
        medianMs(std::max(1, runs / 2), [&] { sink = qs::computeStats(large, c)->std; }));
}

void printTable(const std::vector<Row> &rows, int runs, const std::string &loadBefore) {
    std::printf("4096x4096 F32 tensor (64 MiB), median of %d runs, times in ms, lane kernels: %s "
                "(load average before/after: %s/%s)\n\n",
                runs, qs::detail::laneKernelIsa(), loadBefore.c_str(), loadAverage().c_str());
    std::printf("| step | 1 thread | 2 threads |\n|---|---:|---:|\n");
    for (const Row &row : rows) {
        std::printf("| %s |", row.step.c_str());
        for (double ms : row.ms)
            std::printf(ms < 0.1 ? " %.4f |" : " %.1f |", ms);
        std::printf("\n");
    }
}

// The row whose step starts with prefix.
const Row &rowOf(const std::vector<Row> &rows, std::string_view prefix) {
    for (const Row &row : rows)
        if (std::string_view(row.step).starts_with(prefix))
            return row;
    std::fprintf(stderr, "error: no row \"%.*s\"\n", int(prefix.size()), prefix.data());
    std::exit(1);
}

// Statistics + error against the target of 4 plain reads, beside the part of it that no
// arithmetic can shorten: the scan that must come first, then the two histograms' increments.
void printTarget(const std::vector<Row> &rows) {
    const Row &read = rowOf(rows, "baseline");
    const Row &scan = rowOf(rows, "scan alone");
    const Row &counting = rowOf(rows, "counting alone");
    const Row &both = rowOf(rows, "computeStatsAndError: both");
    const Row &figures = rowOf(rows, "computeStatsAndError without");
    std::printf(
        "\n| threads | plain read | 4x plain read (target) | scan + counting (floor) | statistics + error "
        "| without the error histogram |\n|---:|---:|---:|---:|---:|---:|\n");
    for (std::size_t t = 0; t < read.ms.size(); ++t) {
        const double r = read.ms[t];
        const double floor = scan.ms[t] + counting.ms[t];
        std::printf("| %d | %.1f ms | %.1f ms | %.1f ms (%.1fx) | %.1f ms (%.1fx) | %.1f ms (%.1fx) |\n",
                    kThreadCounts[t], r, 4.0 * r, floor, floor / r, both.ms[t], both.ms[t] / r, figures.ms[t],
                    figures.ms[t] / r);
    }
}

// What one increment costs where nothing else is in its way, in the core's cycles: about one
// means the stores are the limit (one to L1 a cycle), so two histograms cost two cycles a value
// whatever else the pass does.
void printStoreRate(const std::vector<Row> &rows, double ghz) {
    const Row &cached = rowOf(rows, "counting alone, bins in the L1");
    const double perThread = double(kSide * kSide) / double(kThreadCounts[0]);
    const double cycles = cached.ms[0] * 1e-3 * ghz * 1e9 / (2.0 * perThread);
    std::printf("\nclock %.2f GHz (dependent additions); one thread: %.2f cycles per increment with bins and "
                "counters in the L1 cache, so counting both histograms alone takes at least %.1f ms at %d "
                "threads\n",
                ghz, cycles, 2.0 * double(kSide * kSide) / double(kThreadCounts[1]) / (ghz * 1e9) * 1e3,
                kThreadCounts[1]);
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 9;
    qs::bench::chooseLaneIsa();
    QTemporaryDir dir;
    if (!dir.isValid()) {
        std::fprintf(stderr, "error: cannot create a temporary directory\n");
        return 1;
    }
    const std::string loadBefore = loadAverage();
    const std::string path = writeTensor(dir, qs::DType::F32);
    const std::string bf16Path = writeTensor(dir, qs::DType::BF16);
    const std::vector<float> large = weights(kLargeCount);
    std::vector<Row> rows;
    for (int threads : kThreadCounts)
        timeSteps(path, bf16Path, large, threads, runs, rows);
    printTable(rows, runs, loadBefore);
    printTarget(rows);
    printStoreRate(rows, clockGhz());
    return 0;
}
