#pragma once

#include "analysis/schemeanalysis.h"
#include "calib/mseestimator.h"
#include "io/floattensor.h"
#include "quant/quantspec.h"
#include "stats/errorstats.h"
#include "stats/tensorstats.h"

#include <memory>

namespace qs {

/// A loaded tensor and its statistics; independent of any quantization spec. Immutable.
struct TensorAnalysis {
    std::size_t index = 0;                     ///< in the reader's tensors()
    std::shared_ptr<const FloatTensor> tensor; ///< the values (keeps the mapping alive)
    TensorStats stats;

    const TensorInfo &info() const { return tensor->info(); }
    /// True if the tensor is stored quantized already: an integer dtype, a block type such as
    /// GGUF's Q4_K, or floats on few distinct values (TensorStats::alreadyQuantized()).
    bool alreadyQuantized() const {
        return !isFloatingPoint(info().dtype) || !info().storageType.empty() || stats.alreadyQuantized();
    }
};

/// The exact outcome of one spec on one tensor. Immutable.
struct QuantAnalysis {
    QuantSpec spec;
    QuantParams params;   ///< per-tensor int; for a scheme, its first group's int parameters
    ErrorStats error;     ///< for a scheme: its MSE, SQNR, max error and clipped fraction
    ThresholdSweep sweep; ///< for spec's bits / scheme / narrow; empty for a scheme
    /// Set for every spec but per-tensor int (another format or granularity): the scheme's
    /// quantization, per-group figures and views.
    std::shared_ptr<const SchemeAnalysis> scheme;
};

/// True for the specs analyzeQuant handles (the int format per tensor); every other spec goes
/// through analyzeScheme.
inline bool isPerTensorInt(const QuantSpec &spec) {
    return spec.format == NumberFormat::Int && spec.granularity.kind == Granularity::Kind::Tensor;
}

} // namespace qs
