#pragma once

#include "export/exporter.h"
#include "quant/ggmllayout.h"

#include <cstdint>
#include <optional>

namespace qs {

/// llama.cpp's llama_ftype, the value of general.file_type, for a file whose most common ggml
/// type (counted by parameters) is `type`. `mixed` says other ggml types were planned too: the
/// K types then get their _M file type (llama-quantize's "Q4_K" means Q4_K_M, which mixes in
/// Q6_K), a file of one K type its _S type ("uses Q4_K for all tensors"). nullopt for a type
/// without a llama_ftype of its own.
std::optional<std::uint32_t> llamaFileType(GgmlType type, bool mixed);

/// `quantize --to gguf`: re-quantizes a GGUF whose planned tensors are stored as F32, F16 or
/// BF16 into llama.cpp's block types (Q4_0 ... Q8_0, Q2_K ... Q6_K), bit for bit as llama.cpp's
/// reference quantizer does, through quant_weights when the job has an importance matrix. Every
/// metadata pair is copied byte for byte in order except general.file_type (set, or added, as
/// llamaFileType says); the input's alignment, tensor order and tensor infos are kept; tensors
/// outside the plan are copied byte for byte. Streams one tensor at a time through a temporary
/// file renamed into place.
const Exporter &ggufExporter();

} // namespace qs
