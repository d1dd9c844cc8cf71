#pragma once

#include "analysis/analysisresult.h"
#include "io/checkpointreader.h"
#include "tensorsession.h"

#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>
#include <vector>

class QProgressDialog;
class QWidget;

namespace qs::ui {

// Writes the session's configuration. Configured tensors whose exact figures are not known yet
// (the user browsed past them before their pass ended) are computed first on a worker thread,
// behind a cancellable progress dialog, and kept in the session.
class ConfigExporter : public QObject {
    Q_OBJECT
public:
    explicit ConfigExporter(QWidget *dialogParent);
    ~ConfigExporter() override;

    // Starts an export; finished() follows (at once when nothing needs computing).
    void exportTo(const QString &path, std::shared_ptr<const qs::CheckpointReader> reader,
                  TensorSession *session);
    bool isRunning() const { return m_watcher.isRunning(); }

    enum class Outcome { Written, Failed, Cancelled };

    struct Computed {
        std::vector<std::pair<std::size_t, std::shared_ptr<const qs::QuantAnalysis>>> results;
        QString error;
    };

Q_SIGNALS:
    // message: what was written, or why nothing was.
    void finished(const QString &path, qs::ui::ConfigExporter::Outcome outcome, const QString &message);

private:
    void onComputed();
    void write();

    QWidget *m_dialogParent = nullptr;
    QFutureWatcher<Computed> m_watcher;
    QPointer<QProgressDialog> m_progress;
    QString m_path;
    std::shared_ptr<const qs::CheckpointReader> m_reader;
    TensorSession *m_session = nullptr;
};

} // namespace qs::ui
