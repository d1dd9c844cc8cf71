#pragma once

#include "io/imatrix.h"
#include "io/tensorinfo.h"
#include "latestjob.h"

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

namespace qs::ui {

// The window's importance matrix: loaded off the GUI thread and checked against the open
// checkpoint's tensors as `report --imatrix` checks it (the default ignore list decides which
// tensors are quantized). A matrix none of whose entries names a tensor, or whose entry does not
// fit its tensor's columns, is refused; entries that match no tensor while others do only give a
// warning. The newest load wins.
class ImatrixLoader : public QObject {
    Q_OBJECT
public:
    // What a background load hands back (see imatrixloader.cpp).
    struct Loaded;

    explicit ImatrixLoader(QObject *parent = nullptr);

    // The open checkpoint's tensors, which later loads are checked against.
    void setTensors(std::vector<qs::TensorInfo> tensors);
    void load(const QString &path);
    bool isLoading() const { return m_job.isRunning(); }
    // Forgets the matrix (and cancels a load); emits changed when there was one.
    void clear();
    // Checks the held matrix against the tensors set since; a matrix that no longer fits is
    // dropped (changed is emitted) and the reason returned. Cheap: names and lengths only.
    QString recheck();

    std::shared_ptr<const qs::ImportanceMatrix> matrix() const { return m_matrix; }
    // Entries that match no tensor, listed; empty when all do.
    const QString &warning() const { return m_warning; }
    // Tensors quantized under the default ignore list that get weights.
    std::size_t weightedTensors() const { return m_weightedTensors; }

    // "imatrix.dat · 2 entries · 10 chunks": the status bar's words.
    static QString summaryText(const qs::ImportanceMatrix &matrix);
    // Every property: path, form, entries, chunks, dataset, the tensors weighed, the warning.
    QString toolTipText() const;

Q_SIGNALS:
    void loadStarted(const QString &path);
    // The matrix in use changed: loaded, cleared, or dropped by recheck (then null).
    void changed(std::shared_ptr<const qs::ImportanceMatrix> matrix);
    void failed(const QString &path, const QString &message);

private:
    void take(const Loaded &loaded);

    std::vector<qs::TensorInfo> m_tensors;
    std::shared_ptr<const qs::ImportanceMatrix> m_matrix;
    QString m_warning;
    std::size_t m_weightedTensors = 0;
    LatestJob m_job;
};

} // namespace qs::ui
