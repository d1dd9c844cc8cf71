#pragma once

#include "io/checkpointreader.h"
#include "plan/quantplan.h"
#include "quant/numberformat.h"
#include "util/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qs {

/// ggml's own name of a block type as ggml_type_name spells it ("q4_K", "q8_0"), which
/// llama-quantize reads case-insensitively; nullopt for formats that are not ggml block types.
std::optional<std::string> ggmlTypeName(NumberFormat format);

/// One `--tensor-type` value of llama-quantize: a tensor and the ggml type it gets.
struct TensorTypeLine {
    std::string ggufName;   ///< the GGUF tensor name ("blk.0.attn_q.weight")
    std::string type;       ///< "q4_K", or the stored "f16" / "bf16" / "f32" of a kept tensor
    bool quantized = false; ///< true for a planned ggml type, false for a kept tensor's own type
    std::int64_t params = 0;
    /// "^blk\.0\.attn_q\.weight$=q4_K": llama-quantize applies each name as a std::regex with
    /// regex_search, so the name is escaped and anchored to select that tensor alone.
    std::string text() const;
};

/// The lines for plan over reader's tensors, in file order: each quantized tensor with its ggml
/// type, and each kept (or skipped) 2-D+ ".weight" tensor, which llama-quantize would otherwise
/// quantize, with its stored type. 1-D tensors and other names are left out: llama-quantize
/// never quantizes them. Hugging Face names are mapped with hfToGguf; a GGUF input's names are
/// used as they are. Fails naming the tensor when a name has no GGUF form, a stored type has no
/// ggml name, or a quantized tensor's scheme is not a ggml type.
Result<std::vector<TensorTypeLine>> llamaCppTensorTypes(const QuantPlan &plan,
                                                        const CheckpointReader &reader);

/// The type most of the quantized lines' parameters use, upper case as llama-quantize's base type
/// argument takes it ("Q4_K"); "Q8_0" when no line is quantized.
std::string llamaQuantizeBaseType(const std::vector<TensorTypeLine> &lines);

/// The equivalent llama-quantize command line: one shell-quoted `--tensor-type` per line with
/// line continuations, then input, output and llamaQuantizeBaseType.
std::string llamaQuantizeCommandLine(const std::vector<TensorTypeLine> &lines, const std::string &input,
                                     const std::string &output);

} // namespace qs
