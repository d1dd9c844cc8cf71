#pragma once

#include "io/checkpointreader.h"
#include "io/mappedfile.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace qs {

/// Reads GGUF (versions 2 and 3, little-endian), the llama.cpp / ggml checkpoint format:
/// "GGUF", uint32 version, uint64 tensor count, uint64 metadata count, the metadata key/value
/// pairs, the tensor infos (name, rank, dims fastest-first, ggml type, offset), then the data
/// section aligned to general.alignment (default 32). The file is memory-mapped and every count,
/// length, dimension and offset is validated when opening, before any tensor data is touched.
///
/// Plain ggml types (F32, F16, BF16, F64, I8 ... I64) appear with their dtype; block types
/// (Q4_0 ... Q6_K, Q8_K, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4) appear as dtype F32 with
/// storageType set to ggml's name and are dequantized by loadFloat(). Shapes are reversed from
/// GGUF's fastest-first order to the row-major order users know ([rows, cols]).
class GgufReader final : public CheckpointReader {
public:
    /// Largest rank ggml supports.
    static constexpr std::uint32_t kMaxDims = 4;
    /// Alignment of the data section when general.alignment is absent.
    static constexpr std::uint64_t kDefaultAlignment = 32;
    /// Deepest nesting of metadata arrays accepted.
    static constexpr int kMaxArrayDepth = 8;
    /// Longest single string accepted (key, value or tensor name).
    static constexpr std::uint64_t kMaxStringBytes = std::uint64_t(1) << 26;

    /// Opens and validates the file. Errors name the file and the problem (bad magic,
    /// unsupported version, truncation, counts or lengths larger than the file, nesting too
    /// deep, duplicate keys or names, rank above 4, overflowing dimensions, unknown or
    /// unsupported ggml type, row length not a multiple of the block size, misaligned offset,
    /// data past the end of the file, overlapping tensors) and the key or tensor concerned.
    static Result<std::shared_ptr<const GgufReader>> open(const std::string &path);
    /// True if the file starts with the GGUF magic.
    static bool probe(std::span<const std::byte> head, std::uint64_t fileSize);

    const std::string &path() const override;
    std::string formatName() const override { return "GGUF"; }
    const std::vector<TensorInfo> &tensors() const override { return m_tensors; }
    /// Every key/value pair as text: numbers in decimal, strings as they are, arrays summarised
    /// as "[n × type] first items, …". general.file_type also names the type mix (e.g.
    /// "15 (Q4_K_M)"); "gguf.version" holds the format version.
    const std::map<std::string, std::string> &metadata() const override { return m_metadata; }
    /// Decodes or dequantizes tensor `index` in parallel chunks of blocks; cancellable between
    /// chunks. Aligned F32 data is viewed in place.
    Result<std::shared_ptr<const FloatTensor>> loadFloat(std::size_t index,
                                                         const RunControl &control = {}) const override;
    /// Plain types other than aligned F32 (F16, BF16, F64, I8 ... I64) stay in the mapped file and
    /// are decoded a piece at a time; block types are dequantized whole, as loadFloat does.
    Result<std::shared_ptr<const FloatTensor>> loadChunked(std::size_t index,
                                                           const RunControl &control = {}) const override;

    /// One metadata pair as stored, for writers that copy pairs byte for byte: the pair spans
    /// [begin, end) of the file (key, value type, value); its value starts at valueBegin.
    struct RawPair {
        std::string key;
        std::uint32_t valueType = 0; ///< gguf_type: 4 is uint32, 8 string, 9 array, ...
        std::uint64_t begin = 0;
        std::uint64_t valueBegin = 0;
        std::uint64_t end = 0;
    };
    /// Every metadata pair in file order (not the "gguf.version" that metadata() adds).
    const std::vector<RawPair> &rawPairs() const { return m_pairs; }
    /// The format version (2 or 3).
    std::uint32_t version() const { return m_version; }
    /// general.alignment, or kDefaultAlignment when the file does not set it.
    std::uint64_t alignment() const { return m_alignment; }
    /// The ggml type id tensor `index` is stored in (index < tensors().size()).
    std::uint32_t ggmlType(std::size_t index) const { return m_ggmlTypes[index]; }
    /// The whole mapped file; valid as long as the reader.
    std::span<const std::byte> fileBytes() const { return m_file->bytes(); }

private:
    GgufReader() = default;
    std::shared_ptr<const MappedFile> m_file;
    std::vector<TensorInfo> m_tensors;
    std::vector<std::uint32_t> m_ggmlTypes; ///< per tensor
    std::map<std::string, std::string> m_metadata;
    std::vector<RawPair> m_pairs;
    std::uint32_t m_version = 0;
    std::uint64_t m_alignment = kDefaultAlignment;
};

} // namespace qs
