#include "methodcomparer.h"

#include <QFutureWatcher>
#include <QPromise>

namespace qs::ui {

MethodComparer::MethodComparer(QObject *parent)
    : QObject(parent) {}

qs::QuantSpec MethodComparer::baseSpec(qs::QuantSpec spec) {
    spec.method = qs::CalibMethod::MinMax;
    spec.percentile = qs::kDefaultPercentile;
    spec.rangeMode = qs::RangeMode::NonSaturating;
    spec.clipLo = spec.clipHi = 0.0;
    spec.clipRatio = 1.0;
    return spec;
}

void MethodComparer::setTensor(std::shared_ptr<const qs::TensorAnalysis> tensor) {
    if (tensor == m_tensor)
        return;
    m_tensor = std::move(tensor);
    invalidate();
}

void MethodComparer::setSpec(const qs::QuantSpec &spec) {
    const qs::QuantSpec base = baseSpec(spec);
    if (m_spec == base)
        return;
    m_spec = base;
    invalidate();
}

void MethodComparer::setInput(std::shared_ptr<const qs::TensorAnalysis> tensor, const qs::QuantSpec &spec) {
    const qs::QuantSpec base = baseSpec(spec);
    if (tensor == m_tensor && m_spec == base)
        return;
    m_tensor = std::move(tensor);
    m_spec = base;
    invalidate();
}

void MethodComparer::setWanted(Viewer viewer, bool wanted) {
    const bool newly = wanted && !(m_wanted & viewer);
    m_wanted = wanted ? (m_wanted | viewer) : (m_wanted & ~unsigned(viewer));
    if (newly)
        startIfWanted();
}

bool MethodComparer::holds(const qs::TensorAnalysis *tensor, const qs::QuantSpec &spec) const {
    return m_rows && tensor && tensor == m_tensor.get() && m_spec == baseSpec(spec);
}

void MethodComparer::cancel() {
    if (!m_job.isRunning())
        return;
    m_job.cancel();
    Q_EMIT computingChanged(false);
}

// The old rows and the old job belong to another tensor or spec: both go at once.
void MethodComparer::invalidate() {
    const bool wasComputing = m_job.isRunning();
    m_job.cancel();
    const bool hadRows = m_rows != nullptr;
    m_rows.reset();
    m_stale = m_tensor && m_spec;
    if (hadRows)
        Q_EMIT rowsChanged();
    startIfWanted();
    if (wasComputing && !m_job.isRunning())
        Q_EMIT computingChanged(false);
}

void MethodComparer::startIfWanted() {
    if (m_stale && m_wanted && !m_job.isRunning())
        start();
}

void MethodComparer::start() {
    m_stale = false;
    const bool wasComputing = m_job.isRunning();
    QFutureWatcherBase *watcher = m_job.run<Rows>(
        this,
        [tensor = m_tensor, spec = *m_spec](QPromise<Rows> &promise) {
            promise.setProgressRange(0, 100);
            qs::RunControl control;
            control.isCanceled = [&promise] { return promise.isCanceled(); };
            control.progress = [&promise](double f) { promise.setProgressValue(int(f * 100.0)); };
            auto rows = qs::compareMethods(*tensor, spec, control);
            if (rows && !promise.isCanceled())
                promise.addResult(std::move(rows).value());
        },
        [this](Rows rows) {
            m_rows = std::make_shared<const Rows>(std::move(rows));
            Q_EMIT rowsChanged();
        });
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, &MethodComparer::progressChanged);
    // After the result (or none, when the comparison failed); a cancelled job's watcher is gone.
    connect(watcher, &QFutureWatcherBase::finished, this, [this] {
        if (!m_job.isRunning())
            Q_EMIT computingChanged(false);
    });
    if (!wasComputing)
        Q_EMIT computingChanged(true);
}

} // namespace qs::ui
