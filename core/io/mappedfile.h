#pragma once

#include "util/result.h"

#include <cstddef>
#include <memory>
#include <span>
#include <string>

class QFile;

namespace qs {

/// A whole file mapped read-only into memory. Shared by a reader and by the tensors that view it.
class MappedFile {
public:
    /// Maps the file. An empty file maps to an empty span. Errors name the file.
    static Result<std::shared_ptr<const MappedFile>> open(const std::string &path);
    ~MappedFile();

    const std::string &path() const { return m_path; }
    std::span<const std::byte> bytes() const { return m_bytes; }
    std::size_t size() const { return m_bytes.size(); }

    /// Prepares bytes [offset, offset + size) for a pass that reads them once, in order: the
    /// kernel is told to read ahead and, up to 256 MiB, to map the pages now in one call, so the
    /// pass does not stop on a page fault every 4 KiB (Linux: MADV_SEQUENTIAL, then
    /// MADV_POPULATE_READ; MADV_WILLNEED above 256 MiB and on kernels before 5.14). Only advice: nothing
    /// happens where it is not supported, and a failure changes nothing but speed.
    void prepareSequentialRead(std::size_t offset, std::size_t size) const;

private:
    MappedFile() = default;
    std::string m_path;
    std::unique_ptr<QFile> m_file;
    std::span<const std::byte> m_bytes;
};

} // namespace qs
