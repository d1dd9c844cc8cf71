#pragma once

#include "io/checkpointreader.h"
#include "io/npyheader.h"
#include "io/ziparchive.h"

#include <cstdint>
#include <optional>
#include <span>

namespace qs {

/// Reads a NumPy .npz archive (numpy.savez / savez_compressed): a zip whose ".npy" members are
/// the tensors, named after the member without ".npy". Opening reads only the central directory
/// and each member's .npy header (for deflated members, by inflating just the header). Stored
/// members are viewed in the mapped file; deflated members are inflated when loaded.
class NpzReader final : public CheckpointReader {
public:
    /// Opens and validates the archive and every .npy member's header. Errors name the file,
    /// the member and the problem (zip damage, a bad .npy header, a member whose size is not
    /// header + shape x element size, an unsupported compression method, a repeated name).
    static Result<std::shared_ptr<const NpzReader>> open(const std::string &path);
    /// True if head is a zip archive whose first member is a ".npy" file.
    static bool probe(std::span<const std::byte> head, std::uint64_t fileSize);

    const std::string &path() const override;
    std::string formatName() const override { return "NumPy npz"; }
    const std::vector<TensorInfo> &tensors() const override { return m_tensors; }
    const std::map<std::string, std::string> &metadata() const override { return m_metadata; }
    Result<std::shared_ptr<const FloatTensor>> loadFloat(std::size_t index,
                                                         const RunControl &control = {}) const override;
    /// A stored member's elements stay in the mapped archive and are decoded a piece at a time,
    /// as a .npy file's are; deflated members are inflated whole (loadFloat).
    Result<std::shared_ptr<const FloatTensor>> loadChunked(std::size_t index,
                                                           const RunControl &control = {}) const override;

private:
    struct Member {
        ZipEntry entry;
        NpyHeader header;
    };

    NpzReader() = default;
    std::optional<ZipArchive> m_zip;
    std::vector<Member> m_members; ///< parallel to m_tensors
    std::vector<TensorInfo> m_tensors;
    std::map<std::string, std::string> m_metadata;
};

} // namespace qs
