#pragma once

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
    QuantParams params;
    ErrorStats error;
    ThresholdSweep sweep; ///< for spec's bits / scheme / narrow
};

} // namespace qs
