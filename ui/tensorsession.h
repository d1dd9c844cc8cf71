#pragma once

#include "analysis/analysisresult.h"
#include "export/quantconfig.h"
#include "io/tensorinfo.h"
#include "plan/quantplan.h"
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

// What the user decided for the tensors of one open checkpoint: a plan (default, rules, ignore
// list, overrides) that resolves every tensor's scheme, plus the latest exact result computed
// for each tensor's resolved spec, which is what an export writes. Selecting a tensor changes
// nothing here: its spec is the plan's.
class TensorSession {
public:
    struct Missing {
        std::size_t index = 0;
        qs::QuantSpec spec;
    };

    // Another checkpoint: its tensors under plan, no exact results.
    void reset(std::vector<qs::TensorInfo> tensors, std::string checkpointName, qs::QuantPlan plan = {});
    const std::vector<qs::TensorInfo> &tensors() const { return m_tensors; }
    const std::string &checkpointName() const { return m_checkpointName; }

    const qs::QuantPlan &plan() const { return m_plan; }
    // Replaces the plan; an exact result stays only while it still answers its tensor's spec.
    void setPlan(qs::QuantPlan plan);
    const qs::TensorResolution &resolution(std::size_t index) const { return m_resolutions.at(index); }
    // "default", "rule 2: *.mlp.*", "ignored: 1-D (norm or bias)", "override", ...
    std::string resolutionText(std::size_t index) const;
    bool hasOverride(std::size_t index) const;

    // The plan's default scheme (QuantSpec{} while the default does not merge).
    qs::QuantSpec defaultSpec() const;
    // The plan with its default taking bits, scheme, narrow, format, granularity, method and P
    // from spec (never a clip: that is per tensor).
    qs::QuantPlan planWithDefault(const qs::QuantSpec &spec) const;
    // The plan after the user changed the tensor's spec from before to after on screen: an
    // override when the tensor has one or perTensor (a dragged clip or ratio), else the default
    // takes the keys that changed.
    qs::QuantPlan planWithEdit(std::size_t index, const qs::QuantSpec &before, const qs::QuantSpec &after,
                               bool perTensor) const;
    // The plan with spec as the tensor's override.
    qs::QuantPlan planWithOverride(std::size_t index, const qs::QuantSpec &spec) const;

    // The spec the views show for a tensor: its resolved spec, or the default when the plan
    // keeps it in its stored type.
    qs::QuantSpec spec(std::size_t index) const;

    // Kept only when analysis answers the tensor's current spec (answersSpec).
    void setExact(std::size_t index, std::shared_ptr<const qs::QuantAnalysis> analysis);
    std::shared_ptr<const qs::QuantAnalysis> exact(std::size_t index) const;
    // Drops the stored exact results of the tensors whose spec `which` accepts: what they were
    // computed from changed (the importance matrix).
    void dropExact(const std::function<bool(const qs::QuantSpec &)> &which);

    // Tensors the plan quantizes, in file order: what an export covers.
    std::vector<std::size_t> planned() const;
    // Tensors with an override, in file order.
    std::vector<std::size_t> overridden() const;
    // Planned tensors whose exact result is not known yet.
    std::vector<Missing> missingExact() const;
    // Planned tensors that have an exact result, in file order.
    qs::QuantConfig toConfig() const;

    std::optional<std::size_t> indexOf(const std::string &name) const;
    // The plan with config's tensors as overrides; unmatched gets the names no tensor has.
    qs::QuantPlan planWithConfig(const qs::QuantConfig &config, std::vector<std::string> &unmatched) const;

private:
    std::vector<qs::TensorInfo> m_tensors;
    std::string m_checkpointName;
    std::map<std::string, std::size_t> m_byName;
    qs::QuantPlan m_plan;
    std::vector<qs::TensorResolution> m_resolutions; // by tensor
    std::map<std::size_t, std::shared_ptr<const qs::QuantAnalysis>> m_exact;
};

} // namespace qs::ui
