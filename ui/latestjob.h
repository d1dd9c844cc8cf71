#pragma once

#include <QFuture>
#include <QFutureWatcher>
#include <QList>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

#include <utility>

namespace qs::ui {

// One kind of background job where the newest request wins: run() cancels the running job and
// deletes its watcher, so a late result is never delivered. The destructor cancels and waits for
// every job still running (they may hold data their owner gave them).
class LatestJob {
public:
    LatestJob() = default;
    LatestJob(const LatestJob &) = delete;
    LatestJob &operator=(const LatestJob &) = delete;
    ~LatestJob() {
        cancel();
        for (QFuture<void> &future : m_retired)
            future.waitForFinished();
    }

    // Runs work (a callable returning T, or taking a QPromise<T> &) on the global thread pool;
    // done(T) runs on context's thread if the job adds a result and was neither cancelled nor
    // superseded. Returns the job's watcher, for its progress signals.
    template <typename T, typename Work, typename Done>
    QFutureWatcherBase *run(QObject *context, Work work, Done done) {
        cancel();
        auto *watcher = new QFutureWatcher<T>(context);
        m_watcher = watcher;
        QObject::connect(watcher, &QFutureWatcherBase::finished, watcher,
                         [this, watcher, done = std::move(done)]() mutable {
                             if (m_watcher != watcher)
                                 return;
                             m_watcher = nullptr;
                             m_future = {};
                             watcher->deleteLater(); // we are inside its signal
                             QFuture<T> future = watcher->future();
                             if (!future.isCanceled() && future.resultCount() > 0)
                                 done(future.takeResult());
                         });
        const QFuture<T> future = QtConcurrent::run(std::move(work));
        watcher->setFuture(future);
        m_future = QFuture<void>(future);
        return watcher;
    }

    bool isRunning() const { return m_watcher != nullptr; }

    // Cancels the running job, if any; its result is dropped.
    void cancel() {
        m_retired.removeIf([](const QFuture<void> &future) { return future.isFinished(); });
        if (!m_watcher)
            return;
        m_future.cancel();
        m_retired.append(m_future);
        m_future = {};
        delete m_watcher; // disconnects: a stale result is never shown
        m_watcher = nullptr;
    }

private:
    QFutureWatcherBase *m_watcher = nullptr; // of the newest request; null when idle
    QFuture<void> m_future;
    QList<QFuture<void>> m_retired; // cancelled, maybe still running; waited for at the end
};

} // namespace qs::ui
