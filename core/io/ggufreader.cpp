#include "io/ggufreader.h"

#include "io/dtypedecode.h"
#include "io/ggmlblocks.h"
#include "util/parallel.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <new>
#include <numeric>
#include <set>

namespace qs {

namespace {

constexpr std::array<char, 4> kMagic{'G', 'G', 'U', 'F'};
constexpr std::size_t kShownItems = 4;
constexpr std::size_t kShownItemChars = 64;
// Smallest encodings: a key/value pair is an empty key (8), a type (4) and a 1-byte value; a
// tensor info an empty name (8), a rank (4), no dims, a type (4) and an offset (8).
constexpr std::uint64_t kMinPairBytes = 13;
constexpr std::uint64_t kMinTensorInfoBytes = 24;
constexpr std::uint64_t kMinArrayBytes = 12;
constexpr std::uint64_t kStringLengthBytes = 8;

// GGUF metadata value types (gguf_type).
enum ValueType : std::uint32_t {
    kU8 = 0,
    kI8 = 1,
    kU16 = 2,
    kI16 = 3,
    kU32 = 4,
    kI32 = 5,
    kF32 = 6,
    kBool = 7,
    kString = 8,
    kArray = 9,
    kU64 = 10,
    kI64 = 11,
    kF64 = 12,
};

constexpr std::array<std::string_view, 13> kValueTypeNames{"uint8",  "int8",    "uint16", "int16",  "uint32",
                                                           "int32",  "float32", "bool",   "string", "array",
                                                           "uint64", "int64",   "float64"};
constexpr std::array<std::size_t, 13> kValueTypeSizes{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

std::string_view valueTypeName(std::uint32_t type) {
    return type < kValueTypeNames.size() ? kValueTypeNames[type] : std::string_view("unknown");
}

// llama.cpp's llama_ftype values, for general.file_type.
std::string_view fileTypeName(std::uint64_t fileType) {
    static constexpr std::array<std::pair<std::uint64_t, std::string_view>, 21> kNames{{
        {0, "all F32"}, {1, "mostly F16"}, {2, "Q4_0"},       {3, "Q4_1"},    {7, "Q8_0"},    {8, "Q5_0"},
        {9, "Q5_1"},    {10, "Q2_K"},      {11, "Q3_K_S"},    {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"},
        {15, "Q4_K_M"}, {16, "Q5_K_S"},    {17, "Q5_K_M"},    {18, "Q6_K"},   {25, "IQ4_NL"}, {30, "IQ4_XS"},
        {36, "TQ1_0"},  {37, "TQ2_0"},     {38, "MXFP4_MOE"},
    }};
    if (fileType == 32)
        return "mostly BF16";
    for (const auto &[value, name] : kNames) {
        if (value == fileType)
            return name;
    }
    return {};
}

template <typename T>
std::string numberText(T value) {
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return std::string(buffer.data(), result.ptr);
}

// Reads the header front to back; every read is bounded by the bytes left and a failed read
// leaves a message saying what was being read and where.
class Cursor {
public:
    explicit Cursor(std::span<const std::byte> bytes)
        : m_bytes(bytes) {}

    std::uint64_t pos() const { return m_pos; }
    std::uint64_t remaining() const { return m_bytes.size() - m_pos; }
    const std::string &error() const { return m_error; }

    bool fail(const std::string &problem) {
        if (m_error.empty())
            m_error = problem;
        return false;
    }

    bool skip(std::uint64_t bytes, std::string_view what) {
        if (bytes > remaining())
            return fail("truncated file: " + std::string(what) + " at byte " + std::to_string(m_pos) +
                        " needs " + std::to_string(bytes) + " bytes but only " + std::to_string(remaining()) +
                        " remain");
        m_pos += bytes;
        return true;
    }

    template <typename T>
    bool read(T &out, std::string_view what) {
        const std::uint64_t at = m_pos;
        if (!skip(sizeof(T), what))
            return false;
        out = loadLittleEndian<T>(m_bytes.data() + at);
        return true;
    }

    // A gguf string: uint64 length then that many bytes (no terminator). out may be null to skip.
    bool readString(std::string *out, std::string_view what) {
        std::uint64_t length = 0;
        if (!read(length, what))
            return false;
        if (length > GgufReader::kMaxStringBytes)
            return fail(std::string(what) + " at byte " + std::to_string(m_pos - 8) + " has length " +
                        std::to_string(length) + ", more than the limit of " +
                        std::to_string(GgufReader::kMaxStringBytes));
        const std::uint64_t at = m_pos;
        if (!skip(length, what))
            return false;
        if (out)
            out->assign(reinterpret_cast<const char *>(m_bytes.data() + at), std::size_t(length));
        return true;
    }

    // Rejects a count of items that could not fit in the rest of the file, before any loop or
    // allocation is sized from it.
    bool checkCount(std::uint64_t count, std::uint64_t minBytesEach, std::string_view what) {
        if (count <= remaining() / minBytesEach)
            return true;
        return fail(std::string(what) + " " + std::to_string(count) + " is larger than the " +
                    std::to_string(remaining()) + " bytes left in the file could hold");
    }

    const std::byte *at(std::uint64_t pos) const { return m_bytes.data() + pos; }

private:
    std::span<const std::byte> m_bytes;
    std::uint64_t m_pos = 0;
    std::string m_error;
};

bool readValue(Cursor &cursor, std::uint32_t type, int depth, std::string *out);

std::string scalarText(const std::byte *p, std::uint32_t type) {
    switch (type) {
    case kU8:
        return numberText(loadLittleEndian<std::uint8_t>(p));
    case kI8:
        return numberText(loadLittleEndian<std::int8_t>(p));
    case kU16:
        return numberText(loadLittleEndian<std::uint16_t>(p));
    case kI16:
        return numberText(loadLittleEndian<std::int16_t>(p));
    case kU32:
        return numberText(loadLittleEndian<std::uint32_t>(p));
    case kI32:
        return numberText(loadLittleEndian<std::int32_t>(p));
    case kF32:
        return numberText(loadLittleEndian<float>(p));
    case kBool:
        return std::uint8_t(*p) ? "true" : "false";
    case kU64:
        return numberText(loadLittleEndian<std::uint64_t>(p));
    case kI64:
        return numberText(loadLittleEndian<std::int64_t>(p));
    default:
        return numberText(loadLittleEndian<double>(p));
    }
}

bool readScalar(Cursor &cursor, std::uint32_t type, std::string *out) {
    const std::uint64_t at = cursor.pos();
    if (!cursor.skip(kValueTypeSizes[type], valueTypeName(type)))
        return false;
    if (out)
        *out = scalarText(cursor.at(at), type);
    return true;
}

std::string shownItem(std::string item, std::uint32_t type) {
    if (item.size() > kShownItemChars) {
        std::size_t cut = kShownItemChars;
        while (cut > 0 && (std::uint8_t(item[cut]) & 0xC0) == 0x80) // keep UTF-8 sequences whole
            --cut;
        item = item.substr(0, cut) + "…";
    }
    return type == kString ? "\"" + item + "\"" : item;
}

std::uint64_t minItemBytes(std::uint32_t type) {
    if (type == kString)
        return kStringLengthBytes;
    return type == kArray ? kMinArrayBytes : kValueTypeSizes[type];
}

// An array: uint32 item type, uint64 count, items. Summarised as "[n × type] a, b, c, d, …".
bool readArray(Cursor &cursor, int depth, std::string *out) {
    if (depth > GgufReader::kMaxArrayDepth)
        return cursor.fail("arrays are nested more than " + std::to_string(GgufReader::kMaxArrayDepth) +
                           " deep");
    std::uint32_t itemType = 0;
    std::uint64_t count = 0;
    if (!cursor.read(itemType, "array item type") || !cursor.read(count, "array length"))
        return false;
    if (itemType > kF64)
        return cursor.fail("array has unknown item type " + std::to_string(itemType));
    if (!cursor.checkCount(count, minItemBytes(itemType), "array length"))
        return false;
    std::string summary = "[" + std::to_string(count) + " × " + std::string(valueTypeName(itemType)) + "]";
    const std::uint64_t shown = std::min<std::uint64_t>(count, kShownItems);
    for (std::uint64_t i = 0; i < shown; ++i) {
        std::string item;
        if (!readValue(cursor, itemType, depth, &item))
            return false;
        summary += (i ? ", " : " ") + shownItem(std::move(item), itemType);
    }
    if (count > shown)
        summary += ", …";
    if (kValueTypeSizes[itemType] > 0) { // fixed-size items: skip the rest at once
        if (!cursor.skip((count - shown) * kValueTypeSizes[itemType], "array items"))
            return false;
    } else {
        for (std::uint64_t i = shown; i < count; ++i) {
            if (!readValue(cursor, itemType, depth, nullptr))
                return false;
        }
    }
    if (out)
        *out = std::move(summary);
    return true;
}

bool readValue(Cursor &cursor, std::uint32_t type, int depth, std::string *out) {
    if (type == kArray)
        return readArray(cursor, depth + 1, out);
    if (type == kString)
        return cursor.readString(out, "string value");
    if (type > kF64)
        return cursor.fail("unknown value type " + std::to_string(type));
    return readScalar(cursor, type, out);
}

struct Preamble {
    std::uint32_t version = 0;
    std::uint64_t tensorCount = 0;
    std::uint64_t pairCount = 0;
};

Status checkVersion(std::uint32_t version) {
    if (version == 2 || version == 3)
        return {};
    if (version == 1)
        return Error{"GGUF version 1 is not supported (only versions 2 and 3)"};
    const std::uint32_t swapped = __builtin_bswap32(version);
    if (swapped == 2 || swapped == 3)
        return Error{"big-endian GGUF files are not supported"};
    return Error{"unsupported GGUF version " + std::to_string(version) + " (only versions 2 and 3)"};
}

Result<Preamble> readPreamble(Cursor &cursor) {
    if (cursor.remaining() < kMagic.size() || std::memcmp(cursor.at(0), kMagic.data(), kMagic.size()) != 0)
        return Error{"not a GGUF file (bad magic; expected \"GGUF\")"};
    cursor.skip(kMagic.size(), "magic");
    Preamble preamble;
    if (!cursor.read(preamble.version, "version"))
        return Error{cursor.error()};
    if (const Status version = checkVersion(preamble.version); !version)
        return Error{version.error()};
    if (!cursor.read(preamble.tensorCount, "tensor count") ||
        !cursor.read(preamble.pairCount, "metadata count"))
        return Error{cursor.error()};
    if (!cursor.checkCount(preamble.pairCount, kMinPairBytes, "metadata count") ||
        !cursor.checkCount(preamble.tensorCount, kMinTensorInfoBytes, "tensor count"))
        return Error{cursor.error()};
    return preamble;
}

struct Metadata {
    std::map<std::string, std::string> text;
    std::vector<GgufReader::RawPair> pairs;
    std::uint64_t alignment = GgufReader::kDefaultAlignment;
};

Status applyAlignment(Cursor &cursor, std::uint64_t valueAt, std::uint32_t type, Metadata &metadata) {
    if (type != kU32)
        return Error{"general.alignment has type " + std::string(valueTypeName(type)) + ", not uint32"};
    const auto alignment = loadLittleEndian<std::uint32_t>(cursor.at(valueAt));
    if (alignment == 0 || !std::has_single_bit(alignment))
        return Error{"general.alignment " + std::to_string(alignment) + " is not a power of two"};
    metadata.alignment = alignment;
    return {};
}

void describeFileType(std::string &value) {
    std::uint64_t fileType = 0;
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), fileType);
    if (parsed.ec != std::errc{} || parsed.ptr != value.data() + value.size())
        return;
    if (const std::string_view name = fileTypeName(fileType); !name.empty())
        value += " (" + std::string(name) + ")";
}

Status readPair(Cursor &cursor, std::uint64_t index, Metadata &metadata) {
    const std::uint64_t begin = cursor.pos();
    std::string key;
    std::uint32_t type = 0;
    if (!cursor.readString(&key, "metadata key") || !cursor.read(type, "metadata value type"))
        return Error{"metadata pair #" + std::to_string(index) + ": " + cursor.error()};
    const std::string where = "metadata key '" + key + "': ";
    if (metadata.text.count(key))
        return Error{where + "duplicate key"};
    const std::uint64_t valueAt = cursor.pos();
    std::string value;
    if (!readValue(cursor, type, 0, &value))
        return Error{where + cursor.error()};
    if (key == "general.alignment") {
        if (const Status status = applyAlignment(cursor, valueAt, type, metadata); !status)
            return Error{where + status.error()};
    }
    if (key == "general.file_type")
        describeFileType(value);
    metadata.pairs.push_back({key, type, begin, valueAt, cursor.pos()});
    metadata.text.emplace(std::move(key), std::move(value));
    return {};
}

Result<Metadata> readMetadata(Cursor &cursor, std::uint64_t count) {
    Metadata metadata;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (const Status status = readPair(cursor, i, metadata); !status)
            return Error{status.error()};
    }
    return metadata;
}

// One tensor info as stored, before it is checked against the file.
struct RawTensor {
    std::string name;
    std::vector<std::uint64_t> dims; ///< fastest-varying first, as GGUF stores them
    std::uint32_t type = 0;
    std::uint64_t offset = 0; ///< relative to the data section
};

Status readTensorInfo(Cursor &cursor, std::uint64_t index, RawTensor &raw) {
    if (!cursor.readString(&raw.name, "tensor name"))
        return Error{"tensor info #" + std::to_string(index) + ": " + cursor.error()};
    const std::string where = "tensor '" + raw.name + "': ";
    std::uint32_t rank = 0;
    if (!cursor.read(rank, "tensor rank"))
        return Error{where + cursor.error()};
    if (rank > GgufReader::kMaxDims)
        return Error{where + "rank " + std::to_string(rank) + " is more than the " +
                     std::to_string(GgufReader::kMaxDims) + " ggml supports"};
    raw.dims.resize(rank);
    for (std::uint64_t &dim : raw.dims) {
        if (!cursor.read(dim, "tensor dimension"))
            return Error{where + cursor.error()};
    }
    if (!cursor.read(raw.type, "tensor type") || !cursor.read(raw.offset, "tensor offset"))
        return Error{where + cursor.error()};
    return {};
}

std::string dimsText(const std::vector<std::uint64_t> &dims) {
    std::string text = "[";
    for (std::size_t i = 0; i < dims.size(); ++i)
        text += (i ? ", " : "") + std::to_string(dims[i]);
    return text + "]";
}

Result<const GgmlTypeTraits *> traitsFor(std::uint32_t typeId) {
    if (const GgmlTypeTraits *traits = ggmlTypeTraits(typeId))
        return traits;
    const std::string_view name = ggmlTypeName(typeId);
    if (!name.empty())
        return Error{"ggml type " + std::string(name) + " (" + std::to_string(typeId) + ") is not supported"};
    return Error{"unknown ggml type " + std::to_string(typeId)};
}

// Byte size of the tensor, with every product checked for overflow first.
Result<std::uint64_t> byteSizeOf(const RawTensor &raw, const GgmlTypeTraits &traits) {
    std::int64_t elements = 1;
    for (std::uint64_t dim : raw.dims) {
        if (dim > std::uint64_t(INT64_MAX) || __builtin_mul_overflow(elements, std::int64_t(dim), &elements))
            return Error{"dimensions " + dimsText(raw.dims) + " overflow a 64-bit element count"};
    }
    const std::uint64_t rowLength = raw.dims.empty() ? 1 : raw.dims[0];
    if (rowLength % traits.blockElements != 0)
        return Error{"row length " + std::to_string(rowLength) + " is not a multiple of the " +
                     std::string(traits.name) + " block size " + std::to_string(traits.blockElements)};
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(std::uint64_t(elements) / traits.blockElements, traits.blockBytes, &bytes))
        return Error{"dimensions " + dimsText(raw.dims) + " of " + std::string(traits.name) +
                     " overflow a 64-bit byte count"};
    return bytes;
}

Result<TensorInfo> describe(const RawTensor &raw, const GgmlTypeTraits &traits) {
    const auto bytes = byteSizeOf(raw, traits);
    if (!bytes)
        return Error{bytes.error()};
    TensorInfo info;
    info.name = raw.name;
    info.dtype = traits.plainType.value_or(DType::F32);
    if (!traits.plainType)
        info.storageType = std::string(traits.name);
    info.shape.assign(raw.dims.rbegin(), raw.dims.rend()); // GGUF lists the row length first
    info.byteOffset = raw.offset;
    info.byteSize = bytes.value();
    return info;
}

struct ParsedTensors {
    std::vector<TensorInfo> infos; ///< byteOffset still relative to the data section
    std::vector<std::uint32_t> types;
};

Result<ParsedTensors> readTensorInfos(Cursor &cursor, std::uint64_t count) {
    ParsedTensors parsed;
    std::set<std::string> names;
    for (std::uint64_t i = 0; i < count; ++i) {
        RawTensor raw;
        if (const Status status = readTensorInfo(cursor, i, raw); !status)
            return Error{status.error()};
        const std::string where = "tensor '" + raw.name + "': ";
        if (!names.insert(raw.name).second)
            return Error{where + "duplicate tensor name"};
        const auto traits = traitsFor(raw.type);
        if (!traits)
            return Error{where + traits.error()};
        auto info = describe(raw, *traits.value());
        if (!info)
            return Error{where + info.error()};
        parsed.infos.push_back(std::move(info).value());
        parsed.types.push_back(raw.type);
    }
    return parsed;
}

Status checkPlacement(const TensorInfo &info, std::uint64_t alignment, std::uint64_t dataSize) {
    const std::uint64_t offset = info.byteOffset;
    if (offset % alignment != 0)
        return Error{"offset " + std::to_string(offset) + " is not a multiple of the alignment " +
                     std::to_string(alignment)};
    if (offset > dataSize || info.byteSize > dataSize - offset)
        return Error{"data at offset " + std::to_string(offset) + " of " + std::to_string(info.byteSize) +
                     " bytes runs past the end of the data section (" + std::to_string(dataSize) + " bytes)"};
    return {};
}

Status checkOverlap(const std::vector<TensorInfo> &infos) {
    std::vector<std::size_t> order(infos.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return infos[a].byteOffset < infos[b].byteOffset; });
    const TensorInfo *furthest = nullptr;
    for (std::size_t i : order) {
        const TensorInfo &info = infos[i];
        if (furthest && info.byteSize > 0 && info.byteOffset < furthest->byteOffset + furthest->byteSize)
            return Error{"tensors '" + furthest->name + "' and '" + info.name + "' overlap"};
        if (!furthest || info.byteOffset + info.byteSize > furthest->byteOffset + furthest->byteSize)
            furthest = &info;
    }
    return {};
}

// Places every tensor in the data section, which starts at the first aligned byte after the infos.
Status placeTensors(std::vector<TensorInfo> &infos, std::uint64_t headerEnd, std::uint64_t fileSize,
                    std::uint64_t alignment) {
    // A file that ends before its aligned data section can only hold empty tensors; they are
    // placed at the end of the file so that every offset stays inside it.
    const std::uint64_t dataStart = std::min((headerEnd + alignment - 1) / alignment * alignment, fileSize);
    const std::uint64_t dataSize = fileSize - dataStart;
    for (TensorInfo &info : infos) {
        if (const Status status = checkPlacement(info, alignment, dataSize); !status)
            return Error{"tensor '" + info.name + "': " + status.error()};
    }
    if (const Status overlap = checkOverlap(infos); !overlap)
        return overlap;
    for (TensorInfo &info : infos)
        info.byteOffset += dataStart;
    return {};
}

struct ParsedFile {
    ParsedTensors tensors;
    Metadata metadata;
    std::uint32_t version = 0;
};

Result<ParsedFile> parseFile(std::span<const std::byte> bytes) {
    Cursor cursor(bytes);
    const auto preamble = readPreamble(cursor);
    if (!preamble)
        return Error{preamble.error()};
    auto metadata = readMetadata(cursor, preamble->pairCount);
    if (!metadata)
        return Error{metadata.error()};
    auto tensors = readTensorInfos(cursor, preamble->tensorCount);
    if (!tensors)
        return Error{tensors.error()};
    const Status placed =
        placeTensors(tensors.value().infos, cursor.pos(), bytes.size(), metadata->alignment);
    if (!placed)
        return Error{placed.error()};
    ParsedFile parsed{std::move(tensors).value(), std::move(metadata).value(), preamble->version};
    parsed.metadata.text["gguf.version"] = std::to_string(preamble->version);
    return parsed;
}

bool canViewInPlace(std::uint32_t type, const std::byte *src) {
    return type == std::uint32_t(GgmlType::F32) && std::endian::native == std::endian::little &&
           reinterpret_cast<std::uintptr_t>(src) % alignof(float) == 0;
}

} // namespace

Result<std::shared_ptr<const GgufReader>> GgufReader::open(const std::string &path) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return Error{mapped.error()};
    auto parsed = parseFile(mapped.value()->bytes());
    if (!parsed)
        return Error{path + ": " + parsed.error()};
    auto reader = std::shared_ptr<GgufReader>(new GgufReader);
    reader->m_tensors = std::move(parsed.value().tensors.infos);
    reader->m_ggmlTypes = std::move(parsed.value().tensors.types);
    reader->m_metadata = std::move(parsed.value().metadata.text);
    reader->m_pairs = std::move(parsed.value().metadata.pairs);
    reader->m_alignment = parsed.value().metadata.alignment;
    reader->m_version = parsed.value().version;
    reader->m_file = std::move(mapped).value();
    return std::shared_ptr<const GgufReader>(std::move(reader));
}

bool GgufReader::probe(std::span<const std::byte> head, std::uint64_t fileSize) {
    return head.size() >= kMagic.size() && fileSize >= kMagic.size() &&
           std::memcmp(head.data(), kMagic.data(), kMagic.size()) == 0;
}

const std::string &GgufReader::path() const {
    return m_file->path();
}

Result<std::shared_ptr<const FloatTensor>> GgufReader::loadFloat(std::size_t index,
                                                                 const RunControl &control) const {
    if (index >= m_tensors.size())
        return Error{path() + ": no tensor with index " + std::to_string(index) + " (the file has " +
                     std::to_string(m_tensors.size()) + ")"};
    if (control.canceled())
        return Error{"cancelled"};
    const TensorInfo &info = m_tensors[index];
    const std::byte *src = m_file->bytes().data() + info.byteOffset;
    const auto count = std::size_t(info.elementCount());
    if (canViewInPlace(m_ggmlTypes[index], src)) {
        control.report(1.0);
        return FloatTensor::fromView(info, {reinterpret_cast<const float *>(src), count}, m_file);
    }
    std::vector<float> values;
    try {
        values.resize(count);
    } catch (const std::bad_alloc &) {
        return Error{path() + ": tensor '" + info.name + "': not enough memory to decode " +
                     std::to_string(count) + " elements"};
    }
    const GgmlTypeTraits &traits = *ggmlTypeTraits(m_ggmlTypes[index]);
    const std::size_t blocks = std::size_t(info.byteSize / traits.blockBytes);
    const std::size_t chunkBlocks = std::max<std::size_t>(1, kChunkSize / traits.blockElements);
    const bool finished =
        parallelChunks(blocks, chunkBlocks, control, [&](std::size_t, std::size_t begin, std::size_t end) {
            traits.decode(src + begin * traits.blockBytes, values.data() + begin * traits.blockElements,
                          end - begin);
        });
    if (!finished)
        return Error{"cancelled"};
    return FloatTensor::fromVector(info, std::move(values));
}

Result<std::shared_ptr<const FloatTensor>> GgufReader::loadChunked(std::size_t index,
                                                                   const RunControl &control) const {
    if (index >= m_tensors.size() || control.canceled())
        return loadFloat(index, control);
    const TensorInfo &info = m_tensors[index];
    const std::byte *src = m_file->bytes().data() + info.byteOffset;
    const GgmlTypeTraits &traits = *ggmlTypeTraits(m_ggmlTypes[index]);
    // A plain type's block is one element, so its block decoder decodes any range of elements.
    if (canViewInPlace(m_ggmlTypes[index], src) || traits.blockElements != 1)
        return loadFloat(index, control);
    control.report(1.0);
    return FloatTensor::fromMapped(info, m_file, std::size_t(info.byteOffset), traits.blockBytes,
                                   traits.decode);
}

} // namespace qs
