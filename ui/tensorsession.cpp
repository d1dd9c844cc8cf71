#include "tensorsession.h"

#include "calib/calibmethods.h"
#include "io/dtype.h"

namespace qs::ui {

bool answersSpec(const qs::QuantAnalysis &analysis, const qs::QuantSpec &spec) {
    if (analysis.spec == spec)
        return true;
    return qs::usesTensorClip(spec) &&
           analysis.spec == qs::resolvedSpec(spec, {analysis.spec.clipLo, analysis.spec.clipHi});
}

void TensorSession::reset(std::vector<qs::TensorInfo> tensors, std::string checkpointName) {
    m_tensors = std::move(tensors);
    m_checkpointName = std::move(checkpointName);
    m_entries.clear();
    m_byName.clear();
    for (std::size_t i = 0; i < m_tensors.size(); ++i)
        m_byName.emplace(m_tensors[i].name, i); // first wins if a file repeats a name
}

void TensorSession::setDefaultSpec(const qs::QuantSpec &spec) {
    m_default = qs::QuantSpec{};
    m_default.bits = spec.bits;
    m_default.scheme = spec.scheme;
    m_default.narrow = spec.narrow;
    m_default.format = spec.format;
    m_default.granularity = spec.granularity;
    m_default.method = spec.method;
    m_default.percentile = spec.percentile;
}

qs::QuantSpec TensorSession::spec(std::size_t index) const {
    const auto it = m_entries.find(index);
    return it == m_entries.end() ? m_default : it->second.spec;
}

void TensorSession::visit(std::size_t index) {
    if (index < m_tensors.size() && !isConfigured(index))
        m_entries.emplace(index, Entry{m_default, nullptr});
}

void TensorSession::setSpec(std::size_t index, const qs::QuantSpec &spec) {
    if (index >= m_tensors.size())
        return;
    Entry &entry = m_entries[index];
    if (entry.spec != spec)
        entry.exact.reset();
    entry.spec = spec;
}

void TensorSession::setExact(std::size_t index, std::shared_ptr<const qs::QuantAnalysis> analysis) {
    const auto it = m_entries.find(index);
    if (it != m_entries.end() && analysis && answersSpec(*analysis, it->second.spec))
        it->second.exact = std::move(analysis);
}

std::shared_ptr<const qs::QuantAnalysis> TensorSession::exact(std::size_t index) const {
    const auto it = m_entries.find(index);
    return it == m_entries.end() ? nullptr : it->second.exact;
}

void TensorSession::dropExact(const std::function<bool(const qs::QuantSpec &)> &which) {
    for (auto &[index, entry] : m_entries)
        if (which(entry.spec))
            entry.exact.reset();
}

std::vector<std::size_t> TensorSession::configured() const {
    std::vector<std::size_t> indices;
    indices.reserve(m_entries.size());
    for (const auto &[index, entry] : m_entries)
        indices.push_back(index);
    return indices;
}

std::vector<TensorSession::Missing> TensorSession::missingExact() const {
    std::vector<Missing> missing;
    for (const auto &[index, entry] : m_entries) {
        if (!entry.exact)
            missing.push_back({index, entry.spec});
    }
    return missing;
}

qs::QuantConfig TensorSession::toConfig() const {
    qs::QuantConfig config;
    config.checkpoint = m_checkpointName;
    for (const auto &[index, entry] : m_entries) {
        if (!entry.exact)
            continue;
        const qs::TensorInfo &info = m_tensors[index];
        qs::TensorConfig tensor;
        tensor.name = info.name;
        tensor.shape = info.shape;
        tensor.dtype = info.typeName();
        tensor.spec = entry.exact->spec; // a method's spec as quantized: saturating at its clip
        tensor.params = entry.exact->params;
        tensor.mse = entry.exact->error.mse;
        tensor.sqnrDb = entry.exact->error.sqnrDb;
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

std::vector<std::string> TensorSession::applyConfig(const qs::QuantConfig &config) {
    std::vector<std::string> unmatched;
    for (const qs::TensorConfig &tensor : config.tensors) {
        if (const auto index = indexOf(tensor.name))
            setSpec(*index, tensor.spec);
        else
            unmatched.push_back(tensor.name);
    }
    return unmatched;
}

} // namespace qs::ui
