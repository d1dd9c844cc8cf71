#include "io/ziparchive.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string_view>

namespace qs {

namespace {

constexpr std::uint32_t kLocalSignature = 0x04034b50;
constexpr std::uint32_t kCentralSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::uint64_t kLocalHeaderBytes = 30;
constexpr std::uint64_t kCentralHeaderBytes = 46;
constexpr std::uint64_t kEndBytes = 22;
constexpr std::uint64_t kZip64EndBytes = 56;
constexpr std::uint64_t kZip64LocatorBytes = 20;
constexpr std::uint64_t kMaxCommentBytes = 0xFFFF;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
constexpr std::uint16_t kEncryptedFlag = 0x0001;
// zlib counts in uInt; feed it at most this much per call.
constexpr std::size_t kInflateStep = std::size_t(1) << 30;
// Deflate's largest expansion: a length code of 258 bytes and a distance code can take one bit
// each in a dynamic Huffman block, so one byte of stream codes at most 4 × 258 = 1032 bytes.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

// A bounds-checked little-endian reader over one span; reads past the end yield zero and set
// failed, so a parser checks once after a group of fields.
class Cursor {
public:
    Cursor(std::span<const std::byte> bytes, std::uint64_t pos)
        : m_bytes(bytes)
        , m_pos(pos) {}

    std::uint64_t read(int width) {
        if (m_pos > m_bytes.size() || m_bytes.size() - m_pos < std::uint64_t(width)) {
            m_failed = true;
            return 0;
        }
        std::uint64_t value = 0;
        for (int i = 0; i < width; ++i)
            value |= std::uint64_t(m_bytes[m_pos + std::uint64_t(i)]) << (8 * i);
        m_pos += std::uint64_t(width);
        return value;
    }
    std::uint16_t u16() { return std::uint16_t(read(2)); }
    std::uint32_t u32() { return std::uint32_t(read(4)); }
    std::uint64_t u64() { return read(8); }
    std::span<const std::byte> take(std::uint64_t count) {
        if (m_pos > m_bytes.size() || m_bytes.size() - m_pos < count) {
            m_failed = true;
            return {};
        }
        const auto piece = m_bytes.subspan(m_pos, count);
        m_pos += count;
        return piece;
    }
    bool failed() const { return m_failed; }
    std::uint64_t pos() const { return m_pos; }

private:
    std::span<const std::byte> m_bytes;
    std::uint64_t m_pos = 0;
    bool m_failed = false;
};

struct Directory {
    std::uint64_t entryCount = 0;
    std::uint64_t size = 0;
    std::uint64_t offset = 0;
    std::uint64_t end = 0; ///< where the directory must end (the first end record)
};

// The classic end record is searched backwards over the largest possible comment.
Result<std::uint64_t> findEndRecord(std::span<const std::byte> bytes) {
    if (bytes.size() < kEndBytes)
        return Error{"not a zip archive: " + std::to_string(bytes.size()) +
                     " bytes, shorter than an end of central directory record"};
    const std::uint64_t last = bytes.size() - kEndBytes;
    const std::uint64_t first = last > kMaxCommentBytes ? last - kMaxCommentBytes : 0;
    for (std::uint64_t pos = last + 1; pos-- > first;) {
        Cursor cursor(bytes, pos);
        if (cursor.u32() != kEndSignature)
            continue;
        Cursor comment(bytes, pos + 20);
        if (pos + kEndBytes + comment.u16() == bytes.size())
            return pos;
    }
    return Error{"not a zip archive: no end of central directory record"};
}

Status readZip64End(std::span<const std::byte> bytes, std::uint64_t endPos, Directory &dir) {
    if (endPos < kZip64LocatorBytes)
        return Error{"zip64 end of central directory locator is missing"};
    Cursor locator(bytes, endPos - kZip64LocatorBytes);
    if (locator.u32() != kZip64LocatorSignature)
        return Error{"zip64 end of central directory locator is missing"};
    const std::uint32_t disk = locator.u32();
    const std::uint64_t recordPos = locator.u64();
    if (disk != 0 || locator.u32() > 1)
        return Error{"multi-disk zip archives are not supported"};
    if (recordPos > endPos - kZip64LocatorBytes || endPos - kZip64LocatorBytes - recordPos < kZip64EndBytes)
        return Error{"zip64 end of central directory offset " + std::to_string(recordPos) +
                     " is out of range"};
    Cursor record(bytes, recordPos);
    if (record.u32() != kZip64EndSignature)
        return Error{"zip64 end of central directory record has a bad signature"};
    record.u64(); // record size
    record.u32(); // versions
    if (record.u32() != 0 || record.u32() != 0)
        return Error{"multi-disk zip archives are not supported"};
    record.u64(); // entries on this disk
    dir.entryCount = record.u64();
    dir.size = record.u64();
    dir.offset = record.u64();
    dir.end = recordPos;
    return {};
}

Result<Directory> readDirectory(std::span<const std::byte> bytes) {
    const auto endPos = findEndRecord(bytes);
    if (!endPos)
        return Error{endPos.error()};
    Cursor end(bytes, endPos.value() + 4);
    const std::uint16_t disk = end.u16();
    const std::uint16_t cdDisk = end.u16();
    end.u16();
    Directory dir;
    dir.entryCount = end.u16();
    dir.size = end.u32();
    dir.offset = end.u32();
    dir.end = endPos.value();
    const bool zip64 = dir.entryCount == 0xFFFF || dir.size == 0xFFFFFFFF || dir.offset == 0xFFFFFFFF;
    if (zip64) {
        const Status status = readZip64End(bytes, endPos.value(), dir);
        if (!status)
            return Error{status.error()};
    } else if (disk != 0 || cdDisk != 0) {
        return Error{"multi-disk zip archives are not supported"};
    }
    if (dir.entryCount > ZipArchive::kMaxEntries)
        return Error{"central directory lists " + std::to_string(dir.entryCount) +
                     " members, more than the " + std::to_string(ZipArchive::kMaxEntries) + " supported"};
    if (dir.offset > dir.end || dir.end - dir.offset < dir.size)
        return Error{"central directory (offset " + std::to_string(dir.offset) + ", " +
                     std::to_string(dir.size) + " bytes) runs past its end record"};
    if (dir.entryCount * kCentralHeaderBytes > dir.size)
        return Error{"central directory of " + std::to_string(dir.size) + " bytes is too small for " +
                     std::to_string(dir.entryCount) + " members"};
    return dir;
}

// Replaces the 32-bit fields saturated at 0xFFFFFFFF with the zip64 extra field's values, which
// appear in this fixed order and only for the saturated fields.
Status applyZip64Extra(std::span<const std::byte> extra, ZipEntry &entry, std::uint64_t &localOffset) {
    Cursor cursor(extra, 0);
    while (extra.size() - cursor.pos() >= 4) {
        const std::uint16_t id = cursor.u16();
        const std::uint16_t size = cursor.u16();
        const auto field = cursor.take(size);
        if (cursor.failed())
            return Error{"extra field runs past its end"};
        if (id != kZip64ExtraId)
            continue;
        Cursor values(field, 0);
        if (entry.uncompressedSize == 0xFFFFFFFF)
            entry.uncompressedSize = values.u64();
        if (entry.compressedSize == 0xFFFFFFFF)
            entry.compressedSize = values.u64();
        if (localOffset == 0xFFFFFFFF)
            localOffset = values.u64();
        if (values.failed())
            return Error{"zip64 extra field is too short"};
        return {};
    }
    if (entry.uncompressedSize == 0xFFFFFFFF || entry.compressedSize == 0xFFFFFFFF ||
        localOffset == 0xFFFFFFFF)
        return Error{"zip64 extra field is missing"};
    return {};
}

// Locates the member's data behind its local header and checks it lies inside the file.
Status locateData(std::span<const std::byte> bytes, std::uint64_t localOffset, ZipEntry &entry) {
    Cursor local(bytes, localOffset);
    if (local.u32() != kLocalSignature)
        return Error{"local header at offset " + std::to_string(localOffset) +
                     (local.failed() ? " is past the end of the file" : " has a bad signature")};
    Cursor lengths(bytes, localOffset + 26);
    const std::uint64_t nameBytes = lengths.u16();
    const std::uint64_t extraBytes = lengths.u16();
    const auto localName = lengths.take(nameBytes);
    if (lengths.failed())
        return Error{"local header at offset " + std::to_string(localOffset) + " is truncated"};
    // Readers that trust the local header would see another member: refuse the disagreement.
    if (std::string_view(reinterpret_cast<const char *>(localName.data()), localName.size()) != entry.name)
        return Error{"local header names a different member"};
    entry.dataOffset = localOffset + kLocalHeaderBytes + nameBytes + extraBytes;
    if (entry.dataOffset > bytes.size() || bytes.size() - entry.dataOffset < entry.compressedSize)
        return Error{"data (" + std::to_string(entry.compressedSize) + " bytes at offset " +
                     std::to_string(entry.dataOffset) + ") runs past the end of the file (" +
                     std::to_string(bytes.size()) + " bytes)"};
    if (entry.method == 0 && entry.compressedSize != entry.uncompressedSize)
        return Error{"stored member has compressed size " + std::to_string(entry.compressedSize) +
                     " but uncompressed size " + std::to_string(entry.uncompressedSize)};
    return {};
}

Result<ZipEntry> readEntry(std::span<const std::byte> bytes, Cursor &cursor) {
    if (cursor.u32() != kCentralSignature)
        return Error{"central directory entry at offset " + std::to_string(cursor.pos() - 4) +
                     " has a bad signature"};
    cursor.read(4); // versions
    const std::uint16_t flags = cursor.u16();
    ZipEntry entry;
    entry.method = cursor.u16();
    cursor.read(4); // time and date
    entry.crc32 = cursor.u32();
    entry.compressedSize = cursor.u32();
    entry.uncompressedSize = cursor.u32();
    const std::uint16_t nameBytes = cursor.u16();
    const std::uint16_t extraBytes = cursor.u16();
    const std::uint16_t commentBytes = cursor.u16();
    cursor.read(8); // disk, attributes
    std::uint64_t localOffset = cursor.u32();
    const auto name = cursor.take(nameBytes);
    const auto extra = cursor.take(extraBytes);
    cursor.take(commentBytes);
    if (cursor.failed())
        return Error{"central directory entry runs past the directory's end"};
    entry.name.assign(reinterpret_cast<const char *>(name.data()), name.size());
    if (flags & kEncryptedFlag)
        return Error{"member '" + entry.name + "' is encrypted"};
    Status status = applyZip64Extra(extra, entry, localOffset);
    if (status)
        status = locateData(bytes, localOffset, entry);
    if (!status)
        return Error{"member '" + entry.name + "': " + status.error()};
    return entry;
}

Result<std::vector<ZipEntry>> readEntries(std::span<const std::byte> bytes, const Directory &dir) {
    const auto directory = bytes.subspan(0, dir.offset + dir.size);
    Cursor cursor(directory, dir.offset);
    std::vector<ZipEntry> entries;
    entries.reserve(std::size_t(dir.entryCount));
    for (std::uint64_t i = 0; i < dir.entryCount; ++i) {
        auto entry = readEntry(bytes, cursor);
        if (!entry)
            return Error{entry.error()};
        entries.push_back(std::move(entry).value());
    }
    return entries;
}

std::uint32_t crcOf(std::span<const std::byte> bytes) {
    return std::uint32_t(
        crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(bytes.data()), bytes.size()));
}

// Hands zlib the next piece of input or output once it has used up the previous one.
void refill(z_stream &stream, std::span<const std::byte> in, std::span<std::byte> out, std::byte &spare) {
    const std::size_t inUsed = std::size_t(stream.total_in);
    if (stream.avail_in == 0 && inUsed < in.size()) {
        stream.next_in = reinterpret_cast<Bytef *>(const_cast<std::byte *>(in.data() + inUsed));
        stream.avail_in = uInt(std::min(in.size() - inUsed, kInflateStep));
    }
    const std::size_t outUsed = std::size_t(stream.total_out);
    if (stream.avail_out == 0 && outUsed < out.size()) {
        stream.next_out = reinterpret_cast<Bytef *>(out.data() + outUsed);
        stream.avail_out = uInt(std::min(out.size() - outUsed, kInflateStep));
    } else if (stream.avail_out == 0) {
        // One spare byte of room detects data that inflates past the declared size.
        stream.next_out = reinterpret_cast<Bytef *>(&spare);
        stream.avail_out = 1;
    }
}

// Raw deflate into exactly out.size() bytes: more or less output is corruption.
Status inflateInto(std::span<const std::byte> in, std::span<std::byte> out) {
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
        return Error{"cannot initialise zlib"};
    std::byte spare{};
    int rc = Z_OK;
    while (rc == Z_OK && stream.total_out <= out.size()) {
        refill(stream, in, out, spare);
        rc = inflate(&stream, Z_NO_FLUSH);
    }
    const std::uint64_t produced = stream.total_out;
    inflateEnd(&stream);
    if (produced > out.size())
        return Error{"inflates to more than its declared size of " + std::to_string(out.size()) + " bytes"};
    if (rc == Z_BUF_ERROR)
        return Error{"deflate data is truncated"};
    if (rc != Z_STREAM_END)
        return Error{"corrupt deflate data"};
    if (produced != out.size())
        return Error{"inflates to " + std::to_string(produced) + " bytes, less than its declared size of " +
                     std::to_string(out.size())};
    return {};
}

} // namespace

Result<ZipArchive> ZipArchive::open(std::shared_ptr<const MappedFile> file) {
    const std::span<const std::byte> bytes = file->bytes();
    const auto dir = readDirectory(bytes);
    if (!dir)
        return Error{file->path() + ": " + dir.error()};
    auto entries = readEntries(bytes, dir.value());
    if (!entries)
        return Error{file->path() + ": " + entries.error()};
    ZipArchive archive;
    archive.m_file = std::move(file);
    archive.m_entries = std::move(entries).value();
    archive.m_sorted.resize(archive.m_entries.size());
    for (std::size_t i = 0; i < archive.m_sorted.size(); ++i)
        archive.m_sorted[i] = i;
    std::stable_sort(archive.m_sorted.begin(), archive.m_sorted.end(), [&](std::size_t a, std::size_t b) {
        return archive.m_entries[a].name < archive.m_entries[b].name;
    });
    return archive;
}

bool ZipArchive::probe(std::span<const std::byte> head) {
    if (head.size() < 4)
        return false;
    Cursor cursor(head, 0);
    const std::uint32_t signature = cursor.u32();
    return signature == kLocalSignature || signature == kEndSignature;
}

const ZipEntry *ZipArchive::find(std::string_view name) const {
    const auto it =
        std::lower_bound(m_sorted.begin(), m_sorted.end(), name,
                         [&](std::size_t i, std::string_view key) { return m_entries[i].name < key; });
    if (it == m_sorted.end() || m_entries[*it].name != name)
        return nullptr;
    return &m_entries[*it];
}

std::optional<std::span<const std::byte>> ZipArchive::storedData(const ZipEntry &entry) const {
    if (entry.method != 0)
        return std::nullopt;
    return m_file->bytes().subspan(entry.dataOffset, entry.compressedSize);
}

Result<std::vector<std::byte>> ZipArchive::extract(const ZipEntry &entry, std::uint64_t maxBytes) const {
    const std::string where = m_file->path() + ": member '" + entry.name + "': ";
    if (entry.method != 0 && entry.method != 8)
        return Error{where + "unsupported compression method " + std::to_string(entry.method)};
    if (entry.uncompressedSize > maxBytes)
        return Error{where + "declares " + std::to_string(entry.uncompressedSize) +
                     " bytes, more than the limit of " + std::to_string(maxBytes)};
    // Checked before the output is allocated, so that a few bytes declaring gigabytes cost
    // nothing (open() already holds a stored member to exactly its bytes).
    if (entry.method == 8 && entry.uncompressedSize / kMaxDeflateRatio > entry.compressedSize)
        return Error{where + "declares " + std::to_string(entry.uncompressedSize) + " bytes, but its " +
                     std::to_string(entry.compressedSize) + " compressed bytes inflate to at most " +
                     std::to_string(entry.compressedSize * kMaxDeflateRatio) + " (the archive is corrupt)"};
    std::vector<std::byte> out;
    try {
        out.resize(std::size_t(entry.uncompressedSize));
    } catch (const std::bad_alloc &) {
        return Error{where + "not enough memory for " + std::to_string(entry.uncompressedSize) + " bytes"};
    }
    const auto in = m_file->bytes().subspan(entry.dataOffset, entry.compressedSize);
    if (entry.method == 0) {
        if (!in.empty())
            std::memcpy(out.data(), in.data(), in.size());
    } else {
        const Status status = inflateInto(in, out);
        if (!status)
            return Error{where + status.error()};
    }
    if (crcOf(out) != entry.crc32)
        return Error{where + "CRC-32 mismatch (the data is corrupt)"};
    return out;
}

} // namespace qs
