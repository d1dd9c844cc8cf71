#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qs {

/// Equal-width bins over [lo, hi]; the last bin includes hi. Values outside are not counted.
struct Histogram {
    double lo = 0.0;
    double hi = 0.0;
    std::vector<std::int64_t> counts;

    std::size_t bins() const { return counts.size(); }
    double binWidth() const { return counts.empty() ? 0.0 : (hi - lo) / double(counts.size()); }
    double binLow(std::size_t i) const { return lo + binWidth() * double(i); }
    double binCenter(std::size_t i) const { return lo + binWidth() * (double(i) + 0.5); }
    /// The bin of x, clamped to the first/last bin.
    std::size_t binOf(double x) const {
        if (counts.empty() || !(hi > lo))
            return 0;
        const double t = (x - lo) / (hi - lo) * double(counts.size());
        if (!(t > 0))
            return 0;
        return std::min(counts.size() - 1, std::size_t(t));
    }
    std::int64_t total() const {
        std::int64_t n = 0;
        for (std::int64_t c : counts)
            n += c;
        return n;
    }
};

} // namespace qs
