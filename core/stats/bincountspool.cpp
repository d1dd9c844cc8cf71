#include "stats/bincountspool.h"

namespace qs {

std::vector<std::int64_t> *BinCountsPool::acquire() {
    const std::lock_guard lock(m_mutex);
    if (!m_free.empty()) {
        auto *counts = m_free.back();
        m_free.pop_back();
        return counts;
    }
    return &m_all.emplace_back(m_bins, 0);
}

void BinCountsPool::release(std::vector<std::int64_t> *counts) {
    const std::lock_guard lock(m_mutex);
    m_free.push_back(counts);
}

std::vector<std::int64_t> BinCountsPool::merged() const {
    const std::lock_guard lock(m_mutex);
    std::vector<std::int64_t> total(m_bins, 0);
    for (const auto &counts : m_all)
        for (std::size_t i = 0; i < m_bins; ++i)
            total[i] += counts[i];
    return total;
}

void FoldedCountsPool::Counts::fold() {
    for (std::size_t b = 0; b < totals.size(); ++b) {
        totals[b] += recent[b];
        recent[b] = 0;
    }
    pending = 0;
}

FoldedCountsPool::Counts *FoldedCountsPool::acquire() {
    const std::lock_guard lock(m_mutex);
    if (!m_free.empty()) {
        Counts *counts = m_free.back();
        m_free.pop_back();
        return counts;
    }
    Counts &counts = m_all.emplace_back();
    counts.recent.assign(m_bins, 0);
    counts.totals.assign(m_bins, 0);
    return &counts;
}

void FoldedCountsPool::release(Counts *counts) {
    const std::lock_guard lock(m_mutex);
    m_free.push_back(counts);
}

std::vector<std::int64_t> FoldedCountsPool::merged() {
    const std::lock_guard lock(m_mutex);
    std::vector<std::int64_t> total(m_bins, 0);
    for (Counts &counts : m_all) {
        counts.fold();
        for (std::size_t i = 0; i < m_bins; ++i)
            total[i] += counts.totals[i];
    }
    return total;
}

std::uint32_t *FoldedCountsLease::reserve(std::size_t n) {
    // One bin could receive every value: fold while all of them still fit in 32 bits.
    constexpr std::uint64_t kLimit = std::uint64_t(1) << 31;
    if (m_counts->pending + n >= kLimit)
        m_counts->fold();
    m_counts->pending += n;
    return m_counts->recent.data();
}

} // namespace qs
