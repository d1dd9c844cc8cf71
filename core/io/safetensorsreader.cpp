#include "io/safetensorsreader.h"

#include "io/decodebuffer.h"
#include "io/dtypedecode.h"
#include "util/parallel.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <new>
#include <tuple>

namespace qs {

namespace {

constexpr std::uint64_t kMaxExactInteger = std::uint64_t(1) << 53;
constexpr std::uint64_t kLengthBytes = 8;
const QString kMetadataKey = QStringLiteral("__metadata__");

Error fileError(const std::string &path, const std::string &problem) {
    return Error{path + ": " + problem};
}

std::uint64_t readLittleEndian64(const std::byte *p) {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
        value |= std::uint64_t(p[i]) << (8 * i);
    return value;
}

std::string shapeText(const std::vector<std::int64_t> &shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// JSON numbers arrive as doubles; only exact non-negative integers up to 2^53 are sizes we trust.
Result<std::uint64_t> toSize(const QJsonValue &value, const std::string &what) {
    if (!value.isDouble())
        return Error{what + " is not a number"};
    const double number = value.toDouble();
    if (number < 0)
        return Error{what + " is negative"};
    if (std::floor(number) != number)
        return Error{what + " is not an integer"};
    const qint64 exact = value.toInteger(-1);
    if (number > double(kMaxExactInteger) || exact < 0 || std::uint64_t(exact) > kMaxExactInteger)
        return Error{what + " is larger than 2^53"};
    return std::uint64_t(exact);
}

Result<std::vector<std::int64_t>> parseShape(const QJsonValue &value) {
    if (!value.isArray())
        return Error{"shape is missing or not an array"};
    const QJsonArray array = value.toArray();
    if (std::size_t(array.size()) > SafetensorsReader::kMaxRank)
        return Error{"shape has rank " + std::to_string(array.size()) + ", more than the " +
                     std::to_string(SafetensorsReader::kMaxRank) + " supported"};
    std::vector<std::int64_t> shape;
    for (qsizetype i = 0; i < array.size(); ++i) {
        const auto dim = toSize(array.at(i), "shape[" + std::to_string(i) + "]");
        if (!dim)
            return Error{dim.error()};
        shape.push_back(std::int64_t(dim.value()));
    }
    return shape;
}

Result<std::array<std::uint64_t, 2>> parseOffsets(const QJsonValue &value) {
    if (!value.isArray() || value.toArray().size() != 2)
        return Error{"data_offsets must be an array of 2 integers"};
    std::array<std::uint64_t, 2> offsets{};
    for (int i = 0; i < 2; ++i) {
        const auto offset = toSize(value.toArray().at(i), "data_offsets[" + std::to_string(i) + "]");
        if (!offset)
            return Error{offset.error()};
        offsets[i] = offset.value();
    }
    return offsets;
}

// Element count and byte size, both checked for overflow before anything is sized from them.
Result<std::uint64_t> byteSizeOf(const std::vector<std::int64_t> &shape, DType dtype) {
    std::int64_t count = 1;
    for (std::int64_t dim : shape) {
        if (__builtin_mul_overflow(count, dim, &count))
            return Error{"shape " + shapeText(shape) + " overflows a 64-bit element count"};
    }
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(std::uint64_t(count), std::uint64_t(dtypeSize(dtype)), &bytes))
        return Error{"shape " + shapeText(shape) + " of " + std::string(dtypeName(dtype)) +
                     " overflows a 64-bit byte count"};
    return bytes;
}

Status checkSpan(const TensorInfo &info, std::uint64_t begin, std::uint64_t end, std::uint64_t dataSize) {
    if (begin > end)
        return Error{"data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                     "] are reversed"};
    if (end > dataSize)
        return Error{"data_offsets end " + std::to_string(end) + " is out of range: the data section has " +
                     std::to_string(dataSize) + " bytes"};
    if (end - begin != info.byteSize)
        return Error{"size mismatch: shape " + shapeText(info.shape) + " of " +
                     std::string(dtypeName(info.dtype)) + " needs " + std::to_string(info.byteSize) +
                     " bytes but data_offsets span " + std::to_string(end - begin)};
    return {};
}

// Parses one header entry; byteOffset is left relative to the data section.
Result<TensorInfo> parseEntry(const std::string &name, const QJsonValue &value, std::uint64_t dataSize) {
    if (!value.isObject())
        return Error{"entry is not a JSON object"};
    const QJsonObject object = value.toObject();
    const QJsonValue dtypeValue = object.value(QStringLiteral("dtype"));
    if (!dtypeValue.isString())
        return Error{"dtype is missing or not a string"};
    const std::string dtypeText = dtypeValue.toString().toStdString();
    const auto dtype = dtypeFromName(dtypeText);
    if (!dtype)
        return Error{"unknown dtype '" + dtypeText + "'"};
    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    auto shape = parseShape(object.value(QStringLiteral("shape")));
    if (!shape)
        return Error{shape.error()};
    info.shape = std::move(shape).value();
    const auto bytes = byteSizeOf(info.shape, info.dtype);
    if (!bytes)
        return Error{bytes.error()};
    info.byteSize = bytes.value();
    const auto offsets = parseOffsets(object.value(QStringLiteral("data_offsets")));
    if (!offsets)
        return Error{offsets.error()};
    const Status span = checkSpan(info, offsets.value()[0], offsets.value()[1], dataSize);
    if (!span)
        return Error{span.error()};
    info.byteOffset = offsets.value()[0];
    return info;
}

Result<std::map<std::string, std::string>> parseMetadata(const QJsonValue &value) {
    if (!value.isObject())
        return Error{"__metadata__ is not a JSON object"};
    std::map<std::string, std::string> metadata;
    const QJsonObject object = value.toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!it.value().isString())
            return Error{"__metadata__ value '" + it.key().toStdString() + "' is not a string"};
        metadata[it.key().toStdString()] = it.value().toString().toStdString();
    }
    return metadata;
}

// Sorts into data order and rejects overlapping spans; gaps between tensors are allowed.
Status sortAndCheckOverlap(std::vector<TensorInfo> &tensors) {
    std::sort(tensors.begin(), tensors.end(), [](const TensorInfo &a, const TensorInfo &b) {
        return std::tie(a.byteOffset, a.byteSize, a.name) < std::tie(b.byteOffset, b.byteSize, b.name);
    });
    const TensorInfo *furthest = nullptr;
    for (const TensorInfo &info : tensors) {
        if (furthest && info.byteOffset < furthest->byteOffset + furthest->byteSize)
            return Error{"tensors '" + furthest->name + "' and '" + info.name + "' overlap"};
        if (!furthest || info.byteOffset + info.byteSize > furthest->byteOffset + furthest->byteSize)
            furthest = &info;
    }
    return {};
}

Result<QJsonObject> parseHeaderJson(std::span<const std::byte> header) {
    if (header.empty() || header[0] != std::byte{'{'})
        return Error{"header does not start with '{' (not a JSON object)"};
    const auto raw =
        QByteArray::fromRawData(reinterpret_cast<const char *>(header.data()), qsizetype(header.size()));
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(raw, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error{"header is not valid UTF-8 JSON: " + parseError.errorString().toStdString() +
                     " at byte " + std::to_string(parseError.offset)};
    if (!document.isObject())
        return Error{"header is not a JSON object"};
    return document.object();
}

bool canViewInPlace(const TensorInfo &info, const std::byte *src) {
    return info.dtype == DType::F32 && std::endian::native == std::endian::little &&
           reinterpret_cast<std::uintptr_t>(src) % alignof(float) == 0;
}

struct ParsedHeader {
    std::vector<TensorInfo> tensors; ///< in data order, offsets relative to the data section
    std::map<std::string, std::string> metadata;
};

// The header bytes after the 8-byte length, checked against the file before anything is read.
Result<std::span<const std::byte>> headerBytes(std::span<const std::byte> file) {
    if (file.size() < kLengthBytes)
        return Error{"truncated file: " + std::to_string(file.size()) +
                     " bytes, shorter than the 8-byte header length"};
    const std::uint64_t headerSize = readLittleEndian64(file.data());
    if (headerSize > file.size() - kLengthBytes)
        return Error{"header length " + std::to_string(headerSize) + " runs past the end of the file (" +
                     std::to_string(file.size()) + " bytes)"};
    if (headerSize > SafetensorsReader::kMaxHeaderBytes)
        return Error{"header length " + std::to_string(headerSize) + " exceeds the limit of " +
                     std::to_string(SafetensorsReader::kMaxHeaderBytes) + " bytes"};
    return file.subspan(kLengthBytes, headerSize);
}

Result<ParsedHeader> parseHeader(const QJsonObject &header, std::uint64_t dataSize) {
    ParsedHeader parsed;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == kMetadataKey) {
            auto metadata = parseMetadata(it.value());
            if (!metadata)
                return Error{metadata.error()};
            parsed.metadata = std::move(metadata).value();
            continue;
        }
        const std::string name = it.key().toStdString();
        auto info = parseEntry(name, it.value(), dataSize);
        if (!info)
            return Error{"tensor '" + name + "': " + info.error()};
        parsed.tensors.push_back(std::move(info).value());
    }
    const Status order = sortAndCheckOverlap(parsed.tensors);
    if (!order)
        return Error{order.error()};
    return parsed;
}

} // namespace

Result<std::shared_ptr<const SafetensorsReader>> SafetensorsReader::open(const std::string &path) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return Error{mapped.error()};
    const std::span<const std::byte> file = mapped.value()->bytes();
    const auto header = headerBytes(file);
    if (!header)
        return fileError(path, header.error());
    const auto json = parseHeaderJson(header.value());
    if (!json)
        return fileError(path, json.error());
    const std::uint64_t dataStart = kLengthBytes + header->size();
    auto parsed = parseHeader(json.value(), file.size() - dataStart);
    if (!parsed)
        return fileError(path, parsed.error());

    auto reader = std::shared_ptr<SafetensorsReader>(new SafetensorsReader);
    reader->m_tensors = std::move(parsed.value().tensors);
    for (TensorInfo &info : reader->m_tensors)
        info.byteOffset += dataStart;
    reader->m_metadata = std::move(parsed.value().metadata);
    reader->m_file = std::move(mapped).value();
    return std::shared_ptr<const SafetensorsReader>(std::move(reader));
}

bool SafetensorsReader::probe(std::span<const std::byte> head, std::uint64_t fileSize) {
    if (head.size() <= kLengthBytes || fileSize <= kLengthBytes)
        return false;
    const std::uint64_t headerSize = readLittleEndian64(head.data());
    return headerSize >= 2 && headerSize <= kMaxHeaderBytes && headerSize <= fileSize - kLengthBytes &&
           head[kLengthBytes] == std::byte{'{'};
}

const std::string &SafetensorsReader::path() const {
    return m_file->path();
}

Result<std::shared_ptr<const FloatTensor>> SafetensorsReader::loadFloat(std::size_t index,
                                                                        const RunControl &control) const {
    if (index >= m_tensors.size())
        return fileError(path(), "no tensor with index " + std::to_string(index) + " (the file has " +
                                     std::to_string(m_tensors.size()) + ")");
    if (control.canceled())
        return Error{"cancelled"};
    const TensorInfo &info = m_tensors[index];
    const std::byte *src = m_file->bytes().data() + info.byteOffset;
    const auto count = std::size_t(info.elementCount());
    m_file->prepareSequentialRead(std::size_t(info.byteOffset), std::size_t(info.byteSize));
    if (canViewInPlace(info, src)) {
        control.report(1.0);
        return FloatTensor::fromView(info, {reinterpret_cast<const float *>(src), count}, m_file);
    }
    // Left uninitialised (the decoder writes every value) and reused across a scan's tensors:
    // zero-filling a fresh vector and faulting in its pages was most of a sweep over BF16 shards.
    const std::shared_ptr<float[]> values = allocateDecodeBuffer(count);
    if (!values)
        return fileError(path(), "tensor '" + info.name + "': not enough memory to decode " +
                                     std::to_string(count) + " elements");
    const DecodeFn decode = littleEndianDecoder(info.dtype);
    const std::size_t stride = dtypeSize(info.dtype);
    const bool finished =
        parallelChunks(count, kChunkSize, control, [&](std::size_t, std::size_t begin, std::size_t end) {
            decode(src + begin * stride, values.get() + begin, end - begin);
        });
    if (!finished)
        return Error{"cancelled"};
    return FloatTensor::fromView(info, {values.get(), count}, values);
}

Result<std::shared_ptr<const FloatTensor>> SafetensorsReader::loadChunked(std::size_t index,
                                                                          const RunControl &control) const {
    if (index >= m_tensors.size() || control.canceled())
        return loadFloat(index, control);
    const TensorInfo &info = m_tensors[index];
    const std::byte *src = m_file->bytes().data() + info.byteOffset;
    if (canViewInPlace(info, src))
        return loadFloat(index, control);
    control.report(1.0);
    return FloatTensor::fromMapped(info, m_file, std::size_t(info.byteOffset), dtypeSize(info.dtype),
                                   littleEndianDecoder(info.dtype));
}

} // namespace qs
