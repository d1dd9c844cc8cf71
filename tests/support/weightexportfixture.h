#pragma once

// The checkpoint the weight-export tests export (a few projections of different dtypes and
// shapes, tensors a plan keeps, one weight with a NaN), the plan and spec shorthands they
// write, and an output opened with Quantscope's own reader. Shared by tst_weightexport
// (the compressed-tensors layouts) and tst_weightexportjob (fake-quant, refusals, failures).

#include "export/compressedtensorsweights.h"
#include "io/checkpointreader.h"
#include "io/mappedfile.h"
#include "io/safetensorswriter.h"
#include "quant/schemequant.h"

#include <QDir>
#include <QString>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace qs::test {

using Shape = std::vector<std::int64_t>;

inline constexpr const char *kUp = "model.layers.0.mlp.up_proj.weight";     // BF16 [8, 256]
inline constexpr const char *kQ = "model.layers.0.self_attn.q_proj.weight"; // F32 [8, 256]
inline constexpr const char *kK = "model.layers.0.self_attn.k_proj.weight"; // F32 [6, 102]
inline constexpr const char *kV = "model.layers.0.self_attn.v_proj.weight"; // F16 [4, 64]
inline constexpr const char *kO = "model.layers.0.self_attn.o_proj.weight"; // F32 [4, 64]
inline constexpr const char *kNorm = "model.norm.weight";                   // F32 [256], kept
inline constexpr const char *kEmbed = "model.embed_tokens.weight";          // BF16 [16, 8], kept
inline constexpr const char *kIds = "position_ids";                         // I64 [3], kept

// A wavy ramp with a different spread per row, so groups and channels get distinct scales.
inline std::vector<float> wave(std::int64_t rows, std::int64_t cols, double phase) {
    std::vector<float> v;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c)
            v.push_back(float(std::sin(0.37 * double(c) + phase * double(r + 1)) * 0.02 * double(r + 1) +
                              0.001 * double(c % 7)));
    return v;
}

inline TensorBlob blob(const char *name, DType dtype, Shape shape, const std::vector<float> &values) {
    return {name, dtype, std::move(shape), encodeFloats(values, dtype)};
}

inline QuantSpec intGroup(int bits, Scheme scheme, std::int64_t group) {
    QuantSpec spec = intSpec(bits, scheme);
    spec.granularity = {Granularity::Kind::Group, 0, group, 0, 0};
    return spec;
}

inline QuantSpec channelSpec(NumberFormat format, int bits) {
    QuantSpec spec = intSpec(bits, Scheme::Symmetric);
    spec.format = format;
    spec.granularity.kind = Granularity::Kind::Channel;
    return spec;
}

inline QuantSpec formatSpec(NumberFormat format) {
    QuantSpec spec;
    spec.format = format;
    return spec;
}

// Quantizes only the named tensors: everything else is ignored ("re:.*"), and overrides win.
inline QuantPlan planOf(const std::vector<std::pair<std::string, QuantSpec>> &specs) {
    QuantPlan plan;
    plan.ignore.push_back(NamePattern::parse("re:.*").value());
    for (const auto &[name, spec] : specs)
        plan.overrides[name] = PlanOverride{false, planSchemeFromSpec(spec)};
    return plan;
}

// One safetensors output opened with Quantscope's reader: headers, raw bytes and decoded floats.
struct Output {
    std::shared_ptr<const CheckpointReader> reader;
    std::shared_ptr<const MappedFile> file;

    const TensorInfo *find(const std::string &name) const {
        for (const TensorInfo &t : reader->tensors())
            if (t.name == name)
                return &t;
        return nullptr;
    }
    std::span<const std::byte> bytes(const TensorInfo &t) const {
        return file->bytes().subspan(std::size_t(t.byteOffset), std::size_t(t.byteSize));
    }
    std::vector<float> floats(const std::string &name) const {
        const TensorInfo *t = find(name);
        const auto index = std::size_t(t - reader->tensors().data());
        const auto loaded = reader->loadFloat(index);
        return {loaded.value()->values().begin(), loaded.value()->values().end()};
    }
    template <typename T>
    std::vector<T> ints(const std::string &name) const {
        const auto raw = bytes(*find(name));
        std::vector<T> out(raw.size() / sizeof(T));
        std::memcpy(out.data(), raw.data(), raw.size()); // the test machine is little-endian
        return out;
    }
};

inline Output openOutput(const QString &path) {
    Output out;
    auto reader = openCheckpoint(path.toStdString());
    if (!reader)
        qFatal("cannot open %s: %s", qPrintable(path), reader.error().c_str());
    out.reader = reader.value();
    out.file = MappedFile::open(path.toStdString()).value();
    return out;
}

// The input checkpoint in a temporary folder (in/model.safetensors) and its reader; a test
// class derives from it beside QObject and calls writeInput() from initTestCase().
class WeightExportFixture {
protected:
    void writeInput() {
        QVERIFY(m_dir.isValid());
        m_input = m_dir.filePath(QStringLiteral("in/model.safetensors"));
        QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("in"))));
        std::vector<float> withNan = wave(4, 64, 0.9);
        withNan[5] = std::numeric_limits<float>::quiet_NaN();
        const std::vector<TensorBlob> tensors{
            blob(kEmbed, DType::BF16, {16, 8}, wave(16, 8, 0.1)),
            blob(kUp, DType::BF16, {8, 256}, wave(8, 256, 0.3)),
            blob(kQ, DType::F32, {8, 256}, wave(8, 256, 0.5)),
            blob(kK, DType::F32, {6, 102}, wave(6, 102, 0.7)),
            blob(kV, DType::F16, {4, 64}, wave(4, 64, 1.1)),
            blob(kO, DType::F32, {4, 64}, wave(4, 64, 1.3)),
            blob("model.layers.0.bad.weight", DType::F32, {4, 64}, withNan),
            blob(kNorm, DType::F32, {256}, wave(1, 256, 0.2)),
            {kIds, DType::I64, {3}, std::vector<std::byte>(24, std::byte{7})},
        };
        QVERIFY(writeSafetensors(m_input.toStdString(), tensors).ok());
        auto reader = openCheckpoint(m_input.toStdString());
        QVERIFY2(reader.ok(), reader.error().c_str());
        m_reader = reader.value();
    }

    // The compressed-tensors export of the input: check() first, then the write.
    Result<ExportOutcome> exportCt(const QuantPlan &plan, const QString &folder,
                                   std::uint64_t shardBytes = kDefaultShardBytes) const {
        ExportJob job;
        job.reader = m_reader.get();
        job.plan = plan;
        job.output = folder.toStdString();
        if (const Status checked = compressedTensorsWeightsExporter().check(job); !checked)
            return Error{checked.error()};
        return writeCompressedTensors(job, shardBytes);
    }

    QTemporaryDir m_dir;
    QString m_input;
    std::shared_ptr<const CheckpointReader> m_reader;
};

} // namespace qs::test
