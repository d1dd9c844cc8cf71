#pragma once

#include "io/mappedfile.h"
#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

/// One member of a zip archive, as its central directory and local header describe it.
struct ZipEntry {
    std::string name;
    std::uint16_t method = 0;     ///< 0 stored, 8 deflated
    std::uint64_t dataOffset = 0; ///< absolute offset of the member's (compressed) data
    std::uint64_t compressedSize = 0;
    std::uint64_t uncompressedSize = 0;
    std::uint32_t crc32 = 0;
};

/// Read-only view of a zip archive (zip64 included) in a mapped file: the central directory is
/// parsed and every offset and size is bounds-checked when opening. Stored members are viewed
/// in place; deflated members are inflated with zlib.
class ZipArchive {
public:
    /// Largest number of members accepted.
    static constexpr std::size_t kMaxEntries = 1'000'000;

    /// Parses the archive in file. Errors name the file and the problem.
    static Result<ZipArchive> open(std::shared_ptr<const MappedFile> file);
    /// True if head (the first bytes of a file) starts like a zip archive.
    static bool probe(std::span<const std::byte> head);

    const std::vector<ZipEntry> &entries() const { return m_entries; }
    /// The member with exactly this name, or nullptr.
    const ZipEntry *find(std::string_view name) const;
    /// The bytes of a stored (uncompressed) member, in place; nullopt for compressed members.
    std::optional<std::span<const std::byte>> storedData(const ZipEntry &entry) const;
    /// The uncompressed bytes of any member (stored: a copy; deflated: inflated and CRC-checked).
    /// Fails when uncompressedSize exceeds maxBytes, on corrupt data, or a method other than 0 / 8.
    Result<std::vector<std::byte>> extract(const ZipEntry &entry, std::uint64_t maxBytes) const;
    const std::shared_ptr<const MappedFile> &file() const { return m_file; }

private:
    std::shared_ptr<const MappedFile> m_file;
    std::vector<ZipEntry> m_entries;
    std::vector<std::size_t> m_sorted; // entry indices ordered by name, for find()
};

} // namespace qs
