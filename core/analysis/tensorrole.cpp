#include "analysis/tensorrole.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace qs {

namespace {

using RoleName = std::pair<std::string_view, TensorRole>;

// Module names that say their role wherever they stand. GGUF's MoE suffixes are stripped
// before the lookup, so "ffn_gate_exps" finds "ffn_gate".
constexpr RoleName kModuleRoles[] = {
    {"q_proj", TensorRole::Q},
    {"query", TensorRole::Q},
    {"wq", TensorRole::Q},
    {"attn_q", TensorRole::Q},
    {"q_lin", TensorRole::Q},
    {"q_a_proj", TensorRole::Q},
    {"q_b_proj", TensorRole::Q},
    {"attn_q_a", TensorRole::Q},
    {"attn_q_b", TensorRole::Q},
    {"k_proj", TensorRole::K},
    {"key", TensorRole::K},
    {"wk", TensorRole::K},
    {"attn_k", TensorRole::K},
    {"k_lin", TensorRole::K},
    {"attn_k_b", TensorRole::K},
    {"v_proj", TensorRole::V},
    {"value", TensorRole::V},
    {"wv", TensorRole::V},
    {"attn_v", TensorRole::V},
    {"v_lin", TensorRole::V},
    {"attn_v_b", TensorRole::V},
    {"o_proj", TensorRole::O},
    {"out_proj", TensorRole::O},
    {"attn_output", TensorRole::O},
    {"out_lin", TensorRole::O},
    {"gate_proj", TensorRole::Gate},
    {"w1", TensorRole::Gate},
    {"ffn_gate", TensorRole::Gate},
    {"up_proj", TensorRole::Up},
    {"w3", TensorRole::Up},
    {"c_fc", TensorRole::Up},
    {"fc1", TensorRole::Up},
    {"fc_in", TensorRole::Up},
    {"lin1", TensorRole::Up},
    {"dense_h_to_4h", TensorRole::Up},
    {"ffn_up", TensorRole::Up},
    {"down_proj", TensorRole::Down},
    {"w2", TensorRole::Down},
    {"fc2", TensorRole::Down},
    {"fc_out", TensorRole::Down},
    {"lin2", TensorRole::Down},
    {"dense_4h_to_h", TensorRole::Down},
    {"ffn_down", TensorRole::Down},
    {"wte", TensorRole::Embedding},
    {"wpe", TensorRole::Embedding},
    {"token_embd", TensorRole::Embedding},
    {"position_embd", TensorRole::Embedding},
    {"lm_head", TensorRole::Head},
    {"embed_out", TensorRole::Head},
};

// Names that settle a tensor as Other before a module further out could claim it: fused
// projections (the ten roles have no "qkv") and MoE routers.
constexpr std::array<std::string_view, 11> kOtherModules{
    "c_attn",       "qkv_proj",     "qkv",  "query_key_value", "wqkv", "w_pack", "attn_qkv",
    "gate_up_proj", "ffn_gate_inp", "gate", "router"};

constexpr std::array<std::string_view, 6> kLayerContainers{"layers", "layer", "h", "blk", "block", "blocks"};
constexpr std::array<std::string_view, 3> kExpertSuffixes{"_exps", "_shexp", "_chexps"};
constexpr std::array<std::string_view, 4> kAttentionModules{"attn", "attention", "self_attn",
                                                            "selfattention"};
constexpr std::array<std::string_view, 3> kMlpModules{"mlp", "ffn", "feed_forward"};

std::vector<std::string> lowerComponents(std::string_view name) {
    std::vector<std::string> components(1);
    for (const char c : name) {
        if (c == '.')
            components.emplace_back();
        else
            components.back() += char(std::tolower(static_cast<unsigned char>(c)));
    }
    return components;
}

template <std::size_t N>
bool contains(const std::array<std::string_view, N> &names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// True if one of the components before `end` is among names.
template <std::size_t N>
bool anyBefore(const std::vector<std::string> &components, std::size_t end,
               const std::array<std::string_view, N> &names) {
    return std::any_of(components.begin(), components.begin() + std::ptrdiff_t(end),
                       [&](const std::string &c) { return contains(names, c); });
}

std::string_view withoutExpertSuffix(std::string_view module) {
    for (const std::string_view suffix : kExpertSuffixes)
        if (module.size() > suffix.size() && module.ends_with(suffix))
            return module.substr(0, module.size() - suffix.size());
    return module;
}

// GPT-2's c_proj and BERT/NeoX/Phi's dense are an attention output or an MLP projection,
// as the module around them says.
std::optional<TensorRole> contextualRole(const std::vector<std::string> &components, std::size_t i) {
    const std::string &module = components[i];
    if (module != "c_proj" && module != "dense" && module != "wo")
        return std::nullopt;
    if (module == "wo" && anyBefore(components, i, std::array<std::string_view, 1>{"densereludense"}))
        return TensorRole::Down; // T5's feed-forward output
    if (module == "wo" || anyBefore(components, i, kAttentionModules))
        return TensorRole::O;
    if (module == "c_proj" && anyBefore(components, i, kMlpModules))
        return TensorRole::Down;
    if (module == "dense" && anyBefore(components, i, std::array<std::string_view, 1>{"intermediate"}))
        return TensorRole::Up;
    if (module == "dense" && anyBefore(components, i, std::array<std::string_view, 1>{"output"}))
        return TensorRole::Down;
    return TensorRole::Other;
}

std::optional<TensorRole> roleOfModule(const std::vector<std::string> &components, std::size_t i) {
    if (const auto role = contextualRole(components, i))
        return role;
    const std::string_view module = withoutExpertSuffix(components[i]);
    if (contains(kOtherModules, module))
        return TensorRole::Other;
    for (const auto &[name, role] : kModuleRoles)
        if (name == module)
            return role;
    if (module.find("embed") != std::string_view::npos)
        return TensorRole::Embedding;
    if (i == 0 && module == "output") // GGUF's and Meta's head; BERT's "output" sits inside a layer
        return TensorRole::Head;
    return std::nullopt;
}

std::optional<int> parseIndex(std::string_view digits) {
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    int value = 0;
    for (const char c : digits)
        value = value * 10 + (c - '0');
    return value;
}

} // namespace

std::optional<int> layerIndexOf(std::string_view name) {
    const std::vector<std::string> components = lowerComponents(name);
    for (std::size_t i = 0; i + 1 < components.size(); ++i)
        if (contains(kLayerContainers, components[i]))
            if (const auto index = parseIndex(components[i + 1]))
                return index;
    return std::nullopt;
}

// The innermost module that names a role decides: "mlp.experts.3.w1.weight" is a gate whatever
// wraps it.
TensorRole tensorRoleOf(std::string_view name) {
    const std::vector<std::string> components = lowerComponents(name);
    for (std::size_t i = components.size(); i-- > 0;)
        if (const auto role = roleOfModule(components, i))
            return *role;
    return TensorRole::Other;
}

std::string_view tensorRoleName(TensorRole role) {
    switch (role) {
    case TensorRole::Q:
        return "q";
    case TensorRole::K:
        return "k";
    case TensorRole::V:
        return "v";
    case TensorRole::O:
        return "o";
    case TensorRole::Gate:
        return "gate";
    case TensorRole::Up:
        return "up";
    case TensorRole::Down:
        return "down";
    case TensorRole::Embedding:
        return "embedding";
    case TensorRole::Head:
        return "head";
    case TensorRole::Other:
        return "other";
    }
    return "other";
}

} // namespace qs
