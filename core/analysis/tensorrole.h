#pragma once

#include <optional>
#include <string_view>

namespace qs {

/// What a weight tensor does in a transformer, as the layer chart colours it.
enum class TensorRole { Q, K, V, O, Gate, Up, Down, Embedding, Head, Other };
inline constexpr int kTensorRoleCount = 10;

/// The block a tensor belongs to: N of the first `layers.N.`, `layer.N.`, `h.N.`, `blk.N.`,
/// `block.N.` or `blocks.N.` in its dotted name (at the start or after a dot), e.g. 3 for
/// "model.layers.3.mlp.experts.7.w1.weight". nullopt when the name has none (embeddings, the
/// head, final norms) or the number has more than nine digits.
std::optional<int> layerIndexOf(std::string_view name);

/// The role of a tensor, from its Hugging Face, Meta or GGUF name (case-insensitive):
/// q_proj/query/wq/attn_q → Q, and likewise K and V; o_proj/out_proj/wo/attn_output and an
/// attention's c_proj or dense → O; gate_proj/w1/ffn_gate* → Gate; up_proj/w3/c_fc/fc1/ffn_up* →
/// Up; down_proj/w2/fc2/ffn_down* and an MLP's c_proj → Down (MoE expert tensors such as
/// ffn_gate_exps take their projection's role); embed*/wte/wpe/token_embd → Embedding;
/// lm_head/embed_out and a top-level output → Head. Fused projections (c_attn, qkv_proj,
/// query_key_value, attn_qkv, gate_up_proj), MoE routers (gate, ffn_gate_inp), norms and
/// anything unknown → Other.
TensorRole tensorRoleOf(std::string_view name);

/// The role's short name as the chart's legend shows it: "q", "k", "v", "o", "gate", "up",
/// "down", "embedding", "head", "other".
std::string_view tensorRoleName(TensorRole role);

} // namespace qs
