#include "io/pytorchreader.h"

#include "io/dtypedecode.h"
#include "io/pickle.h"
#include "util/parallel.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <new>

namespace qs {

namespace {

using Kind = PickleValue::Kind;

constexpr std::string_view kPickleName = "data.pkl";
constexpr std::size_t kMaxMetadataEntries = 1000;
constexpr std::size_t kMaxMetadataChars = 200;
constexpr std::uint64_t kLocalHeaderBytes = 30;
// A dict reachable twice through the memo is walked twice; these bound what a pickle of dicts
// sharing dicts (exponentially many paths) can make the walk produce.
constexpr std::size_t kMaxVisits = 2'000'000;
constexpr std::size_t kMaxNameBytes = 1024;

Error fileError(const std::string &path, const std::string &problem) {
    return Error{path + ": " + problem};
}

std::string shapeText(const std::vector<std::int64_t> &shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// The pickle member is "<prefix>/data.pkl" with a single-component prefix.
Result<std::string> picklePrefix(const ZipArchive &archive) {
    for (const ZipEntry &entry : archive.entries()) {
        const std::string &name = entry.name;
        if (name.size() <= kPickleName.size() + 1 || !name.ends_with(kPickleName))
            continue;
        const std::string prefix = name.substr(0, name.size() - kPickleName.size() - 1);
        if (name[prefix.size()] == '/' && prefix.find('/') == std::string::npos)
            return prefix;
    }
    return Error{"no '<name>/data.pkl' member: not a PyTorch zip checkpoint"};
}

Status checkByteOrder(const ZipArchive &archive, const std::string &prefix) {
    const ZipEntry *entry = archive.find(prefix + "/byteorder");
    if (!entry)
        return {}; // writers before torch 1.10 omit it; they were little-endian
    auto content = archive.extract(*entry, 16);
    if (!content)
        return Error{content.error()};
    const std::string text(reinterpret_cast<const char *>(content->data()), content->size());
    if (text != "little")
        return Error{"byteorder is '" + text + "'; only little-endian checkpoints are supported"};
    return {};
}

struct Found {
    std::string name;
    std::size_t tensor = 0; ///< index into the pickle tree
};

std::string joined(const std::string &prefix, const std::string &key) {
    return prefix.empty() ? key : prefix + "." + key;
}

std::optional<std::string> scalarText(const PickleValue &value) {
    switch (value.kind) {
    case Kind::Int:
        return std::to_string(value.integer);
    case Kind::Bool:
        return std::string(value.integer ? "true" : "false");
    case Kind::Float: {
        char text[32];
        const auto end = std::to_chars(text, text + sizeof text, value.real).ptr; // shortest round trip
        return std::string(text, end);
    }
    case Kind::String:
        return value.text.substr(0, kMaxMetadataChars);
    default:
        return std::nullopt;
    }
}

struct Walk {
    const PickleTree &tree;
    std::vector<Found> tensors;
    std::map<std::string, std::string> metadata;

    std::size_t visits = 0;

    Status visit(std::size_t index, const std::string &name, int depth) {
        if (++visits > kMaxVisits)
            return Error{"dicts reach more than " + std::to_string(kMaxVisits) +
                         " values (shared dicts nested too often)"};
        if (name.size() > kMaxNameBytes)
            return Error{"a dotted name is longer than " + std::to_string(kMaxNameBytes) + " bytes"};
        const PickleValue &value = tree.at(index);
        if (value.kind == Kind::Tensor) {
            tensors.push_back({name.empty() ? std::string("tensor") : name, index});
        } else if (value.kind == Kind::Dict) {
            if (depth >= PyTorchReader::kMaxDepth)
                return Error{"dicts nested deeper than " + std::to_string(PyTorchReader::kMaxDepth) +
                             " levels"};
            for (const auto &[key, item] : value.entries) {
                const auto keyText = scalarText(tree.at(key));
                const Status status = keyText ? visit(item, joined(name, *keyText), depth + 1) : Status{};
                if (!status)
                    return status;
            }
        } else if (const auto text = scalarText(value); text && metadata.size() < kMaxMetadataEntries) {
            metadata.emplace(name, *text);
        }
        return {};
    }
};

// {"state_dict": {...}} and {"model": {...}} wrap the weights under a name users never see.
void dropWrapper(std::vector<Found> &tensors) {
    for (const std::string wrapper : {"state_dict.", "model."}) {
        const bool all = !tensors.empty() && std::all_of(tensors.begin(), tensors.end(), [&](const Found &f) {
            return f.name.starts_with(wrapper) && f.name.size() > wrapper.size();
        });
        if (!all)
            continue;
        for (Found &found : tensors)
            found.name.erase(0, wrapper.size());
        return;
    }
}

bool isContiguous(const std::vector<std::int64_t> &shape, const std::vector<std::int64_t> &strides) {
    std::int64_t expected = 1;
    for (std::size_t i = shape.size(); i-- > 0;) {
        if (shape[i] != 1 && strides[i] != expected)
            return false;
        expected *= shape[i];
    }
    return true;
}

// The largest storage element the view reaches, checked for overflow; nullopt if it overflows.
std::optional<std::uint64_t> lastElement(const PickleValue &tensor) {
    std::uint64_t last = std::uint64_t(tensor.integer);
    for (std::size_t i = 0; i < tensor.shape.size(); ++i) {
        std::uint64_t step = 0;
        if (__builtin_mul_overflow(std::uint64_t(tensor.shape[i] - 1), std::uint64_t(tensor.strides[i]),
                                   &step) ||
            __builtin_add_overflow(last, step, &last))
            return std::nullopt;
    }
    return last;
}

Result<std::int64_t> elementCountOf(const std::vector<std::int64_t> &shape) {
    std::int64_t count = 1;
    for (std::int64_t dim : shape) {
        if (__builtin_mul_overflow(count, dim, &count))
            return Error{"size " + shapeText(shape) + " overflows a 64-bit element count"};
    }
    return count;
}

// Storage member present and large enough for the numel the pickle declares.
Result<const ZipEntry *> storageEntry(const ZipArchive &archive, const std::string &prefix,
                                      const PickleValue &storage) {
    const std::string member = prefix + "/data/" + storage.text;
    const ZipEntry *entry = archive.find(member);
    if (!entry)
        return Error{"storage '" + storage.text + "' (member '" + member + "') is missing"};
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(storage.numel, std::uint64_t(dtypeSize(storage.dtype)), &bytes) ||
        bytes > entry->uncompressedSize)
        return Error{"storage '" + storage.text + "' declares " + std::to_string(storage.numel) +
                     " elements of " + std::string(dtypeName(storage.dtype)) + " but member '" + member +
                     "' holds " + std::to_string(entry->uncompressedSize) + " bytes"};
    return entry;
}

Status checkView(const PickleValue &tensor, const PickleValue &storage, std::int64_t count) {
    const auto last = lastElement(tensor);
    const bool inside =
        count == 0 ? std::uint64_t(tensor.integer) <= storage.numel : last && *last < storage.numel;
    if (!inside)
        return Error{"size " + shapeText(tensor.shape) + ", stride " + shapeText(tensor.strides) +
                     " and offset " + std::to_string(tensor.integer) + " reach past the end of storage '" +
                     storage.text + "' (" + std::to_string(storage.numel) + " elements)"};
    return {};
}

struct Described {
    TensorInfo info;
    PyTorchReader::View view;
};

Result<Described> describe(const ZipArchive &archive, const std::string &prefix, const PickleTree &tree,
                           const Found &found) {
    const PickleValue &tensor = tree.at(found.tensor);
    const PickleValue &storage = tree.at(tensor.storage);
    const auto entry = storageEntry(archive, prefix, storage);
    if (!entry)
        return Error{entry.error()};
    const auto count = elementCountOf(tensor.shape);
    if (!count)
        return Error{count.error()};
    const Status view = checkView(tensor, storage, count.value());
    if (!view)
        return Error{view.error()};
    Described d;
    d.info.name = found.name;
    d.info.dtype = storage.dtype;
    d.info.shape = tensor.shape;
    // Bounded by the storage member's size, so neither product overflows.
    d.info.byteSize = std::uint64_t(count.value()) * dtypeSize(storage.dtype);
    d.info.byteOffset =
        entry.value()->dataOffset +
        (entry.value()->method == 0 ? std::uint64_t(tensor.integer) * dtypeSize(storage.dtype) : 0);
    d.view.storage = entry.value();
    d.view.offset = std::uint64_t(tensor.integer);
    d.view.strides = tensor.strides;
    d.view.contiguous = isContiguous(tensor.shape, tensor.strides);
    return d;
}

// Storage index of element `flat` of a row-major walk over shape.
std::uint64_t storageIndex(std::size_t flat, const std::vector<std::int64_t> &shape,
                           const PyTorchReader::View &view) {
    std::uint64_t index = view.offset;
    for (std::size_t i = shape.size(); i-- > 0;) {
        const auto dim = std::size_t(shape[i]);
        index += std::uint64_t(flat % dim) * std::uint64_t(view.strides[i]);
        flat /= dim;
    }
    return index;
}

} // namespace

Result<std::shared_ptr<const PyTorchReader>> PyTorchReader::open(const std::string &path) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return Error{mapped.error()};
    auto archive = ZipArchive::open(std::move(mapped).value());
    if (!archive)
        return Error{archive.error()};
    const auto prefix = picklePrefix(archive.value());
    if (!prefix)
        return fileError(path, prefix.error());
    if (const Status order = checkByteOrder(archive.value(), prefix.value()); !order)
        return fileError(path, order.error());
    const ZipEntry *pickleEntry = archive->find(prefix.value() + "/" + std::string(kPickleName));
    const auto pickle = archive->extract(*pickleEntry, kMaxPickleBytes);
    if (!pickle)
        return Error{pickle.error()};
    const auto tree = unpickleStateDict(pickle.value());
    if (!tree)
        return fileError(path, tree.error());
    Walk walk{tree.value(), {}, {}, 0};
    if (const Status status = walk.visit(tree->root, "", 0); !status)
        return fileError(path, status.error());
    dropWrapper(walk.tensors);

    auto reader = std::shared_ptr<PyTorchReader>(new PyTorchReader(std::move(archive).value()));
    for (const Found &found : walk.tensors) {
        auto described = describe(reader->m_archive, prefix.value(), tree.value(), found);
        if (!described)
            return fileError(path, "tensor '" + found.name + "': " + described.error());
        reader->m_tensors.push_back(std::move(described.value().info));
        reader->m_views.push_back(std::move(described.value().view));
    }
    reader->m_metadata = std::move(walk.metadata);
    return std::shared_ptr<const PyTorchReader>(std::move(reader));
}

bool PyTorchReader::probe(std::span<const std::byte> head, std::uint64_t fileSize) {
    if (!ZipArchive::probe(head) || head.size() < kLocalHeaderBytes || fileSize < kLocalHeaderBytes)
        return false;
    const std::size_t nameBytes = std::size_t(head[26]) | std::size_t(head[27]) << 8;
    if (head.size() - kLocalHeaderBytes < nameBytes)
        return false;
    const std::string_view name(reinterpret_cast<const char *>(head.data() + kLocalHeaderBytes), nameBytes);
    return name.ends_with("/data.pkl");
}

const std::string &PyTorchReader::path() const {
    return m_archive.file()->path();
}

Result<std::vector<float>> PyTorchReader::gather(const TensorInfo &info, const View &view,
                                                 std::span<const std::byte> storage,
                                                 const RunControl &control) const {
    const auto count = std::size_t(info.elementCount());
    std::vector<float> values;
    try {
        values.resize(count);
    } catch (const std::bad_alloc &) {
        return fileError(path(), "tensor '" + info.name + "': not enough memory to decode " +
                                     std::to_string(count) + " elements");
    }
    const DecodeFn decode = littleEndianDecoder(info.dtype);
    const std::size_t itemSize = dtypeSize(info.dtype);
    const std::byte *src = storage.data();
    const bool finished =
        parallelChunks(count, kChunkSize, control, [&](std::size_t, std::size_t begin, std::size_t end) {
            if (view.contiguous) {
                decode(src + (view.offset + begin) * itemSize, values.data() + begin, end - begin);
                return;
            }
            for (std::size_t i = begin; i < end; ++i)
                decode(src + storageIndex(i, info.shape, view) * itemSize, values.data() + i, 1);
        });
    if (!finished)
        return Error{"cancelled"};
    return values;
}

Result<std::shared_ptr<const FloatTensor>> PyTorchReader::loadFloat(std::size_t index,
                                                                    const RunControl &control) const {
    if (index >= m_tensors.size())
        return fileError(path(), "no tensor with index " + std::to_string(index) + " (the file has " +
                                     std::to_string(m_tensors.size()) + ")");
    if (control.canceled())
        return Error{"cancelled"};
    const TensorInfo &info = m_tensors[index];
    const View &view = m_views[index];
    if (const auto stored = m_archive.storedData(*view.storage)) {
        const bool f32 =
            view.contiguous && info.dtype == DType::F32 && std::endian::native == std::endian::little;
        const std::byte *first = f32 ? stored->data() + view.offset * sizeof(float) : nullptr;
        if (f32 && reinterpret_cast<std::uintptr_t>(first) % alignof(float) == 0) {
            control.report(1.0);
            return FloatTensor::fromView(
                info, {reinterpret_cast<const float *>(first), std::size_t(info.elementCount())},
                m_archive.file());
        }
        auto values = gather(info, view, *stored, control);
        if (!values)
            return Error{values.error()};
        return FloatTensor::fromVector(info, std::move(values).value());
    }
    const auto inflated = m_archive.extract(*view.storage, kMaxInflatedBytes);
    if (!inflated)
        return Error{inflated.error() + " (tensor '" + info.name + "')"};
    auto values = gather(info, view, inflated.value(), control);
    if (!values)
        return Error{values.error()};
    return FloatTensor::fromVector(info, std::move(values).value());
}

Result<std::shared_ptr<const FloatTensor>> PyTorchReader::loadChunked(std::size_t index,
                                                                      const RunControl &control) const {
    if (index >= m_tensors.size() || control.canceled())
        return loadFloat(index, control);
    const TensorInfo &info = m_tensors[index];
    const View &view = m_views[index];
    const auto stored = m_archive.storedData(*view.storage);
    if (!stored || !view.contiguous || info.dtype == DType::F32 || std::endian::native != std::endian::little)
        return loadFloat(index, control);
    const std::size_t itemSize = dtypeSize(info.dtype);
    const auto count = std::uint64_t(info.elementCount());
    // The same bound loadFloat's gather relies on, checked here rather than assumed.
    if (view.offset > stored->size() / itemSize || count > stored->size() / itemSize - view.offset)
        return loadFloat(index, control);
    control.report(1.0);
    const auto *fileStart = m_archive.file()->bytes().data();
    const auto offset = std::size_t(stored->data() - fileStart) + std::size_t(view.offset) * itemSize;
    return FloatTensor::fromMapped(info, m_archive.file(), offset, itemSize, littleEndianDecoder(info.dtype));
}

} // namespace qs
