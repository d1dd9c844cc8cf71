#pragma once

#include "util/runcontrol.h"

#include <cstddef>
#include <functional>
#include <optional>

namespace qs {

/// Elements per chunk of every chunked pass. Fixed, so that per-chunk partial results and
/// their in-order combination are the same whatever the thread count.
inline constexpr std::size_t kChunkSize = std::size_t(1) << 16;

/// Calls fn(chunkIndex, begin, end) for every chunk [begin, end) of [0, n) in chunks of
/// chunkSize, on up to control.threads threads: the calling thread and helpers from one pool
/// that every pass shares. Whatever the number of passes running at once, at most coreBudget()
/// chunk functions run together in the process, so concurrent jobs do not oversubscribe the
/// cores; a pass run from inside a chunk function shares its caller's core. Chunks may run in
/// any order and concurrently; fn must only write to per-chunk state. Checks control.canceled()
/// before each chunk and reports progress after each; neither fn nor control is used after it
/// returns. Returns false if the run was cancelled (some chunks were then not processed).
bool parallelChunks(std::size_t n, std::size_t chunkSize, const RunControl &control,
                    const std::function<void(std::size_t chunk, std::size_t begin, std::size_t end)> &fn);

/// Inside a chunk function of parallelChunks: the [begin, end) of the chunk this thread runs
/// next, when it has claimed one already (a pass with chunks to spare claims each thread's next
/// chunk when it starts one), so its bytes can be fetched while this one is worked on. Empty
/// otherwise, and outside chunk functions.
struct ChunkRange {
    std::size_t begin = 0;
    std::size_t end = 0;
};
std::optional<ChunkRange> upcomingChunk();

/// How many chunk functions may run at once in the process (at least 1); the default is
/// QThread::idealThreadCount(). Tests lower it to check the bound.
void setCoreBudget(int cores);
int coreBudget();

/// Number of chunks parallelChunks uses for n elements.
inline std::size_t chunkCount(std::size_t n, std::size_t chunkSize = kChunkSize) {
    return (n + chunkSize - 1) / chunkSize;
}

} // namespace qs
