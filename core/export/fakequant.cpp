#include "export/fakequant.h"

#include "export/tensorcopy.h"
#include "io/safetensorswriter.h"
#include "quant/schemequant.h"

namespace qs {

namespace {

bool encodable(DType dtype) {
    return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F64;
}

// x̂ can be stored in the tensor's dtype, or in F32 when the dtype is a GGUF block type's.
Result<DType> outputDtype(const TensorInfo &info) {
    if (!info.storageType.empty())
        return DType::F32;
    if (encodable(info.dtype))
        return info.dtype;
    return Error{"tensor '" + info.name + "': x̂ cannot be stored as " + std::string(dtypeName(info.dtype)) +
                 " (F32, F16, BF16 or F64 only)"};
}

// The importance weights the tensor's format uses, or none.
std::span<const float> importanceFor(const ExportJob &job, const TensorInfo &info, const QuantSpec &spec) {
    if (!job.importance || !usesImportance(spec.format))
        return {};
    const auto found = job.importance->lookup(info.name, info.shape);
    return found ? found->weights : std::span<const float>();
}

Status writeQuantized(const ExportJob &job, std::size_t index, const QuantSpec &spec, DType dtype,
                      SafetensorsStream &out) {
    const TensorInfo &info = job.reader->tensors()[index];
    const auto loaded = job.reader->loadFloat(index, job.control);
    if (!loaded)
        return Error{loaded.error()};
    const auto q = quantizeScheme(loaded.value()->values(), info.shape, spec, job.control,
                                  importanceFor(job, info, spec));
    if (!q)
        return Error{"tensor '" + info.name + "': " + q.error()};
    return out.append(encodeFloats(q->dequantized, dtype));
}

class FakeQuantExporter final : public Exporter {
public:
    std::string id() const override { return "fake-quant"; }
    std::string displayName() const override { return "fake-quantized safetensors"; }
    ExportCapability capability() const override { return ExportCapability::Weights; }
    std::vector<std::string> outputFiles() const override { return {"safetensors"}; }
    std::string fileFilter() const override { return "safetensors (*.safetensors)"; }
    std::string schemesText() const override {
        return "every scheme: each planned tensor holds its dequantized values in its own dtype";
    }
    std::optional<std::string> cannotExpress(const QuantSpec &,
                                             const std::vector<std::int64_t> &) const override {
        return std::nullopt;
    }
    Result<ExportOutcome> write(const ExportJob &job) const override { return writeFakeQuant(job); }
};

} // namespace

const Exporter &fakeQuantExporter() {
    static const FakeQuantExporter exporter;
    return exporter;
}

Result<ExportOutcome> writeFakeQuant(const ExportJob &job, std::uint64_t shardBytes) {
    const std::vector<TensorInfo> &tensors = job.reader->tensors();
    TensorCopier copier(*job.reader);
    std::vector<StreamTensor> headers;
    std::vector<std::optional<QuantSpec>> specs;
    std::uint64_t totalBytes = 0;
    for (const TensorInfo &info : tensors) {
        const TensorResolution r = resolve(job.plan, info.name, info.shape);
        specs.push_back(r.quantized() ? std::optional(r.spec) : std::nullopt);
        DType dtype = info.dtype;
        if (r.quantized()) {
            const auto planned = outputDtype(info);
            if (!planned)
                return Error{planned.error()};
            dtype = planned.value();
        } else if (const auto why = copier.cannotCopy(info)) {
            return Error{"tensor '" + info.name + "': " + *why};
        }
        headers.push_back({info.name, dtype, info.shape});
        totalBytes += headers.back().byteSize();
    }
    const auto paths = SafetensorsStream::plannedPaths(job.output, headers, shardBytes);
    if (!paths)
        return Error{paths.error()};
    if (const Status notInput = checkNotInput(*job.reader, paths.value()); !notInput)
        return Error{notInput.error()};
    auto stream = SafetensorsStream::open(job.output, headers, shardBytes, {{"format", "pt"}});
    if (!stream)
        return Error{stream.error()};

    ExportOutcome outcome;
    std::uint64_t doneBytes = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (job.control.canceled())
            return Error{"cancelled"};
        const Status written = specs[i] ? writeQuantized(job, i, *specs[i], headers[i].dtype, *stream.value())
                                        : copier.copy(i, *stream.value(), job.control);
        if (!written)
            return Error{written.error()};
        (specs[i] ? outcome.quantized : outcome.copied) += 1;
        doneBytes += headers[i].byteSize();
        job.control.report(totalBytes ? double(doneBytes) / double(totalBytes) : 1.0);
        if (job.tensorDone)
            job.tensorDone(i);
    }
    if (job.control.canceled())
        return Error{"cancelled"};
    auto committed = stream.value()->commit();
    if (!committed)
        return Error{committed.error()};
    outcome.written = std::move(committed).value();
    return outcome;
}

} // namespace qs
