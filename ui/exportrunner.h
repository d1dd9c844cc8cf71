#pragma once

#include "export/exporter.h"
#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "plan/quantplan.h"

#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <memory>

class QProgressDialog;
class QWidget;

namespace qs::ui {

// Runs an exporter's write() on a worker thread behind a cancellable progress dialog, one export
// at a time; the GUI thread only shows the progress. Any qs::Exporter will do, registered or
// not, so tests can hand in targets of their own.
class ExportRunner : public QObject {
    Q_OBJECT
public:
    // One export. The runner keeps reader and importance alive until write() has returned.
    struct Request {
        const qs::Exporter *exporter = nullptr; // must outlive the export (the registry's are static)
        std::shared_ptr<const qs::CheckpointReader> reader;
        qs::QuantPlan plan;
        std::shared_ptr<const qs::ImportanceMatrix> importance; // may be null
        QString output;
    };
    enum class Outcome { Written, Failed, Cancelled };

    explicit ExportRunner(QWidget *dialogParent);
    // Cancels a running export and waits for it: write() never outlives the window.
    ~ExportRunner() override;

    // The exporter's check() of the request: empty when it can write, else why not (the refused
    // tensors and schemes, or an output that is the input).
    static QString check(const Request &request);
    // Starts write(); false while another export runs (nothing starts then).
    bool start(Request request);
    // From start() until finished() (the worker may be done a moment earlier).
    bool isRunning() const { return m_running; }
    // Asks the running export to stop; finished() follows with Cancelled (no file is left).
    void cancel();
    QProgressDialog *progressDialog() const;

    // What the worker hands back: write()'s result, or nothing when it never ran.
    struct State;

Q_SIGNALS:
    void runningChanged(bool running);
    // written: every file, full paths, when Written; message: why not, otherwise.
    void finished(const QString &output, qs::ui::ExportRunner::Outcome outcome, const QStringList &written,
                  const QString &message);

private:
    void showProgress(const Request &request);
    void onFinished();

    QWidget *m_dialogParent = nullptr;
    QFutureWatcher<void> m_watcher;
    QPointer<QProgressDialog> m_progress;
    std::shared_ptr<State> m_state;
    QString m_output;
    bool m_running = false;
};

} // namespace qs::ui
