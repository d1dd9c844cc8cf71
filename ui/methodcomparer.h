#pragma once

#include "analysis/analysisresult.h"
#include "analysis/methodcomparison.h"
#include "latestjob.h"
#include "quant/quantspec.h"

#include <QObject>

#include <memory>
#include <optional>
#include <vector>

namespace qs::ui {

// The calibration methods compared on the current tensor under the current spec
// (qs::compareMethods), once for every view that shows them (the Scheme panel's Methods tab, the
// histogram's method thresholds). Computed off the GUI thread, and only while some viewer wants
// the rows; a new tensor or spec cancels the running job and clears the rows at once.
class MethodComparer : public QObject {
    Q_OBJECT
public:
    enum Viewer : unsigned { MethodsTab = 0x1, HistogramMarkers = 0x2 };
    using Rows = std::vector<qs::MethodRow>;

    explicit MethodComparer(QObject *parent = nullptr);

    // What the rows depend on: the format, bits, scheme, narrow and granularity, not the range
    // rule (method, clip range or ratio).
    static qs::QuantSpec baseSpec(qs::QuantSpec spec);

    // nullptr clears.
    void setTensor(std::shared_ptr<const qs::TensorAnalysis> tensor);
    void setSpec(const qs::QuantSpec &spec);
    // Both at once: one computation for the pair, none for a stale half of it.
    void setInput(std::shared_ptr<const qs::TensorAnalysis> tensor, const qs::QuantSpec &spec);
    // A viewer that starts wanting the rows starts their computation if they are missing.
    void setWanted(Viewer viewer, bool wanted);
    bool isWanted() const { return m_wanted != 0; }
    // Stops the running computation; it starts again when a viewer asks anew or the tensor or
    // spec changes.
    void cancel();

    std::shared_ptr<const qs::TensorAnalysis> tensor() const { return m_tensor; }
    const std::optional<qs::QuantSpec> &spec() const { return m_spec; }
    // The rows of tensor() under spec(); null until they are computed.
    std::shared_ptr<const Rows> rows() const { return m_rows; }
    // True when rows() are there and belong to tensor under spec (any range rule).
    bool holds(const qs::TensorAnalysis *tensor, const qs::QuantSpec &spec) const;
    bool isComputing() const { return m_job.isRunning(); }

Q_SIGNALS:
    // The rows were cleared or have arrived.
    void rowsChanged();
    void computingChanged(bool computing);
    void progressChanged(int percent);

private:
    void invalidate();
    void startIfWanted();
    void start();

    std::shared_ptr<const qs::TensorAnalysis> m_tensor;
    std::optional<qs::QuantSpec> m_spec;
    std::shared_ptr<const Rows> m_rows;
    unsigned m_wanted = 0;
    bool m_stale = false; // rows are missing for the tensor and spec
    LatestJob m_job;      // last member: destroyed (cancelled and waited for) first
};

} // namespace qs::ui
