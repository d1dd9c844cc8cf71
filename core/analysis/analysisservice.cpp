#include "analysis/analysisservice.h"

#include "analysis/tensoranalyzer.h"
#include "quant/quantizer.h"

#include <cmath>

#include <QFuture>
#include <QFutureWatcher>
#include <QList>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <type_traits>

namespace qs {

namespace {

// What a job hands back to the service's thread: a value, or the text of its failure.
template <typename T>
struct Outcome {
    std::shared_ptr<const T> value;
    QString error;
};

template <typename T>
Outcome<T> toOutcome(Result<std::shared_ptr<const T>> result) {
    if (!result)
        return {nullptr, QString::fromStdString(result.error())};
    return {std::move(result).value(), {}};
}

Outcome<TensorQuantAnalysis> toOutcome(Result<TensorQuantAnalysis> result) {
    if (!result)
        return {nullptr, QString::fromStdString(result.error())};
    return {std::make_shared<const TensorQuantAnalysis>(std::move(result).value()), {}};
}

// A scheme's analysis wrapped as a QuantAnalysis, whose error figures are the scheme's.
Result<std::shared_ptr<const QuantAnalysis>> schemeQuantAnalysis(const TensorAnalysis &tensor,
                                                                 const QuantSpec &spec,
                                                                 const RunControl &control,
                                                                 std::span<const float> importance) {
    auto scheme = analyzeScheme(tensor, spec, control, importance);
    if (!scheme)
        return Error{scheme.error()};
    auto analysis = std::make_shared<QuantAnalysis>();
    analysis->spec = spec;
    const SchemeAnalysis &s = *scheme.value();
    if (!s.quantization.scales.empty() && formatTraits(spec.format).family == FormatFamily::Integer) {
        analysis->params = computeParams(spec, 0.0, 0.0);
        analysis->params.scale = s.quantization.scales.front();
        analysis->params.zeroPoint =
            s.quantization.zeroPoints.empty() ? 0 : s.quantization.zeroPoints.front();
    }
    analysis->error.mse = s.error.mse;
    analysis->error.sqnrDb = s.error.sqnrDb;
    analysis->error.maxAbsError = s.error.maxAbsError;
    analysis->error.clippedFraction = s.clippedFraction;
    analysis->error.clippedCount = std::llround(s.clippedFraction * double(tensor.stats.count));
    analysis->error.errorHistogram = s.errorHistogram;
    analysis->scheme = std::move(scheme).value();
    return std::shared_ptr<const QuantAnalysis>(std::move(analysis));
}

// The tensor's importance weights, when the matrix has an entry that fits it.
std::span<const float> importanceFor(const ImportanceMatrix *matrix, const TensorInfo &info) {
    if (!matrix || !matrix->find(info.name))
        return {};
    const auto weights = matrix->lookup(info.name, info.shape);
    return weights ? weights->weights : std::span<const float>();
}

QString tensorName(const CheckpointReader *reader, std::size_t index) {
    if (!reader || index >= reader->tensors().size())
        return QStringLiteral("tensor %1").arg(index);
    return QString::fromStdString(reader->tensors()[index].name);
}

} // namespace

struct AnalysisService::Job {
    quint64 generation = 0;
    std::unique_ptr<QFutureWatcherBase> watcher; ///< of the newest request; null when idle
    QFuture<void> future;                        ///< of the newest request
    // Cancelled futures that may still be running; the destructor waits for them.
    QList<QFuture<void>> retired;
};

AnalysisService::AnalysisService(QObject *parent)
    : QObject(parent)
    , m_tensorJob(std::make_unique<Job>())
    , m_quantJob(std::make_unique<Job>()) {
    // Queued connections look the argument types up by name.
    qRegisterMetaType<std::shared_ptr<const qs::TensorAnalysis>>("std::shared_ptr<const qs::TensorAnalysis>");
    qRegisterMetaType<std::shared_ptr<const qs::QuantAnalysis>>("std::shared_ptr<const qs::QuantAnalysis>");
}

AnalysisService::~AnalysisService() {
    retire(*m_tensorJob);
    retire(*m_quantJob);
    // Jobs only hold shared pointers of their own, but a caller may expect the checkpoint's
    // mapping to be released once the service is gone.
    for (Job *job : {m_tensorJob.get(), m_quantJob.get()})
        for (QFuture<void> &future : job->retired)
            future.waitForFinished();
}

void AnalysisService::setReader(std::shared_ptr<const CheckpointReader> reader) {
    cancelAll();
    m_reader = std::move(reader);
}

void AnalysisService::setImportance(std::shared_ptr<const ImportanceMatrix> matrix) {
    m_importance = std::move(matrix);
}

quint64 AnalysisService::requestTensor(std::size_t index) {
    return startLoad(index, [](const CheckpointReader &reader, std::size_t i, const RunControl &control) {
        auto tensor = analyzeTensor(reader, i, control);
        if (!tensor)
            return Result<TensorQuantAnalysis>(Error{tensor.error()});
        return Result<TensorQuantAnalysis>(TensorQuantAnalysis{std::move(tensor).value(), nullptr});
    });
}

quint64 AnalysisService::requestTensorWithQuant(std::size_t index, CalibMethod method, SpecFromScan specFor) {
    return startLoad(index, [method, specFor = std::move(specFor)](const CheckpointReader &reader,
                                                                   std::size_t i, const RunControl &control) {
        return analyzeTensorWithQuant(reader, i, method, specFor, control);
    });
}

template <typename Load>
quint64 AnalysisService::startLoad(std::size_t index, Load load) {
    retire(*m_quantJob);
    std::shared_ptr<const CheckpointReader> reader = m_reader;
    const QString what = tr("Loading %1").arg(tensorName(reader.get(), index));
    return startJob<TensorQuantAnalysis>(
        *m_tensorJob, what, [reader, index, load = std::move(load)](const RunControl &control) {
            if (!reader)
                return Outcome<TensorQuantAnalysis>{nullptr, QStringLiteral("no checkpoint is open")};
            return toOutcome(load(*reader, index, control));
        });
}

quint64 AnalysisService::requestQuant(std::shared_ptr<const TensorAnalysis> tensor, const QuantSpec &spec) {
    const QString what =
        tensor ? tr("Quantizing %1").arg(QString::fromStdString(tensor->info().name)) : tr("Quantizing");
    // The job holds the matrix its weights view.
    auto work = [tensor, spec, matrix = m_importance](const RunControl &control) {
        if (!tensor)
            return Outcome<QuantAnalysis>{nullptr, QStringLiteral("no tensor is loaded")};
        if (isPerTensorInt(spec))
            return toOutcome(analyzeQuant(*tensor, spec, false, control));
        return toOutcome(
            schemeQuantAnalysis(*tensor, spec, control, importanceFor(matrix.get(), tensor->info())));
    };
    return startJob<QuantAnalysis>(*m_quantJob, what, std::move(work));
}

void AnalysisService::cancelAll() {
    retire(*m_tensorJob);
    retire(*m_quantJob);
}

bool AnalysisService::isBusy() const {
    return m_tensorJob->watcher || m_quantJob->watcher;
}

template <typename T, typename Work>
quint64 AnalysisService::startJob(Job &job, const QString &what, Work work) {
    retire(job);
    const quint64 generation = ++m_generation;
    auto *watcher = new QFutureWatcher<Outcome<T>>;
    job.generation = generation;
    job.watcher.reset(watcher);

    connect(watcher, &QFutureWatcherBase::progressValueChanged, this,
            [this, what](int percent) { Q_EMIT progressChanged(percent, what); });
    connect(watcher, &QFutureWatcherBase::finished, this,
            [this, &job, watcher, generation] { finishJob<T>(job, watcher, generation); });

    QFuture<Outcome<T>> future = QtConcurrent::run([work = std::move(work)](QPromise<Outcome<T>> &promise) {
        promise.setProgressRange(0, 100);
        RunControl control;
        control.isCanceled = [&promise] { return promise.isCanceled(); };
        control.progress = [&promise](double f) { promise.setProgressValue(int(f * 100.0)); };
        promise.addResult(work(control));
    });
    watcher->setFuture(future);
    job.future = QFuture<void>(future);
    updateBusy();
    return generation;
}

template <typename T>
void AnalysisService::finishJob(Job &job, QFutureWatcherBase *watcher, quint64 generation) {
    // A retired watcher is deleted (and so disconnected) at once; the generation check is the
    // second line of defence against emitting a stale result.
    if (job.generation != generation || job.watcher.get() != watcher)
        return;
    job.watcher.release()->deleteLater(); // we are inside one of its signals
    job.future = {};
    const QFuture<Outcome<T>> future = static_cast<QFutureWatcher<Outcome<T>> *>(watcher)->future();
    updateBusy();
    if (future.isCanceled() || future.resultCount() == 0)
        return;
    const Outcome<T> outcome = future.result();
    if (!outcome.value) {
        Q_EMIT failed(generation, outcome.error);
    } else if constexpr (std::is_same_v<T, TensorQuantAnalysis>) {
        Q_EMIT tensorReady(generation, outcome.value->tensor);
        if (outcome.value->quant)
            Q_EMIT quantReady(generation, outcome.value->quant);
    } else {
        Q_EMIT quantReady(generation, outcome.value);
    }
}

void AnalysisService::retire(Job &job) {
    job.retired.removeIf([](const QFuture<void> &f) { return f.isFinished(); });
    if (!job.watcher)
        return;
    job.future.cancel();
    job.retired.append(job.future);
    job.future = {};
    job.watcher.reset();
    updateBusy();
}

void AnalysisService::updateBusy() {
    const bool busy = isBusy();
    if (busy == m_busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

} // namespace qs
