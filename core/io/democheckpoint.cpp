#include "io/democheckpoint.h"

#include "io/safetensorswriter.h"
#include "util/parallel.h"

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace qs {

namespace {

constexpr std::int64_t kVocab = 4096;
constexpr std::int64_t kHidden = 512;
constexpr std::int64_t kIntermediate = 1376;
constexpr int kLayers = 4;
constexpr double kWeightStd = 0.02;
constexpr double kNormStd = 0.05;

enum class Kind { Normal, HeavyTailed, NormWeight };

struct TensorPlan {
    std::string name;
    DType dtype;
    std::vector<std::int64_t> shape;
    Kind kind;
    int outlierChannels = 0;
};

// Normal deviates by Box-Muller on mt19937 output: std::normal_distribution differs between
// standard libraries, and the demo must be the same file everywhere.
class Random {
public:
    explicit Random(std::seed_seq &seeds)
        : m_engine(seeds) {}

    double uniform() { return (double(m_engine()) + 0.5) / 4294967296.0; } // in (0, 1)
    double normal() {
        if (m_hasSpare) {
            m_hasSpare = false;
            return m_spare;
        }
        const double radius = std::sqrt(-2.0 * std::log(uniform()));
        const double angle = 2.0 * std::numbers::pi * uniform();
        m_spare = radius * std::sin(angle);
        m_hasSpare = true;
        return radius * std::cos(angle);
    }
    // Unit-variance Laplace: heavier tails than the normal, like trained MLP down projections.
    double laplace() {
        const double u = uniform() - 0.5;
        const double magnitude = -std::log(1.0 - 2.0 * std::abs(u)) / std::numbers::sqrt2;
        return u < 0 ? -magnitude : magnitude;
    }
    std::uint32_t below(std::uint32_t n) { return std::uint32_t(uniform() * n); }

private:
    std::mt19937 m_engine;
    bool m_hasSpare = false;
    double m_spare = 0.0;
};

std::vector<TensorPlan> layerPlans(int layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    const DType attention = layer % 2 == 0 ? DType::F32 : DType::F16;
    std::vector<TensorPlan> plans{
        {prefix + "input_layernorm.weight", DType::F32, {kHidden}, Kind::NormWeight},
        {prefix + "post_attention_layernorm.weight", DType::F32, {kHidden}, Kind::NormWeight},
    };
    for (const char *projection : {"q_proj", "k_proj", "v_proj", "o_proj"})
        plans.push_back(
            {prefix + "self_attn." + projection + ".weight", attention, {kHidden, kHidden}, Kind::Normal, 3});
    plans.push_back(
        {prefix + "mlp.gate_proj.weight", DType::BF16, {kIntermediate, kHidden}, Kind::Normal, 2});
    plans.push_back({prefix + "mlp.up_proj.weight", DType::BF16, {kIntermediate, kHidden}, Kind::Normal, 2});
    plans.push_back(
        {prefix + "mlp.down_proj.weight", DType::BF16, {kHidden, kIntermediate}, Kind::HeavyTailed, 2});
    return plans;
}

std::vector<TensorPlan> modelPlans() {
    std::vector<TensorPlan> plans{
        {"model.embed_tokens.weight", DType::BF16, {kVocab, kHidden}, Kind::Normal}};
    for (int layer = 0; layer < kLayers; ++layer) {
        for (TensorPlan &plan : layerPlans(layer))
            plans.push_back(std::move(plan));
    }
    plans.push_back({"model.norm.weight", DType::F32, {kHidden}, Kind::NormWeight});
    plans.push_back({"lm_head.weight", DType::BF16, {kVocab, kHidden}, Kind::Normal});
    return plans;
}

// RMS-norm gains sit near 1, with a couple of much larger ones as trained models show.
void fillNormWeight(std::vector<float> &values, Random &random) {
    for (float &v : values)
        v = float(1.0 + kNormStd * random.normal());
    for (int i = 0; i < 2; ++i)
        values[random.below(std::uint32_t(values.size()))] = float(2.5 + 3.0 * random.uniform());
}

// Scales a few input channels (columns of an [out, in] weight) by 10 to 50.
void addOutlierChannels(std::vector<float> &values, std::int64_t columns, int count, Random &random) {
    for (int i = 0; i < count; ++i) {
        const std::uint32_t column = random.below(std::uint32_t(columns));
        const double factor = 10.0 + 40.0 * random.uniform();
        for (std::size_t at = column; at < values.size(); at += std::size_t(columns))
            values[at] = float(values[at] * factor);
    }
}

std::vector<float> generate(const TensorPlan &plan, Random &random) {
    std::int64_t count = 1;
    for (std::int64_t dim : plan.shape)
        count *= dim;
    std::vector<float> values(std::size_t(count), 0.0f);
    if (plan.kind == Kind::NormWeight) {
        fillNormWeight(values, random);
        return values;
    }
    for (float &v : values)
        v = float(kWeightStd * (plan.kind == Kind::HeavyTailed ? random.laplace() : random.normal()));
    addOutlierChannels(values, plan.shape.back(), plan.outlierChannels, random);
    return values;
}

} // namespace

Status writeDemoCheckpoint(const std::string &path, std::uint32_t seed) {
    const std::vector<TensorPlan> plans = modelPlans();
    std::vector<TensorBlob> blobs(plans.size());
    // One generator per tensor, seeded by (seed, index): the file is the same at any thread count.
    parallelChunks(plans.size(), 1, RunControl{}, [&](std::size_t index, std::size_t, std::size_t) {
        std::seed_seq seeds{seed, std::uint32_t(index)};
        Random random(seeds);
        const TensorPlan &plan = plans[index];
        blobs[index] = {plan.name, plan.dtype, plan.shape, encodeFloats(generate(plan, random), plan.dtype)};
    });
    return writeSafetensors(path, blobs, {{"format", "pt"}, {"generator", "quantscope demo"}});
}

} // namespace qs
