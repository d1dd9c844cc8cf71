// Times `quantize --to gguf` against the same quantization without writing, in the same run. An
// F16 GGUF of Llama-like layers (hidden 4096, grouped KV 1024, MLP 11008, an F32 norm per layer) is
// written to /tmp, its data a repeating block of weight-like values (dense, cheap to generate),
// and removed on exit. With a warm page cache it times (a) every planned tensor loaded and
// encoded to Q4_K with quantizeGgmlTensor, nothing written, and (b) the gguf exporter writing the
// whole file (header, encoded tensors, copied norms, QSaveFile's sync and rename). Prints both,
// their ratio (the target is at most 1.5) and the load average.
// The two passes alternate runs times; each figure is the median of its runs (QS_BENCH_STAT=min:
// the fastest, which other work on a shared machine disturbs least).
// Usage: bench_gguf [GiB = 2] [threads = 2] [runs = 1]
#include "benchtiming.h"
#include "export/ggufwriter.h"
#include "io/ggufreader.h"
#include "io/safetensorswriter.h"
#include "quant/ggmlencode.h"

#include <QCoreApplication>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace {

using qs::bench::Clock;
using qs::bench::loadAverage;

constexpr std::uint32_t kGgmlF32 = 0, kGgmlF16 = 1, kGgufString = 8, kGgufU32 = 4;
constexpr std::size_t kPatternValues = std::size_t(1) << 22; // 8 MiB of F16

QTemporaryDir *g_dir = nullptr; // removed by die() too: std::exit runs no destructors

[[noreturn]] void die(const std::string &message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    if (g_dir)
        g_dir->remove();
    std::exit(1);
}

struct Tensor {
    std::string name;
    std::vector<std::uint64_t> dims; // GGUF order: row length first
    std::uint32_t type;
    std::uint64_t bytes() const {
        std::uint64_t n = type == kGgmlF32 ? 4 : 2;
        for (std::uint64_t d : dims)
            n *= d;
        return n;
    }
};

std::vector<Tensor> modelOf(double gib) {
    std::vector<Tensor> tensors;
    double bytes = 0.0;
    const std::vector<std::pair<const char *, std::vector<std::uint64_t>>> layer{
        {"attn_norm", {4096}},     {"attn_q", {4096, 4096}},      {"attn_k", {4096, 1024}},
        {"attn_v", {4096, 1024}},  {"attn_output", {4096, 4096}}, {"ffn_gate", {4096, 11008}},
        {"ffn_up", {4096, 11008}}, {"ffn_down", {11008, 4096}},
    };
    for (int i = 0; bytes < gib * double(1 << 30); ++i) {
        for (const auto &[name, dims] : layer) {
            Tensor t{"blk." + std::to_string(i) + "." + name + ".weight", dims,
                     dims.size() == 1 ? kGgmlF32 : kGgmlF16};
            bytes += double(t.bytes());
            tensors.push_back(std::move(t));
        }
    }
    return tensors;
}

void putLe(std::string &out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out += char((value >> (8 * i)) & 0xFF);
}

void putString(std::string &out, const std::string &text) {
    putLe(out, text.size(), 8);
    out += text;
}

void writeAll(QFile &file, const char *data, std::uint64_t bytes) {
    if (file.write(data, qint64(bytes)) != qint64(bytes))
        die("cannot write " + file.fileName().toStdString());
}

// The header, then each tensor's data from a repeating block of F16 (or F32) weight-like values.
void writeModel(const QString &path, const std::vector<Tensor> &tensors) {
    constexpr std::uint64_t kAlign = 32;
    std::string header = "GGUF";
    putLe(header, 3, 4);
    putLe(header, tensors.size(), 8);
    putLe(header, 2, 8);
    putString(header, "general.architecture");
    putLe(header, kGgufString, 4);
    putString(header, "llama");
    putString(header, "general.file_type");
    putLe(header, kGgufU32, 4);
    putLe(header, 1, 4); // MOSTLY_F16
    std::uint64_t offset = 0;
    for (const Tensor &t : tensors) {
        putString(header, t.name);
        putLe(header, t.dims.size(), 4);
        for (std::uint64_t d : t.dims)
            putLe(header, d, 8);
        putLe(header, t.type, 4);
        putLe(header, offset, 8);
        offset = (offset + t.bytes() + kAlign - 1) / kAlign * kAlign;
    }
    header.resize((header.size() + kAlign - 1) / kAlign * kAlign, '\0');
    const std::vector<float> values = qs::bench::weights(kPatternValues);
    const std::vector<std::byte> f16 = qs::encodeFloats(values, qs::DType::F16);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        die("cannot write " + path.toStdString());
    writeAll(file, header.data(), header.size());
    for (const Tensor &t : tensors) {
        const auto *pattern = t.type == kGgmlF32 ? reinterpret_cast<const char *>(values.data())
                                                 : reinterpret_cast<const char *>(f16.data());
        const std::uint64_t patternBytes = t.type == kGgmlF32 ? values.size() * 4 : f16.size();
        for (std::uint64_t done = 0; done < t.bytes(); done += patternBytes)
            writeAll(file, pattern, std::min(patternBytes, t.bytes() - done));
        const std::uint64_t padded = (t.bytes() + kAlign - 1) / kAlign * kAlign;
        writeAll(file, std::string(padded - t.bytes(), '\0').data(), padded - t.bytes());
    }
    if (!file.flush())
        die("cannot write " + path.toStdString());
}

double seconds(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds of the whole process (user + system, every thread): on a machine other work keeps
// busy this moves less than the wall time.
double cpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto toSeconds = [](const timeval &t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
    return toSeconds(usage.ru_utime) + toSeconds(usage.ru_stime);
}

struct Timing {
    double wall = 0.0;
    double cpu = 0.0;
};

std::uint64_t touch(std::span<const std::byte> bytes) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < bytes.size(); i += 4096)
        sum += std::uint64_t(bytes[i]);
    return sum;
}

// (a): what the export computes, with nothing written.
Timing quantizeOnly(const qs::GgufReader &reader, const qs::QuantPlan &plan, int threads) {
    qs::RunControl control;
    control.threads = threads;
    const auto start = Clock::now();
    const double cpuStart = cpuSeconds();
    for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
        const qs::TensorInfo &info = reader.tensors()[i];
        if (!resolve(plan, info.name, info.shape).quantized())
            continue;
        const auto values = reader.loadFloat(i, control);
        if (!values)
            die(values.error());
        const auto cols = std::size_t(info.shape.back());
        const auto blocks = qs::quantizeGgmlTensor(qs::GgmlType::Q4_K, values.value()->values(),
                                                   values.value()->values().size() / cols, cols, control);
        if (!blocks)
            die(blocks.error());
    }
    return {seconds(start), cpuSeconds() - cpuStart};
}

// (b): the exporter, through the file system.
Timing exportFile(const qs::GgufReader &reader, const qs::QuantPlan &plan, int threads,
                  const QString &output) {
    qs::ExportJob job;
    job.reader = &reader;
    job.plan = plan;
    job.output = output.toStdString();
    job.control.threads = threads;
    if (const qs::Status checked = qs::ggufExporter().check(job); !checked)
        die(checked.error());
    const auto start = Clock::now();
    const double cpuStart = cpuSeconds();
    const auto outcome = qs::ggufExporter().write(job);
    if (!outcome)
        die(outcome.error());
    return {seconds(start), cpuSeconds() - cpuStart};
}

double statistic(std::vector<double> times) {
    if (qs::bench::fastestRun())
        return *std::min_element(times.begin(), times.end());
    std::nth_element(times.begin(), times.begin() + std::ptrdiff_t(times.size() / 2), times.end());
    return times[times.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const double gib = argc > 1 ? std::atof(argv[1]) : 2.0;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
    const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
    QTemporaryDir dir(QStringLiteral("/tmp/bench_gguf-XXXXXX"));
    if (!dir.isValid())
        die("cannot create a directory in /tmp");
    g_dir = &dir;
    const QString input = dir.filePath(QStringLiteral("model-f16.gguf"));
    const std::vector<Tensor> tensors = modelOf(gib);
    writeModel(input, tensors);
    const auto reader = qs::GgufReader::open(input.toStdString());
    if (!reader)
        die(reader.error());
    std::uint64_t bytes = 0;
    for (const qs::TensorInfo &info : reader.value()->tensors())
        bytes += info.byteSize;
    std::printf("input: %zu tensors, %.2f GiB of F16 (norms F32); %d threads; load average %s before\n",
                tensors.size(), double(bytes) / double(1 << 30), threads, loadAverage().c_str());

    qs::QuantPlan plan;
    plan.defaults.format = qs::NumberFormat::Q4_K;
    touch(reader.value()->fileBytes()); // the page cache holds the input for both passes
    std::vector<double> quantizeWall, quantizeCpu, exportWall, exportCpu;
    for (int run = 0; run < runs; ++run) {
        const Timing q = quantizeOnly(*reader.value(), plan, threads);
        const Timing e = exportFile(*reader.value(), plan, threads, dir.filePath(QStringLiteral("out.gguf")));
        quantizeWall.push_back(q.wall);
        quantizeCpu.push_back(q.cpu);
        exportWall.push_back(e.wall);
        exportCpu.push_back(e.cpu);
    }
    const double qWall = statistic(quantizeWall), qCpu = statistic(quantizeCpu);
    const double eWall = statistic(exportWall), eCpu = statistic(exportCpu);
    std::printf("| pass | wall s | CPU s |\n|---|---:|---:|\n");
    std::printf("| (a) load + quantizeGgmlTensor to Q4_K, nothing written | %.2f | %.2f |\n", qWall, qCpu);
    std::printf("| (b) quantize --to gguf (ggufExporter().write) | %.2f | %.2f |\n", eWall, eCpu);
    std::printf("| ratio (b) / (a) (target <= 1.5) | %.2f | %.2f |\n", eWall / qWall, eCpu / qCpu);
    std::printf("load average %s after\n", loadAverage().c_str());
    return 0;
}
