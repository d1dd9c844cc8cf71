#pragma once

#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "plan/quantplan.h"
#include "quant/halffloat.h"
#include "quant/quantspec.h"
#include "quant/valueerror.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace qs {

/// The shape of a tensor's finite values, from one chunked pass: what flags outlier-heavy tensors.
struct ValueMoments {
    std::int64_t count = 0; ///< finite values
    double mean = 0.0;
    double std = 0.0;      ///< population standard deviation
    double rms = 0.0;      ///< sqrt(Σx² / count)
    double kurtosis = 0.0; ///< excess kurtosis, n·Σd⁴ / (Σd²)² − 3 (0 for a normal distribution)
    double maxAbs = 0.0;   ///< largest |x|
    /// max|x| / std, or nullopt for a constant (or empty) tensor.
    std::optional<double> maxOverStd() const;
};

/// Mean, spread and kurtosis of the finite values, chunk by chunk on control's threads: each
/// chunk's central moments are merged in chunk order (Chan and Pébay's pairwise formulas), so
/// the result does not depend on the thread count. nullopt when cancelled.
std::optional<ValueMoments> computeMoments(std::span<const float> values, const RunControl &control = {});
/// The same over a tensor; a stored BF16/F16/FP8 tensor is decoded a chunk at a time.
std::optional<ValueMoments> computeMoments(const FloatTensor &tensor, const RunControl &control = {});

/// What the plan does with one tensor: keep it in its stored type, or quantize it with spec.
struct TensorDecision {
    bool keep = false;
    std::string keptBecause; ///< e.g. "1-D tensor", "ignored by *.k_proj.weight"
    QuantSpec spec;
    /// When set (and the tensor is quantized), the ggml types that take importance
    /// (usesImportance) quantize with these weights, as `llama-quantize --imatrix` does, and
    /// the summary also gets the importance-weighted error of that x̂; x̂ is then held for the
    /// tensor, which it otherwise never is. Views an ImportanceMatrix that must outlive the scan.
    std::optional<TensorImportance> importance;
};

/// One tensor of a scanned model: its figures under its decided scheme, never its values.
struct TensorSummary {
    std::size_t index = 0; ///< in the checkpoint's tensor list
    std::string name;
    std::vector<std::int64_t> shape;
    std::string dtype; ///< the stored type, as list shows it
    std::int64_t params = 0;
    std::uint64_t storedBytes = 0;
    bool kept = false;
    std::string keptBecause;
    std::optional<QuantSpec> spec; ///< the scheme measured (nullopt when kept)
    double bitsPerWeight = 0.0;    ///< the scheme's, or the stored type's when kept or skipped
    /// Why the tensor could not take its scheme (it is then reported, not measured).
    std::optional<std::string> skipped;
    std::optional<ValueError> error;
    std::optional<double> relRmse;         ///< RMS error over RMS value
    std::optional<double> clippedFraction; ///< finite values outside their group's range
    /// Casts (f16, bf16) only: the values the cast makes ±infinity (clippedFraction's share) and
    /// the non-zero values it makes subnormal or zero, as `analyze` counts them.
    std::optional<CastCounts> cast;
    /// weightedMse(x, x̂, weights, columns) when the decision gave importance weights (x̂ then
    /// quantized with them where the format takes them).
    std::optional<double> weightedMse;
    /// computeMoments' figures, merged over the measuring pass's chunks (whole rows or blocks),
    /// so they can differ from computeMoments' in the last bits; the same at any thread count.
    std::optional<ValueMoments> moments;
};

/// Figures over a whole scan.
struct ScanTotals {
    std::int64_t tensors = 0;
    std::int64_t quantized = 0;
    std::int64_t kept = 0;
    std::int64_t skipped = 0;
    std::int64_t totalParams = 0;
    double totalBytes = 0.0; ///< after the plan: quantized tensors at their bits per weight
    double avgBitsPerWeight = 0.0;
};

/// What plan does with info's tensor, as scanModel takes it: kept with resolutionText's words, or
/// the resolved spec (one the shape cannot take is then skipped by scanTensor with checkScheme's
/// reason). No importance weights.
TensorDecision planDecision(const QuantPlan &plan, const TensorInfo &info);

using DecideTensor = std::function<TensorDecision(const TensorInfo &)>;
using SummarySink = std::function<void(TensorSummary &&)>;

/// Measures every tensor of the checkpoint, one at a time, under the scheme decide() gives it,
/// and hands each summary to sink as soon as it is done (in file order). Only one tensor's
/// float32 values are held at a time (a view of the mapped file when it is stored as F32, else
/// one decode buffer reused from tensor to tensor), so memory stays bounded by the largest
/// tensor whatever the model's size. A tensor that cannot
/// take its scheme, or cannot be decoded, is skipped with the reason and the scan goes on.
/// control reports progress in [0, 1] by parameters done; fails only with "cancelled".
Result<ScanTotals> scanModel(const CheckpointReader &reader, const DecideTensor &decide,
                             const SummarySink &sink, const RunControl &control = {});

/// One tensor as scanModel measures it (index into reader.tensors()).
TensorSummary scanTensor(const CheckpointReader &reader, std::size_t index, const TensorDecision &decision,
                         const RunControl &control = {});

} // namespace qs
