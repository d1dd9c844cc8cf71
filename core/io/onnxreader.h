#pragma once

#include "io/checkpointreader.h"
#include "io/mappedfile.h"

#include <cstdint>
#include <span>

namespace onnx {
class ModelProto;
class TensorProto;
} // namespace onnx

namespace qs {

/// Reads ONNX models (.onnx): a protobuf ModelProto parsed with ONNX's own generated proto.
/// Tensors are the graph's initializers and the "value" tensors of Constant nodes, including
/// those inside subgraphs (If branches, Loop and Scan bodies, any GRAPH or GRAPHS attribute).
/// Data may be raw_data (little-endian), the typed repeated fields, or external data in a side
/// file next to the model (memory-mapped). Names are as in the file; a subgraph tensor whose
/// name clashes gets its subgraph path as a prefix. Tensors of types with no dtype here
/// (strings, complex, unsigned 16/32/64-bit, FP8 "fnuz") are skipped and named in the metadata
/// key "skipped_tensors".
class OnnxReader final : public CheckpointReader {
public:
    /// Largest model file accepted: protobuf messages are limited to 2 GiB.
    static constexpr std::uint64_t kMaxModelBytes = (std::uint64_t(1) << 31) - 1;
    /// Deepest message nesting accepted (subgraphs inside subgraphs count several levels).
    static constexpr int kMaxRecursionDepth = 64;
    /// Largest rank accepted.
    static constexpr std::size_t kMaxRank = 16;

    /// Parses and validates the model. Errors name the file and the problem (not a ModelProto,
    /// larger than 2 GiB, negative or overflowing dims, data size not matching the shape,
    /// unsupported data location, external data missing, escaping the model's directory or out
    /// of range), and the tensor where there is one.
    static Result<std::shared_ptr<const OnnxReader>> open(const std::string &path);
    /// True if the first bytes look like a serialized ModelProto: ir_version first, then only
    /// ModelProto fields with their wire types and lengths that fit the file.
    static bool probe(std::span<const std::byte> head, std::uint64_t fileSize);

    ~OnnxReader() override;

    const std::string &path() const override { return m_path; }
    std::string formatName() const override { return "ONNX"; }
    const std::vector<TensorInfo> &tensors() const override { return m_tensors; }
    const std::map<std::string, std::string> &metadata() const override { return m_metadata; }
    Result<std::shared_ptr<const FloatTensor>> loadFloat(std::size_t index,
                                                         const RunControl &control = {}) const override;
    /// Elements in raw_data or in an external file stay where they are (the parsed model, the
    /// mapped side file) and are decoded a piece at a time; typed fields (float_data, int32_data,
    /// ...) take loadFloat's path.
    Result<std::shared_ptr<const FloatTensor>> loadChunked(std::size_t index,
                                                           const RunControl &control = {}) const override;

private:
    // Where one tensor's values are: in the parsed model, or in an external file (mapped
    // only while the tensor is loaded, so that thousands of side files need no open handles).
    struct Source {
        const onnx::TensorProto *proto = nullptr;
        std::string externalPath; // empty for data inside the model
    };

    OnnxReader() = default;
    /// The tensor's side file, mapped, once its range is checked against the file's size now.
    Result<std::shared_ptr<const MappedFile>> externalFile(std::size_t index) const;
    Result<std::span<const std::byte>> externalBytes(std::size_t index,
                                                     std::shared_ptr<const void> &keepAlive) const;

    std::string m_path;
    std::shared_ptr<const onnx::ModelProto> m_model;
    std::vector<TensorInfo> m_tensors;
    std::vector<Source> m_sources; ///< parallel to m_tensors
    std::map<std::string, std::string> m_metadata;
};

} // namespace qs
