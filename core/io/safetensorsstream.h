#pragma once

#include "io/dtype.h"
#include "util/result.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

class QSaveFile;

namespace qs {

/// One tensor of a streamed safetensors output, declared before its bytes exist.
struct StreamTensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;

    /// elementCount · dtypeSize; the caller keeps shapes small enough not to overflow.
    std::uint64_t byteSize() const;
};

/// Hugging Face's shard limit: above it the output is split into shards.
inline constexpr std::uint64_t kDefaultShardBytes = std::uint64_t(5) << 30;

/// A safetensors output written tensor by tensor in bounded memory: every header is known up
/// front, so each file's header goes first and each tensor's bytes follow as they are produced.
///
/// When the tensors' bytes exceed the shard limit, target `DIR/STEM.safetensors` becomes the
/// shards `DIR/STEM-00001-of-0000N.safetensors` … (whole tensors, in order, each shard filled up
/// to the limit) plus `DIR/STEM.safetensors.index.json` ({"metadata": {"total_size"},
/// "weight_map"}), as Hugging Face writes them. Every file, extra files included, goes to a
/// temporary file (QSaveFile) and is renamed into place only by commit(), once all were
/// written; destroying the stream uncommitted removes the temporaries, so a failure or a cancel
/// leaves nothing at any target.
class SafetensorsStream {
public:
    ~SafetensorsStream();
    SafetensorsStream(const SafetensorsStream &) = delete;
    SafetensorsStream &operator=(const SafetensorsStream &) = delete;

    /// The paths the tensors would be written to, without touching the disk: target alone, or
    /// the shards and the index. Fails on a duplicate or reserved name or a tensor larger than
    /// 2^62 bytes.
    static Result<std::vector<std::string>> plannedPaths(const std::string &target,
                                                         const std::vector<StreamTensor> &tensors,
                                                         std::uint64_t shardBytes = kDefaultShardBytes);

    /// Opens the temporary files and writes the first file's header. metadata goes into every
    /// file's "__metadata__". Errors name the file.
    static Result<std::unique_ptr<SafetensorsStream>>
    open(const std::string &target, std::vector<StreamTensor> tensors,
         std::uint64_t shardBytes = kDefaultShardBytes,
         const std::map<std::string, std::string> &metadata = {});

    /// Every file commit() writes, in order: the safetensors files, then the index (when
    /// sharded), then the extra files.
    std::vector<std::string> paths() const;
    /// The next tensor's bytes, exactly its byteSize(); may come in several pieces. Errors name
    /// the file and the tensor.
    Status append(std::span<const std::byte> bytes);
    /// Adds a file committed together with the tensors (a config.json beside them).
    Status addFile(const std::string &path, const QByteArray &content);
    /// Renames every file into place once every tensor's bytes were appended. On a failure the
    /// files not yet renamed are discarded and those already renamed are removed again.
    Result<std::vector<std::string>> commit();

private:
    struct Shard;
    SafetensorsStream() = default;
    Status startShard(std::size_t shard);
    Status advance();
    QByteArray indexJson() const;

    std::vector<StreamTensor> m_tensors;
    std::vector<Shard> m_shards;
    std::map<std::string, std::string> m_metadata;
    std::string m_indexPath;
    std::vector<std::string> m_extraPaths;
    std::vector<std::unique_ptr<QSaveFile>> m_files;      // one per shard started
    std::vector<std::unique_ptr<QSaveFile>> m_extraFiles; // the index, then addFile's
    std::size_t m_tensor = 0;                             // the tensor append() fills
    std::uint64_t m_tensorWritten = 0;                    // its bytes so far
};

} // namespace qs
