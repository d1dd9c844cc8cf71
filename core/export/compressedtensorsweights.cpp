// compressed-tensors' packed safetensors: the tensor layouts follow its compressors
// (pack_quantized.py's pack_to_int32, float-quantized, nvfp4_quantized.py) as documented in
// compressedtensorsweights.h.

#include "export/compressedtensorsweights.h"
#include "export/compressedtensorsconfig.h"

#include "export/tensorcopy.h"
#include "io/dtypedecode.h"
#include "io/safetensorswriter.h"
#include "quant/blocklayout.h"
#include "quant/microscaling.h"
#include "quant/minifloat.h"
#include "quant/schemequant.h"
#include "util/textfile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace qs {

namespace {

constexpr std::string_view kWeightSuffix = ".weight";
constexpr std::int64_t kConfigBytes = 64 << 20;

QString qstr(const std::string &text) {
    return QString::fromStdString(text);
}

std::string moduleOf(const std::string &name) {
    return name.ends_with(kWeightSuffix) ? name.substr(0, name.size() - kWeightSuffix.size()) : std::string();
}

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) {
    return (a + b - 1) / b;
}

int packFactor(int bits) {
    return 32 / bits;
}

// The spec as written: int and fp8 scales rounded to the weight's dtype before quantizing.
QuantSpec storedSpec(const QuantSpec &spec, DType weightDtype) {
    QuantSpec stored = spec;
    const FormatFamily family = formatTraits(spec.format).family;
    if (family == FormatFamily::Integer || family == FormatFamily::Minifloat)
        stored.scaleDtype = specScaleDtypeFor(weightDtype);
    return stored;
}

std::vector<std::int64_t> scaleShape(const QuantSpec &spec, std::int64_t rows, std::int64_t cols) {
    const Granularity &g = spec.granularity;
    switch (g.kind) {
    case Granularity::Kind::Tensor:
        return {1};
    case Granularity::Kind::Channel:
        return {rows, 1};
    case Granularity::Kind::Group:
        return {rows, ceilDiv(cols, g.size)};
    case Granularity::Kind::Block:
        return {ceilDiv(rows, g.rows), ceilDiv(cols, g.cols)};
    }
    return {1};
}

// The tensors one quantized weight becomes, in the order encodeWeight produces their bytes.
std::vector<StreamTensor> plannedTensors(const TensorInfo &info, const QuantSpec &spec) {
    const std::string module = moduleOf(info.name);
    const std::int64_t rows = info.shape[0];
    const std::int64_t cols = info.shape[1];
    const DType scaleDtype = scaleDtypeFor(info.dtype);
    if (spec.format == NumberFormat::NvFp4)
        return {{module + ".weight_packed", DType::U8, {rows, cols / 2}},
                {module + ".weight_scale", DType::F8_E4M3, {rows, cols / std::int64_t(kNvFp4BlockSize)}},
                {module + ".weight_global_scale", DType::F32, {1}}};
    if (spec.format == NumberFormat::Fp8E4M3)
        return {{module + ".weight", DType::F8_E4M3, {rows, cols}},
                {module + ".weight_scale", scaleDtype, scaleShape(spec, rows, cols)}};
    const int factor = packFactor(spec.bits);
    std::vector<StreamTensor> out{{module + ".weight_packed", DType::I32, {rows, ceilDiv(cols, factor)}},
                                  {module + ".weight_scale", scaleDtype, scaleShape(spec, rows, cols)},
                                  {module + ".weight_shape", DType::I64, {2}}};
    if (spec.scheme == Scheme::Asymmetric) {
        const std::vector<std::int64_t> grid = scaleShape(spec, rows, cols);
        out.push_back({module + ".weight_zero_point", DType::I32, {ceilDiv(rows, factor), grid[1]}});
    }
    return out;
}

template <typename T>
std::vector<std::byte> littleEndian(const std::vector<T> &values) {
    std::vector<std::byte> out(values.size() * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i) {
        auto raw = std::bit_cast<std::array<std::byte, sizeof(T)>>(values[i]);
        if constexpr (std::endian::native == std::endian::big)
            std::reverse(raw.begin(), raw.end());
        std::memcpy(out.data() + i * sizeof(T), raw.data(), sizeof(T));
    }
    return out;
}

bool sameValue(float a, float b) {
    return a == b || (std::isnan(a) && std::isnan(b));
}

Error mismatch(const std::string &name, const char *what) {
    return Error{"tensor '" + name + "': " + what + " do not reproduce the quantized values; not written"};
}

// Scales in dtype, refused unless exactly representable (the quantizer rounded them).
Result<std::vector<std::byte>> encodeScales(const std::string &name, const std::vector<float> &scales,
                                            DType dtype) {
    std::vector<std::byte> bytes = encodeFloats(scales, dtype);
    std::vector<float> back(scales.size());
    littleEndianDecoder(dtype)(bytes.data(), back.data(), back.size());
    for (std::size_t i = 0; i < scales.size(); ++i) {
        if (!sameValue(back[i], scales[i]))
            return Error{"tensor '" + name + "': scale " + std::to_string(scales[i]) + " is not a " +
                         std::string(dtypeName(dtype)) + " value, so codes × stored scale would differ"};
    }
    return bytes;
}

// Codes offset to unsigned, packed along the rows of [rows, cols]: ⌊32 / b⌋ per word, element k
// of a word in bits [k·b, (k+1)·b), the last word zero-padded.
std::vector<std::int32_t> packRows(const std::vector<std::uint32_t> &codes, std::int64_t rows,
                                   std::int64_t cols, int bits) {
    const int factor = packFactor(bits);
    const std::int64_t words = ceilDiv(cols, factor);
    std::vector<std::int32_t> packed(std::size_t(rows * words), 0);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            auto &word = packed[std::size_t(r * words + c / factor)];
            word =
                std::int32_t(std::uint32_t(word) | codes[std::size_t(r * cols + c)] << (bits * (c % factor)));
        }
    return packed;
}

// The same packing along dimension 0 (compressed-tensors' zero points).
std::vector<std::int32_t> packColumns(const std::vector<std::uint32_t> &codes, std::int64_t rows,
                                      std::int64_t cols, int bits) {
    const int factor = packFactor(bits);
    std::vector<std::int32_t> packed(std::size_t(ceilDiv(rows, factor) * cols), 0);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            auto &word = packed[std::size_t((r / factor) * cols + c)];
            word =
                std::int32_t(std::uint32_t(word) | codes[std::size_t(r * cols + c)] << (bits * (r % factor)));
        }
    return packed;
}

using Pieces = std::vector<std::vector<std::byte>>;

Result<Pieces> encodeInt(const TensorInfo &info, const QuantSpec &spec, const SchemeQuantization &q) {
    const std::int64_t rows = info.shape[0];
    const std::int64_t cols = info.shape[1];
    const auto grid = ParamGrid::make(info.shape, spec.granularity);
    if (!grid)
        return Error{grid.error()};
    // Codes on the unsigned grid [0, 2^b - 1]: symmetric ones shifted by 2^(b-1).
    const std::int64_t offset = spec.scheme == Scheme::Symmetric ? std::int64_t(1) << (spec.bits - 1) : 0;
    const std::int64_t top = (std::int64_t(1) << spec.bits) - 1;
    std::vector<std::uint32_t> codes(q.dequantized.size());
    for (std::size_t i = 0; i < codes.size(); ++i) {
        const auto g = std::size_t(grid->groupOf(std::int64_t(i)));
        const float scale = q.scales[g];
        const std::int64_t z = q.zeroPoints[g];
        const float x = q.dequantized[i];
        const std::int64_t code = std::isfinite(x) ? std::llround(x / scale) + z : -1;
        if (code + offset < 0 || code + offset > top || float(code - z) * scale != x)
            return mismatch(info.name, std::isfinite(x) ? "the int codes" : "non-finite values");
        codes[i] = std::uint32_t(code + offset);
    }
    Pieces out;
    out.push_back(littleEndian(packRows(codes, rows, cols, spec.bits)));
    auto scales = encodeScales(info.name, q.scales, scaleDtypeFor(info.dtype));
    if (!scales)
        return Error{scales.error()};
    out.push_back(std::move(scales).value());
    out.push_back(littleEndian(std::vector<std::int64_t>{rows, cols}));
    if (spec.scheme == Scheme::Asymmetric) {
        const std::vector<std::int64_t> zeroShape = scaleShape(spec, rows, cols);
        std::vector<std::uint32_t> zeros;
        for (const std::int64_t z : q.zeroPoints) {
            if (z < 0 || z > top)
                return mismatch(info.name, "the zero points");
            zeros.push_back(std::uint32_t(z));
        }
        out.push_back(littleEndian(packColumns(zeros, zeroShape[0], zeroShape[1], spec.bits)));
    }
    return out;
}

Result<Pieces> encodeFp8(const TensorInfo &info, const QuantSpec &spec, const SchemeQuantization &q) {
    const auto grid = ParamGrid::make(info.shape, spec.granularity);
    if (!grid)
        return Error{grid.error()};
    std::vector<std::uint8_t> codes(q.dequantized.size());
    for (std::size_t i = 0; i < codes.size(); ++i) {
        const float scale = q.scales[std::size_t(grid->groupOf(std::int64_t(i)))];
        const float x = q.dequantized[i];
        // A zero scale (an all-zero group) leaves only zeros and NaN, which encode as they are.
        const bool scaled = scale > 0.0f && std::isfinite(scale);
        codes[i] = encodeMiniFloat(MiniFloat::E4M3, scaled ? x / scale : x);
        const float back = decodeMiniFloat(MiniFloat::E4M3, codes[i]) * (scaled ? scale : 0.0f);
        if (!sameValue(back, x))
            return mismatch(info.name, "the fp8 codes");
    }
    auto scales = encodeScales(info.name, q.scales, scaleDtypeFor(info.dtype));
    if (!scales)
        return Error{scales.error()};
    Pieces out;
    out.push_back(littleEndian(codes));
    out.push_back(std::move(scales).value());
    return out;
}

// NVFP4's own scales again (quantizeScheme keeps only s_b / g): g from the tensor's finite
// maximum, s_b per block of 16, codes e2m1(x · g / s_b), each as the kernel evaluates them.
Result<Pieces> encodeNvFp4(const TensorInfo &info, std::span<const float> values,
                           const SchemeQuantization &q) {
    const float global = nvFp4GlobalScale(finiteAbsMax(values));
    std::vector<std::uint8_t> packed(values.size() / 2, 0);
    std::vector<std::uint8_t> blockScales;
    for (std::size_t b = 0; b < values.size(); b += kNvFp4BlockSize) {
        const std::span<const float> block = values.subspan(b, kNvFp4BlockSize);
        const float blockScale = nvFp4BlockScale(global, finiteAbsMax(block));
        blockScales.push_back(encodeMiniFloat(MiniFloat::E4M3, blockScale));
        for (std::size_t k = 0; k < kNvFp4BlockSize; ++k) {
            const std::size_t i = b + k;
            const std::uint8_t code =
                blockScale > 0.0f ? encodeMiniFloat(MiniFloat::E2M1, values[i] * global / blockScale) : 0;
            const float back = blockScale * decodeMiniFloat(MiniFloat::E2M1, code) / global;
            if (std::isnan(values[i]) || !sameValue(back, q.dequantized[i]))
                return mismatch(info.name, std::isnan(values[i]) ? "NaN values" : "the nvfp4 codes");
            packed[i / 2] |= std::uint8_t(code << (i % 2 ? 4 : 0));
        }
    }
    return Pieces{littleEndian(packed), littleEndian(blockScales), littleEndian(std::vector<float>{global})};
}

// One planned weight: quantized with the stored spec, then its tensors' bytes in plannedTensors'
// order.
Result<Pieces> encodeWeight(const ExportJob &job, std::size_t index, const QuantSpec &spec) {
    const TensorInfo &info = job.reader->tensors()[index];
    const auto loaded = job.reader->loadFloat(index, job.control);
    if (!loaded)
        return Error{loaded.error()};
    const std::span<const float> values = loaded.value()->values();
    const auto q = quantizeScheme(values, info.shape, spec, job.control);
    if (!q)
        return Error{q.error() == "cancelled" ? q.error() : "tensor '" + info.name + "': " + q.error()};
    if (spec.format == NumberFormat::NvFp4)
        return encodeNvFp4(info, values, q.value());
    if (spec.format == NumberFormat::Fp8E4M3)
        return encodeFp8(info, spec, q.value());
    return encodeInt(info, spec, q.value());
}

std::optional<std::string> cannotExpressInt(const QuantSpec &spec, std::int64_t cols) {
    if (spec.method == CalibMethod::Hqq)
        return "hqq's float zero points have no compressed-tensors form";
    if (spec.bits > 8)
        return "int" + std::to_string(spec.bits) + " has no pack-quantized form (at most 8 bits)";
    const Granularity &g = spec.granularity;
    if (g.kind == Granularity::Kind::Block)
        return "int in blocks has no pack-quantized form (tensor, channel or group)";
    if (g.kind == Granularity::Kind::Tensor && spec.scheme == Scheme::Asymmetric)
        return "asymmetric int per tensor has no packed zero point (use channel or group)";
    if (g.kind == Granularity::Kind::Group && cols % g.size != 0)
        return "groups of " + std::to_string(g.size) + " must divide the row length";
    return std::nullopt;
}

class CompressedTensorsWeightsExporter final : public Exporter {
public:
    std::string id() const override { return "compressed-tensors"; }
    std::string displayName() const override { return "compressed-tensors safetensors"; }
    ExportCapability capability() const override { return ExportCapability::Weights; }
    bool outputIsFolder() const override { return true; }
    std::vector<std::string> outputFiles() const override { return {"model.safetensors", "config.json"}; }
    std::string fileFilter() const override { return "Folder"; }
    std::string schemesText() const override {
        return "int 2-8 bits per tensor (symmetric), channel or group (pack-quantized); fp8_e4m3 "
               "(float-quantized); nvfp4 (nvfp4-pack-quantized); 2-D weights only";
    }

    std::optional<std::string> cannotExpress(const QuantSpec &spec,
                                             const std::vector<std::int64_t> &shape) const override {
        const std::string format(formatTraits(spec.format).name);
        if (spec.format != NumberFormat::Int && spec.format != NumberFormat::Fp8E4M3 &&
            spec.format != NumberFormat::NvFp4)
            return format + " has no compressed-tensors form";
        if (shape.size() != 2)
            return "compressed-tensors quantizes 2-D weights only";
        if (spec.granularity.kind == Granularity::Kind::Channel && spec.granularity.axis != 0)
            return "channels along axis " + std::to_string(spec.granularity.axis) +
                   " have no compressed-tensors form (output channels only)";
        if (spec.format == NumberFormat::Int) {
            if (auto why = cannotExpressInt(spec, shape[1]))
                return why;
        } else if (spec.granularity.kind == Granularity::Kind::Group &&
                   shape[1] % spec.granularity.size != 0) {
            return "groups of " + std::to_string(spec.granularity.size) + " must divide the row length";
        }
        // The config.json written beside the weights must describe them, so what its builder
        // cannot express is refused here too (narrow range, fixed clips, other observers).
        return compressedTensorsCannotExpress(spec, shape);
    }

    Result<ExportOutcome> write(const ExportJob &job) const override { return writeCompressedTensors(job); }
};

// The checkpoint's own config.json (when one lies beside it) with the quantization_config the
// config target writes for the same plan.
Result<QByteArray> mergedConfig(const ExportJob &job) {
    QJsonObject config;
    if (const std::string path = configJsonBeside(*job.reader); !path.empty()) {
        const auto text = loadTextFile(path, kConfigBytes, "a model configuration");
        if (!text)
            return Error{text.error()};
        auto parsed = parseJsonObject(text.value(), path, "a model configuration");
        if (!parsed)
            return Error{parsed.error()};
        config = parsed.value();
    }
    const auto block = compressedTensorsQuantizationConfig(job.plan, job.reader->tensors());
    if (!block)
        return Error{block.error()};
    return QJsonDocument(mergeQuantizationConfig(config, block.value())).toJson(QJsonDocument::Indented);
}

struct PlannedOutput {
    std::vector<StreamTensor> headers;
    std::vector<std::optional<QuantSpec>> specs; // per input tensor: the stored spec when planned
};

// Every output tensor's header, from the plan alone, before anything is quantized.
Result<PlannedOutput> planOutput(const ExportJob &job, const TensorCopier &copier) {
    PlannedOutput out;
    for (const TensorInfo &info : job.reader->tensors()) {
        const TensorResolution r = resolve(job.plan, info.name, info.shape);
        if (!r.quantized()) {
            if (const auto why = copier.cannotCopy(info))
                return Error{"tensor '" + info.name + "': " + *why};
            out.headers.push_back({info.name, info.dtype, info.shape});
            out.specs.push_back(std::nullopt);
            continue;
        }
        if (moduleOf(info.name).empty())
            return Error{"tensor '" + info.name + "': compressed-tensors quantizes a module's .weight only"};
        out.specs.push_back(storedSpec(r.spec, info.dtype));
        const std::vector<StreamTensor> tensors = plannedTensors(info, *out.specs.back());
        out.headers.insert(out.headers.end(), tensors.begin(), tensors.end());
    }
    return out;
}

// No file to be written may be the input, one of its shards or the config.json beside it.
Status checkOutputs(const ExportJob &job, const std::string &target, const std::string &configPath,
                    const std::vector<StreamTensor> &headers, std::uint64_t shardBytes) {
    auto paths = SafetensorsStream::plannedPaths(target, headers, shardBytes);
    if (!paths)
        return Error{paths.error()};
    std::vector<std::string> outputs = std::move(paths).value();
    outputs.push_back(configPath);
    if (const Status notInput = checkNotInput(*job.reader, outputs); !notInput)
        return notInput;
    const std::string beside = configJsonBeside(*job.reader);
    if (!beside.empty() &&
        QFileInfo(qstr(beside)).canonicalFilePath() == QFileInfo(qstr(configPath)).canonicalFilePath())
        return Error{job.output + " is the input checkpoint's folder; refusing to overwrite its config.json"};
    return {};
}

} // namespace

const Exporter &compressedTensorsWeightsExporter() {
    static const CompressedTensorsWeightsExporter exporter;
    return exporter;
}

Result<ExportOutcome> writeCompressedTensors(const ExportJob &job, std::uint64_t shardBytes) {
    TensorCopier copier(*job.reader);
    const auto planned = planOutput(job, copier);
    if (!planned)
        return Error{planned.error()};
    const auto config = mergedConfig(job);
    if (!config)
        return Error{config.error()};
    const QDir folder(qstr(job.output));
    const std::string target = folder.filePath(QStringLiteral("model.safetensors")).toStdString();
    const std::string configPath = folder.filePath(QStringLiteral("config.json")).toStdString();
    if (const Status free = checkOutputs(job, target, configPath, planned->headers, shardBytes); !free)
        return Error{free.error()};

    OutputFolder output(job.output);
    if (!output.status())
        return Error{output.status().error()};
    auto stream = SafetensorsStream::open(target, planned->headers, shardBytes, {{"format", "pt"}});
    if (!stream)
        return Error{stream.error()};
    if (const Status added = stream.value()->addFile(configPath, config.value()); !added)
        return Error{added.error()};
    auto outcome = streamWeights(job, *stream.value(), copier, planned->specs,
                                 [&job](std::size_t index, const QuantSpec &spec, SafetensorsStream &out) {
                                     auto pieces = encodeWeight(job, index, spec);
                                     if (!pieces)
                                         return Status(Error{pieces.error()});
                                     for (const auto &piece : pieces.value())
                                         if (const Status ok = out.append(piece); !ok)
                                             return ok;
                                     return Status();
                                 });
    if (outcome)
        output.keep();
    return outcome;
}

} // namespace qs
