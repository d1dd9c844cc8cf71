#pragma once

#include "io/checkpointreader.h"

#include <cstdint>
#include <span>

namespace qs {

/// Opens a sharded model through its index ("model.safetensors.index.json",
/// "pytorch_model.bin.index.json": {"metadata": {...}, "weight_map": {"tensor": "shard file"}})
/// as one checkpoint. Each shard is opened with openCheckpoint (any supported format), relative
/// to the index's directory. The tensors are those the weight_map lists, shard by shard (shards
/// in file-name order, tensors in each shard's own order); TensorInfo::fileIndex is the shard's
/// position in shardPaths(). loadFloat delegates to the shard.
class ShardedReader final : public CheckpointReader {
public:
    /// Largest index file accepted.
    static constexpr std::uint64_t kMaxIndexBytes = 64 << 20;
    /// Largest number of weight_map entries accepted.
    static constexpr std::size_t kMaxEntries = 1'000'000;

    /// Reads the index and opens every shard. Errors name the index and the problem: not JSON,
    /// no weight_map object, a shard name that is empty, absolute or escapes the directory with
    /// "..", a missing or unreadable shard (named), a shard that is itself an index, a tensor the
    /// weight_map places in a shard that does not hold it.
    static Result<std::shared_ptr<const ShardedReader>> open(const std::string &path);
    /// True if head is a JSON object mentioning "weight_map" and the file is not over the limit.
    static bool probe(std::span<const std::byte> head, std::uint64_t fileSize);

    const std::string &path() const override { return m_path; }
    /// The shards' format and their count, e.g. "safetensors (3 shards)".
    std::string formatName() const override;
    const std::vector<TensorInfo> &tensors() const override { return m_tensors; }
    /// The index's "metadata" entries (numbers and objects as JSON text).
    const std::map<std::string, std::string> &metadata() const override { return m_metadata; }
    Result<std::shared_ptr<const FloatTensor>> loadFloat(std::size_t index,
                                                         const RunControl &control = {}) const override;
    Result<std::shared_ptr<const FloatTensor>> loadChunked(std::size_t index,
                                                           const RunControl &control = {}) const override;

    /// Paths of the shard files, indexed by TensorInfo::fileIndex.
    std::vector<std::string> shardPaths() const;
    std::vector<std::string> dataFiles() const override { return shardPaths(); }

private:
    using ShardLoad = Result<std::shared_ptr<const FloatTensor>> (CheckpointReader::*)(
        std::size_t, const RunControl &) const;

    ShardedReader() = default;
    // The shard's tensor by shardLoad (loadFloat or loadChunked), described as this model lists it.
    Result<std::shared_ptr<const FloatTensor>> load(std::size_t index, const RunControl &control,
                                                    ShardLoad shardLoad) const;
    std::string m_path;
    std::vector<std::shared_ptr<const CheckpointReader>> m_shards;
    std::vector<TensorInfo> m_tensors;
    std::vector<std::size_t> m_shardTensor; ///< index of each tensor within its shard
    std::map<std::string, std::string> m_metadata;
};

} // namespace qs
