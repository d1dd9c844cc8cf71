// GGUF re-quantization: the input's header with new tensor types and offsets, then its tensors in
// order, planned ones encoded with llama.cpp's quantizers and the rest copied as stored.

#include "export/ggufwriter.h"

#include "io/ggmlblocks.h"
#include "io/ggufreader.h"
#include "quant/formatkernels.h"
#include "quant/ggmlencode.h"
#include "quant/schemequant.h"

#include <QSaveFile>
#include <QString>

#include <algorithm>
#include <array>
#include <map>

namespace qs {

namespace {

constexpr std::string_view kFileTypeKey = "general.file_type";
constexpr std::uint32_t kGgufU32 = 4; // gguf_type of general.file_type, as llama.cpp reads it
// Unplanned tensors are copied in slices this large, so a cancel is seen within one slice.
constexpr std::size_t kCopySliceBytes = std::size_t(64) << 20;

const GgufReader *ggufInput(const CheckpointReader *reader) {
    return dynamic_cast<const GgufReader *>(reader);
}

std::uint64_t alignUp(std::uint64_t value, std::uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

void putLe(std::string &out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out += char((value >> (8 * i)) & 0xFF);
}

void putString(std::string &out, std::string_view text) {
    putLe(out, text.size(), 8);
    out += text;
}

// One tensor of the output: where it goes and whether it is encoded or copied.
struct OutTensor {
    bool quantize = false;
    std::uint32_t typeId = 0; ///< ggml type written
    std::optional<TensorImportance> importance;
    std::uint64_t bytes = 0;
    std::uint64_t offset = 0; ///< relative to the data section
};

std::int64_t rowLength(const TensorInfo &info) {
    return info.shape.empty() ? 1 : info.shape.back();
}

// llama.cpp's quant_weights for a planned tensor, when the job has them and the format uses them.
// A tensor the matrix has no entry for is quantized without, as llama-quantize does.
Result<std::optional<TensorImportance>> importanceFor(const ExportJob &job, const TensorInfo &info,
                                                      NumberFormat format) {
    if (!job.importance || !usesImportance(format) || !job.importance->find(info.name))
        return std::optional<TensorImportance>();
    auto weights = job.importance->lookup(info.name, info.shape);
    if (!weights)
        return Error{weights.error()};
    return std::optional<TensorImportance>(weights.value());
}

Result<OutTensor> planTensor(const ExportJob &job, const GgufReader &reader, std::size_t index) {
    const TensorInfo &info = reader.tensors()[index];
    const TensorResolution resolution = resolve(job.plan, info.name, info.shape);
    OutTensor out;
    if (!resolution.quantized()) {
        out.typeId = reader.ggmlType(index);
        out.bytes = info.byteSize;
        return out;
    }
    if (formatTraits(resolution.spec.format).family == FormatFamily::Cast) {
        out.quantize = true;
        out.typeId =
            std::uint32_t(resolution.spec.format == NumberFormat::F16 ? GgmlType::F16 : GgmlType::BF16);
        out.bytes = std::uint64_t(info.elementCount()) * 2;
        return out;
    }
    const GgmlType type = ggmlTypeOf(resolution.spec.format);
    const auto bytes = ggmlEncodedBytes(type, std::size_t(info.elementCount()));
    if (!bytes)
        return Error{"tensor '" + info.name + "': " + bytes.error()};
    auto importance = importanceFor(job, info, resolution.spec.format);
    if (!importance)
        return Error{importance.error()};
    out.quantize = true;
    out.typeId = std::uint32_t(type);
    out.bytes = bytes.value();
    out.importance = std::move(importance).value();
    return out;
}

// Every tensor's type, size and aligned offset, known before a byte is written.
Result<std::vector<OutTensor>> planTensors(const ExportJob &job, const GgufReader &reader) {
    std::vector<OutTensor> out;
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
        auto planned = planTensor(job, reader, i);
        if (!planned)
            return Error{planned.error()};
        OutTensor tensor = std::move(planned).value();
        tensor.offset = alignUp(offset, reader.alignment());
        offset = tensor.offset + tensor.bytes;
        out.push_back(std::move(tensor));
    }
    return out;
}

// The file type of the plan's most common ggml type by parameters (the first in file order on a
// tie); nullopt when the plan quantizes nothing, which leaves general.file_type as it was.
std::optional<std::uint32_t> planFileType(const GgufReader &reader, const std::vector<OutTensor> &tensors) {
    std::map<std::uint32_t, std::int64_t> parameters;
    std::vector<std::uint32_t> order;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (!tensors[i].quantize)
            continue;
        auto [it, added] = parameters.try_emplace(tensors[i].typeId, 0);
        if (added)
            order.push_back(tensors[i].typeId);
        it->second += reader.tensors()[i].elementCount();
    }
    if (order.empty())
        return std::nullopt;
    std::uint32_t most = order.front();
    for (std::uint32_t type : order)
        most = parameters[type] > parameters[most] ? type : most;
    return llamaFileType(GgmlType(most), order.size() > 1);
}

void putFileType(std::string &out, std::uint32_t fileType) {
    putString(out, kFileTypeKey);
    putLe(out, kGgufU32, 4);
    putLe(out, fileType, 4);
}

std::string headerBytes(const GgufReader &reader, const std::vector<OutTensor> &tensors,
                        std::optional<std::uint32_t> fileType) {
    const auto &pairs = reader.rawPairs();
    const bool hasFileType = std::any_of(pairs.begin(), pairs.end(),
                                         [](const GgufReader::RawPair &p) { return p.key == kFileTypeKey; });
    const bool addFileType = fileType && !hasFileType;
    std::string out = "GGUF";
    putLe(out, reader.version(), 4);
    putLe(out, tensors.size(), 8);
    putLe(out, pairs.size() + (addFileType ? 1 : 0), 8);
    const std::span<const std::byte> file = reader.fileBytes();
    for (const GgufReader::RawPair &pair : pairs) {
        if (fileType && pair.key == kFileTypeKey) {
            putFileType(out, *fileType);
            continue;
        }
        out.append(reinterpret_cast<const char *>(file.data() + pair.begin),
                   std::size_t(pair.end - pair.begin));
    }
    if (addFileType)
        putFileType(out, *fileType);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const TensorInfo &info = reader.tensors()[i];
        putString(out, info.name);
        putLe(out, info.shape.size(), 4);
        for (auto dim = info.shape.rbegin(); dim != info.shape.rend(); ++dim) // GGUF: row length first
            putLe(out, std::uint64_t(*dim), 8);
        putLe(out, tensors[i].typeId, 4);
        putLe(out, tensors[i].offset, 8);
    }
    return out;
}

// The output file: bytes appended in order, zero padding up to each tensor's offset.
class Sink {
public:
    explicit Sink(const std::string &path)
        : m_path(path)
        , m_file(QString::fromStdString(path)) {}

    Status open() {
        if (!m_file.open(QIODevice::WriteOnly))
            return failure("cannot write");
        return {};
    }
    Status write(std::span<const std::byte> bytes) {
        if (m_file.write(reinterpret_cast<const char *>(bytes.data()), qint64(bytes.size())) !=
            qint64(bytes.size()))
            return failure("cannot write");
        m_pos += bytes.size();
        return {};
    }
    Status padTo(std::uint64_t pos) {
        static constexpr std::array<std::byte, 64> kZeros{};
        while (m_pos < pos) {
            const auto n = std::size_t(std::min<std::uint64_t>(pos - m_pos, kZeros.size()));
            if (const Status written = write({kZeros.data(), n}); !written)
                return written;
        }
        return {};
    }
    Status commit() {
        if (!m_file.commit())
            return failure("cannot save");
        return {};
    }

private:
    Status failure(const std::string &what) {
        const std::string reason = m_file.errorString().toStdString();
        m_file.cancelWriting();
        return Error{m_path + ": " + what + ": " + reason};
    }

    std::string m_path;
    QSaveFile m_file;
    std::uint64_t m_pos = 0;
};

// A cast writes x̂ as the analysis counts it: an overflow at ± the largest finite value rather
// than ±infinity, so the file decodes to what Quantscope showed.
Status writeCast(Sink &sink, std::span<const float> values, GgmlType type, const RunControl &control) {
    const HalfFormat half = type == GgmlType::F16 ? HalfFormat::F16 : HalfFormat::BF16;
    constexpr std::size_t kSlice = std::size_t(1) << 16;
    std::vector<float> cast(kSlice);
    std::vector<std::byte> bytes(2 * kSlice);
    CastCounts counts;
    for (std::size_t at = 0; at < values.size(); at += kSlice) {
        if (control.canceled())
            return Error{"cancelled"};
        const std::span<const float> in = values.subspan(at, std::min(kSlice, values.size() - at));
        castSaturating(half, in, cast, counts);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const std::uint16_t code = encodeHalf(half, cast[i]);
            bytes[2 * i] = std::byte(code & 0xFF);
            bytes[2 * i + 1] = std::byte(code >> 8);
        }
        if (const Status written = sink.write(std::span(bytes).first(2 * in.size())); !written)
            return written;
    }
    return {};
}

// Encodes one planned tensor: each expert slice with its own weights when there are weights, as
// llama-quantize and quantizeScheme do.
Status writeQuantized(Sink &sink, const GgufReader &reader, std::size_t index, const OutTensor &tensor,
                      const RunControl &control) {
    const TensorInfo &info = reader.tensors()[index];
    const auto loaded = reader.loadFloat(index, control);
    if (!loaded)
        return Error{loaded.error()};
    const std::span<const float> values = loaded.value()->values();
    if (GgmlType(tensor.typeId) == GgmlType::F16 || GgmlType(tensor.typeId) == GgmlType::BF16)
        return writeCast(sink, values, GgmlType(tensor.typeId), control);
    const auto cols = std::size_t(rowLength(info));
    const std::size_t rows = cols == 0 ? 0 : values.size() / cols;
    const std::size_t runs = tensor.importance ? std::size_t(tensor.importance->experts) : 1;
    const std::size_t runRows = rows / runs;
    for (std::size_t e = 0; e < runs && rows > 0; ++e) {
        const std::span<const float> weights =
            tensor.importance ? tensor.importance->expert(std::int64_t(e)) : std::span<const float>();
        const auto blocks =
            quantizeGgmlTensor(GgmlType(tensor.typeId), values.subspan(e * runRows * cols, runRows * cols),
                               runRows, cols, control, weights);
        if (!blocks && control.canceled())
            return Error{"cancelled"};
        if (!blocks)
            return Error{"tensor '" + info.name +
                         "': " + (runs > 1 ? "expert " + std::to_string(e) + ": " : "") + blocks.error()};
        if (const Status written = sink.write(blocks.value()); !written)
            return written;
    }
    return {};
}

Status copyTensor(Sink &sink, const GgufReader &reader, const TensorInfo &info, const RunControl &control) {
    const std::span<const std::byte> bytes = reader.fileBytes().subspan(info.byteOffset, info.byteSize);
    for (std::size_t at = 0; at < bytes.size(); at += kCopySliceBytes) {
        if (control.canceled())
            return Error{"cancelled"};
        if (const Status written =
                sink.write(bytes.subspan(at, std::min(kCopySliceBytes, bytes.size() - at)));
            !written)
            return written;
    }
    return {};
}

Result<ExportOutcome> writeFile(const ExportJob &job, const GgufReader &reader,
                                const std::vector<OutTensor> &tensors) {
    Sink sink(job.output);
    if (const Status opened = sink.open(); !opened)
        return Error{opened.error()};
    const std::string header = headerBytes(reader, tensors, planFileType(reader, tensors));
    if (const Status written = sink.write(std::as_bytes(std::span(header))); !written)
        return Error{written.error()};
    const std::uint64_t dataStart = alignUp(header.size(), reader.alignment());
    // Workers get threads and cancellation; progress is reported here, by input bytes done.
    RunControl inner{job.control.isCanceled, {}, job.control.threads};
    std::uint64_t total = 0, done = 0;
    for (const TensorInfo &info : reader.tensors())
        total += info.byteSize;
    ExportOutcome outcome;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (job.control.canceled())
            return Error{"cancelled"};
        Status status = sink.padTo(dataStart + tensors[i].offset);
        if (status)
            status = tensors[i].quantize ? writeQuantized(sink, reader, i, tensors[i], inner)
                                         : copyTensor(sink, reader, reader.tensors()[i], inner);
        if (!status)
            return Error{status.error()};
        (tensors[i].quantize ? outcome.quantized : outcome.copied) += 1;
        done += reader.tensors()[i].byteSize;
        job.control.report(total ? double(done) / double(total) : 1.0);
        if (job.tensorDone)
            job.tensorDone(i);
    }
    if (const Status committed = sink.commit(); !committed)
        return Error{committed.error()};
    outcome.written.push_back(job.output);
    return outcome;
}

class GgufWriter final : public Exporter {
public:
    std::string id() const override { return "gguf"; }
    std::string displayName() const override { return "GGUF for llama.cpp"; }
    ExportCapability capability() const override { return ExportCapability::Weights; }
    std::vector<std::string> outputFiles() const override { return {"gguf"}; }
    std::string fileFilter() const override { return "GGUF (*.gguf)"; }
    std::string schemesText() const override {
        return "llama.cpp's block types q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k and q6_k, "
               "and the casts f16 and bf16, from a GGUF whose planned tensors are F32, F16 or BF16";
    }

    std::optional<std::string> cannotExpress(const QuantSpec &spec,
                                             const std::vector<std::int64_t> &shape) const override {
        const FormatTraits &traits = formatTraits(spec.format);
        if (traits.family == FormatFamily::Cast)
            return std::nullopt;
        if (traits.family != FormatFamily::GgmlBlock || !canQuantizeGgml(ggmlTypeOf(spec.format)))
            return std::string(traits.name) + " is not a ggml block type Quantscope encodes";
        if (const Status fits = checkScheme(spec, shape); !fits)
            return fits.error();
        return std::nullopt;
    }

    std::optional<std::string> cannotExpressTensor(const TensorInfo &info,
                                                   const QuantSpec &spec) const override {
        if (auto why = cannotExpress(spec, info.shape))
            return why;
        const bool isFloat =
            info.storageType.empty() &&
            (info.dtype == DType::F32 || info.dtype == DType::F16 || info.dtype == DType::BF16);
        if (!isFloat) // re-quantizing blocks would add a second rounding llama-quantize refuses too
            return "stored as " + info.typeName() + ", not F32, F16 or BF16";
        return std::nullopt;
    }

    Status checkInput(const CheckpointReader &reader) const override {
        if (ggufInput(&reader))
            return {};
        return Error{
            reader.path() + " is " + reader.formatName() +
            ", not GGUF: a GGUF for llama.cpp needs the architecture metadata only a GGUF input carries"};
    }

    Result<ExportOutcome> write(const ExportJob &job) const override {
        const GgufReader *reader = ggufInput(job.reader);
        if (!reader)
            return Error{checkInput(*job.reader).error()};
        const auto tensors = planTensors(job, *reader);
        if (!tensors)
            return Error{tensors.error()};
        return writeFile(job, *reader, tensors.value());
    }
};

} // namespace

std::optional<std::uint32_t> llamaFileType(GgmlType type, bool mixed) {
    // llama.h's enum llama_ftype (LLAMA_FTYPE_MOSTLY_*).
    switch (type) {
    case GgmlType::F32:
        return 0; // ALL_F32
    case GgmlType::F16:
        return 1;
    case GgmlType::Q4_0:
        return 2;
    case GgmlType::Q4_1:
        return 3;
    case GgmlType::Q8_0:
        return 7;
    case GgmlType::Q5_0:
        return 8;
    case GgmlType::Q5_1:
        return 9;
    case GgmlType::Q2_K:
        return 10;
    case GgmlType::Q3_K:
        return mixed ? 12 : 11; // Q3_K_M : Q3_K_S
    case GgmlType::Q4_K:
        return mixed ? 15 : 14; // Q4_K_M : Q4_K_S
    case GgmlType::Q5_K:
        return mixed ? 17 : 16; // Q5_K_M : Q5_K_S
    case GgmlType::Q6_K:
        return 18;
    case GgmlType::BF16:
        return 32;
    default:
        return std::nullopt;
    }
}

const Exporter &ggufExporter() {
    static const GgufWriter exporter;
    return exporter;
}

} // namespace qs
