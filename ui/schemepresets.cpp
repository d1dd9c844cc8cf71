#include "schemepresets.h"

#include <QCoreApplication>

namespace qs::ui {

namespace {

QString tr(const char *text) {
    return QCoreApplication::translate("qs::ui::SchemePreset", text);
}

qs::Granularity granularity(qs::Granularity::Kind kind, std::int64_t size = 0) {
    qs::Granularity g;
    g.kind = kind;
    g.size = size;
    return g;
}

qs::Granularity blocks(std::int64_t rows, std::int64_t cols) {
    qs::Granularity g = granularity(qs::Granularity::Kind::Block);
    g.rows = rows;
    g.cols = cols;
    return g;
}

qs::QuantSpec intPreset(int bits, qs::Scheme scheme, bool narrow, qs::Granularity g) {
    qs::QuantSpec spec = qs::intSpec(bits, scheme, narrow);
    spec.granularity = g;
    return spec;
}

qs::QuantSpec formatPreset(qs::NumberFormat format, qs::Granularity g = {}) {
    qs::QuantSpec spec;
    spec.format = format;
    spec.granularity = g;
    return spec;
}

std::vector<SchemePreset> makePresets() {
    using K = qs::Granularity::Kind;
    using F = qs::NumberFormat;
    return {
        {QStringLiteral("pytorch"), tr("PyTorch default"),
         tr("int8 per tensor, affine (asymmetric), min-max: torch.ao's default observer"),
         intPreset(8, qs::Scheme::Asymmetric, false, granularity(K::Tensor))},
        {QStringLiteral("tensorrt"), tr("TensorRT INT8"),
         tr("int8 symmetric, narrow range [-127, 127], per output channel"),
         intPreset(8, qs::Scheme::Symmetric, true, granularity(K::Channel))},
        {QStringLiteral("w4a16"), tr("compressed-tensors W4A16"),
         tr("int4 symmetric weights in groups of 128 along each row (GPTQ / AWQ checkpoints)"),
         intPreset(4, qs::Scheme::Symmetric, false, granularity(K::Group, 128))},
        {QStringLiteral("w8a8"), tr("compressed-tensors W8A8"),
         tr("int8 symmetric weights per output channel"),
         intPreset(8, qs::Scheme::Symmetric, false, granularity(K::Channel))},
        {QStringLiteral("fp8"), tr("compressed-tensors FP8"),
         tr("fp8 e4m3 weights with one scale per output channel"),
         formatPreset(F::Fp8E4M3, granularity(K::Channel))},
        {QStringLiteral("fp8_block"), tr("compressed-tensors FP8 block"),
         tr("fp8 e4m3 weights with one scale per 128 × 128 tile: DeepSeek-V3's block-wise recipe, "
            "FP8_BLOCK in compressed-tensors"),
         formatPreset(F::Fp8E4M3, blocks(128, 128))},
        {QStringLiteral("nf4"), tr("bitsandbytes NF4"),
         tr("4-bit NormalFloat codes, one absmax per 64 values of the flattened tensor"),
         formatPreset(F::Nf4)},
        {QStringLiteral("mxfp4"), tr("MXFP4"),
         tr("OCP microscaling: e2m1 elements, a power-of-two scale per 32"), formatPreset(F::MxFp4)},
        {QStringLiteral("nvfp4"), tr("NVFP4"), tr("e2m1 elements, an e4m3 scale per 16 and one per tensor"),
         formatPreset(F::NvFp4)},
        {QStringLiteral("q4_k"), tr("llama.cpp Q4_K"),
         tr("4.5 bits per weight: super-blocks of 256 in 8 sub-blocks"), formatPreset(F::Q4_K)},
        {QStringLiteral("q6_k"), tr("llama.cpp Q6_K"), tr("6.5625 bits per weight: super-blocks of 256"),
         formatPreset(F::Q6_K)},
        {QStringLiteral("q8_0"), tr("llama.cpp Q8_0"),
         tr("8.5 bits per weight: int8 in blocks of 32 with an F16 scale"), formatPreset(F::Q8_0)},
        {QStringLiteral("f16"), tr("Half precision (F16)"),
         tr("tensor.half(): a cast to IEEE F16, no scale; values from 65520 overflow to ±inf"),
         formatPreset(F::F16)},
        {QStringLiteral("bf16"), tr("bfloat16 (BF16)"),
         tr("tensor.bfloat16(): a cast keeping FP32's range with 8 significant bits"), formatPreset(F::BF16)},
    };
}

// What a preset fixes: everything but the range.
bool sameScheme(const qs::QuantSpec &a, const qs::QuantSpec &b) {
    if (a.format != b.format || a.granularity != b.granularity || a.method != b.method)
        return false;
    return a.format != qs::NumberFormat::Int ||
           (a.bits == b.bits && a.scheme == b.scheme && a.narrow == b.narrow);
}

} // namespace

const std::vector<SchemePreset> &schemePresets() {
    static const std::vector<SchemePreset> presets = makePresets();
    return presets;
}

std::optional<SchemePreset> presetMatching(const qs::QuantSpec &spec) {
    for (const SchemePreset &preset : schemePresets())
        if (sameScheme(preset.spec, spec))
            return preset;
    return std::nullopt;
}

std::optional<SchemePreset> presetByKey(const QString &key) {
    for (const SchemePreset &preset : schemePresets())
        if (preset.key == key)
            return preset;
    return std::nullopt;
}

} // namespace qs::ui
