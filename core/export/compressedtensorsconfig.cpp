// compressed-tensors' quantization_config, as llm-compressor writes it into a Hugging Face
// config.json (QuantizationArgs, QuantizationScheme and CompressionFormat of the
// compressed-tensors package), and the export target that writes it.

#include "export/compressedtensorsconfig.h"

#include "export/exporter.h"
#include "util/textfile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace qs {

namespace {

// config.json files are a few KiB; anything this large is not one.
constexpr std::int64_t kMaxConfigBytes = std::int64_t(16) << 20;
constexpr std::string_view kWeightSuffix = ".weight";

QString qstr(const std::string &text) {
    return QString::fromStdString(text);
}

std::string formatName(NumberFormat format) {
    return std::string(formatTraits(format).name);
}

std::optional<std::string> cannotExpressFormat(const QuantSpec &spec) {
    switch (spec.format) {
    case NumberFormat::Int:
        // pack_to_int32 packs 2..8-bit codes; wider ints have no compressed form.
        if (spec.bits > 8)
            return "int" + std::to_string(spec.bits) +
                   " has no compressed-tensors form (int num_bits 2 to 8)";
        // compressed-tensors' symmetric grid is the full [-2^(b-1), 2^(b-1) - 1] with
        // scale = amax / ((qmax - qmin) / 2); it has no narrow (TensorRT) range.
        if (spec.scheme == Scheme::Symmetric && spec.narrow)
            return "narrow-range int has no compressed-tensors form (its symmetric range is the full one)";
        return std::nullopt;
    case NumberFormat::Fp8E4M3:
    case NumberFormat::NvFp4:
    case NumberFormat::MxFp4:
        return std::nullopt;
    case NumberFormat::Fp8E5M2:
        // QuantizationArgs' float 8-bit type is torch.float8_e4m3fn only.
        return "fp8_e5m2 has no compressed-tensors form (its 8-bit float is E4M3)";
    case NumberFormat::MxFp8:
        return "mxfp8 has no compressed-tensors form Quantscope writes";
    case NumberFormat::Nf4:
        return "nf4 has no compressed-tensors form (a codebook format)";
    case NumberFormat::F16:
    case NumberFormat::BF16:
        // A cast is a dense checkpoint in that dtype, not a quantization scheme.
        return formatName(spec.format) +
               " has no compressed-tensors form (a cast: save the checkpoint in that dtype instead)";
    default:
        break;
    }
    return formatName(spec.format) + " has no compressed-tensors form (a llama.cpp block type)";
}

std::optional<std::string> cannotExpressRange(const QuantSpec &spec) {
    // Observers find each group's range; a user's fixed clip, a shrunk ratio or the other
    // calibration methods have no observer that reproduces them.
    if (spec.method != CalibMethod::MinMax && spec.method != CalibMethod::Mse)
        return "method " + std::string(methodName(spec.method)) +
               " has no compressed-tensors observer (minmax or mse)";
    if (spec.rangeMode == RangeMode::Saturating)
        return "a fixed clip has no compressed-tensors form (observers find each group's range)";
    if (spec.clipRatio != 1.0)
        return "clip_ratio " + planNumber(spec.clipRatio) + " has no compressed-tensors form";
    return std::nullopt;
}

bool freeGranularity(const QuantSpec &spec) {
    return spec.format == NumberFormat::Int || spec.format == NumberFormat::Fp8E4M3;
}

QJsonValue strategyName(const QuantSpec &spec) {
    if (spec.format == NumberFormat::NvFp4)
        return QStringLiteral("tensor_group");
    if (spec.format == NumberFormat::MxFp4)
        return QStringLiteral("group");
    switch (spec.granularity.kind) {
    case Granularity::Kind::Tensor:
        return QStringLiteral("tensor");
    case Granularity::Kind::Channel:
        return QStringLiteral("channel");
    case Granularity::Kind::Group:
        return QStringLiteral("group");
    case Granularity::Kind::Block:
        return QStringLiteral("block");
    }
    return QStringLiteral("tensor");
}

QJsonValue groupSize(const QuantSpec &spec) {
    if (spec.format == NumberFormat::NvFp4 || spec.format == NumberFormat::MxFp4)
        return qint64(formatTraits(spec.format).fixedBlock);
    if (spec.granularity.kind == Granularity::Kind::Group)
        return qint64(spec.granularity.size);
    return QJsonValue::Null;
}

std::string moduleOf(const std::string &tensor) {
    if (tensor.size() <= kWeightSuffix.size() || !tensor.ends_with(kWeightSuffix))
        return {};
    return tensor.substr(0, tensor.size() - kWeightSuffix.size());
}

// One config group under construction: its scheme, format and target modules.
struct Group {
    QJsonObject weights;
    std::string format;
    QJsonArray targets;
};

} // namespace

std::optional<std::string> compressedTensorsCannotExpress(const QuantSpec &spec,
                                                          const std::vector<std::int64_t> &shape) {
    if (auto format = cannotExpressFormat(spec))
        return format;
    if (auto range = cannotExpressRange(spec))
        return range;
    // Every strategy is defined on a Linear's [out, in] weight.
    if (shape.size() != 2)
        return "compressed-tensors quantizes 2-D Linear weights, not " + std::to_string(shape.size()) +
               "-D tensors";
    if (freeGranularity(spec) && spec.granularity.kind == Granularity::Kind::Channel &&
        spec.granularity.axis != 0)
        return "channel axis " + std::to_string(spec.granularity.axis) +
               " has no compressed-tensors form (strategy channel is per output row, axis 0)";
    // llm-compressor refuses a group strategy whose groups do not tile the input columns (its
    // kernels need whole groups) and asks for the layer to be ignored.
    if (const QJsonValue size = groupSize(spec); size.isDouble() && shape[1] % size.toInteger() != 0)
        return std::to_string(shape[1]) + " columns are not a multiple of group_size " +
               std::to_string(size.toInteger()) +
               " (compressed-tensors' group kernels need whole groups; keep the tensor or pick a group size "
               "that divides its columns)";
    return std::nullopt;
}

QJsonObject compressedTensorsWeightsArgs(const QuantSpec &spec) {
    const bool isInt = spec.format == NumberFormat::Int;
    int bits = 4;
    if (isInt)
        bits = spec.bits;
    else if (spec.format == NumberFormat::Fp8E4M3)
        bits = 8;
    QJsonValue block = QJsonValue::Null;
    if (freeGranularity(spec) && spec.granularity.kind == Granularity::Kind::Block)
        block = QJsonArray{qint64(spec.granularity.rows), qint64(spec.granularity.cols)};
    return QJsonObject{
        {QStringLiteral("num_bits"), bits},
        {QStringLiteral("type"), isInt ? QStringLiteral("int") : QStringLiteral("float")},
        {QStringLiteral("symmetric"), !isInt || spec.scheme == Scheme::Symmetric},
        {QStringLiteral("strategy"), strategyName(spec)},
        {QStringLiteral("group_size"), groupSize(spec)},
        {QStringLiteral("block_structure"), block},
        {QStringLiteral("dynamic"), false},
        {QStringLiteral("actorder"), QJsonValue::Null},
        {QStringLiteral("observer"),
         spec.method == CalibMethod::Mse ? QStringLiteral("mse") : QStringLiteral("minmax")},
        {QStringLiteral("observer_kwargs"), QJsonObject{}},
    };
}

std::string compressedTensorsFormat(const QuantSpec &spec) {
    switch (spec.format) {
    case NumberFormat::Fp8E4M3:
        return "float-quantized";
    case NumberFormat::NvFp4:
        return "nvfp4-pack-quantized";
    case NumberFormat::MxFp4:
        return "mxfp4-pack-quantized";
    default:
        return "pack-quantized";
    }
}

Result<QJsonObject> compressedTensorsQuantizationConfig(const QuantPlan &plan,
                                                        std::span<const TensorInfo> tensors) {
    std::vector<Group> groups;
    QJsonArray ignore;
    std::vector<std::string> ignored;
    for (const TensorInfo &info : tensors) {
        const TensorResolution r = resolve(plan, info.name, info.shape);
        const std::string module = moduleOf(info.name);
        if (!r.quantized()) {
            // A kept (or skipped) module weight stays dense: compressed-tensors must leave it.
            if (!module.empty() && std::find(ignored.begin(), ignored.end(), module) == ignored.end()) {
                ignored.push_back(module);
                ignore.append(qstr(module));
            }
            continue;
        }
        if (module.empty())
            return Error{info.name +
                         " is not a module weight (compressed-tensors quantizes <module>.weight only)"};
        if (auto why = compressedTensorsCannotExpress(r.spec, info.shape))
            return Error{info.name + ": " + *why};
        const QJsonObject weights = compressedTensorsWeightsArgs(r.spec);
        const std::string format = compressedTensorsFormat(r.spec);
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const Group &g) { return g.weights == weights && g.format == format; });
        if (it == groups.end())
            it = groups.insert(groups.end(), Group{weights, format, {}});
        it->targets.append(qstr(module));
    }
    if (groups.empty())
        return Error{"the plan quantizes no tensor, so there is no quantization_config to write"};

    const bool mixed = std::any_of(groups.begin(), groups.end(),
                                   [&](const Group &g) { return g.format != groups.front().format; });
    QJsonObject configGroups;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        QJsonObject group{{QStringLiteral("targets"), groups[i].targets},
                          {QStringLiteral("weights"), groups[i].weights},
                          {QStringLiteral("input_activations"), QJsonValue::Null},
                          {QStringLiteral("output_activations"), QJsonValue::Null}};
        if (mixed)
            group.insert(QStringLiteral("format"), qstr(groups[i].format));
        configGroups.insert(QStringLiteral("group_") + QString::number(i), group);
    }
    return QJsonObject{
        {QStringLiteral("config_groups"), configGroups},
        {QStringLiteral("ignore"), ignore},
        {QStringLiteral("format"), mixed ? QStringLiteral("mixed-precision") : qstr(groups.front().format)},
        {QStringLiteral("quant_method"), QStringLiteral("compressed-tensors")},
        {QStringLiteral("quantization_status"), QStringLiteral("compressed")},
        {QStringLiteral("kv_cache_scheme"), QJsonValue::Null},
        {QStringLiteral("sparsity_config"), QJsonObject{}},
        {QStringLiteral("transform_config"), QJsonObject{}},
    };
}

std::string configJsonBeside(const CheckpointReader &reader) {
    const QFileInfo checkpoint(qstr(reader.path()));
    const QFileInfo config(checkpoint.dir(), QStringLiteral("config.json"));
    return config.isFile() ? config.filePath().toStdString() : std::string();
}

QJsonObject mergeQuantizationConfig(QJsonObject config, const QJsonObject &quantizationConfig) {
    config.insert(QStringLiteral("quantization_config"), quantizationConfig);
    return config;
}

namespace {

bool samePath(const std::string &a, const std::string &b) {
    const QString ca = QFileInfo(qstr(a)).canonicalFilePath();
    return !ca.isEmpty() && ca == QFileInfo(qstr(b)).canonicalFilePath();
}

class CompressedTensorsConfigExporter final : public Exporter {
public:
    std::string id() const override { return "compressed-tensors"; }
    std::string displayName() const override { return "compressed-tensors quantization_config"; }
    ExportCapability capability() const override { return ExportCapability::Config; }
    std::vector<std::string> outputFiles() const override { return {"json"}; }
    std::string fileFilter() const override { return "Hugging Face config (*.json)"; }
    std::string schemesText() const override {
        return "int 2-8 bits (symmetric or asymmetric; per tensor, channel, group or block), fp8_e4m3, "
               "nvfp4, mxfp4; "
               "minmax or mse";
    }
    std::optional<std::string> cannotExpress(const QuantSpec &spec,
                                             const std::vector<std::int64_t> &shape) const override {
        return compressedTensorsCannotExpress(spec, shape);
    }

    Result<ExportOutcome> write(const ExportJob &job) const override {
        const auto &tensors = job.reader->tensors();
        const Result<QJsonObject> quantization = compressedTensorsQuantizationConfig(job.plan, tensors);
        if (!quantization)
            return Error{quantization.error()};
        ExportOutcome outcome;
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            if (job.control.canceled())
                return Error{"cancelled"};
            (resolve(job.plan, tensors[i].name, tensors[i].shape).quantized() ? outcome.quantized
                                                                              : outcome.copied) += 1;
            if (job.tensorDone)
                job.tensorDone(i);
        }
        QJsonObject root{{QStringLiteral("quantization_config"), quantization.value()}};
        if (const std::string beside = configJsonBeside(*job.reader); !beside.empty()) {
            // Overwriting the model's own config.json would declare its dense weights quantized.
            if (samePath(beside, job.output))
                return Error{job.output +
                             " is the checkpoint's own config.json; write the merged copy elsewhere"};
            const auto text = loadTextFile(beside, kMaxConfigBytes, "a config.json");
            if (!text)
                return Error{text.error()};
            const auto config = parseJsonObject(text.value(), beside, "a Hugging Face config.json");
            if (!config)
                return Error{config.error()};
            root = mergeQuantizationConfig(config.value(), quantization.value());
        }
        const std::string json = QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString();
        if (const Status saved = saveTextFile(job.output, json); !saved)
            return Error{saved.error()};
        outcome.written.push_back(job.output);
        return outcome;
    }
};

} // namespace

const Exporter &compressedTensorsConfigExporter() {
    static const CompressedTensorsConfigExporter exporter;
    return exporter;
}

} // namespace qs
