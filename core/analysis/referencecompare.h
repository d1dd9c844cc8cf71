#pragma once

#include "io/checkpointreader.h"
#include "quant/valueerror.h"
#include "stats/histogram.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace qs {

/// llama.cpp's conversion of a Llama-family model reorders the rows of each attention head of
/// q_proj and k_proj (its rotary embedding pairs rows 2i and 2i + 1 where Hugging Face pairs
/// i and i + d/2, d the head size). This maps a row of one side to the row holding the same
/// weights on the other side.
struct RopeRows {
    std::int64_t heads = 0; ///< 0: rows correspond one to one
    /// True when the reference is the GGUF side (its rows interleaved), false when the
    /// checkpoint is.
    bool referenceInterleaved = true;

    /// The reference's row holding the checkpoint's row `row` of a tensor with `rows` rows.
    /// `row` itself when heads is 0 or does not divide rows into heads of even size.
    std::int64_t referenceRow(std::int64_t row, std::int64_t rows) const;
};

/// How one tensor of a checkpoint found its partner in a reference checkpoint, or why not.
struct ReferencePairing {
    std::size_t index = 0;              ///< in the checkpoint's tensors()
    std::optional<std::size_t> partner; ///< in the reference's tensors(); nullopt when unpaired
    std::string partnerName;            ///< the partner's name; empty when unpaired
    /// Why there is no partner: no tensor of the name as written or mapped ("no tensor named
    /// a or blk.0.b in the reference"), or one whose shape differs ("reference blk.0.b has
    /// shape [8, 4], not [4, 8]"). nullopt when paired.
    std::optional<std::string> unpaired;
    RopeRows rows; ///< how the partner's rows line up with the tensor's
};

/// Pairs every tensor of `tensors` with one of `reference`: by its name as written, else by
/// its Hugging Face <-> GGUF name (hfToGguf / ggufToHf), and by equal logical shape (readers
/// report GGUF shapes row-major, as the other formats). One result per tensor, in order.
std::vector<ReferencePairing> pairTensors(const std::vector<TensorInfo> &tensors,
                                          const std::vector<TensorInfo> &reference);

/// pairTensors over two open checkpoints, plus RopeRows for q / k pairs between Hugging Face
/// names and a GGUF whose general.architecture is "llama" (heads from its
/// llama.attention.head_count, head_count_kv for k).
std::vector<ReferencePairing> pairWithReference(const CheckpointReader &checkpoint,
                                                const CheckpointReader &reference);

/// The measured difference of a reference tensor r against a tensor x.
struct ReferenceDifference {
    /// Over the elements where both x and r are finite: MSE of x − r, SQNR with x as signal,
    /// cosine of x and r, max |x − r|.
    ValueError error;
    std::int64_t compared = 0; ///< elements where both are finite
    /// Elements where one of the two is NaN or ±Inf and the other does not hold the same
    /// value: they are counted here, not in error.
    std::int64_t nonFiniteMismatches = 0;
};

/// Compares values (x) with reference (r, the same size; rows as `rows` maps them when the
/// tensor has `shape`) in fixed chunks on control's threads, summing the chunks in their order
/// so that the figures do not depend on the thread count. nullopt when cancelled.
std::optional<ReferenceDifference> compareWithReference(std::span<const float> values,
                                                        std::span<const float> reference,
                                                        const std::vector<std::int64_t> &shape = {},
                                                        const RopeRows &rows = {},
                                                        const RunControl &control = {});

/// Decodes the pairing's two tensors to float32 (a GGUF's blocks dequantized; only this pair is
/// held) and compares them. Fails for an unpaired tensor (with its reason), when either tensor
/// cannot be decoded (the error names the file and the tensor), or with "cancelled".
Result<ReferenceDifference> compareReferencePair(const CheckpointReader &checkpoint,
                                                 const CheckpointReader &reference,
                                                 const ReferencePairing &pairing,
                                                 const RunControl &control = {});

/// Values counted into the bins of another histogram.
struct BinnedValues {
    Histogram histogram;    ///< the bins given, with these values' counts
    std::int64_t below = 0; ///< finite values below the first bin
    std::int64_t above = 0; ///< finite values above the last bin
    std::int64_t nonFinite = 0;
};

/// Counts values into bins' bins (its lo, hi and bin count; its counts are ignored), e.g. a
/// reference tensor's values on the tensor's own histogram. The counts do not depend on the
/// thread count. nullopt when cancelled.
std::optional<BinnedValues> countInBins(std::span<const float> values, const Histogram &bins,
                                        const RunControl &control = {});

} // namespace qs
