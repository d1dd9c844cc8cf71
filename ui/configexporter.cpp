#include "configexporter.h"

#include "analysis/tensoranalyzer.h"
#include "displayformat.h"

#include <QDir>
#include <QProgressDialog>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

namespace qs::ui {

namespace {

constexpr int kProgressSteps = 1000;

ConfigExporter::Computed computeAll(QPromise<ConfigExporter::Computed> &promise,
                                    const qs::CheckpointReader &reader,
                                    const std::vector<TensorSession::Missing> &missing) {
    ConfigExporter::Computed computed;
    promise.setProgressRange(0, kProgressSteps);
    for (std::size_t i = 0; i < missing.size(); ++i) {
        const double base = double(i) / double(missing.size());
        const double span = 1.0 / double(missing.size());
        qs::RunControl control;
        control.isCanceled = [&promise] { return promise.isCanceled(); };
        control.progress = [&promise, base, span](double fraction) {
            promise.setProgressValue(int((base + span * fraction) * kProgressSteps));
        };
        const auto tensor = qs::analyzeTensor(reader, missing[i].index, control);
        if (!tensor) {
            computed.error = QString::fromStdString(tensor.error());
            return computed;
        }
        const auto quant = qs::analyzeQuant(*tensor.value(), missing[i].spec, false, control);
        if (!quant) {
            computed.error = QString::fromStdString(quant.error());
            return computed;
        }
        computed.results.emplace_back(missing[i].index, quant.value());
    }
    return computed;
}

void computeMissing(QPromise<ConfigExporter::Computed> &promise,
                    std::shared_ptr<const qs::CheckpointReader> reader,
                    std::vector<TensorSession::Missing> missing) {
    ConfigExporter::Computed computed = computeAll(promise, *reader, missing);
    if (!promise.isCanceled())
        promise.addResult(std::move(computed));
}

} // namespace

ConfigExporter::ConfigExporter(QWidget *dialogParent)
    : QObject(dialogParent)
    , m_dialogParent(dialogParent) {
    connect(&m_watcher, &QFutureWatcher<Computed>::finished, this, &ConfigExporter::onComputed);
}

ConfigExporter::~ConfigExporter() {
    m_watcher.cancel();
    m_watcher.waitForFinished();
}

void ConfigExporter::exportTo(const QString &path, std::shared_ptr<const qs::CheckpointReader> reader,
                              TensorSession *session) {
    if (isRunning()) {
        Q_EMIT finished(path, Outcome::Failed, tr("An export is already running."));
        return;
    }
    // The config format (version 1) describes per-tensor int; writing group 0's parameters for a
    // grouped or non-int scheme would describe another scheme, so say so and write nothing.
    for (const std::size_t index : session->planned()) {
        const qs::QuantSpec spec = session->spec(index);
        if (qs::isPerTensorInt(spec))
            continue;
        Q_EMIT finished(path, Outcome::Failed,
                        tr("%1 uses %2 %3, and a configuration file describes per-tensor int "
                           "schemes only. Choose a per-tensor int scheme for it, or use "
                           "quantscope-cli analyze --params for its parameters.")
                            .arg(QString::fromStdString(session->tensors()[index].name),
                                 QString::fromUtf8(qs::formatTraits(spec.format).name),
                                 QString::fromStdString(qs::granularityName(spec.granularity))));
        return;
    }
    m_path = path;
    m_reader = std::move(reader);
    m_session = session;
    auto missing = session->missingExact();
    if (missing.empty()) {
        write();
        return;
    }
    m_progress = new QProgressDialog(
        tr("Computing exact figures for %1…")
            .arg(countOf(qint64(missing.size()), tr("planned tensor"), tr("planned tensors"))),
        tr("Cancel"), 0, kProgressSteps, m_dialogParent);
    m_progress->setWindowTitle(tr("Export Configuration"));
    m_progress->setWindowModality(Qt::WindowModal);
    m_progress->setMinimumDuration(300);
    connect(m_progress, &QProgressDialog::canceled, &m_watcher, &QFutureWatcher<Computed>::cancel);
    connect(&m_watcher, &QFutureWatcher<Computed>::progressValueChanged, m_progress,
            &QProgressDialog::setValue);
    m_watcher.setFuture(QtConcurrent::run(computeMissing, m_reader, std::move(missing)));
}

void ConfigExporter::onComputed() {
    if (m_progress) {
        m_progress->disconnect(this);
        m_progress->deleteLater();
    }
    const QFuture<Computed> future = m_watcher.future();
    if (future.isCanceled() || future.resultCount() == 0) {
        Q_EMIT finished(m_path, Outcome::Cancelled, tr("Export cancelled."));
        return;
    }
    const Computed computed = future.result();
    if (!computed.error.isEmpty()) {
        Q_EMIT finished(m_path, Outcome::Failed, computed.error);
        return;
    }
    for (const auto &[index, analysis] : computed.results)
        m_session->setExact(index, analysis);
    write();
}

void ConfigExporter::write() {
    const qs::QuantConfig config = m_session->toConfig();
    if (config.tensors.empty()) {
        Q_EMIT finished(m_path, Outcome::Failed, tr("No tensor is configured yet: select a tensor first."));
        return;
    }
    const qs::Status saved = qs::saveConfig(m_path.toStdString(), config);
    if (!saved) {
        Q_EMIT finished(m_path, Outcome::Failed, QString::fromStdString(saved.error()));
        return;
    }
    Q_EMIT finished(m_path, Outcome::Written,
                    tr("Exported %1 to %2")
                        .arg(countOf(qint64(config.tensors.size()), tr("tensor"), tr("tensors")),
                             QDir::toNativeSeparators(m_path)));
}

} // namespace qs::ui
