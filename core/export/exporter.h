#pragma once

#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "plan/quantplan.h"
#include "quant/quantspec.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

/// What an export target writes.
enum class ExportCapability {
    Config,  ///< a description of the plan another tool reads (no weights)
    Weights, ///< the quantized (or fake-quantized) weights themselves
    Table,   ///< one row of figures per tensor
};

/// "config", "weights", "table".
std::string_view exportCapabilityName(ExportCapability capability);

/// One export: the input, the plan over its tensors and where the output goes.
struct ExportJob {
    const CheckpointReader *reader = nullptr; ///< the input; must outlive the job
    QuantPlan plan;
    /// The output: a file, or a folder for targets whose outputIsFolder() is true.
    std::string output;
    /// llama.cpp's quant_weights per tensor, for the formats usesImportance names; may be null.
    const ImportanceMatrix *importance = nullptr;
    /// Threads, cancellation and progress in [0, 1] (by stored bytes done).
    RunControl control;
    /// Called after each input tensor is written or copied (index into reader->tensors()); may be
    /// empty. Called on the thread that runs write().
    std::function<void(std::size_t index)> tensorDone;
};

/// What an export wrote.
struct ExportOutcome {
    std::vector<std::string> written; ///< every file, as full paths, in the order written
    int quantized = 0;                ///< tensors written with their planned scheme
    int copied = 0;                   ///< tensors kept, skipped or outside the plan
};

/// One export target, after Tiled's FileFormat: it declares what it writes and what it can
/// express, refuses a plan it cannot express, and writes through temporary files renamed into
/// place, never over its input. Implementations are stateless; every method is const and
/// thread-safe.
class Exporter {
public:
    virtual ~Exporter() = default;

    /// The --to name: "compressed-tensors", "aimet", "gguf", ... Unique per capability kind
    /// (Config and Table share `export`; Weights is `quantize`).
    virtual std::string id() const = 0;
    /// Shown in menus: "compressed-tensors quantization_config".
    virtual std::string displayName() const = 0;
    virtual ExportCapability capability() const = 0;
    /// True when output names a folder that receives outputFiles().
    virtual bool outputIsFolder() const { return false; }
    /// The files written: a folder target's names inside the folder ("model.safetensors",
    /// "config.json"); a file target's suggested suffix ("json", "csv").
    virtual std::vector<std::string> outputFiles() const = 0;
    /// A file-dialog filter: "JSON (*.json)".
    virtual std::string fileFilter() const = 0;
    /// In words, the schemes the target can express, for the tooltip and --help.
    virtual std::string schemesText() const = 0;

    /// Why the target cannot express spec on a tensor of this shape, or nullopt when it can.
    /// "q4_k has no compressed-tensors form".
    virtual std::optional<std::string> cannotExpress(const QuantSpec &spec,
                                                     const std::vector<std::int64_t> &shape) const = 0;
    /// Why the target cannot write this input tensor with spec, or nullopt when it can. The
    /// default asks cannotExpress(spec, info.shape); a target that also depends on how the tensor
    /// is stored (GGUF re-quantizes only float tensors) adds its reasons.
    virtual std::optional<std::string> cannotExpressTensor(const TensorInfo &info,
                                                           const QuantSpec &spec) const;
    /// Checks the input itself (a GGUF target needs a GGUF input); the default accepts any.
    virtual Status checkInput(const CheckpointReader &reader) const;

    /// Everything checked before writing: the input, every tensor the plan quantizes against
    /// cannotExpress (the error groups the refused tensors by reason and names them, a few per
    /// reason), and that no file to be written is the input or one of its shards. A failure here
    /// means the target cannot express the plan (exit 2 in the CLI).
    Status check(const ExportJob &job) const;

    /// Writes the export; call check() first. Errors name the file and the problem; "cancelled"
    /// when job.control cancels. A failure leaves no partial file at any output path.
    virtual Result<ExportOutcome> write(const ExportJob &job) const = 0;

    /// The full paths write() produces for output.
    std::vector<std::string> outputPaths(const std::string &output) const;
};

/// Every registered target, in the order menus list them.
std::span<const Exporter *const> exporters();
/// The target with this id among the Config and Table targets (weights == false, `export`) or
/// among the Weights targets (weights == true, `quantize`); null when there is none.
const Exporter *findExporter(std::string_view id, bool weights);
/// The ids of one kind, "a|b|c", for usage and error texts.
std::string exporterIds(bool weights);

/// The files a checkpoint reads from: its path and, for a sharded checkpoint, every shard.
/// Canonical absolute paths of the files that exist.
std::vector<std::string> checkpointInputFiles(const CheckpointReader &reader);

} // namespace qs
