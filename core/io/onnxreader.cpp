#include "io/onnxreader.h"

#include "io/dtypedecode.h"
#include "util/parallel.h"

#include <onnx/onnx_pb.h>

#include <google/protobuf/io/coded_stream.h>

#include <QDir>
#include <QFileInfo>
#include <QString>

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <new>
#include <set>

namespace qs {

namespace {

// ONNX TensorProto.DataType values (onnx.proto); the FP8 ones arrived in ONNX 1.14 and are
// matched by number because data_type is a plain int32 field.
enum OnnxType : int {
    kFloat = 1,
    kUint8 = 2,
    kInt8 = 3,
    kUint16 = 4,
    kInt16 = 5,
    kInt32 = 6,
    kInt64 = 7,
    kString = 8,
    kBool = 9,
    kFloat16 = 10,
    kDouble = 11,
    kBfloat16 = 16,
    kFloat8E4M3FN = 17,
    kFloat8E5M2 = 19,
};

constexpr std::size_t kMaxDocChars = 200;
constexpr std::size_t kMaxSkippedListed = 20;

Error fileError(const std::string &path, const std::string &problem) {
    return Error{path + ": " + problem};
}

std::optional<DType> dtypeOf(int onnxType) {
    switch (onnxType) {
    case kFloat:
        return DType::F32;
    case kDouble:
        return DType::F64;
    case kFloat16:
        return DType::F16;
    case kBfloat16:
        return DType::BF16;
    case kFloat8E4M3FN:
        return DType::F8_E4M3;
    case kFloat8E5M2:
        return DType::F8_E5M2;
    case kInt64:
        return DType::I64;
    case kInt32:
        return DType::I32;
    case kInt16:
        return DType::I16;
    case kInt8:
        return DType::I8;
    case kUint8:
        return DType::U8;
    case kBool:
        return DType::BOOL;
    default:
        return std::nullopt;
    }
}

// ONNX's own name for a data type ("STRING", "COMPLEX64"), or its number if this proto is
// older than the file.
std::string onnxTypeName(int onnxType) {
    if (onnx::TensorProto_DataType_IsValid(onnxType))
        return onnx::TensorProto_DataType_Name(onnx::TensorProto_DataType(onnxType));
    return "data_type " + std::to_string(onnxType);
}

std::string shapeText(const std::vector<std::int64_t> &shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// ---- probe: a hand walk over the first protobuf fields -------------------------------------

struct WireReader {
    std::span<const std::byte> bytes;
    std::size_t pos = 0;

    // nullopt at a truncated or over-long varint.
    std::optional<std::uint64_t> varint() {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 64 && pos < bytes.size(); shift += 7) {
            const auto byte = std::uint8_t(bytes[pos++]);
            value |= std::uint64_t(byte & 0x7F) << shift;
            if (!(byte & 0x80))
                return value;
        }
        return std::nullopt;
    }
};

// ModelProto's fields: ir_version, producer_name, producer_version, domain, model_version,
// doc_string, graph, opset_import, metadata_props, training_info, functions.
bool isModelField(std::uint64_t field, std::uint64_t wireType) {
    constexpr std::uint64_t kVarint = 0, kLength = 2;
    if (field == 1 || field == 5)
        return wireType == kVarint;
    const bool lengthField = (field >= 2 && field <= 8) || field == 14 || field == 20 || field == 25;
    return lengthField && wireType == kLength;
}

// Walks fields while they lie inside the head; a length field may run past the head but not
// past the end of the file.
bool walkModelFields(WireReader &wire, std::uint64_t fileSize) {
    if (fileSize < wire.bytes.size())
        return false;
    // A varint cut off by the end of the head is fine if the file goes on.
    const auto cutOff = [&] { return wire.pos >= wire.bytes.size() && wire.bytes.size() < fileSize; };
    while (wire.pos < wire.bytes.size()) {
        const auto tag = wire.varint();
        if (!tag)
            return cutOff();
        if (!isModelField(*tag >> 3, *tag & 7))
            return false;
        const auto value = wire.varint();
        if (!value)
            return cutOff();
        if ((*tag & 7) == 2) {
            if (*value > fileSize - wire.pos)
                return false;
            wire.pos += std::size_t(std::min<std::uint64_t>(*value, wire.bytes.size() - wire.pos));
        }
    }
    return true;
}

// ---- parsing --------------------------------------------------------------------------------

Result<std::shared_ptr<onnx::ModelProto>> parseModel(std::span<const std::byte> file) {
    if (file.empty())
        return Error{"empty file, not an ONNX model"};
    if (file.size() > OnnxReader::kMaxModelBytes)
        return Error{"file is " + std::to_string(file.size()) +
                     " bytes; ONNX models (protobuf) are limited to 2 GiB, larger ones keep "
                     "their weights in external data files"};
    auto model = std::make_shared<onnx::ModelProto>();
    google::protobuf::io::CodedInputStream input(reinterpret_cast<const std::uint8_t *>(file.data()),
                                                 int(file.size()));
    input.SetRecursionLimit(OnnxReader::kMaxRecursionDepth);
    if (!model->ParseFromCodedStream(&input) || !input.ConsumedEntireMessage())
        return Error{"not a valid ONNX model: the protobuf ModelProto does not parse (truncated, "
                     "damaged, or nested more than " +
                     std::to_string(OnnxReader::kMaxRecursionDepth) + " levels deep)"};
    if (!model->has_ir_version() || !model->has_graph())
        return Error{"not an ONNX model: no ir_version or no graph"};
    return model;
}

std::string opsetText(const onnx::ModelProto &model) {
    std::string text;
    for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
        const std::string domain = opset.domain().empty() ? "ai.onnx" : opset.domain();
        text += (text.empty() ? "" : ", ") + domain + " " + std::to_string(opset.version());
    }
    return text;
}

std::string docSummary(const std::string &doc) {
    std::string line = doc.substr(0, doc.find('\n'));
    if (line.size() > kMaxDocChars)
        line = line.substr(0, kMaxDocChars) + "...";
    return line;
}

std::map<std::string, std::string> modelMetadata(const onnx::ModelProto &model) {
    std::map<std::string, std::string> metadata;
    for (const onnx::StringStringEntryProto &entry : model.metadata_props())
        metadata[entry.key()] = entry.value();
    metadata["ir_version"] = std::to_string(model.ir_version());
    const auto setIfAny = [&](const char *key, const std::string &value) {
        if (!value.empty())
            metadata[key] = value;
    };
    setIfAny("producer_name", model.producer_name());
    setIfAny("producer_version", model.producer_version());
    setIfAny("domain", model.domain());
    setIfAny("opset_import", opsetText(model));
    setIfAny("doc_string", docSummary(model.doc_string()));
    setIfAny("graph_name", model.graph().name());
    if (model.has_model_version())
        metadata["model_version"] = std::to_string(model.model_version());
    return metadata;
}

// ---- collecting tensors from the graph and its subgraphs ------------------------------------

struct Candidate {
    const onnx::TensorProto *proto = nullptr;
    std::string name;
    std::string scope; ///< "" for the main graph, else e.g. "if_node/then_branch/"
};

bool isConstantNode(const onnx::NodeProto &node) {
    return node.op_type() == "Constant" && (node.domain().empty() || node.domain() == "ai.onnx");
}

// The Constant's output is the name the graph uses; the tensor's own name is often empty.
std::string constantName(const onnx::NodeProto &node, const onnx::TensorProto &tensor) {
    if (node.output_size() > 0 && !node.output(0).empty())
        return node.output(0);
    return tensor.name().empty() ? node.name() : tensor.name();
}

std::string nodeLabel(const onnx::NodeProto &node, int index) {
    return node.name().empty() ? node.op_type() + "_" + std::to_string(index) : node.name();
}

void collect(const onnx::GraphProto &graph, const std::string &scope, std::vector<Candidate> &out);

void collectFromNode(const onnx::NodeProto &node, int index, const std::string &scope,
                     std::vector<Candidate> &out) {
    for (const onnx::AttributeProto &attribute : node.attribute()) {
        if (isConstantNode(node) && attribute.name() == "value" && attribute.has_t())
            out.push_back({&attribute.t(), constantName(node, attribute.t()), scope});
        const std::string prefix = scope + nodeLabel(node, index) + "/" + attribute.name();
        if (attribute.has_g())
            collect(attribute.g(), prefix + "/", out);
        for (int i = 0; i < attribute.graphs_size(); ++i)
            collect(attribute.graphs(i), prefix + "[" + std::to_string(i) + "]/", out);
    }
}

// Recursion depth is bounded by the parser's recursion limit on nested messages.
void collect(const onnx::GraphProto &graph, const std::string &scope, std::vector<Candidate> &out) {
    for (const onnx::TensorProto &tensor : graph.initializer())
        out.push_back({&tensor, tensor.name(), scope});
    for (int i = 0; i < graph.node_size(); ++i)
        collectFromNode(graph.node(i), i, scope, out);
}

// Subgraph tensors keep their own name unless it clashes; then their scope is prefixed.
// Remaining duplicates (invalid models) get a counter so that every name is unique.
void resolveNames(std::vector<Candidate> &candidates) {
    std::map<std::string, int> counts;
    for (const Candidate &candidate : candidates)
        ++counts[candidate.name];
    for (Candidate &candidate : candidates) {
        if (counts[candidate.name] > 1 && !candidate.scope.empty())
            candidate.name = candidate.scope + candidate.name;
    }
    std::set<std::string> seen;
    for (Candidate &candidate : candidates) {
        const std::string base = candidate.name;
        for (int n = 2; !seen.insert(candidate.name).second; ++n)
            candidate.name = base + " (" + std::to_string(n) + ")";
    }
}

// ---- validating one tensor ------------------------------------------------------------------

Result<std::vector<std::int64_t>> parseDims(const onnx::TensorProto &tensor) {
    if (std::size_t(tensor.dims_size()) > OnnxReader::kMaxRank)
        return Error{"rank " + std::to_string(tensor.dims_size()) + " is more than the " +
                     std::to_string(OnnxReader::kMaxRank) + " supported"};
    std::vector<std::int64_t> shape(tensor.dims().begin(), tensor.dims().end());
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] < 0)
            return Error{"dims[" + std::to_string(i) + "] is negative (" + std::to_string(shape[i]) + ")"};
    }
    return shape;
}

Result<std::uint64_t> byteSizeOf(const std::vector<std::int64_t> &shape, DType dtype) {
    std::int64_t count = 1;
    for (std::int64_t dim : shape) {
        if (__builtin_mul_overflow(count, dim, &count))
            return Error{"dims " + shapeText(shape) + " overflow a 64-bit element count"};
    }
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(std::uint64_t(count), std::uint64_t(dtypeSize(dtype)), &bytes))
        return Error{"dims " + shapeText(shape) + " of " + std::string(dtypeName(dtype)) +
                     " overflow a 64-bit byte count"};
    return bytes;
}

// Values held by the typed field ONNX uses for a dtype (the 16- and 8-bit types and BOOL are
// stored widened in int32_data).
std::pair<std::uint64_t, const char *> typedCount(const onnx::TensorProto &tensor, DType dtype) {
    switch (dtype) {
    case DType::F32:
        return {tensor.float_data_size(), "float_data"};
    case DType::F64:
        return {tensor.double_data_size(), "double_data"};
    case DType::I64:
        return {tensor.int64_data_size(), "int64_data"};
    default:
        return {tensor.int32_data_size(), "int32_data"};
    }
}

Status checkEmbeddedData(const onnx::TensorProto &tensor, const TensorInfo &info) {
    if (tensor.has_raw_data()) {
        if (tensor.raw_data().size() != info.byteSize)
            return Error{"size mismatch: dims " + shapeText(info.shape) + " of " +
                         std::string(dtypeName(info.dtype)) + " need " + std::to_string(info.byteSize) +
                         " bytes but raw_data has " + std::to_string(tensor.raw_data().size())};
        return {};
    }
    const auto [count, field] = typedCount(tensor, info.dtype);
    if (count != std::uint64_t(info.elementCount()))
        return Error{"size mismatch: dims " + shapeText(info.shape) + " need " +
                     std::to_string(info.elementCount()) + " values but " + field + " has " +
                     std::to_string(count)};
    return {};
}

// Strict decimal parse: digits only, no sign, no overflow.
std::optional<std::uint64_t> parseDecimal(const std::string &text) {
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9' || __builtin_mul_overflow(value, 10u, &value) ||
            __builtin_add_overflow(value, std::uint64_t(c - '0'), &value))
            return std::nullopt;
    }
    return value;
}

struct ExternalRef {
    std::string location;
    std::uint64_t offset = 0;
    std::optional<std::uint64_t> length;
};

Result<ExternalRef> parseExternalRef(const onnx::TensorProto &tensor) {
    ExternalRef ref;
    for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
        if (entry.key() == "location") {
            ref.location = entry.value();
            continue;
        }
        if (entry.key() != "offset" && entry.key() != "length")
            continue;
        const auto value = parseDecimal(entry.value());
        if (!value)
            return Error{"external data " + entry.key() + " '" + entry.value() +
                         "' is not a non-negative integer"};
        if (entry.key() == "offset")
            ref.offset = *value;
        else
            ref.length = *value;
    }
    if (ref.location.empty())
        return Error{"external data has no location"};
    return ref;
}

// The location must stay inside the model's directory: no absolute path, no "..".
Status checkLocation(const std::string &location) {
    const QString text = QString::fromStdString(location);
    if (text.startsWith(QLatin1Char('/')) || text.startsWith(QLatin1Char('\\')) ||
        (text.size() >= 2 && text.at(0).isLetter() && text.at(1) == QLatin1Char(':')))
        return Error{"external data location '" + location + "' is an absolute path"};
    const QStringList parts =
        QString(text).replace(QLatin1Char('\\'), QLatin1Char('/')).split(QLatin1Char('/'));
    if (parts.contains(QStringLiteral("..")))
        return Error{"external data location '" + location + "' escapes the model's directory"};
    if (location.find('\0') != std::string::npos)
        return Error{"external data location contains a NUL byte"};
    return {};
}

Status checkExternalRange(const ExternalRef &ref, const TensorInfo &info, std::uint64_t fileSize) {
    if (ref.length && *ref.length != info.byteSize)
        return Error{"size mismatch: dims " + shapeText(info.shape) + " of " +
                     std::string(dtypeName(info.dtype)) + " need " + std::to_string(info.byteSize) +
                     " bytes but external data length is " + std::to_string(*ref.length)};
    if (ref.offset > fileSize || info.byteSize > fileSize - ref.offset)
        return Error{"external data [" + std::to_string(ref.offset) + ", +" + std::to_string(info.byteSize) +
                     ") is out of range: '" + ref.location + "' has " + std::to_string(fileSize) + " bytes"};
    return {};
}

struct ExternalFile {
    std::string path;
    std::uint64_t size = 0;
    std::size_t index = 0; ///< 1-based, in order of first use; 0 is the model file
};

class ExternalFiles {
public:
    explicit ExternalFiles(const std::string &modelPath)
        : m_dir(QFileInfo(QString::fromStdString(modelPath)).dir()) {}

    // Looks the file up once per location; only its size is read here, not its data.
    Result<ExternalFile> find(const std::string &location) {
        if (const auto it = m_files.find(location); it != m_files.end())
            return it->second;
        const Status allowed = checkLocation(location);
        if (!allowed)
            return Error{allowed.error()};
        const QFileInfo info(m_dir.filePath(QString::fromStdString(location)));
        if (!info.exists())
            return Error{"external data file '" + location + "' does not exist"};
        if (!info.isFile())
            return Error{"external data '" + location + "' is not a regular file"};
        ExternalFile file{info.filePath().toStdString(), std::uint64_t(info.size()), m_files.size() + 1};
        m_files.emplace(location, file);
        return file;
    }

private:
    QDir m_dir;
    std::map<std::string, ExternalFile> m_files;
};

struct Built {
    TensorInfo info;
    const onnx::TensorProto *proto = nullptr;
    std::string externalPath;
};

Status attachExternal(const onnx::TensorProto &tensor, ExternalFiles &files, Built &built) {
    const auto ref = parseExternalRef(tensor);
    if (!ref)
        return Error{ref.error()};
    const auto file = files.find(ref->location);
    if (!file)
        return Error{file.error()};
    const Status range = checkExternalRange(ref.value(), built.info, file->size);
    if (!range)
        return range;
    built.info.byteOffset = ref->offset;
    built.info.fileIndex = file->index;
    built.externalPath = file->path;
    return {};
}

Result<Built> buildTensor(const Candidate &candidate, DType dtype, ExternalFiles &files) {
    const onnx::TensorProto &tensor = *candidate.proto;
    Built built;
    built.proto = &tensor;
    built.info.name = candidate.name;
    built.info.dtype = dtype;
    auto shape = parseDims(tensor);
    if (!shape)
        return Error{shape.error()};
    built.info.shape = std::move(shape).value();
    const auto bytes = byteSizeOf(built.info.shape, dtype);
    if (!bytes)
        return Error{bytes.error()};
    built.info.byteSize = bytes.value();
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
        const Status external = attachExternal(tensor, files, built);
        if (!external)
            return Error{external.error()};
        return built;
    }
    const Status embedded = checkEmbeddedData(tensor, built.info);
    if (!embedded)
        return Error{embedded.error()};
    return built;
}

std::string skippedText(const std::vector<std::string> &skipped) {
    std::string text;
    for (std::size_t i = 0; i < skipped.size() && i < kMaxSkippedListed; ++i)
        text += (i ? ", " : "") + skipped[i];
    if (skipped.size() > kMaxSkippedListed)
        text += " and " + std::to_string(skipped.size() - kMaxSkippedListed) + " more";
    return text;
}

struct Collected {
    std::vector<Built> built;
    std::vector<std::string> skipped; ///< "name (STRING)" of tensors with no dtype here
};

// Every tensor of the model, named, validated and located; the first bad one fails the model.
Result<Collected> collectTensors(const onnx::ModelProto &model, const std::string &path) {
    std::vector<Candidate> candidates;
    collect(model.graph(), "", candidates);
    resolveNames(candidates);
    ExternalFiles files(path);
    Collected collected;
    for (const Candidate &candidate : candidates) {
        const int type = candidate.proto->data_type();
        const auto dtype = dtypeOf(type);
        if (!dtype) {
            collected.skipped.push_back(candidate.name + " (" + onnxTypeName(type) + ")");
            continue;
        }
        auto built = buildTensor(candidate, *dtype, files);
        if (!built)
            return Error{"tensor '" + candidate.name + "': " + built.error()};
        collected.built.push_back(std::move(built).value());
    }
    return collected;
}

// ---- decoding -------------------------------------------------------------------------------

// One element of int32_data: the value itself, or the bit pattern of a 16- or 8-bit float in
// its low bits (ONNX stores F16/BF16/FP8 that way).
float decodeWidened(std::int32_t value, DType dtype) {
    switch (dtype) {
    case DType::F16:
        return float(std::bit_cast<Eigen::half>(std::uint16_t(value)));
    case DType::BF16:
        return float(std::bit_cast<Eigen::bfloat16>(std::uint16_t(value)));
    case DType::F8_E4M3:
        return decodeFloat8E4M3(std::uint8_t(value));
    case DType::F8_E5M2:
        return decodeFloat8E5M2(std::uint8_t(value));
    case DType::BOOL:
        return value != 0 ? 1.0f : 0.0f;
    default:
        return float(value);
    }
}

// Fills values[begin, end) from the tensor's typed field.
void decodeTyped(const onnx::TensorProto &tensor, DType dtype, float *values, std::size_t begin,
                 std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
        const int at = int(i);
        switch (dtype) {
        case DType::F32:
            values[i] = tensor.float_data(at);
            break;
        case DType::F64:
            values[i] = float(tensor.double_data(at));
            break;
        case DType::I64:
            values[i] = float(tensor.int64_data(at));
            break;
        default:
            values[i] = decodeWidened(tensor.int32_data(at), dtype);
        }
    }
}

bool alignedF32(const TensorInfo &info, const void *src) {
    return info.dtype == DType::F32 && std::endian::native == std::endian::little &&
           reinterpret_cast<std::uintptr_t>(src) % alignof(float) == 0;
}

} // namespace

OnnxReader::~OnnxReader() = default;

Result<std::shared_ptr<const OnnxReader>> OnnxReader::open(const std::string &path) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return Error{mapped.error()};
    auto model = parseModel(mapped.value()->bytes());
    if (!model)
        return fileError(path, model.error());
    auto tensors = collectTensors(*model.value(), path);
    if (!tensors)
        return fileError(path, tensors.error());

    auto reader = std::shared_ptr<OnnxReader>(new OnnxReader);
    reader->m_path = path;
    reader->m_metadata = modelMetadata(*model.value());
    for (Built &built : tensors.value().built) {
        reader->m_tensors.push_back(std::move(built.info));
        reader->m_sources.push_back({built.proto, std::move(built.externalPath)});
    }
    if (!tensors->skipped.empty())
        reader->m_metadata["skipped_tensors"] = skippedText(tensors->skipped);
    // Sparse initializers (values plus indices) are not dense weights; say they were left out.
    if (const int sparse = model.value()->graph().sparse_initializer_size(); sparse > 0)
        reader->m_metadata["skipped_sparse_initializers"] = std::to_string(sparse);
    reader->m_model = std::move(model).value();
    return std::shared_ptr<const OnnxReader>(std::move(reader));
}

bool OnnxReader::probe(std::span<const std::byte> head, std::uint64_t fileSize) {
    // Serializers write fields in number order, so a model starts with ir_version (tag 0x08).
    // Models over 2 GiB are still recognised, so that open() can say why they are refused.
    if (head.size() < 2 || head[0] != std::byte{0x08})
        return false;
    WireReader wire{head};
    wire.pos = 1;
    const auto irVersion = wire.varint();
    if (!irVersion || *irVersion < 1 || *irVersion > 100)
        return false;
    return walkModelFields(wire, fileSize);
}

Result<std::shared_ptr<const MappedFile>> OnnxReader::externalFile(std::size_t index) const {
    const TensorInfo &info = m_tensors[index];
    auto mapped = MappedFile::open(m_sources[index].externalPath);
    if (!mapped)
        return Error{mapped.error()};
    // The side file may have changed since open(): bound it again.
    const std::uint64_t size = mapped.value()->size();
    if (info.byteOffset > size || info.byteSize > size - info.byteOffset)
        return Error{"external data [" + std::to_string(info.byteOffset) + ", +" +
                     std::to_string(info.byteSize) + ") is out of range of '" +
                     m_sources[index].externalPath + "' (" + std::to_string(size) + " bytes)"};
    return std::shared_ptr<const MappedFile>(std::move(mapped).value());
}

Result<std::span<const std::byte>> OnnxReader::externalBytes(std::size_t index,
                                                             std::shared_ptr<const void> &keepAlive) const {
    const TensorInfo &info = m_tensors[index];
    auto file = externalFile(index);
    if (!file)
        return Error{file.error()};
    const auto bytes =
        file.value()->bytes().subspan(std::size_t(info.byteOffset), std::size_t(info.byteSize));
    keepAlive = std::move(file).value();
    return bytes;
}

Result<std::shared_ptr<const FloatTensor>> OnnxReader::loadChunked(std::size_t index,
                                                                   const RunControl &control) const {
    if (index >= m_tensors.size() || control.canceled())
        return loadFloat(index, control);
    const TensorInfo &info = m_tensors[index];
    const onnx::TensorProto &tensor = *m_sources[index].proto;
    const bool external = !m_sources[index].externalPath.empty();
    if (info.dtype == DType::F32 || info.elementCount() == 0 || (!external && !tensor.has_raw_data()))
        return loadFloat(index, control); // F32 is viewed in place where aligned
    const DecodeFn decode = littleEndianDecoder(info.dtype);
    const std::size_t stride = dtypeSize(info.dtype);
    control.report(1.0);
    if (!external) // raw_data's size was checked against the shape at open
        return FloatTensor::fromStored(info, reinterpret_cast<const std::byte *>(tensor.raw_data().data()),
                                       stride, decode, m_model);
    auto file = externalFile(index);
    if (!file)
        return fileError(m_path, "tensor '" + info.name + "': " + file.error());
    return FloatTensor::fromMapped(info, std::move(file).value(), std::size_t(info.byteOffset), stride,
                                   decode);
}

Result<std::shared_ptr<const FloatTensor>> OnnxReader::loadFloat(std::size_t index,
                                                                 const RunControl &control) const {
    if (index >= m_tensors.size())
        return fileError(m_path, "no tensor with index " + std::to_string(index) + " (the model has " +
                                     std::to_string(m_tensors.size()) + ")");
    if (control.canceled())
        return Error{"cancelled"};
    const TensorInfo &info = m_tensors[index];
    const onnx::TensorProto &tensor = *m_sources[index].proto;
    std::shared_ptr<const void> keepAlive = m_model;
    std::span<const std::byte> raw;
    const bool external = !m_sources[index].externalPath.empty();
    if (external) {
        auto bytes = externalBytes(index, keepAlive);
        if (!bytes)
            return fileError(m_path, "tensor '" + info.name + "': " + bytes.error());
        raw = bytes.value();
    } else if (tensor.has_raw_data()) {
        raw = {reinterpret_cast<const std::byte *>(tensor.raw_data().data()), tensor.raw_data().size()};
    }
    const auto count = std::size_t(info.elementCount());
    const bool typed = !external && !tensor.has_raw_data();
    const void *viewable = typed ? static_cast<const void *>(tensor.float_data().data()) : raw.data();
    if (alignedF32(info, viewable) && count > 0) {
        control.report(1.0);
        return FloatTensor::fromView(info, {static_cast<const float *>(viewable), count},
                                     std::move(keepAlive));
    }
    std::vector<float> values;
    try {
        values.resize(count);
    } catch (const std::bad_alloc &) {
        return fileError(m_path, "tensor '" + info.name + "': not enough memory to decode " +
                                     std::to_string(count) + " elements");
    }
    const DecodeFn decode = littleEndianDecoder(info.dtype);
    const std::size_t stride = dtypeSize(info.dtype);
    const bool finished =
        parallelChunks(count, kChunkSize, control, [&](std::size_t, std::size_t begin, std::size_t end) {
            if (typed)
                decodeTyped(tensor, info.dtype, values.data(), begin, end);
            else
                decode(raw.data() + begin * stride, values.data() + begin, end - begin);
        });
    if (!finished)
        return Error{"cancelled"};
    return FloatTensor::fromVector(info, std::move(values));
}

} // namespace qs
