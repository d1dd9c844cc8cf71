#include "tensorsession.h"

#include "calib/calibmethods.h"
#include "io/dtype.h"
#include "plan/planjson.h"

namespace qs::ui {

namespace {

// The keys a toolbar edit can give the default: everything but the range of one tensor.
qs::QuantSpec schemeKeysOf(const qs::QuantSpec &spec) {
    qs::QuantSpec out;
    out.bits = spec.bits;
    out.scheme = spec.scheme;
    out.narrow = spec.narrow;
    out.format = spec.format;
    out.granularity = spec.granularity;
    out.method = spec.method;
    out.percentile = spec.percentile;
    out.scaleDtype = spec.scaleDtype;
    return out;
}

} // namespace

bool answersSpec(const qs::QuantAnalysis &analysis, const qs::QuantSpec &spec) {
    if (analysis.spec == spec)
        return true;
    return qs::usesTensorClip(spec) &&
           analysis.spec == qs::resolvedSpec(spec, {analysis.spec.clipLo, analysis.spec.clipHi});
}

void TensorSession::reset(std::vector<qs::TensorInfo> tensors, std::string checkpointName,
                          qs::QuantPlan plan) {
    m_tensors = std::move(tensors);
    m_checkpointName = std::move(checkpointName);
    m_exact.clear();
    m_byName.clear();
    for (std::size_t i = 0; i < m_tensors.size(); ++i)
        m_byName.emplace(m_tensors[i].name, i); // first wins if a file repeats a name
    setPlan(std::move(plan));
}

void TensorSession::setPlan(qs::QuantPlan plan) {
    m_plan = std::move(plan);
    m_resolutions.clear();
    m_resolutions.reserve(m_tensors.size());
    for (const qs::TensorInfo &info : m_tensors)
        m_resolutions.push_back(qs::resolve(m_plan, info.name, info.shape));
    for (auto it = m_exact.begin(); it != m_exact.end();) {
        if (answersSpec(*it->second, spec(it->first)))
            ++it;
        else
            it = m_exact.erase(it);
    }
}

std::string TensorSession::resolutionText(std::size_t index) const {
    return qs::resolutionText(m_plan, m_resolutions.at(index));
}

bool TensorSession::hasOverride(std::size_t index) const {
    return index < m_tensors.size() && m_plan.overrides.count(m_tensors[index].name) != 0;
}

qs::QuantSpec TensorSession::defaultSpec() const {
    const auto spec = qs::defaultSpec(m_plan);
    return spec ? spec.value() : qs::QuantSpec{};
}

qs::QuantPlan TensorSession::planWithDefault(const qs::QuantSpec &spec) const {
    qs::QuantPlan plan = m_plan;
    plan.defaults = qs::planSchemeFromSpec(schemeKeysOf(spec));
    return plan;
}

qs::QuantPlan TensorSession::planWithEdit(std::size_t index, const qs::QuantSpec &before,
                                          const qs::QuantSpec &after, bool perTensor) const {
    if (perTensor || hasOverride(index))
        return planWithOverride(index, after);
    // Only the keys the user changed go to the default; a new format takes all of them, since
    // the keys that apply differ.
    qs::QuantSpec base = defaultSpec();
    const bool all = before.format != after.format;
    if (all || before.bits != after.bits)
        base.bits = after.bits;
    if (all || before.scheme != after.scheme)
        base.scheme = after.scheme;
    if (all || before.narrow != after.narrow)
        base.narrow = after.narrow;
    base.format = after.format;
    if (all || before.granularity != after.granularity)
        base.granularity = after.granularity;
    if (all || before.method != after.method || before.percentile != after.percentile) {
        base.method = after.method;
        base.percentile = after.percentile;
    }
    if (all || before.scaleDtype != after.scaleDtype)
        base.scaleDtype = after.scaleDtype;
    return planWithDefault(base);
}

qs::QuantPlan TensorSession::planWithOverride(std::size_t index, const qs::QuantSpec &spec) const {
    qs::QuantPlan plan = m_plan;
    if (index < m_tensors.size())
        qs::setOverride(plan, m_tensors[index].name, {false, qs::planSchemeFromSpec(spec)});
    return plan;
}

qs::QuantSpec TensorSession::spec(std::size_t index) const {
    if (index >= m_resolutions.size())
        return defaultSpec();
    const qs::TensorResolution &resolution = m_resolutions[index];
    return resolution.kept() ? defaultSpec() : resolution.spec;
}

void TensorSession::setExact(std::size_t index, std::shared_ptr<const qs::QuantAnalysis> analysis) {
    if (index < m_tensors.size() && analysis && answersSpec(*analysis, spec(index)))
        m_exact[index] = std::move(analysis);
}

std::shared_ptr<const qs::QuantAnalysis> TensorSession::exact(std::size_t index) const {
    const auto it = m_exact.find(index);
    return it == m_exact.end() ? nullptr : it->second;
}

void TensorSession::dropExact(const std::function<bool(const qs::QuantSpec &)> &which) {
    std::erase_if(m_exact, [&](const auto &entry) { return which(entry.second->spec); });
}

std::vector<std::size_t> TensorSession::planned() const {
    std::vector<std::size_t> indices;
    for (std::size_t i = 0; i < m_resolutions.size(); ++i)
        if (m_resolutions[i].quantized())
            indices.push_back(i);
    return indices;
}

std::vector<std::size_t> TensorSession::overridden() const {
    std::vector<std::size_t> indices;
    for (std::size_t i = 0; i < m_tensors.size(); ++i)
        if (hasOverride(i))
            indices.push_back(i);
    return indices;
}

std::vector<TensorSession::Missing> TensorSession::missingExact() const {
    std::vector<Missing> missing;
    for (const std::size_t index : planned())
        if (!exact(index))
            missing.push_back({index, m_resolutions[index].spec});
    return missing;
}

qs::QuantConfig TensorSession::toConfig() const {
    qs::QuantConfig config;
    config.checkpoint = m_checkpointName;
    for (const std::size_t index : planned()) {
        const auto analysis = exact(index);
        if (!analysis)
            continue;
        const qs::TensorInfo &info = m_tensors[index];
        qs::TensorConfig tensor;
        tensor.name = info.name;
        tensor.shape = info.shape;
        tensor.dtype = info.typeName();
        tensor.spec = analysis->spec; // a method's spec as quantized: saturating at its clip
        tensor.params = analysis->params;
        tensor.mse = analysis->error.mse;
        tensor.sqnrDb = analysis->error.sqnrDb;
        config.tensors.push_back(std::move(tensor));
    }
    return config;
}

std::optional<std::size_t> TensorSession::indexOf(const std::string &name) const {
    const auto it = m_byName.find(name);
    if (it == m_byName.end())
        return std::nullopt;
    return it->second;
}

qs::QuantPlan TensorSession::planWithConfig(const qs::QuantConfig &config,
                                            std::vector<std::string> &unmatched) const {
    qs::QuantPlan plan = m_plan;
    for (auto &[name, override] : qs::configToOverrides(config)) {
        if (indexOf(name))
            qs::setOverride(plan, name, override);
        else
            unmatched.push_back(name);
    }
    return plan;
}

} // namespace qs::ui
