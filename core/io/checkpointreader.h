#pragma once

#include "io/floattensor.h"
#include "io/tensorinfo.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qs {

/// A checkpoint opened for reading: the list of its tensors (read when opening, without
/// touching tensor data) and on-demand decoding of one tensor to float32.
/// Implementations are immutable after open() and safe to use from several threads.
class CheckpointReader {
public:
    virtual ~CheckpointReader() = default;

    /// The path the checkpoint was opened from.
    virtual const std::string &path() const = 0;
    /// Short format name shown to users, e.g. "safetensors".
    virtual std::string formatName() const = 0;
    /// All tensors, in the order the file lists them.
    virtual const std::vector<TensorInfo> &tensors() const = 0;
    /// Free-form string metadata of the file (safetensors "__metadata__"); may be empty.
    virtual const std::map<std::string, std::string> &metadata() const = 0;

    /// Decodes tensor `index` to float32. The result may view the mapped file (no copy for
    /// aligned little-endian F32) and keeps it alive. Errors name the file and the tensor.
    virtual Result<std::shared_ptr<const FloatTensor>> loadFloat(std::size_t index,
                                                                 const RunControl &control = {}) const = 0;
    /// Tensor `index` for reading piece by piece: as loadFloat, except that elements stored in
    /// the mapped file in another dtype (BF16, F16, FP8, ...) are not decoded here but by
    /// FloatTensor::readValues, a piece at a time, so a pass over them never holds a float32
    /// copy. Formats that cannot (compressed or block-quantized data) return loadFloat's tensor.
    virtual Result<std::shared_ptr<const FloatTensor>> loadChunked(std::size_t index,
                                                                   const RunControl &control = {}) const {
        return loadFloat(index, control);
    }

    /// The files holding tensor data, indexed by TensorInfo::fileIndex: path() itself for a
    /// single-file checkpoint, the shards for a sharded one. For safetensors and GGUF (and shards of
    /// them), TensorInfo::byteOffset and byteSize locate a tensor's stored bytes in its file;
    /// other formats may compress them or keep them in another file.
    virtual std::vector<std::string> dataFiles() const { return {path()}; }
};

/// Opens a checkpoint of any supported format, recognised by its content. The error names the
/// file and says what is wrong (or which formats are supported).
Result<std::shared_ptr<const CheckpointReader>> openCheckpoint(const std::string &path);

} // namespace qs
