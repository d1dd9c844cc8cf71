#include "util/parallel.h"

#include <QThread>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace qs {

bool parallelChunks(std::size_t n, std::size_t chunkSize, const RunControl &control,
                    const std::function<void(std::size_t, std::size_t, std::size_t)> &fn) {
    const std::size_t chunks = chunkCount(n, chunkSize);
    if (chunks == 0)
        return !control.canceled();
    const int wanted = control.threads > 0 ? control.threads : QThread::idealThreadCount();
    const std::size_t threads = std::clamp<std::size_t>(std::size_t(std::max(wanted, 1)), 1, chunks);

    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<bool> canceled{false};
    auto worker = [&] {
        for (;;) {
            if (canceled.load(std::memory_order_relaxed))
                return;
            if (control.canceled()) {
                canceled = true;
                return;
            }
            const std::size_t chunk = next.fetch_add(1);
            if (chunk >= chunks)
                return;
            const std::size_t begin = chunk * chunkSize;
            fn(chunk, begin, std::min(n, begin + chunkSize));
            control.report(double(done.fetch_add(1) + 1) / double(chunks));
        }
    };

    std::vector<std::jthread> pool;
    pool.reserve(threads - 1);
    for (std::size_t i = 1; i < threads; ++i)
        pool.emplace_back(worker);
    worker();
    pool.clear(); // joins
    return !canceled.load();
}

} // namespace qs
