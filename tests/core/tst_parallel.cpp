// parallelChunks on the one shared pool: every chunk exactly once at any thread count, at most
// coreBudget() chunk functions at once across concurrent passes, nested passes finish on a budget
// of one, and a cancelled pass touches nothing after it returns.

#include "util/parallel.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace qs;

namespace {

// Counts how many chunk functions run at once, and the most seen.
struct Occupancy {
    std::atomic<int> active{0};
    std::atomic<int> most{0};

    void enter() {
        const int now = ++active;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
    }
    void leave() { --active; }
};

void busyFor(std::chrono::microseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) {
    }
}

} // namespace

class TestParallel : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { setCoreBudget(QThread::idealThreadCount()); }
    void everyChunkOnce_data();
    void everyChunkOnce();
    void concurrentPassesShareTheBudget();
    void nestedPassOnBudgetOfOne();
    void cancelStopsAndReleases();
    void upcomingIsTheThreadsNextChunk();
};

void TestParallel::everyChunkOnce_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("chunkSize");
    QTest::addColumn<int>("threads");
    QTest::addRow("one chunk") << 10 << 16 << 4;
    QTest::addRow("uneven tail, 1 thread") << 1001 << 64 << 1;
    QTest::addRow("uneven tail, 3 threads") << 1001 << 64 << 3;
    QTest::addRow("more threads than chunks") << 100 << 50 << 16;
    QTest::addRow("many chunks") << 100000 << 7 << 2;
}

void TestParallel::everyChunkOnce() {
    QFETCH(int, n);
    QFETCH(int, chunkSize);
    QFETCH(int, threads);
    std::vector<std::atomic<int>> calls(chunkCount(std::size_t(n), std::size_t(chunkSize)));
    std::vector<std::atomic<int>> covered(static_cast<std::size_t>(n));
    std::atomic<int> reports{0};
    std::atomic<bool> wrong{false}; // Qt Test's checks belong on the test's thread
    RunControl control;
    control.threads = threads;
    control.progress = [&](double f) {
        wrong = wrong || !(f > 0.0 && f <= 1.0);
        ++reports;
    };
    const bool done = parallelChunks(std::size_t(n), std::size_t(chunkSize), control,
                                     [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                                         ++calls[chunk];
                                         wrong = wrong || begin != chunk * std::size_t(chunkSize);
                                         for (std::size_t i = begin; i < end; ++i)
                                             ++covered[i];
                                     });
    QVERIFY(done);
    QVERIFY(!wrong);
    for (const auto &c : calls)
        QCOMPARE(c.load(), 1);
    for (const auto &c : covered)
        QCOMPARE(c.load(), 1);
    QCOMPARE(reports.load(), int(calls.size()));
}

// Two passes started together, each asking for 4 threads: with a budget of 2, never more than 2
// chunk functions run at once (threads started per pass would run up to 8).
void TestParallel::concurrentPassesShareTheBudget() {
    setCoreBudget(2);
    QCOMPARE(coreBudget(), 2);
    Occupancy occupancy;
    std::atomic<int> chunksRun{0};
    auto pass = [&] {
        RunControl control;
        control.threads = 4;
        parallelChunks(64, 1, control, [&](std::size_t, std::size_t, std::size_t) {
            occupancy.enter();
            busyFor(std::chrono::microseconds(300));
            ++chunksRun;
            occupancy.leave();
        });
    };
    std::thread a(pass);
    std::thread b(pass);
    a.join();
    b.join();
    QCOMPARE(chunksRun.load(), 128);
    QVERIFY2(occupancy.most.load() <= 2, qPrintable(QString::number(occupancy.most.load())));
    QVERIFY(occupancy.most.load() >= 1);
}

// A chunk that runs a pass of its own shares its caller's core: with one core for the whole
// process the inner passes still finish, and every inner chunk runs once. Repeated, because the
// deadlock this guards against (a helper that claimed an inner chunk, then waited for the core
// its caller held) needed a helper to start at the wrong moment: about 2 runs in 100 of one pass.
void TestParallel::nestedPassOnBudgetOfOne() {
    setCoreBudget(1);
    for (int round = 0; round < 200; ++round) {
        std::atomic<int> inner{0};
        RunControl control;
        control.threads = 3;
        const bool done = parallelChunks(6, 1, control, [&](std::size_t, std::size_t, std::size_t) {
            RunControl nested;
            nested.threads = 3;
            parallelChunks(10, 2, nested,
                           [&](std::size_t, std::size_t b, std::size_t e) { inner += int(e - b); });
        });
        QVERIFY(done);
        QCOMPARE(inner.load(), 60);
    }
}

// Cancelled after a few chunks: returns false, leaves the other chunks unrun, and nothing runs
// once it has returned (late helpers leave without calling fn).
void TestParallel::cancelStopsAndReleases() {
    std::atomic<int> ran{0};
    std::atomic<bool> returned{false};
    std::atomic<bool> ranAfterReturn{false};
    RunControl control;
    control.threads = 2;
    control.isCanceled = [&] { return ran.load() >= 5; };
    const bool done = parallelChunks(1000, 1, control, [&](std::size_t, std::size_t, std::size_t) {
        if (returned)
            ranAfterReturn = true;
        ++ran;
        busyFor(std::chrono::microseconds(50));
    });
    returned = true;
    QVERIFY(!done);
    QVERIFY(ran.load() >= 5 && ran.load() < 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    QVERIFY(!ranAfterReturn);
    // The cores are free again: a pass after it runs to the end.
    std::atomic<int> after{0};
    QVERIFY(parallelChunks(100, 1, {}, [&](std::size_t, std::size_t, std::size_t) { ++after; }));
    QCOMPARE(after.load(), 100);
}

// upcomingChunk() inside a chunk function names the chunk the same thread runs next, whole; a
// pass with chunks to spare claims ahead, one with few does not (each thread keeps work), and a
// nested pass's chunks see their own pass's next chunk while the outer one's is restored after.
void TestParallel::upcomingIsTheThreadsNextChunk() {
    QVERIFY(!upcomingChunk());
    for (int threads : {1, 2, 3}) {
        const std::size_t n = 10007;
        const std::size_t chunkSize = 10;
        std::mutex mutex;
        std::map<std::thread::id, std::vector<std::pair<std::size_t, std::optional<ChunkRange>>>> runs;
        std::atomic<bool> wrong{false};
        RunControl control;
        control.threads = threads;
        QVERIFY(parallelChunks(n, chunkSize, control, [&](std::size_t chunk, std::size_t, std::size_t) {
            const std::optional<ChunkRange> upcoming = upcomingChunk();
            if (chunk % 97 == 0) {
                RunControl nested;
                nested.threads = 2;
                parallelChunks(40, 1, nested, [&](std::size_t inner, std::size_t, std::size_t) {
                    const std::optional<ChunkRange> mine = upcomingChunk();
                    wrong = wrong || (mine && (mine->begin <= inner || mine->end != mine->begin + 1));
                });
                const std::optional<ChunkRange> after = upcomingChunk();
                wrong = wrong || after.has_value() != upcoming.has_value() ||
                        (after && (after->begin != upcoming->begin || after->end != upcoming->end));
            }
            const std::lock_guard lock(mutex);
            runs[std::this_thread::get_id()].emplace_back(chunk, upcoming);
        }));
        QVERIFY(!wrong);
        QVERIFY(!upcomingChunk());
        std::size_t ahead = 0;
        for (const auto &[thread, chunks] : runs) {
            for (std::size_t k = 0; k < chunks.size(); ++k) {
                const std::optional<ChunkRange> &upcoming = chunks[k].second;
                if (!upcoming)
                    continue;
                ++ahead;
                QVERIFY(k + 1 < chunks.size());
                const std::size_t next = chunks[k + 1].first;
                QCOMPARE(upcoming->begin, next * chunkSize);
                QCOMPARE(upcoming->end, std::min(n, (next + 1) * chunkSize));
            }
        }
        QVERIFY2(ahead > 0, qPrintable(QString::number(threads)));
    }
    // Fewer than two chunks a thread to spare: nobody claims ahead.
    std::atomic<int> ahead{0};
    RunControl control;
    control.threads = 2;
    QVERIFY(parallelChunks(3, 1, control,
                           [&](std::size_t, std::size_t, std::size_t) { ahead += upcomingChunk() ? 1 : 0; }));
    QCOMPARE(ahead.load(), 0);
}

QTEST_GUILESS_MAIN(TestParallel)
#include "tst_parallel.moc"
