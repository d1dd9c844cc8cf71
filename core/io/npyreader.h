#pragma once

#include "io/checkpointreader.h"
#include "io/mappedfile.h"
#include "io/npyheader.h"

#include <cstdint>
#include <span>

namespace qs {

/// Reads a NumPy .npy array (format versions 1.0, 2.0 and 3.0) as a checkpoint of one tensor
/// named after the file (without ".npy"). The file is memory-mapped; little-endian F32 in C
/// order is viewed in place, anything else decoded (big-endian swapped, Fortran order
/// transposed to row-major; the shape is listed as NumPy shows it).
class NpyReader final : public CheckpointReader {
public:
    /// Opens and validates the file. Errors name the file and the problem (bad magic, unknown
    /// version, header past the end or over kMaxNpyHeaderBytes, header not a dict, unknown
    /// descr, overflowing shape, data size not equal to shape x element size).
    static Result<std::shared_ptr<const NpyReader>> open(const std::string &path);
    /// True if head starts with the .npy magic and a known version.
    static bool probe(std::span<const std::byte> head, std::uint64_t fileSize);

    const std::string &path() const override;
    std::string formatName() const override { return "NumPy"; }
    const std::vector<TensorInfo> &tensors() const override { return m_tensors; }
    const std::map<std::string, std::string> &metadata() const override { return m_metadata; }
    Result<std::shared_ptr<const FloatTensor>> loadFloat(std::size_t index,
                                                         const RunControl &control = {}) const override;
    /// A little-endian, C-order array of another dtype stays in the mapped file and is decoded a
    /// piece at a time; big-endian and Fortran-order arrays are decoded whole, as loadFloat does.
    Result<std::shared_ptr<const FloatTensor>> loadChunked(std::size_t index,
                                                           const RunControl &control = {}) const override;

private:
    NpyReader() = default;
    std::shared_ptr<const MappedFile> m_file;
    NpyHeader m_header;
    std::vector<TensorInfo> m_tensors;
    std::map<std::string, std::string> m_metadata;
};

/// Metadata entries describing an array's header (format version, byte order, memory order).
std::map<std::string, std::string> npyMetadata(const NpyHeader &header);

/// Decodes one array whose data bytes are data (header.dataBytes of them) as info; views data in
/// place when possible, keeping keepAlive. Errors name context (file and tensor).
Result<std::shared_ptr<const FloatTensor>>
loadNpyTensor(const TensorInfo &info, const NpyHeader &header, std::span<const std::byte> data,
              std::shared_ptr<const void> keepAlive, const std::string &context, const RunControl &control);

/// A chunked load of one array whose data starts at byte offset of file: its elements stay in the
/// mapping and are decoded a piece at a time. nullptr where the array takes loadNpyTensor's path
/// instead: float32 viewable in place, big-endian, or Fortran order (a transpose).
std::shared_ptr<const FloatTensor> chunkedNpyTensor(const TensorInfo &info, const NpyHeader &header,
                                                    std::shared_ptr<const MappedFile> file,
                                                    std::size_t offset);

} // namespace qs
