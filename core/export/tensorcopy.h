#pragma once

#include "export/exporter.h"
#include "io/checkpointreader.h"
#include "io/mappedfile.h"
#include "io/safetensorsstream.h"
#include "quant/quantspec.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace qs {

/// Copies a checkpoint's tensors unchanged into a safetensors output, for the weight exporters:
/// the stored bytes themselves when the input keeps them as safetensors does (safetensors, its
/// shards, a GGUF's plain F32/F16/BF16 tensors), else the decoded values re-encoded in the stored
/// dtype, which is lossless for F32, F16 and BF16 only.
class TensorCopier {
public:
    explicit TensorCopier(const CheckpointReader &reader);

    /// Why the tensor cannot be copied without loss ("stored as Q4_K", "I64 in a PyTorch
    /// checkpoint"), or nullopt.
    std::optional<std::string> cannotCopy(const TensorInfo &info) const;
    /// Appends tensor index's bytes to out, in pieces (bounded memory). Errors name the tensor.
    Status copy(std::size_t index, SafetensorsStream &out, const RunControl &control);

private:
    bool rawBytes(const TensorInfo &info) const;
    Result<std::span<const std::byte>> storedBytes(const TensorInfo &info);

    const CheckpointReader &m_reader;
    bool m_rawFormat = false;
    std::vector<std::string> m_dataFiles;
    std::map<std::size_t, std::shared_ptr<const MappedFile>> m_mapped;
};

/// The dtype a weight's stored scales take (compressed-tensors stores them in the weight's own
/// dtype): BF16 and F16 weights keep theirs, every other dtype gets F32.
DType scaleDtypeFor(DType weightDtype);

/// The ScaleDtype value of scaleDtypeFor(weightDtype).
ScaleDtype specScaleDtypeFor(DType weightDtype);

/// How a weight exporter writes one planned tensor: appends the bytes of its output tensors, in
/// the order their headers were declared.
using WriteQuantized =
    std::function<Status(std::size_t index, const QuantSpec &spec, SafetensorsStream &out)>;

/// The loop the weight exporters share: every input tensor in order, the planned ones (specs[i]
/// set) through writeQuantized, the others copied; cancel checked between tensors, progress by
/// input bytes, job.tensorDone after each; then out.commit(). Errors as job.write documents them.
Result<ExportOutcome> streamWeights(const ExportJob &job, SafetensorsStream &out, TensorCopier &copier,
                                    const std::vector<std::optional<QuantSpec>> &specs,
                                    const WriteQuantized &writeQuantized);

/// Fails, naming the file, when one of paths is the checkpoint's own file or one of its shards.
Status checkNotInput(const CheckpointReader &reader, const std::vector<std::string> &paths);

/// Creates folder (and its parents) when missing; removes it again on destruction unless kept,
/// if it is still empty, so that a failed export leaves nothing behind.
class OutputFolder {
public:
    explicit OutputFolder(const std::string &folder);
    ~OutputFolder();
    OutputFolder(const OutputFolder &) = delete;
    OutputFolder &operator=(const OutputFolder &) = delete;

    /// Empty when the folder exists; else the error naming it.
    const Status &status() const { return m_status; }
    void keep() { m_created.clear(); }

private:
    std::vector<std::string> m_created; // innermost last
    Status m_status;
};

} // namespace qs
