#pragma once

#include "analysis/referencecompare.h"
#include "io/checkpointreader.h"
#include "latestjob.h"

#include <QObject>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace qs::ui {

// The reference checkpoint of the window's A/B comparison. It is opened and paired with the open
// checkpoint in the background, then every pair is measured in the background, one pair at a
// time, with progress and cancel; on request, a partner's values are counted in the shown
// tensor's histogram bins, also in the background. The GUI thread only receives the results.
class ReferenceComparer : public QObject {
    Q_OBJECT
public:
    // What a measured pair gave: its figures, or why there are none.
    struct Outcome {
        std::optional<qs::ReferenceDifference> difference;
        QString error;
    };

    explicit ReferenceComparer(QObject *parent = nullptr);
    ~ReferenceComparer() override;

    // The window opened another checkpoint: a reference, if there is one, is paired with it anew.
    void setCheckpoint(std::shared_ptr<const qs::CheckpointReader> checkpoint);
    // Opens path and pairs it in the background: opened() (then the pass) or failed() follows.
    void open(const QString &path);
    // Forgets the reference; cleared() follows.
    void clear();
    // Stops the pass; the pairs measured so far stay.
    void cancel();

    bool hasReference() const { return m_reference != nullptr; }
    bool isRunning() const { return m_pass.isRunning(); }
    bool isOpening() const { return m_opening.isRunning(); }
    QString path() const { return m_path; }
    std::shared_ptr<const qs::CheckpointReader> reference() const { return m_reference; }
    const std::vector<qs::ReferencePairing> &pairings() const { return m_pairings; }
    // Tensor index's pairing with a partner, or null.
    const qs::ReferencePairing *partnerOf(std::size_t index) const;
    int pairedCount() const;

    // Counts index's partner into bins (the tensor's fine histogram): histogramReady follows
    // unless a newer request or another reference comes first.
    void requestHistogram(std::size_t index, const qs::Histogram &bins);

Q_SIGNALS:
    void opened(const QString &path);
    void failed(const QString &message);
    void cleared();
    void started(int pairs);
    void outcomeReady(std::size_t index, const qs::ui::ReferenceComparer::Outcome &outcome);
    void progressChanged(int done, int total);
    // completed is false when cancelled or superseded.
    void finished(bool completed);
    void histogramReady(std::size_t index, const qs::BinnedValues &counts);

private:
    struct Paired {
        QString path;
        std::shared_ptr<const qs::CheckpointReader> reference;
        std::vector<qs::ReferencePairing> pairings;
        QString error;
    };
    void pairInBackground(const QString &path, std::shared_ptr<const qs::CheckpointReader> reference);
    void onPaired(Paired paired);
    void startPass();
    void onOutcome(quint64 generation, std::size_t index, const Outcome &outcome);
    void stopPass();

    std::shared_ptr<const qs::CheckpointReader> m_checkpoint;
    std::shared_ptr<const qs::CheckpointReader> m_reference;
    QString m_path;
    std::vector<qs::ReferencePairing> m_pairings;
    LatestJob m_opening;
    LatestJob m_pass;
    LatestJob m_histogram;
    quint64 m_generation = 0; // of the running pass; older outcomes are dropped
    int m_done = 0;
    int m_total = 0;
};

} // namespace qs::ui
