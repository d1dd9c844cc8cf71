#pragma once

#include "analysis/analysisresult.h"
#include "export/quantconfig.h"
#include "io/tensorinfo.h"
#include "quant/quantspec.h"

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qs::ui {

// True when analysis is the exact result for spec: computed for it, or, for a per-tensor method
// that picks the clip (percentile, mse, entropy, histogram-l2), for spec resolved to that clip.
bool answersSpec(const qs::QuantAnalysis &analysis, const qs::QuantSpec &spec);

// What the user decided for the tensors of one open checkpoint: each configured (visited or
// changed) tensor keeps its own spec while browsing, plus the latest exact result computed
// for exactly that spec, which is what an export writes. Tensors not configured yet start from
// the default spec, which follows the user's latest bits / scheme / narrow choice.
class TensorSession {
public:
    struct Missing {
        std::size_t index = 0;
        qs::QuantSpec spec;
    };

    void reset(std::vector<qs::TensorInfo> tensors, std::string checkpointName);
    const std::vector<qs::TensorInfo> &tensors() const { return m_tensors; }
    const std::string &checkpointName() const { return m_checkpointName; }

    const qs::QuantSpec &defaultSpec() const { return m_default; }
    // Takes bits, scheme, narrow, format, granularity, method and P from spec; new tensors start
    // non-saturating at clip ratio 1.
    void setDefaultSpec(const qs::QuantSpec &spec);

    qs::QuantSpec spec(std::size_t index) const;
    bool isConfigured(std::size_t index) const { return m_entries.count(index) != 0; }
    // Marks the tensor configured with its current spec.
    void visit(std::size_t index);
    // Marks it configured; drops a stored exact result that no longer matches.
    void setSpec(std::size_t index, const qs::QuantSpec &spec);
    // Kept only when analysis answers the tensor's current spec (answersSpec).
    void setExact(std::size_t index, std::shared_ptr<const qs::QuantAnalysis> analysis);
    std::shared_ptr<const qs::QuantAnalysis> exact(std::size_t index) const;
    // Drops the stored exact results of the tensors whose spec `which` accepts: what they were
    // computed from changed (the importance matrix).
    void dropExact(const std::function<bool(const qs::QuantSpec &)> &which);

    // Configured tensors, in file order.
    std::vector<std::size_t> configured() const;
    // Configured tensors whose exact result is not known yet.
    std::vector<Missing> missingExact() const;
    // Configured tensors that have an exact result, in file order.
    qs::QuantConfig toConfig() const;

    std::optional<std::size_t> indexOf(const std::string &name) const;
    // Sets the spec of every tensor named in config; returns the names that match no tensor.
    std::vector<std::string> applyConfig(const qs::QuantConfig &config);

private:
    struct Entry {
        qs::QuantSpec spec;
        std::shared_ptr<const qs::QuantAnalysis> exact;
    };

    std::vector<qs::TensorInfo> m_tensors;
    std::string m_checkpointName;
    std::map<std::string, std::size_t> m_byName;
    std::map<std::size_t, Entry> m_entries;
    qs::QuantSpec m_default;
};

} // namespace qs::ui
