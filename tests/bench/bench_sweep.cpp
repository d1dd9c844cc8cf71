// Times the whole-model sweep against the machine's plain read bandwidth, in the same run. A
// sharded safetensors model of Llama-like layers (BF16 and F32 layers in turn, weight-like values
// in every byte) is written to a temporary directory and removed on exit; with a warm page cache
// the sweep (scanModel at int8 per channel unless asked otherwise, 2 threads) and a streaming sum
// over the same mapped shards (2 threads) each read every byte once. Prints GB/s of both (10^9
// bytes of stored tensor data per second) and their ratio; the issue aims at a sweep of at least
// half the read.
// Usage: bench_sweep [GiB = 3] [runs = 3] [granularity = channel] [bits = 8], or
//        bench_sweep GiB runs FORMAT [granularity = tensor] for another format (nvfp4, q4_k, ...)
//   (QS_BENCH_STAT=min reports the fastest run; QS_BENCH_ISA=avx2 times another build of the
//   lane kernels)
#include "analysis/modelscan.h"
#include "benchtiming.h"
#include "io/checkpointreader.h"
#include "io/mappedfile.h"
#include "plan/quantplan.h"
#include "shardedmodel.h"
#include "util/parallel.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace qs::testsupport;
using qs::bench::loadAverage;
using qs::bench::medianMs;

constexpr int kThreads = 2;

QTemporaryDir *g_model = nullptr; // removed by die() too: std::exit runs no destructors

[[noreturn]] void die(const std::string &message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    if (g_model)
        g_model->remove();
    std::exit(1);
}

// Llama-like layers (hidden 4096, grouped KV 1024, MLP 11008), BF16 and F32 in turn, until the
// model holds at least gib GiB.
std::vector<ModelTensor> modelOf(double gib) {
    std::vector<ModelTensor> tensors;
    double bytes = 0.0;
    for (int layer = 0; bytes < gib * double(1 << 30); ++layer) {
        const qs::DType dtype = layer % 2 == 0 ? qs::DType::BF16 : qs::DType::F32;
        for (ModelTensor &t : llamaLayer(layer, 4096, 1024, 11008, dtype, dtype)) {
            bytes += double(t.bytes());
            tensors.push_back(std::move(t));
        }
    }
    return tensors;
}

// Written back to disk before timing, so no writeback competes with the reads.
void syncAll(const QDir &directory, const std::vector<ModelShard> &shards) {
    for (const ModelShard &shard : shards) {
        QFile file(directory.filePath(QString::fromStdString(shard.fileName)));
        if (!file.open(QIODevice::ReadOnly) || ::fsync(file.handle()) != 0)
            die("cannot sync " + shard.fileName);
    }
}

// A streaming sum over every shard, freshly mapped as the reader maps it, on threads threads:
// what reading the model costs with nothing computed.
std::uint64_t plainRead(const std::vector<std::string> &paths, int threads) {
    std::uint64_t total = 0;
    for (const std::string &path : paths) {
        const auto mapped = qs::MappedFile::open(path);
        if (!mapped)
            die(mapped.error());
        const auto *words = reinterpret_cast<const std::uint64_t *>(mapped.value()->bytes().data());
        const std::size_t n = mapped.value()->size() / 8;
        std::vector<std::uint64_t> sums(qs::chunkCount(n, qs::kChunkSize * 16));
        qs::RunControl control;
        control.threads = threads;
        qs::parallelChunks(n, qs::kChunkSize * 16, control, [&](std::size_t c, std::size_t b, std::size_t e) {
            std::uint64_t sum = 0;
            for (std::size_t i = b; i < e; ++i)
                sum += words[i];
            sums[c] = sum;
        });
        for (const std::uint64_t s : sums)
            total += s;
    }
    return total;
}

struct SweepRun {
    double bytes = 0.0;
    std::map<std::string, std::pair<double, double>> byType; ///< dtype -> (bytes, seconds)
};

// One sweep as the window runs it: a fresh reader, the symmetric int scheme under the default
// ignore list, one tensor at a time on kThreads threads. Also times each tensor, by stored type.
SweepRun sweep(const std::string &indexPath, const qs::QuantSpec &spec) {
    auto reader = qs::openCheckpoint(indexPath);
    if (!reader)
        die(reader.error());
    qs::QuantPlan plan;
    plan.defaults = qs::planSchemeFromSpec(spec);
    qs::RunControl control;
    control.threads = kThreads;
    SweepRun run;
    auto last = qs::bench::Clock::now();
    const auto totals = qs::scanModel(
        *reader.value(), [&](const qs::TensorInfo &info) { return qs::planDecision(plan, info); },
        [&](qs::TensorSummary &&s) {
            const auto now = qs::bench::Clock::now();
            if (s.skipped)
                die(s.name + " was skipped: " + *s.skipped);
            auto &[bytes, seconds] = run.byType[s.dtype];
            bytes += double(s.storedBytes);
            seconds += std::chrono::duration<double>(now - last).count();
            run.bytes += double(s.storedBytes);
            last = now;
        },
        control);
    if (!totals)
        die(totals.error());
    return run;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const double gib = argc > 1 ? std::max(0.1, std::atof(argv[1])) : 3.0;
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
    qs::bench::chooseLaneIsa();
    // The third argument is int's granularity, or another format by name (fp8_e4m3, nvfp4,
    // q4_k, ...), then with the fourth as its granularity where it takes one.
    const std::string third = argc > 3 ? argv[3] : "channel";
    qs::QuantSpec spec;
    std::string scheme;
    if (const auto format = qs::formatFromName(third); format && *format != qs::NumberFormat::Int) {
        spec.format = *format;
        const std::string granularity = argc > 4 ? argv[4] : "tensor";
        const auto parsed = qs::parseGranularity(granularity);
        if (!parsed)
            die("usage: bench_sweep [GiB] [runs] FORMAT [granularity]: " + parsed.error());
        spec.granularity = parsed.value();
        scheme = third + (granularity == "tensor" ? std::string() : " " + granularity);
    } else {
        const int bits = argc > 4 ? std::atoi(argv[4]) : 8;
        spec = qs::intSpec(bits, qs::Scheme::Symmetric);
        const auto parsed = qs::parseGranularity(third);
        if (!parsed || bits < 2 || bits > 16)
            die("usage: bench_sweep [GiB] [runs] [granularity] [bits 2-16]" +
                (parsed ? std::string() : ": " + parsed.error()));
        spec.granularity = parsed.value();
        scheme = "int" + std::to_string(bits) + " " + third;
    }
    QTemporaryDir dir; // removed with everything in it on exit
    if (!dir.isValid())
        die("cannot create a temporary directory");
    g_model = &dir;
    const QDir directory(dir.path());
    const std::vector<ModelShard> shards = layoutShards(modelOf(gib), 4);
    std::fprintf(stderr, "writing %.1f GiB to %s ...\n", gib, qPrintable(dir.path()));
    if (const std::string error = writeShardedModel(directory, shards, Fill::Dense); !error.empty())
        die(error);
    syncAll(directory, shards);
    std::vector<std::string> paths;
    for (const ModelShard &shard : shards)
        paths.push_back(directory.filePath(QString::fromStdString(shard.fileName)).toStdString());
    const std::string indexPath =
        directory.filePath(QStringLiteral("model.safetensors.index.json")).toStdString();

    const std::string loadBefore = loadAverage();
    volatile std::uint64_t sink = plainRead(paths, 1); // warms the page cache
    double fileBytes = 0.0;
    for (const std::string &path : paths)
        fileBytes += double(QFileInfo(QString::fromStdString(path)).size());
    const double read1 = medianMs(runs, [&] { sink = plainRead(paths, 1); });
    const double read2 = medianMs(runs, [&] { sink = plainRead(paths, kThreads); });
    SweepRun last;
    const double sweepMs = medianMs(runs, [&] { last = sweep(indexPath, spec); });
    (void)sink;

    const auto gbps = [](double bytes, double ms) { return bytes / (ms * 1e-3) / 1e9; };
    const double readGbps = gbps(fileBytes, read2);
    const double sweepGbps = gbps(last.bytes, sweepMs);
    std::printf("Sharded safetensors model: %zu shards, %.2f GiB, warm page cache, %s of %d runs, lane "
                "kernels: %s (load average before/after: %s/%s)\n\n",
                shards.size(), fileBytes / double(1 << 30), qs::bench::fastestRun() ? "fastest" : "median",
                runs, qs::detail::laneKernelIsa(), loadBefore.c_str(), loadAverage().c_str());
    std::printf("| pass | GB/s |\n|---|---:|\n");
    std::printf("| plain read: streaming sum over the mapped shards, 1 thread | %.2f |\n",
                gbps(fileBytes, read1));
    std::printf("| plain read: streaming sum over the mapped shards, %d threads | %.2f |\n", kThreads,
                readGbps);
    std::printf("| sweep: %s, %d threads (%.1f s) | %.2f |\n", scheme.c_str(), kThreads, sweepMs * 1e-3,
                sweepGbps);
    for (const auto &[dtype, figures] : last.byType)
        std::printf("| sweep, %s tensors only (last run) | %.2f |\n", dtype.c_str(),
                    figures.first / figures.second / 1e9);
    std::printf("\nSweep / plain read (%d threads): %.2f\n", kThreads, sweepGbps / readGbps);
    return 0;
}
