#include "referencecomparer.h"

#include <QFileInfo>
#include <QPromise>

namespace qs::ui {

namespace {

// Opens (unless already open) and pairs, off the GUI thread.
std::shared_ptr<const qs::CheckpointReader> openReader(const QString &path, QString &error) {
    auto reader = qs::openCheckpoint(path.toStdString());
    if (!reader) {
        error = QString::fromStdString(reader.error());
        return nullptr;
    }
    return reader.value();
}

} // namespace

ReferenceComparer::ReferenceComparer(QObject *parent)
    : QObject(parent) {}

ReferenceComparer::~ReferenceComparer() = default;

void ReferenceComparer::setCheckpoint(std::shared_ptr<const qs::CheckpointReader> checkpoint) {
    stopPass();
    m_histogram.cancel();
    m_checkpoint = std::move(checkpoint);
    m_pairings.clear();
    if (m_reference && m_checkpoint)
        pairInBackground(m_path, m_reference);
}

void ReferenceComparer::open(const QString &path) {
    if (!m_checkpoint)
        return;
    pairInBackground(QFileInfo(path).absoluteFilePath(), nullptr);
}

void ReferenceComparer::pairInBackground(const QString &path,
                                         std::shared_ptr<const qs::CheckpointReader> reference) {
    auto work = [path, reference, checkpoint = m_checkpoint]() {
        Paired paired;
        paired.path = path;
        paired.reference = reference ? reference : openReader(path, paired.error);
        if (paired.reference)
            paired.pairings = qs::pairWithReference(*checkpoint, *paired.reference);
        return paired;
    };
    m_opening.run<Paired>(this, std::move(work), [this](Paired paired) { onPaired(std::move(paired)); });
}

void ReferenceComparer::onPaired(Paired paired) {
    if (!paired.reference) {
        Q_EMIT failed(paired.error); // the previous reference, if any, stays
        return;
    }
    stopPass();
    m_histogram.cancel();
    m_reference = std::move(paired.reference);
    m_path = paired.path;
    m_pairings = std::move(paired.pairings);
    Q_EMIT opened(m_path);
    startPass();
}

void ReferenceComparer::clear() {
    m_opening.cancel();
    stopPass();
    m_histogram.cancel();
    const bool had = hasReference();
    m_reference.reset();
    m_path.clear();
    m_pairings.clear();
    if (had)
        Q_EMIT cleared();
}

const qs::ReferencePairing *ReferenceComparer::partnerOf(std::size_t index) const {
    if (index >= m_pairings.size() || !m_pairings[index].partner)
        return nullptr;
    return &m_pairings[index];
}

int ReferenceComparer::pairedCount() const {
    int n = 0;
    for (const qs::ReferencePairing &p : m_pairings)
        n += p.partner ? 1 : 0;
    return n;
}

// One pair at a time, as the sweep measures one tensor at a time: memory stays bounded by the
// largest pair. Each outcome goes back to the GUI thread as soon as it is known.
void ReferenceComparer::startPass() {
    std::vector<qs::ReferencePairing> paired;
    for (const qs::ReferencePairing &p : m_pairings)
        if (p.partner)
            paired.push_back(p);
    ++m_generation;
    m_done = 0;
    m_total = int(paired.size());
    Q_EMIT started(m_total);
    if (paired.empty()) {
        Q_EMIT finished(true);
        return;
    }
    auto work = [this, checkpoint = m_checkpoint, reference = m_reference, paired = std::move(paired),
                 generation = m_generation](QPromise<bool> &promise) {
        qs::RunControl control;
        control.isCanceled = [&promise] { return promise.isCanceled(); };
        for (const qs::ReferencePairing &p : paired) {
            const auto measured = qs::compareReferencePair(*checkpoint, *reference, p, control);
            if (promise.isCanceled())
                return;
            Outcome outcome;
            if (measured)
                outcome.difference = measured.value();
            else
                outcome.error = QString::fromStdString(measured.error());
            QMetaObject::invokeMethod(
                this, [this, generation, index = p.index, outcome] { onOutcome(generation, index, outcome); },
                Qt::QueuedConnection);
        }
        promise.addResult(true);
    };
    m_pass.run<bool>(this, std::move(work), [this](bool) { Q_EMIT finished(true); });
}

void ReferenceComparer::onOutcome(quint64 generation, std::size_t index, const Outcome &outcome) {
    if (generation != m_generation)
        return;
    ++m_done;
    Q_EMIT outcomeReady(index, outcome);
    Q_EMIT progressChanged(m_done, m_total);
}

void ReferenceComparer::cancel() {
    stopPass();
}

void ReferenceComparer::stopPass() {
    ++m_generation;
    if (!m_pass.isRunning())
        return;
    m_pass.cancel();
    Q_EMIT finished(false);
}

void ReferenceComparer::requestHistogram(std::size_t index, const qs::Histogram &bins) {
    const qs::ReferencePairing *pairing = partnerOf(index);
    if (!pairing) {
        m_histogram.cancel();
        return;
    }
    auto work = [reference = m_reference, partner = *pairing->partner, bins,
                 index](QPromise<std::pair<std::size_t, qs::BinnedValues>> &promise) {
        qs::RunControl control;
        control.isCanceled = [&promise] { return promise.isCanceled(); };
        const auto values = reference->loadFloat(partner, control);
        if (!values)
            return;
        if (auto counts = qs::countInBins(values.value()->values(), bins, control))
            promise.addResult(std::pair{index, std::move(*counts)});
    };
    m_histogram.run<std::pair<std::size_t, qs::BinnedValues>>(
        this, std::move(work), [this](std::pair<std::size_t, qs::BinnedValues> result) {
            Q_EMIT histogramReady(result.first, result.second);
        });
}

} // namespace qs::ui
