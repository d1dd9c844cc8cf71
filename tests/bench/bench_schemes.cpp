// Times every scheme family on one 4096x4096 F32 tensor at 2 threads against the per-tensor
// analysis, and prints a Markdown table of medians for the README.
// Usage: bench_schemes [runs [only [threads]]]: only times the schemes whose name contains `only`
// (empty: all); threads defaults to 2.
#include "analysis/schemecomparison.h"
#include "analysis/tensoranalyzer.h"
#include "benchtiming.h"
#include "calib/groupedestimate.h"
#include "quant/numberformat.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"
#include "stats/tensorstats.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t kSide = 4096;
constexpr int kDefaultThreads = 2;

using qs::bench::Clock;
using qs::bench::loadAverage;
using qs::bench::medianMs;
using qs::bench::weights;

qs::QuantSpec int4(const char *granularity) {
    qs::QuantSpec spec = qs::intSpec(4, qs::Scheme::Symmetric);
    spec.granularity = qs::parseGranularity(granularity).value();
    return spec;
}

qs::QuantSpec formatSpec(qs::NumberFormat format) {
    qs::QuantSpec spec;
    spec.format = format;
    return spec;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    const std::string only = argc > 2 ? argv[2] : "";
    const int threads = argc > 3 ? std::max(1, std::atoi(argv[3])) : kDefaultThreads;
    const std::string loadBefore = loadAverage();
    const std::vector<float> values = weights(std::size_t(kSide * kSide));
    const std::vector<std::int64_t> shape = {kSide, kSide};
    qs::RunControl control;
    control.threads = threads;
    volatile double sink = 0.0;

    // The per-tensor analysis the others are measured against: the exact error pass and the
    // threshold sweep for int4 per tensor, on statistics computed once (as when a tensor is open).
    auto tensor = std::make_shared<qs::TensorAnalysis>();
    tensor->stats = *qs::computeStats(values, control);
    qs::TensorInfo info;
    info.name = "bench";
    info.shape = shape;
    tensor->tensor = qs::FloatTensor::fromView(info, values, nullptr);
    const double perTensor = medianMs(
        runs, [&] { sink = qs::analyzeQuant(*tensor, int4("tensor"), false, control).value()->error.mse; });

    struct Row {
        std::string scheme;
        double ms;
    };
    std::vector<Row> rows;
    auto timeScheme = [&](const std::string &name, const qs::QuantSpec &spec) {
        if (name.find(only) == std::string::npos)
            return;
        rows.push_back({name, medianMs(runs, [&] {
                            sink = qs::measureScheme(values, shape, spec, control).value().error.mse;
                        })});
    };
    timeScheme("int4 per channel: x̂, MSE, SQNR, cosine", int4("channel"));
    timeScheme("int4 group 128: x̂, MSE, SQNR, cosine", int4("group:128"));
    for (const qs::FormatTraits &traits : qs::numberFormats())
        if (traits.family != qs::FormatFamily::Integer)
            timeScheme(std::string(traits.name) + ": x̂, MSE, SQNR, cosine", formatSpec(traits.format));
    // FP8 as vLLM and DeepSeek run it: a scale per output channel, or per 128 x 128 tile.
    for (const char *granularity : {"channel", "block:128x128"}) {
        qs::QuantSpec fp8 = formatSpec(qs::NumberFormat::Fp8E4M3);
        fp8.granularity = qs::parseGranularity(granularity).value();
        timeScheme(std::string("fp8_e4m3 ") + granularity + ": x̂, MSE, SQNR, cosine", fp8);
    }
    // The estimate a drag shows in grouped mode: one O(classes x bins) call per mouse move.
    std::vector<std::pair<std::string, double>> drags;
    for (const char *granularity : {"group:128", "channel"}) {
        for (const qs::Scheme scheme : {qs::Scheme::Symmetric, qs::Scheme::Asymmetric}) {
            qs::QuantSpec spec = int4(granularity);
            spec.scheme = scheme;
            const std::string name = std::string("int4 ") + granularity + " " +
                                     std::string(qs::schemeName(scheme)) +
                                     ": drag estimate at one clip ratio (mean of 1000 calls, 1 thread)";
            if (name.find(only) == std::string::npos)
                continue;
            const qs::ParamGrid grid = qs::ParamGrid::make(shape, spec.granularity).value();
            const qs::GroupedEstimateInput input = qs::groupedEstimateInput(values, grid, spec);
            drags.emplace_back(name, medianMs(runs, [&] {
                                         for (int i = 0; i < 1000; ++i)
                                             sink = qs::estimateGroupedError(input, 0.5 + 0.0005 * i).mse;
                                     }) / 1000.0);
        }
    }
    const bool timeCompare = only.empty() || only == "compare";
    const double compareAll = !timeCompare ? 0.0 : medianMs(std::max(1, runs / 2), [&] {
        sink = double(qs::compareSchemes(values, shape, control).size());
    });

    std::printf("4096x4096 F32 tensor (64 MiB), %d threads, median of %d runs, times in ms "
                "(load average before/after: %s/%s)\n\n",
                threads, runs, loadBefore.c_str(), loadAverage().c_str());
    std::printf("| scheme | ms | × per-tensor |\n|---|---:|---:|\n");
    std::printf("| int4 per tensor: error pass + threshold sweep (the reference) | %.1f | 1.0 |\n",
                perTensor);
    for (const Row &row : rows)
        std::printf("| %s | %.1f | %.1f |\n", row.scheme.c_str(), row.ms, row.ms / perTensor);
    for (const auto &[name, ms] : drags)
        std::printf("| %s | %.3f | %.2f |\n", name.c_str(), ms, ms / perTensor);
    if (timeCompare)
        std::printf("| compare: every row (%zu schemes) | %.0f | %.1f |\n", qs::comparisonSchemes().size(),
                    compareAll, compareAll / perTensor);
    return 0;
}
