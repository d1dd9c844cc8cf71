#include "io/npzreader.h"

#include "io/npyreader.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <set>
#include <string_view>

namespace qs {

namespace {

constexpr std::string_view kNpySuffix = ".npy";
constexpr std::size_t kLocalHeaderBytes = 30;

bool endsWith(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Inflates at most want bytes from the start of a raw deflate stream: enough for a header
// without inflating the member.
Result<std::vector<std::byte>> inflatePrefix(std::span<const std::byte> compressed, std::size_t want) {
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
        return Error{"cannot start zlib"};
    std::vector<std::byte> out(want);
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = uInt(want);
    std::size_t fed = 0;
    int rc = Z_OK;
    while (stream.avail_out > 0 && rc == Z_OK) {
        if (stream.avail_in == 0 && fed < compressed.size()) {
            const std::size_t chunk = std::min<std::size_t>(compressed.size() - fed, 1u << 30);
            stream.next_in = reinterpret_cast<Bytef *>(const_cast<std::byte *>(compressed.data() + fed));
            stream.avail_in = uInt(chunk);
            fed += chunk;
        }
        rc = inflate(&stream, Z_NO_FLUSH);
    }
    const std::size_t produced = want - stream.avail_out;
    inflateEnd(&stream);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        return Error{"corrupt deflate data in the .npy header"};
    out.resize(produced);
    return out;
}

// The bytes holding a member's .npy header: in place when stored, inflated when deflated.
Result<std::vector<std::byte>> headerBytes(const ZipArchive &zip, const ZipEntry &entry) {
    if (const auto stored = zip.storedData(entry)) {
        const std::size_t n = std::min<std::size_t>(stored->size(), kMaxNpyHeaderBytes + kNpyPreambleBytes);
        return std::vector<std::byte>(stored->begin(), stored->begin() + std::ptrdiff_t(n));
    }
    if (entry.method != 8)
        return Error{"unsupported compression method " + std::to_string(entry.method) +
                     " (supported: stored, deflate)"};
    const auto compressed = zip.file()->bytes().subspan(entry.dataOffset, entry.compressedSize);
    auto preamble = inflatePrefix(compressed, kNpyPreambleBytes);
    if (!preamble)
        return preamble;
    const auto extent = npyHeaderExtent(preamble.value());
    if (!extent)
        return Error{extent.error()};
    return inflatePrefix(compressed, std::size_t(extent.value()));
}

Result<NpyHeader> memberHeader(const ZipArchive &zip, const ZipEntry &entry) {
    const auto bytes = headerBytes(zip, entry);
    if (!bytes)
        return Error{bytes.error()};
    auto header = parseNpyHeader(bytes.value());
    if (!header)
        return header;
    std::uint64_t total = 0;
    if (__builtin_add_overflow(header->dataOffset, header->dataBytes, &total) ||
        total != entry.uncompressedSize)
        return Error{"data size mismatch: shape " + npyShapeText(header->shape) + " of " +
                     std::string(dtypeName(header->dtype)) + " needs " + std::to_string(header->dataBytes) +
                     " bytes after a " + std::to_string(header->dataOffset) +
                     "-byte header, but the member has " + std::to_string(entry.uncompressedSize) + " bytes"};
    return header;
}

TensorInfo tensorInfo(const ZipEntry &entry, const NpyHeader &header) {
    TensorInfo info;
    info.name = entry.name.substr(0, entry.name.size() - kNpySuffix.size());
    info.dtype = header.dtype;
    info.shape = header.shape;
    // Deflated data has no place in the file of its own: point at the compressed stream.
    info.byteOffset = entry.dataOffset + (entry.method == 0 ? header.dataOffset : 0);
    info.byteSize = header.dataBytes;
    return info;
}

} // namespace

Result<std::shared_ptr<const NpzReader>> NpzReader::open(const std::string &path) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return Error{mapped.error()};
    auto zip = ZipArchive::open(std::move(mapped).value());
    if (!zip)
        return Error{zip.error()};
    auto reader = std::shared_ptr<NpzReader>(new NpzReader);
    std::set<std::string> names;
    std::size_t deflated = 0;
    for (const ZipEntry &entry : zip->entries()) {
        if (!endsWith(entry.name, kNpySuffix))
            continue; // directories and non-array members hold no tensors
        const std::string where = path + ": member '" + entry.name + "': ";
        if (!names.insert(entry.name).second)
            return Error{where + "appears twice in the archive"};
        const auto header = memberHeader(zip.value(), entry);
        if (!header)
            return Error{where + header.error()};
        reader->m_tensors.push_back(tensorInfo(entry, header.value()));
        reader->m_members.push_back({entry, header.value()});
        deflated += entry.method == 8 ? 1 : 0;
    }
    reader->m_metadata = {{"arrays", std::to_string(reader->m_tensors.size())},
                          {"compressed arrays", std::to_string(deflated)}};
    reader->m_zip.emplace(std::move(zip).value());
    return std::shared_ptr<const NpzReader>(std::move(reader));
}

bool NpzReader::probe(std::span<const std::byte> head, std::uint64_t) {
    if (!ZipArchive::probe(head) || head.size() < kLocalHeaderBytes)
        return false;
    const std::size_t nameLength = std::size_t(head[26]) | std::size_t(head[27]) << 8;
    if (head.size() < kLocalHeaderBytes + nameLength)
        return false;
    const std::string_view name(reinterpret_cast<const char *>(head.data()) + kLocalHeaderBytes, nameLength);
    return endsWith(name, kNpySuffix);
}

const std::string &NpzReader::path() const {
    return m_zip->file()->path();
}

Result<std::shared_ptr<const FloatTensor>> NpzReader::loadFloat(std::size_t index,
                                                                const RunControl &control) const {
    if (index >= m_tensors.size())
        return Error{path() + ": no tensor with index " + std::to_string(index) + " (the archive has " +
                     std::to_string(m_tensors.size()) + ")"};
    const TensorInfo &info = m_tensors[index];
    const Member &member = m_members[index];
    const std::string context = path() + ": member '" + member.entry.name + "'";
    if (const auto stored = m_zip->storedData(member.entry)) {
        const auto data = stored->subspan(member.header.dataOffset, member.header.dataBytes);
        return loadNpyTensor(info, member.header, data, m_zip->file(), context, control);
    }
    auto inflated = m_zip->extract(member.entry, member.entry.uncompressedSize);
    if (!inflated)
        return Error{inflated.error()};
    // The inflated bytes live as long as a tensor viewing them; a decoded copy frees them.
    const auto owner = std::make_shared<const std::vector<std::byte>>(std::move(inflated).value());
    const auto data =
        std::span<const std::byte>(*owner).subspan(member.header.dataOffset, member.header.dataBytes);
    return loadNpyTensor(info, member.header, data, owner, context, control);
}

Result<std::shared_ptr<const FloatTensor>> NpzReader::loadChunked(std::size_t index,
                                                                  const RunControl &control) const {
    if (index >= m_tensors.size() || control.canceled())
        return loadFloat(index, control);
    const Member &member = m_members[index];
    const auto stored = m_zip->storedData(member.entry);
    if (!stored)
        return loadFloat(index, control);
    const std::shared_ptr<const MappedFile> &file = m_zip->file();
    const auto offset = std::size_t(stored->data() - file->bytes().data()) + member.header.dataOffset;
    auto chunked = chunkedNpyTensor(m_tensors[index], member.header, file, offset);
    if (!chunked)
        return loadFloat(index, control);
    control.report(1.0);
    return chunked;
}

} // namespace qs
