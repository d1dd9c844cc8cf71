#include "exportrunner.h"

#include "displayformat.h"

#include <QDir>
#include <QFileInfo>
#include <QProgressDialog>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <optional>

namespace qs::ui {

namespace {

constexpr int kProgressSteps = 1000;
// Short exports finish before a dialog would flash up.
constexpr int kDialogDelayMs = 400;

qs::ExportJob makeJob(const ExportRunner::Request &request) {
    qs::ExportJob job;
    job.reader = request.reader.get();
    job.plan = request.plan;
    job.output = request.output.toStdString();
    job.importance = request.importance.get();
    return job;
}

} // namespace

// Filled by the worker, read on the GUI thread once the future has finished. The result goes
// here rather than into the promise: a cancel that arrives after write() succeeded must not
// hide the files it wrote.
struct ExportRunner::State {
    std::optional<qs::Result<qs::ExportOutcome>> result;
    std::atomic<int> progress{0}; // the furthest step reported, from bytes or from tensors
};

namespace {

void report(QPromise<void> &promise, ExportRunner::State &state, int step, const QString &text) {
    int seen = state.progress.load();
    while (step > seen && !state.progress.compare_exchange_weak(seen, step)) {
    }
    const int value = std::max(step, seen);
    if (text.isEmpty())
        promise.setProgressValue(value);
    else
        promise.setProgressValueAndText(value, text);
}

void runExport(QPromise<void> &promise, ExportRunner::Request request,
               std::shared_ptr<ExportRunner::State> state) {
    promise.setProgressRange(0, kProgressSteps);
    qs::ExportJob job = makeJob(request);
    const std::size_t total = request.reader->tensors().size();
    job.control.isCanceled = [&promise] { return promise.isCanceled(); };
    // Weight writers report bytes; config writers only finish tensors: the bar follows both.
    job.control.progress = [&promise, &state](double fraction) {
        report(promise, *state, int(fraction * kProgressSteps), QString());
    };
    auto done = std::make_shared<std::size_t>(0); // tensorDone runs on this thread only
    job.tensorDone = [&promise, &state, total, done](std::size_t) {
        ++*done;
        report(promise, *state, total ? int(*done * kProgressSteps / total) : kProgressSteps,
               ExportRunner::tr("Tensor %1 of %2").arg(*done).arg(total));
    };
    state->result = request.exporter->write(job);
}

} // namespace

ExportRunner::ExportRunner(QWidget *dialogParent)
    : QObject(dialogParent)
    , m_dialogParent(dialogParent) {
    connect(&m_watcher, &QFutureWatcher<void>::finished, this, &ExportRunner::onFinished);
}

ExportRunner::~ExportRunner() {
    m_watcher.cancel();
    m_watcher.waitForFinished();
}

QString ExportRunner::check(const Request &request) {
    if (!request.exporter)
        return tr("No export target.");
    const qs::Status checked = request.exporter->check(makeJob(request));
    return checked ? QString() : QString::fromStdString(checked.error());
}

bool ExportRunner::start(Request request) {
    if (isRunning() || !request.exporter || !request.reader)
        return false;
    m_output = request.output;
    m_state = std::make_shared<State>();
    m_running = true;
    showProgress(request);
    m_watcher.setFuture(QtConcurrent::run(runExport, std::move(request), m_state));
    Q_EMIT runningChanged(true);
    return true;
}

void ExportRunner::cancel() {
    if (!isRunning())
        return;
    m_watcher.cancel();
    if (m_progress)
        m_progress->setLabelText(tr("Cancelling…"));
}

QProgressDialog *ExportRunner::progressDialog() const {
    return m_progress;
}

void ExportRunner::showProgress(const Request &request) {
    const QString target = QString::fromStdString(request.exporter->displayName());
    const QString name = QFileInfo(request.output).fileName();
    m_progress = new QProgressDialog(tr("Writing %1 to %2…").arg(target, name), tr("Cancel"), 0,
                                     kProgressSteps, m_dialogParent);
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_progress->setWindowTitle(tr("Export"));
    m_progress->setWindowModality(Qt::WindowModal);
    m_progress->setMinimumDuration(kDialogDelayMs);
    m_progress->setAutoReset(false);
    m_progress->setAutoClose(false);
    m_progress->setToolTip(QDir::toNativeSeparators(request.output));
    // The dialog cancels itself on close; the worker stops at its next tensor.
    connect(m_progress, &QProgressDialog::canceled, this, &ExportRunner::cancel);
    const QString heading = m_progress->labelText();
    connect(&m_watcher, &QFutureWatcher<void>::progressValueChanged, m_progress, &QProgressDialog::setValue);
    connect(&m_watcher, &QFutureWatcher<void>::progressTextChanged, m_progress,
            [this, heading](const QString &text) {
                if (!m_watcher.isCanceled())
                    m_progress->setLabelText(heading + QLatin1Char('\n') + text);
            });
    m_progress->setValue(0); // starts the delay before it shows
}

void ExportRunner::onFinished() {
    if (m_progress) {
        m_progress->disconnect(this);
        m_watcher.disconnect(m_progress);
        m_progress->hide();
        m_progress->deleteLater();
    }
    const std::shared_ptr<State> state = std::exchange(m_state, nullptr);
    m_running = false;
    Q_EMIT runningChanged(false);
    if (!state || !state->result) {
        Q_EMIT finished(m_output, Outcome::Cancelled, {}, tr("Export cancelled."));
        return;
    }
    const qs::Result<qs::ExportOutcome> &result = *state->result;
    if (!result) {
        const bool cancelled = result.error() == "cancelled";
        Q_EMIT finished(m_output, cancelled ? Outcome::Cancelled : Outcome::Failed, {},
                        cancelled ? tr("Export cancelled.") : QString::fromStdString(result.error()));
        return;
    }
    QStringList written;
    for (const std::string &path : result->written)
        written << QString::fromStdString(path);
    Q_EMIT finished(m_output, Outcome::Written, written, QString());
}

} // namespace qs::ui
