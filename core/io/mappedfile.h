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

private:
    MappedFile() = default;
    std::string m_path;
    std::unique_ptr<QFile> m_file;
    std::span<const std::byte> m_bytes;
};

} // namespace qs
