#pragma once

#include "analysis/analysisresult.h"
#include "analysis/tensoranalyzer.h"
#include "io/checkpointreader.h"
#include "io/imatrix.h"

#include <QObject>
#include <QString>

#include <memory>

class QFutureWatcherBase;

namespace qs {

/// Runs tensor loads and quantization passes off the calling (GUI) thread with QtConcurrent,
/// with progress and cancellation. Latest request wins: each request gets a generation number,
/// a newer request of the same kind cancels the older one, and stale results are dropped
/// (never emitted). Signals are emitted on the thread that owns the service.
class AnalysisService : public QObject {
    Q_OBJECT
public:
    explicit AnalysisService(QObject *parent = nullptr);
    ~AnalysisService() override; ///< cancels and waits for running jobs

    /// Cancels everything and makes reader the source of later requests.
    void setReader(std::shared_ptr<const CheckpointReader> reader);
    std::shared_ptr<const CheckpointReader> reader() const { return m_reader; }

    /// Loads tensor `index` and computes its statistics; emits tensorReady or failed.
    /// Cancels a pending tensor request and any pending quant request. Returns the generation.
    quint64 requestTensor(std::size_t index);
    /// requestTensor, and in the same job the per-tensor int analysis of specFor(statistics)
    /// with method (analyzeTensorWithQuant: for a method that rides on the statistics, one read
    /// of the values less than two requests): emits tensorReady, then quantReady with the same
    /// generation, or failed.
    quint64 requestTensorWithQuant(std::size_t index, CalibMethod method, SpecFromScan specFor);
    /// Makes matrix (or none) the importance later quant requests use; requests already made
    /// keep theirs.
    void setImportance(std::shared_ptr<const ImportanceMatrix> matrix);
    std::shared_ptr<const ImportanceMatrix> importance() const { return m_importance; }
    /// Runs analyzeQuant on tensor (per-tensor int) or analyzeScheme (every other spec, as
    /// QuantAnalysis::scheme); emits quantReady, or failed with checkScheme's message. Cancels a
    /// pending quant request. With an importance matrix that has an entry fitting the tensor,
    /// the scheme analysis quantizes with its weights (see quantizeScheme); an entry that does
    /// not fit is not used.
    quint64 requestQuant(std::shared_ptr<const TensorAnalysis> tensor, const QuantSpec &spec);
    /// Cancels all pending requests; their results are dropped.
    void cancelAll();
    /// True while any request is running.
    bool isBusy() const;

Q_SIGNALS:
    void tensorReady(quint64 generation, std::shared_ptr<const qs::TensorAnalysis> result);
    void quantReady(quint64 generation, std::shared_ptr<const qs::QuantAnalysis> result);
    void failed(quint64 generation, const QString &message);
    /// percent in [0, 100] of the running request; what says which ("Loading q_proj", ...)
    void progressChanged(int percent, const QString &what);
    void busyChanged(bool busy);

private:
    struct Job;
    template <typename T, typename Work>
    quint64 startJob(Job &job, const QString &what, Work work);
    // A tensor job: load(reader, index, control) gives the tensor and, or not, its quant analysis.
    template <typename Load>
    quint64 startLoad(std::size_t index, Load load);
    template <typename T>
    void finishJob(Job &job, QFutureWatcherBase *watcher, quint64 generation);
    void retire(Job &job);
    void updateBusy();

    std::shared_ptr<const CheckpointReader> m_reader;
    std::shared_ptr<const ImportanceMatrix> m_importance;
    std::unique_ptr<Job> m_tensorJob;
    std::unique_ptr<Job> m_quantJob;
    quint64 m_generation = 0;
    bool m_busy = false;
};

} // namespace qs
