#include "analysis/modelscan.h"
#include "io/checkpointreader.h"
#include "io/decodebuffer.h"
#include "plan/quantplan.h"
#include "shardedmodel.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <thread>
#include <unistd.h>

using namespace qs;
using namespace qs::testsupport;

namespace {

constexpr std::int64_t kMiB = std::int64_t(1) << 20;
// The allowance on top of the largest tensor as float32.
constexpr std::int64_t kAllowance = 256 * kMiB;

// RssAnon of this process in bytes (/proc/self/status), or -1 where the kernel does not give it.
// Read with a stack buffer and no allocation, so sampling does not move what it measures.
std::int64_t rssAnonBytes() {
    const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char text[8192];
    const ssize_t n = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    const char *line = std::strstr(text, "\nRssAnon:");
    long long kib = 0;
    if (!line || std::sscanf(line + 9, "%lld", &kib) != 1)
        return -1;
    return std::int64_t(kib) * 1024;
}

// Why RssAnon, sampled: a tensor stored as F32 is scanned as a view of the mapped shard, whose
// pages are file-backed (RssFile), the page cache's to evict; what the scan itself holds (decoded
// BF16 copies, x̂, per-chunk buffers, summaries) is anonymous. The kernel keeps no high-water mark
// of RssAnon alone (VmHWM counts the mapped file too), so a thread samples it every millisecond
// and the sink samples after each tensor. A decoded tensor lives for its whole scan (hundreds of
// milliseconds here), far longer than the sampling period, so its peak is seen.
class PeakSampler {
public:
    PeakSampler()
        : m_thread([this] {
            while (!m_stop.load()) {
                sample();
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }) {}
    ~PeakSampler() {
        m_stop = true;
        m_thread.join();
    }
    void sample() {
        const std::int64_t now = rssAnonBytes();
        std::int64_t peak = m_peak.load();
        while (now > peak && !m_peak.compare_exchange_weak(peak, now)) {
        }
    }
    void reset() { m_peak = rssAnonBytes(); }
    std::int64_t peak() const { return m_peak.load(); }

private:
    std::atomic<bool> m_stop{false};
    std::atomic<std::int64_t> m_peak{0};
    std::thread m_thread;
};

constexpr int kLayers = 5;

// A model of 3.4 GiB: five Llama-like layers (attention in BF16, MLP in F32: most bytes for the
// fewest values to scan), a BF16 embedding (kept by the ignore defaults) and one larger BF16
// projection, the largest tensor (512 MiB as float32). The BF16 tensors scanned come to 1.3 GiB
// as float32, so a scan that held them would break the bound.
std::vector<ModelTensor> modelTensors() {
    std::vector<ModelTensor> tensors{{"model.embed_tokens.weight", DType::BF16, {32000, 4096}}};
    for (int layer = 0; layer < kLayers; ++layer) {
        const auto more = llamaLayer(layer, 4096, 1024, 11008, DType::BF16, DType::F32);
        tensors.insert(tensors.end(), more.begin(), more.end());
    }
    tensors.push_back({"model.layers.4.mlp.wide_proj.weight", DType::BF16, {16384, 8192}});
    tensors.push_back({"model.norm.weight", DType::F32, {4096}});
    return tensors;
}

std::uint64_t diskBytes(const QString &path) {
    struct stat info {};
    return ::stat(path.toLocal8Bit().constData(), &info) == 0 ? std::uint64_t(info.st_blocks) * 512 : 0;
}

// Whether the filesystem under directory keeps holes: a 64 MiB file with one page written.
bool keepsHoles(const QDir &directory) {
    const QString path = directory.filePath(QStringLiteral("probe"));
    QFile file(path);
    const bool written = file.open(QIODevice::WriteOnly) && file.seek(32 * kMiB) && file.write("x", 1) == 1 &&
                         file.resize(64 * kMiB);
    file.close();
    const bool sparse = written && diskBytes(path) < std::uint64_t(kMiB);
    QFile::remove(path);
    return sparse;
}

std::uint64_t freeBytes(const QString &path) {
    struct statvfs info {};
    if (::statvfs(path.toLocal8Bit().constData(), &info) != 0)
        return 0;
    return std::uint64_t(info.f_bavail) * info.f_frsize;
}

QuantSpec int8PerChannel() {
    QuantSpec spec = intSpec(8, Scheme::Symmetric);
    spec.granularity.kind = Granularity::Kind::Channel;
    return spec;
}

} // namespace

// The whole-model sweep keeps its anonymous memory to the largest tensor as float32 plus
// 256 MiB, whatever the model's size (issue 7, "The sweep"), on a generated sharded model of
// several GiB of sparse files.
class TestSweepMemory : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void samplerSeesAnAllocation();
    void decodeBufferReusedWithinScope();
    void scanStaysBounded_data();
    void scanStaysBounded();
    void cleanupTestCase();

private:
    QTemporaryDir m_dir;
    std::shared_ptr<const CheckpointReader> m_reader;
    std::int64_t m_largestFloatBytes = 0;
    std::size_t m_tensorCount = 0;
};

void TestSweepMemory::initTestCase() {
    if (rssAnonBytes() < 0)
        QSKIP("this kernel gives no RssAnon in /proc/self/status");
    QVERIFY(m_dir.isValid());
    const QDir directory(m_dir.path());
    if (freeBytes(m_dir.path()) < std::uint64_t(256 * kMiB))
        QSKIP("less than 256 MiB free in the temporary directory");
    if (!keepsHoles(directory))
        QSKIP("the temporary directory's filesystem does not keep sparse files");

    const std::vector<ModelTensor> tensors = modelTensors();
    for (const ModelTensor &t : tensors)
        m_largestFloatBytes = std::max(m_largestFloatBytes, std::int64_t(t.elements() * 4));
    m_tensorCount = tensors.size();
    const std::vector<ModelShard> shards = layoutShards(tensors, 4);
    const std::string written = writeShardedModel(directory, shards, Fill::Sparse);
    QVERIFY2(written.empty(), written.c_str());
    std::uint64_t apparent = 0;
    std::uint64_t onDisk = 0;
    for (const ModelShard &shard : shards) {
        const QString path = directory.filePath(QString::fromStdString(shard.fileName));
        apparent += std::uint64_t(QFileInfo(path).size());
        onDisk += diskBytes(path);
    }
    QVERIFY(apparent > (std::uint64_t(3) << 30));
    if (onDisk > apparent / 16)
        QSKIP("the shards were not written sparse");

    auto reader =
        openCheckpoint(directory.filePath(QStringLiteral("model.safetensors.index.json")).toStdString());
    QVERIFY2(reader, reader ? "" : reader.error().c_str());
    m_reader = reader.value();
    QCOMPARE(m_reader->formatName(), std::string("safetensors (4 shards)"));
    QCOMPARE(m_reader->tensors().size(), m_tensorCount);
}

// The measure itself: a block the test holds for a while shows in the sampled peak.
void TestSweepMemory::samplerSeesAnAllocation() {
    PeakSampler sampler;
    ::malloc_trim(0);
    sampler.reset();
    const std::int64_t before = sampler.peak();
    {
        std::vector<char> block(std::size_t(64 * kMiB), 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        QCOMPARE(block.back(), char(1));
    }
    QVERIFY2(sampler.peak() - before >= 60 * kMiB,
             qPrintable(QStringLiteral("peak grew by %1 MiB").arg((sampler.peak() - before) / kMiB)));
}

// Within a scan a released decode buffer serves the next tensor that fits; a larger tensor gets
// a fresh buffer only after the spare is freed, so the two never add up.
void TestSweepMemory::decodeBufferReusedWithinScope() {
    const std::size_t small = 8 * kMiB / 4; // 8 Mi floats: 32 MiB
    const DecodeBufferReuse reuse;
    auto first = allocateDecodeBuffer(small);
    QVERIFY(first);
    std::fill_n(first.get(), small, 1.0f);
    float *const firstAddress = first.get();
    first.reset();
    auto fits = allocateDecodeBuffer(small / 2);
    QCOMPARE(fits.get(), firstAddress);
    fits.reset();

    ::malloc_trim(0);
    const std::int64_t before = rssAnonBytes(); // the 32 MiB spare is resident
    auto larger = allocateDecodeBuffer(2 * small);
    QVERIFY(larger);
    std::fill_n(larger.get(), 2 * small, 2.0f);
    const std::int64_t grown = rssAnonBytes() - before;
    QVERIFY2(grown < 40 * kMiB, qPrintable(QStringLiteral("RssAnon grew by %1 MiB").arg(grown / kMiB)));
    QCOMPARE(larger[2 * small - 1], 2.0f);
}

void TestSweepMemory::scanStaysBounded_data() {
    QTest::addColumn<bool>("perChannel");
    QTest::addRow("int8 per channel, as the sweep") << true;
    QTest::addRow("default plan (int8 per tensor, ignore defaults)") << false;
}

void TestSweepMemory::scanStaysBounded() {
    QFETCH(bool, perChannel);
    QuantPlan plan;
    if (perChannel)
        plan.defaults = planSchemeFromSpec(int8PerChannel());
    std::size_t seen = 0;
    std::size_t measured = 0;
    std::size_t allZero = 0;
    std::vector<std::string> skipped;
    PeakSampler sampler;
    ::malloc_trim(0); // what the test freed before is not the scan's
    sampler.reset();
    const std::int64_t baseline = sampler.peak();

    RunControl control;
    control.threads = 2;
    const auto totals = scanModel(
        *m_reader, [&](const TensorInfo &info) { return planDecision(plan, info); },
        [&](TensorSummary &&s) {
            sampler.sample();
            ++seen;
            if (s.skipped)
                skipped.push_back(s.name + ": " + *s.skipped);
            if (s.error) {
                ++measured;
                allZero += s.moments && s.moments->maxAbs > 0.0 ? 0 : 1;
            }
        },
        control);
    sampler.sample();
    const std::int64_t grown = sampler.peak() - baseline;

    QVERIFY2(totals, totals ? "" : totals.error().c_str());
    QVERIFY2(skipped.empty(), skipped.empty() ? "" : skipped.front().c_str());
    QCOMPARE(seen, m_tensorCount);
    // The ignore defaults keep the norms (one per layer and the final one) and the embedding.
    QCOMPARE(measured, m_tensorCount - (kLayers + 2));
    QCOMPARE(allZero, std::size_t(0)); // the written pages were read, not only holes
    const std::int64_t bound = m_largestFloatBytes + kAllowance;
    qInfo("RssAnon: %lld MiB before the scan, peak %lld MiB above it; bound %lld MiB (largest tensor as "
          "float32 %lld MiB + 256 MiB)",
          (long long)(baseline / kMiB), (long long)(grown / kMiB), (long long)(bound / kMiB),
          (long long)(m_largestFloatBytes / kMiB));
    QVERIFY2(grown <= bound,
             qPrintable(QStringLiteral("the scan's peak RssAnon grew by %1 MiB, over the bound of %2 MiB")
                            .arg(grown / kMiB)
                            .arg(bound / kMiB)));
}

void TestSweepMemory::cleanupTestCase() {
    m_reader.reset(); // unmaps the shards before the directory goes
    QVERIFY(!m_dir.isValid() || m_dir.remove());
}

QTEST_GUILESS_MAIN(TestSweepMemory)
#include "tst_sweepmemory.moc"
