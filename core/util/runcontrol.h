#pragma once

#include <functional>

namespace qs {

/// How a long computation is run: on how many threads, how it learns it was cancelled and
/// where it reports progress. Core algorithms check isCanceled between chunks.
struct RunControl {
    /// Returns true once the caller no longer wants the result. May be empty.
    std::function<bool()> isCanceled;
    /// Receives the completed fraction in [0, 1]. Called from worker threads, so it must be
    /// thread-safe (QPromise::setProgressValue is). May be empty.
    std::function<void(double)> progress;
    /// Worker threads to use; 0 means QThread::idealThreadCount().
    int threads = 0;

    bool canceled() const { return isCanceled && isCanceled(); }
    void report(double fraction) const {
        if (progress)
            progress(fraction);
    }
};

} // namespace qs
