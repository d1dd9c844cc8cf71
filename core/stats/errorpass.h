#pragma once

// Internal to core: computeError's work piece by piece, so that a pass reading the values for
// other figures too (computeStatsAndError, statsanderror.h) gives the same error, to the bit,
// as computeError on its own.

#include "quant/quantspec.h"
#include "quant/valueerror.h"
#include "stats/bincountspool.h"
#include "stats/errorstats.h"
#include "stats/statkernels.h"
#include "stats/tensorstats.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace qs::detail {

/// A chunk's share of the error figures.
struct ErrorPartial {
    std::int64_t clipped = 0;
    ValueErrorPartial sums;
};

/// One error pass: its constants, its histogram's counts and the chunks' partials.
class ErrorPass {
public:
    /// bins = 0: no error histogram.
    ErrorPass(const QuantParams &params, const TensorStats &stats, std::size_t chunks, int bins);

    /// The lane kernel's constants for a finite piece.
    const LaneErrorSetup &lanes() const { return m_lanes; }
    const QuantParams &params() const { return m_params; }

    /// One chunk's share, added piece by piece in order.
    class Chunk {
    public:
        Chunk(ErrorPass &pass, std::size_t index);
        Chunk(const Chunk &) = delete;
        Chunk &operator=(const Chunk &) = delete;

        /// The lane kernel's constants for a finite piece.
        const LaneErrorSetup &lanes() const { return m_pass.lanes(); }
        /// The error histogram's counts with room for n more values, or nullptr without one.
        std::uint32_t *reserve(std::size_t n);
        /// A piece, x[0, n), n ≤ kLaneMaxPiece, any values: computeError's own path.
        void addPiece(const float *x, std::size_t n);
        /// A piece of finite values that a fused kernel measured (laneError's result, counts taken
        /// from reserve(n)).
        void addLanes(const float *x, std::size_t n, const LaneError &lanes);

    private:
        const ErrorPass &m_pass;
        ErrorPartial &m_partial;
        std::optional<FoldedCountsLease> m_counts;
    };

    /// The figures once every chunk was added.
    ErrorStats finish();

private:
    QuantParams m_params;
    LaneErrorSetup m_lanes;
    bool m_allFinite = false;
    bool m_counting = false;
    Histogram m_histogram;
    FoldedCountsPool m_pool;
    std::vector<ErrorPartial> m_partials;

    bool clipped(float x) const { return x < m_lanes.belowLimit || x > m_lanes.aboveLimit; }
};

} // namespace qs::detail
