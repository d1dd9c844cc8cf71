#pragma once

#include "util/result.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <span>
#include <vector>

namespace qs {

/// Per-column sums of squared errors S_ej = Σ_i (x_eij - x̂_eij)² over the rows i of each expert
/// slice e of a tensor, for importance-weighted errors. Rows whose x is NaN or infinite are
/// skipped column by column (as compareValues skips them) and counted apart.
///
/// Each column's sum is a left-to-right fold over the rows in the order they arrive, in double
/// (the error x - x̂ is formed in float, as compareValues forms it). So feeding a tensor's rows
/// whole, or in row chunks of any size in order, gives the same bits, at any thread count.
class ColumnErrorSums {
public:
    /// A tensor of `experts` slices of rows of `columns` values (both at least 1).
    explicit ColumnErrorSums(std::int64_t columns, std::int64_t experts = 1);

    /// Adds whole rows of expert slice `expert`: x and xHat hold the same number of values, a
    /// multiple of columns(). Work is shared out by blocks of columns on control's threads.
    /// Errors: sizes that do not fit, an expert out of range, "cancelled" (the sums are then
    /// partial and the accumulator should be dropped).
    Status addRows(std::span<const float> x, std::span<const float> xHat, std::int64_t expert = 0,
                   const RunControl &control = {});

    std::int64_t columns() const { return m_columns; }
    std::int64_t experts() const { return m_experts; }
    /// S_ej, expert-major: experts() rows of columns() sums.
    std::span<const double> sums() const { return m_sums; }
    /// Rows added to expert slice e.
    std::int64_t rows(std::int64_t expert) const { return m_rows[std::size_t(expert)]; }
    /// Rows counted in S_ej: rows(e) minus those whose x was not finite in column j.
    std::int64_t counted(std::int64_t expert, std::int64_t column) const;

private:
    std::int64_t m_columns;
    std::int64_t m_experts;
    std::vector<double> m_sums;
    std::vector<std::int64_t> m_rows;
    std::vector<std::int64_t> m_skipped; ///< per expert and column: rows with a non-finite x
};

/// Importance-weighted mean squared error Σ_ej w_ej S_ej / Σ_ej w_ej n_ej, where n_ej counts the
/// rows summed in S_ej. With every x finite and equal rows R per expert this is
/// Σ w S / (R · Σ w): for one expert, Σ_j w_j Σ_i e_ij² / (rows · Σ_j w_j). weights holds
/// experts() × columns() finite non-negative values, expert-major. Summed in double in a fixed
/// order. 0 when nothing is weighed (no rows, or every weight 0), as compareValues gives 0 for an
/// empty tensor; NaN if weights has the wrong size.
double weightedMse(const ColumnErrorSums &sums, std::span<const float> weights);

/// The same for a whole tensor x (x̂ alike) of weights.size() / columns expert slices, each a
/// contiguous run of whole rows. Errors: x and x̂ sizes differ, weights not whole rows of
/// `columns`, x not an equal number of rows per expert, "cancelled".
Result<double> weightedMse(std::span<const float> x, std::span<const float> xHat,
                           std::span<const float> weights, std::int64_t columns,
                           const RunControl &control = {});

} // namespace qs
