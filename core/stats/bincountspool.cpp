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

} // namespace qs
