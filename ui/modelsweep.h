#pragma once

#include "analysis/modelscan.h"
#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "latestjob.h"
#include "quant/quantspec.h"

#include <QElapsedTimer>
#include <QObject>

#include <memory>
#include <vector>

namespace qs::ui {

// Measures every tensor of the open checkpoint under a plan, in the background: the plan
// decides each tensor, kept and skipped
// tensors are reported at once, the rest are measured one at a time on the thread pool
// (scanTensor, as scanModel does) and reported as each is done. With an importance matrix, each
// tensor it has a fitting entry for is quantized and weighed with it (withImportance). Results
// are cached by (tensor, scheme, whether weights were used): a sweep under a scheme already
// measured recomputes nothing.
class ModelSweep : public QObject {
    Q_OBJECT
public:
    explicit ModelSweep(QObject *parent = nullptr);
    ~ModelSweep() override;

    // Cancels a running sweep and forgets the cache: the tensors are another file's.
    void setReader(std::shared_ptr<const qs::CheckpointReader> reader);
    // Measures every tensor under the scheme plan resolves for it.
    void start(const qs::QuantPlan &plan);
    // The plan of the latest sweep.
    const qs::QuantPlan &plan() const { return m_plan; }
    // The matrix later sweeps use (null: none). Cancels a running sweep and forgets what was
    // measured with the previous matrix's weights.
    void setImportance(std::shared_ptr<const qs::ImportanceMatrix> matrix);
    std::shared_ptr<const qs::ImportanceMatrix> importance() const { return m_importance; }
    // Stops a running sweep; the summaries delivered so far stay valid (and cached).
    void cancel();
    bool isRunning() const { return m_job.isRunning(); }
    // Tensors measured in the background since the reader was set (cache hits are not counted).
    int measuredCount() const { return m_measured; }
    // The plan the sweep decides with: defaultSpec and the default ignore list.
    static qs::QuantPlan defaultPlan(const qs::QuantSpec &defaultSpec);

Q_SIGNALS:
    void started(int tensors);
    void summaryReady(const qs::TensorSummary &summary);
    // After each summary; secondsLeft < 0 while unknown.
    void progressChanged(int done, int total, double bytesPerSecond, double secondsLeft);
    // completed is false when cancelled (or superseded by a newer file).
    void finished(bool completed);

private:
    struct Pending {
        std::size_t index = 0;
        qs::TensorDecision decision;
    };
    struct CacheEntry {
        qs::QuantSpec spec;
        bool weighted = false; // measured with importance weights
        qs::TensorSummary summary;
    };
    const qs::TensorSummary *cached(std::size_t index, const qs::TensorDecision &decision) const;
    void deliver(const qs::TensorSummary &summary);
    void runPending(std::vector<Pending> pending);
    void onMeasured(quint64 generation, const qs::TensorSummary &summary);
    void emitProgress();

    std::shared_ptr<const qs::CheckpointReader> m_reader;
    qs::QuantPlan m_plan;
    std::shared_ptr<const qs::ImportanceMatrix> m_importance;
    std::vector<std::vector<CacheEntry>> m_cache; // by tensor index
    LatestJob m_job;
    quint64 m_generation = 0; // of the running sweep; older summaries are dropped
    int m_measured = 0;
    int m_done = 0;
    int m_total = 0;
    double m_bytesDone = 0.0; // by the background job of this sweep
    double m_bytesLeft = 0.0;
    QElapsedTimer m_clock;
};

} // namespace qs::ui
