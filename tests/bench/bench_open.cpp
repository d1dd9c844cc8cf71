// Times opening a large sharded checkpoint and viewing one tensor of it, and prints a Markdown
// table of medians. The checkpoint (8 safetensors shards of about 3 GiB, 4000 tensors, plus
// model.safetensors.index.json) is generated in a temporary directory as sparse files: only
// the headers and the two timed tensors hold real bytes (about 100 MB on disk).
// Usage: bench_open [runs]
#include "benchtiming.h"
#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"
#include "stats/tensorstats.h"

#include <QCoreApplication>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <vector>

namespace {

constexpr int kShards = 8;
constexpr int kTensorsPerShard = 500;
constexpr std::int64_t kSide = 4096;               // the two timed tensors are kSide x kSide
constexpr std::int64_t kRows = 1536, kCols = 1024; // every other tensor: 6 MiB of F32
constexpr const char *kF32Name = "model.embed_tokens.weight";
constexpr const char *kBf16Name = "lm_head.weight";

using qs::bench::Clock;
using qs::bench::loadAverage;
using qs::bench::medianMs;
using qs::bench::weights;

struct Planned {
    std::string name;
    qs::DType dtype;
    std::int64_t rows, cols;
    std::uint64_t begin = 0, end = 0;
};

[[noreturn]] void die(const std::string &message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    std::exit(1);
}

// Shard 0 starts with the two timed tensors; the rest are same-sized projection weights.
std::vector<Planned> planShard(int shard) {
    std::vector<Planned> tensors;
    if (shard == 0) {
        tensors.push_back({kF32Name, qs::DType::F32, kSide, kSide});
        tensors.push_back({kBf16Name, qs::DType::BF16, kSide, kSide});
    }
    for (int i = int(tensors.size()); i < kTensorsPerShard; ++i) {
        const int global = shard * kTensorsPerShard + i;
        tensors.push_back(
            {"model.layers." + std::to_string(global / 8) + ".proj_" + std::to_string(global % 8) + ".weight",
             qs::DType::F32, kRows, kCols});
    }
    std::uint64_t offset = 0;
    for (Planned &t : tensors) {
        t.begin = offset;
        offset += std::uint64_t(t.rows * t.cols) * qs::dtypeSize(t.dtype);
        t.end = offset;
    }
    return tensors;
}

std::string headerJson(const std::vector<Planned> &tensors) {
    std::string json = R"({"__metadata__":{"format":"pt"})";
    for (const Planned &t : tensors)
        json += ",\"" + t.name + "\":{\"dtype\":\"" + std::string(qs::dtypeName(t.dtype)) + "\",\"shape\":[" +
                std::to_string(t.rows) + "," + std::to_string(t.cols) + "],\"data_offsets\":[" +
                std::to_string(t.begin) + "," + std::to_string(t.end) + "]}";
    json += "}";
    json.append((8 - json.size() % 8) % 8, ' '); // keeps the data 8-byte aligned
    return json;
}

void writeAt(QFile &file, std::uint64_t offset, const std::vector<std::byte> &bytes) {
    if (!file.seek(qint64(offset)) || file.write(reinterpret_cast<const char *>(bytes.data()),
                                                 qint64(bytes.size())) != qint64(bytes.size()))
        die("cannot write " + file.fileName().toStdString());
}

// Writes one shard: header, real data for the timed tensors, a sparse hole for the rest.
std::uint64_t writeShard(const QString &path, const std::vector<Planned> &tensors) {
    const std::string header = headerJson(tensors);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        die("cannot create " + path.toStdString());
    std::vector<std::byte> prefix(8 + header.size());
    for (int i = 0; i < 8; ++i)
        prefix[std::size_t(i)] = std::byte((header.size() >> (8 * i)) & 0xFF);
    std::memcpy(prefix.data() + 8, header.data(), header.size());
    writeAt(file, 0, prefix);
    for (const Planned &t : tensors) {
        if (t.name == kF32Name || t.name == kBf16Name)
            writeAt(file, prefix.size() + t.begin,
                    qs::encodeFloats(weights(std::size_t(kSide * kSide)), t.dtype));
    }
    const std::uint64_t size = prefix.size() + tensors.back().end;
    if (!file.resize(qint64(size)))
        die("cannot size " + path.toStdString());
    return size;
}

struct Generated {
    std::string indexPath;
    std::uint64_t apparentBytes = 0;
    std::uint64_t diskBytes = 0;
};

Generated generate(const QTemporaryDir &dir) {
    Generated out;
    std::string weightMap;
    for (int s = 0; s < kShards; ++s) {
        char name[64];
        std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, kShards);
        const QString path = dir.filePath(QString::fromLatin1(name));
        const std::vector<Planned> tensors = planShard(s);
        out.apparentBytes += writeShard(path, tensors);
        struct stat info {};
        if (::stat(path.toLocal8Bit().constData(), &info) == 0)
            out.diskBytes += std::uint64_t(info.st_blocks) * 512;
        for (const Planned &t : tensors)
            weightMap += std::string(weightMap.empty() ? "" : ",") + "\"" + t.name + "\":\"" + name + "\"";
    }
    const std::string index = R"({"metadata":{"total_size":)" + std::to_string(out.apparentBytes) +
                              R"(},"weight_map":{)" + weightMap + "}}";
    out.indexPath = dir.filePath(QStringLiteral("model.safetensors.index.json")).toStdString();
    std::ofstream(out.indexPath) << index;
    return out;
}

std::shared_ptr<const qs::CheckpointReader> openOrDie(const std::string &path) {
    auto reader = qs::openCheckpoint(path);
    if (!reader)
        die(reader.error());
    return reader.value();
}

std::size_t indexOf(const qs::CheckpointReader &reader, const std::string &name) {
    for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
        if (reader.tensors()[i].name == name)
            return i;
    }
    die("no tensor " + name);
}

// Listing as the browser does it: every name, type and element count.
std::size_t listAll(const qs::CheckpointReader &reader) {
    std::size_t characters = 0;
    for (const qs::TensorInfo &info : reader.tensors())
        characters += info.name.size() + info.typeName().size() + std::size_t(info.elementCount() > 0);
    return characters;
}

double loadAndStats(const qs::CheckpointReader &reader, std::size_t index) {
    auto tensor = reader.loadFloat(index);
    if (!tensor)
        die(tensor.error());
    return qs::computeStats(tensor.value()->values())->std;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    QTemporaryDir dir; // removed with everything in it on exit
    if (!dir.isValid())
        die("cannot create a temporary directory");
    const std::string loadBefore = loadAverage();
    const Generated generated = generate(dir);
    volatile double sink = 0.0;

    const auto reader = openOrDie(generated.indexPath);
    const std::size_t f32 = indexOf(*reader, kF32Name);
    const std::size_t bf16 = indexOf(*reader, kBf16Name);
    std::vector<std::pair<std::string, double>> rows;
    rows.emplace_back("openCheckpoint(index) + list all tensors",
                      medianMs(runs, [&] { sink = double(listAll(*openOrDie(generated.indexPath))); }));
    const std::string firstShard =
        dir.filePath(QStringLiteral("model-00001-of-00008.safetensors")).toStdString();
    rows.emplace_back("openCheckpoint(one 3 GiB shard, 500 tensors)",
                      medianMs(runs, [&] { sink = double(openOrDie(firstShard)->tensors().size()); }));
    rows.emplace_back("loadFloat + computeStats, 4096x4096 F32 (mapped view)",
                      medianMs(runs, [&] { sink = loadAndStats(*reader, f32); }));
    rows.emplace_back("loadFloat + computeStats, 4096x4096 BF16 (decoded copy)",
                      medianMs(runs, [&] { sink = loadAndStats(*reader, bf16); }));

    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    std::printf("Sharded safetensors checkpoint: %d shards, %zu tensors, %.1f GiB apparent, %.0f MiB on disk "
                "(sparse); median of %d runs, warm page cache, default threads "
                "(load average before/after: %s/%s)\n\n",
                kShards, reader->tensors().size(), double(generated.apparentBytes) / double(1 << 30),
                double(generated.diskBytes) / double(1 << 20), runs, loadBefore.c_str(),
                loadAverage().c_str());
    std::printf("| step | ms |\n|---|---:|\n");
    for (const auto &[step, ms] : rows)
        std::printf("| %s | %.1f |\n", step.c_str(), ms);
    std::printf("\nPeak resident memory of the whole run: %.0f MiB\n", double(usage.ru_maxrss) / 1024.0);
    return 0;
}
