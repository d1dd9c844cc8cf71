#pragma once

#include "io/checkpointreader.h"
#include "io/mappedfile.h"

#include <cstdint>
#include <span>

namespace qs {

/// Reads the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}),
/// then the data. The file is memory-mapped; the header is validated completely before any
/// tensor data is touched.
class SafetensorsReader final : public CheckpointReader {
public:
    /// Largest header accepted, as in the reference implementation (100 MB).
    static constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
    /// Largest rank accepted.
    static constexpr std::size_t kMaxRank = 16;

    /// Opens and validates the file. Errors name the file and the problem (truncated file,
    /// header past the end, header not JSON or not the expected shape, offsets out of range,
    /// reversed or overlapping, shape x dtype size not equal to the byte span, overflowing
    /// shapes, unknown dtype).
    static Result<std::shared_ptr<const SafetensorsReader>> open(const std::string &path);
    /// True if the first bytes of a file of fileSize bytes look like safetensors.
    static bool probe(std::span<const std::byte> head, std::uint64_t fileSize);

    const std::string &path() const override;
    std::string formatName() const override { return "safetensors"; }
    const std::vector<TensorInfo> &tensors() const override { return m_tensors; }
    const std::map<std::string, std::string> &metadata() const override { return m_metadata; }
    Result<std::shared_ptr<const FloatTensor>> loadFloat(std::size_t index,
                                                         const RunControl &control = {}) const override;
    Result<std::shared_ptr<const FloatTensor>> loadChunked(std::size_t index,
                                                           const RunControl &control = {}) const override;

private:
    SafetensorsReader() = default;
    std::shared_ptr<const MappedFile> m_file;
    std::vector<TensorInfo> m_tensors;
    std::map<std::string, std::string> m_metadata;
};

} // namespace qs
