#include "modelsweep.h"

#include "analysis/modelimportance.h"
#include "io/decodebuffer.h"
#include "plan/quantplan.h"
#include "quant/schemequant.h"

#include <QPromise>

#include <algorithm>

namespace qs::ui {

ModelSweep::ModelSweep(QObject *parent)
    : QObject(parent) {}

ModelSweep::~ModelSweep() = default;

void ModelSweep::setReader(std::shared_ptr<const qs::CheckpointReader> reader) {
    cancel();
    m_reader = std::move(reader);
    m_cache.assign(m_reader ? m_reader->tensors().size() : 0, {});
    m_measured = 0;
}

qs::QuantPlan ModelSweep::defaultPlan(const qs::QuantSpec &defaultSpec) {
    qs::QuantPlan plan;
    plan.defaults = qs::planSchemeFromSpec(defaultSpec);
    return plan;
}

const qs::TensorSummary *ModelSweep::cached(std::size_t index, const qs::TensorDecision &decision) const {
    for (const CacheEntry &entry : m_cache[index])
        if (entry.spec == decision.spec && entry.weighted == decision.importance.has_value())
            return &entry.summary;
    return nullptr;
}

void ModelSweep::setImportance(std::shared_ptr<const qs::ImportanceMatrix> matrix) {
    cancel();
    m_importance = std::move(matrix);
    for (std::vector<CacheEntry> &entries : m_cache)
        std::erase_if(entries, [](const CacheEntry &entry) { return entry.weighted; });
}

void ModelSweep::start(const qs::QuantPlan &plan) {
    if (!m_reader)
        return;
    m_plan = plan;
    const bool wasRunning = isRunning();
    m_job.cancel();
    ++m_generation;
    if (wasRunning)
        Q_EMIT finished(false);
    const std::vector<qs::TensorInfo> &tensors = m_reader->tensors();
    m_total = int(tensors.size());
    m_done = 0;
    m_bytesDone = 0.0;
    m_bytesLeft = 0.0;
    Q_EMIT started(m_total);
    std::vector<Pending> pending;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const qs::TensorDecision decision =
            qs::withImportance(qs::planDecision(plan, tensors[i]), m_importance.get(), tensors[i]);
        if (decision.keep || !qs::checkScheme(decision.spec, tensors[i].shape)) {
            deliver(qs::scanTensor(*m_reader, i, decision)); // reads no value: O(1)
        } else if (const qs::TensorSummary *hit = cached(i, decision)) {
            deliver(*hit);
        } else {
            m_bytesLeft += double(tensors[i].byteSize);
            pending.push_back({i, decision});
        }
    }
    if (pending.empty()) {
        emitProgress();
        Q_EMIT finished(true);
        return;
    }
    runPending(std::move(pending));
}

void ModelSweep::deliver(const qs::TensorSummary &summary) {
    ++m_done;
    Q_EMIT summaryReady(summary);
}

// One tensor at a time, as scanModel does: memory stays bounded by the largest tensor. Each
// summary goes back to the GUI thread as soon as it is done.
void ModelSweep::runPending(std::vector<Pending> pending) {
    m_clock.start();
    emitProgress();
    const quint64 generation = m_generation;
    // The job holds the matrix its decisions' weights view.
    auto work = [this, reader = m_reader, matrix = m_importance, pending = std::move(pending),
                 generation](QPromise<bool> &promise) {
        qs::RunControl control;
        control.isCanceled = [&promise] { return promise.isCanceled(); };
        const qs::DecodeBufferReuse reuse; // as scanModel: one decode buffer for the sweep
        for (const Pending &p : pending) {
            qs::TensorSummary summary = qs::scanTensor(*reader, p.index, p.decision, control);
            if (promise.isCanceled())
                return; // a cancel mid-tensor reads as a skip; it is not one
            QMetaObject::invokeMethod(
                this, [this, generation, summary = std::move(summary)] { onMeasured(generation, summary); },
                Qt::QueuedConnection);
        }
        promise.addResult(true);
    };
    m_job.run<bool>(this, std::move(work), [this](bool) { Q_EMIT finished(true); });
}

void ModelSweep::onMeasured(quint64 generation, const qs::TensorSummary &summary) {
    if (generation != m_generation || summary.index >= m_cache.size())
        return;
    if (summary.spec)
        m_cache[summary.index].push_back({*summary.spec, summary.weightedMse.has_value(), summary});
    ++m_measured;
    m_bytesDone += double(summary.storedBytes);
    m_bytesLeft -= double(summary.storedBytes);
    deliver(summary);
    emitProgress();
}

void ModelSweep::emitProgress() {
    const double seconds = m_clock.isValid() ? double(m_clock.nsecsElapsed()) * 1e-9 : 0.0;
    const double rate = seconds > 0.0 ? m_bytesDone / seconds : 0.0;
    const double left = rate > 0.0 ? std::max(m_bytesLeft, 0.0) / rate : -1.0;
    Q_EMIT progressChanged(m_done, m_total, rate, left);
}

void ModelSweep::cancel() {
    if (!isRunning())
        return;
    m_job.cancel();
    ++m_generation;
    Q_EMIT finished(false);
}

} // namespace qs::ui
