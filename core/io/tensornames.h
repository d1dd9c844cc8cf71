#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qs {

/// The llama.cpp (GGUF) name of a Llama-family Hugging Face tensor, e.g.
/// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight". Covers the embedding, the
/// final norm, lm_head and each layer's attention projections (q, k, v, o), MLP projections
/// (gate, up, down) and the two norms, with a ".weight" or ".bias" suffix. nullopt for any other
/// name (other architectures, rotary buffers, names already in GGUF form).
std::optional<std::string> hfToGguf(std::string_view name);

/// The inverse of hfToGguf: "blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight";
/// nullopt for names outside the same table.
std::optional<std::string> ggufToHf(std::string_view name);

} // namespace qs
