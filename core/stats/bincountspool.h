#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace qs {

// Histogram counts for one parallel pass. A chunk borrows a free array, adds its counts and
// gives it back, so there are only as many arrays as chunks running at once. Integer sums do
// not depend on the order of the additions: the merged counts are the same at any thread count.
class BinCountsPool {
public:
    explicit BinCountsPool(std::size_t bins)
        : m_bins(bins) {}

    std::vector<std::int64_t> *acquire();
    void release(std::vector<std::int64_t> *counts);
    std::vector<std::int64_t> merged() const;

private:
    std::size_t m_bins = 0;
    mutable std::mutex m_mutex;
    std::deque<std::vector<std::int64_t>> m_all; // a deque keeps handed-out pointers valid
    std::vector<std::vector<std::int64_t> *> m_free;
};

// Borrows an array from a pool for the lifetime of a scope.
class BinCountsLease {
public:
    explicit BinCountsLease(BinCountsPool &pool)
        : m_pool(pool)
        , m_counts(pool.acquire()) {}
    ~BinCountsLease() { m_pool.release(m_counts); }
    BinCountsLease(const BinCountsLease &) = delete;
    BinCountsLease &operator=(const BinCountsLease &) = delete;

    std::int64_t *data() { return m_counts->data(); }

private:
    BinCountsPool &m_pool;
    std::vector<std::int64_t> *m_counts;
};

// Histogram counts for a pass whose lane kernels count in 32 bits (statkernels.h). Each array
// folds its 32-bit counts into 64-bit totals before 2^31 values could overflow one, and merged()
// folds what is left.
class FoldedCountsPool {
public:
    struct Counts {
        std::vector<std::uint32_t> recent; // bins, counted since the last fold
        std::vector<std::int64_t> totals;  // bins
        std::uint64_t pending = 0;         // values in recent
        void fold();
    };

    explicit FoldedCountsPool(std::size_t bins)
        : m_bins(bins) {}

    Counts *acquire();
    void release(Counts *counts);
    std::vector<std::int64_t> merged();

private:
    std::size_t m_bins = 0;
    std::mutex m_mutex;
    std::deque<Counts> m_all;
    std::vector<Counts *> m_free;
};

// Borrows counts for a scope; reserve(n) before counting n values.
class FoldedCountsLease {
public:
    explicit FoldedCountsLease(FoldedCountsPool &pool)
        : m_pool(pool)
        , m_counts(pool.acquire()) {}
    ~FoldedCountsLease() { m_pool.release(m_counts); }
    FoldedCountsLease(const FoldedCountsLease &) = delete;
    FoldedCountsLease &operator=(const FoldedCountsLease &) = delete;

    // The 32-bit counts, with room for n more values in each bin.
    std::uint32_t *reserve(std::size_t n);

private:
    FoldedCountsPool &m_pool;
    FoldedCountsPool::Counts *m_counts;
};

} // namespace qs
