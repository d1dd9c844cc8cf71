#include "util/parallel.h"

#include <QThread>
#include <QThreadPool>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

namespace qs {

namespace {

// The process's cores, as tokens: a thread holds one while it runs chunks, so however many jobs
// run at once, at most budget chunk functions run together.
class CoreTokens {
public:
    static CoreTokens &instance() {
        static CoreTokens tokens;
        return tokens;
    }
    void acquire() {
        std::unique_lock lock(m_mutex);
        m_freed.wait(lock, [this] { return m_inUse < m_budget; });
        ++m_inUse;
    }
    void release() {
        {
            const std::lock_guard lock(m_mutex);
            --m_inUse;
        }
        m_freed.notify_one();
    }
    void setBudget(int budget) {
        {
            const std::lock_guard lock(m_mutex);
            m_budget = std::max(budget, 1);
        }
        m_freed.notify_all();
    }
    int budget() {
        const std::lock_guard lock(m_mutex);
        return m_budget;
    }

private:
    CoreTokens()
        : m_budget(std::max(QThread::idealThreadCount(), 1)) {}

    std::mutex m_mutex;
    std::condition_variable m_freed;
    int m_budget;
    int m_inUse = 0;
};

// A thread that runs chunks holds a token; nested passes (a chunk that runs a pass of its own)
// reuse it rather than wait for a second one, which could never come with a budget of one.
thread_local int t_tokensHeld = 0;

// The chunk the running thread claimed to run next (Pass::run).
thread_local std::optional<ChunkRange> t_upcoming;

class TokenGuard {
public:
    TokenGuard() {
        if (t_tokensHeld++ == 0)
            CoreTokens::instance().acquire();
    }
    ~TokenGuard() {
        if (--t_tokensHeld == 0)
            CoreTokens::instance().release();
    }
    TokenGuard(const TokenGuard &) = delete;
    TokenGuard &operator=(const TokenGuard &) = delete;
};

// The helpers' threads: one pool for every pass, threads kept between passes.
QThreadPool &helperPool() {
    static QThreadPool *pool = [] {
        auto *p = new QThreadPool; // never destroyed: helpers may still be queued at exit
        p->setMaxThreadCount(std::max(QThread::idealThreadCount(), 1));
        p->setExpiryTimeout(30000);
        return p;
    }();
    return *pool;
}

// One pass's shared state. A helper that starts late, after the caller returned, only claims a
// chunk index past the end and leaves: it never touches fn or control, which live on the caller's
// stack. Every chunk index below the end is claimed by a running thread and settled (run, or
// skipped once cancelled) exactly once; the caller returns when all are settled.
struct Pass {
    std::size_t n = 0;
    std::size_t chunkSize = 0;
    std::size_t chunks = 0;
    std::size_t threads = 1;
    const RunControl *control = nullptr;
    const std::function<void(std::size_t, std::size_t, std::size_t)> *fn = nullptr;
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> ran{0};
    std::atomic<bool> canceled{false};
    std::mutex mutex;
    std::condition_variable settledCv;
    std::size_t settled = 0;

    void settle() {
        bool all = false;
        {
            const std::lock_guard lock(mutex);
            all = ++settled == chunks;
        }
        if (all)
            settledCv.notify_all();
    }

    // A thread takes its core token before it claims a chunk, never after: a claimed chunk must
    // be run by a thread that already holds a core. Otherwise a helper could claim a chunk of a
    // nested pass and then wait for the only token, held by that pass's caller, which waits for
    // the chunk to settle.
    void work() {
        if (next.load(std::memory_order_relaxed) >= chunks)
            return; // nothing left: leave without taking a core
        const TokenGuard token;
        std::size_t chunk = next.fetch_add(1);
        while (chunk < chunks) {
            // The next chunk is claimed now, while enough are left for the other threads, so
            // that its bytes can stream in while this one is worked on (upcomingChunk()).
            std::size_t following = chunks;
            if (next.load(std::memory_order_relaxed) + 2 * threads <= chunks)
                following = next.fetch_add(1);
            run(chunk, following);
            chunk = following < chunks ? following : next.fetch_add(1);
        }
    }

    void run(std::size_t chunk, std::size_t following) {
        if (canceled.load(std::memory_order_relaxed) || control->canceled()) {
            canceled = true;
            settle();
            return;
        }
        const std::size_t begin = chunk * chunkSize;
        const std::optional<ChunkRange> outer = t_upcoming;
        t_upcoming.reset();
        if (following < chunks)
            t_upcoming = ChunkRange{following * chunkSize, std::min(n, (following + 1) * chunkSize)};
        (*fn)(chunk, begin, std::min(n, begin + chunkSize));
        t_upcoming = outer;
        control->report(double(ran.fetch_add(1) + 1) / double(chunks));
        settle();
    }

    void waitSettled() {
        std::unique_lock lock(mutex);
        settledCv.wait(lock, [this] { return settled == chunks; });
    }
};

} // namespace

bool parallelChunks(std::size_t n, std::size_t chunkSize, const RunControl &control,
                    const std::function<void(std::size_t, std::size_t, std::size_t)> &fn) {
    const std::size_t chunks = chunkCount(n, chunkSize);
    if (chunks == 0)
        return !control.canceled();
    const int wanted = control.threads > 0 ? control.threads : QThread::idealThreadCount();
    const std::size_t threads = std::clamp<std::size_t>(std::size_t(std::max(wanted, 1)), 1, chunks);

    auto pass = std::make_shared<Pass>();
    pass->n = n;
    pass->chunkSize = chunkSize;
    pass->chunks = chunks;
    pass->threads = threads;
    pass->control = &control;
    pass->fn = &fn;
    for (std::size_t i = 1; i < threads; ++i)
        helperPool().start([pass] { pass->work(); });
    pass->work(); // the caller claims until no chunk is left, so it never waits on a queued helper
    pass->waitSettled();
    return !pass->canceled.load();
}

std::optional<ChunkRange> upcomingChunk() {
    return t_upcoming;
}

void setCoreBudget(int cores) {
    CoreTokens::instance().setBudget(cores);
}

int coreBudget() {
    return CoreTokens::instance().budget();
}

} // namespace qs
