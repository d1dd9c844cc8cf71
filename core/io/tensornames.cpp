#include "io/tensornames.h"

#include <array>
#include <utility>

namespace qs {

namespace {

// Hugging Face module name <-> llama.cpp name, as convert_hf_to_gguf.py maps Llama models.
using NamePair = std::pair<std::string_view, std::string_view>;

constexpr std::array<NamePair, 3> kModelModules{{
    {"model.embed_tokens", "token_embd"},
    {"model.norm", "output_norm"},
    {"lm_head", "output"},
}};

constexpr std::array<NamePair, 9> kLayerModules{{
    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"},
    {"mlp.gate_proj", "ffn_gate"},
    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
    {"input_layernorm", "attn_norm"},
    {"post_attention_layernorm", "ffn_norm"},
}};

constexpr std::string_view kHfLayerPrefix = "model.layers.";
constexpr std::string_view kGgufLayerPrefix = "blk.";
// Layer numbers longer than this are not a real model's; the bound keeps the parse trivial.
constexpr std::size_t kMaxLayerDigits = 6;

enum class Side { Hf, Gguf };

std::string_view from(const NamePair &pair, Side side) {
    return side == Side::Hf ? pair.first : pair.second;
}

std::string_view to(const NamePair &pair, Side side) {
    return side == Side::Hf ? pair.second : pair.first;
}

template <std::size_t N>
std::optional<std::string_view> translateModule(const std::array<NamePair, N> &table, std::string_view module,
                                                Side side) {
    for (const NamePair &pair : table) {
        if (from(pair, side) == module)
            return to(pair, side);
    }
    return std::nullopt;
}

// A decimal layer number without leading zeros, so that each number has one spelling and the
// mapping stays a bijection.
bool isLayerNumber(std::string_view digits) {
    if (digits.empty() || digits.size() > kMaxLayerDigits || (digits.size() > 1 && digits[0] == '0'))
        return false;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

// "<layer prefix><N>.<module>" on one side -> the same on the other side.
std::optional<std::string> translateLayerModule(std::string_view module, Side side) {
    const std::string_view prefix = side == Side::Hf ? kHfLayerPrefix : kGgufLayerPrefix;
    const std::string_view target = side == Side::Hf ? kGgufLayerPrefix : kHfLayerPrefix;
    if (!module.starts_with(prefix))
        return std::nullopt;
    module.remove_prefix(prefix.size());
    const std::size_t dot = module.find('.');
    if (dot == std::string_view::npos || !isLayerNumber(module.substr(0, dot)))
        return std::nullopt;
    const auto inner = translateModule(kLayerModules, module.substr(dot + 1), side);
    if (!inner)
        return std::nullopt;
    return std::string(target) + std::string(module.substr(0, dot + 1)) + std::string(*inner);
}

std::optional<std::string> translate(std::string_view name, Side side) {
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos)
        return std::nullopt;
    const std::string_view parameter = name.substr(dot + 1);
    if (parameter != "weight" && parameter != "bias")
        return std::nullopt;
    const std::string_view module = name.substr(0, dot);
    if (const auto global = translateModule(kModelModules, module, side))
        return std::string(*global) + "." + std::string(parameter);
    if (auto layer = translateLayerModule(module, side))
        return *layer + "." + std::string(parameter);
    return std::nullopt;
}

} // namespace

std::optional<std::string> hfToGguf(std::string_view name) {
    return translate(name, Side::Hf);
}

std::optional<std::string> ggufToHf(std::string_view name) {
    return translate(name, Side::Gguf);
}

} // namespace qs
