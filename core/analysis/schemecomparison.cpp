#include "analysis/schemecomparison.h"

#include "quant/schememeasure.h"
#include "util/parallel.h"

#include <algorithm>
#include <numeric>
#include <string_view>

namespace qs {

namespace {

constexpr int kLowestBits = 2;
constexpr int kHighestBits = 8;

QuantSpec withFormat(NumberFormat format) {
    QuantSpec spec;
    spec.format = format;
    return spec;
}

// A row's rough cost, for ordering only: the K types search twenty scales per sub-block, the
// other block types and groups do a little work per block, the rest one pass.
int relativeCost(const QuantSpec &spec) {
    const FormatTraits &traits = formatTraits(spec.format);
    if (traits.family == FormatFamily::GgmlBlock)
        return traits.name.find("_k") != std::string_view::npos ? 4 : 2;
    if (traits.family == FormatFamily::Integer)
        return spec.granularity.kind == Granularity::Kind::Group ? 2 : 1;
    return spec.format == NumberFormat::NvFp4 ? 3 : 1;
}

} // namespace

std::vector<QuantSpec> comparisonSchemes() {
    std::vector<QuantSpec> schemes;
    for (const char *granularity : {"tensor", "channel", "group:128", "group:32"}) {
        for (int bits = kLowestBits; bits <= kHighestBits; ++bits) {
            QuantSpec spec;
            spec.bits = bits;
            spec.granularity = parseGranularity(granularity).value();
            schemes.push_back(spec);
        }
    }
    for (const FormatTraits &traits : numberFormats())
        if (traits.format != NumberFormat::Int && traits.format != NumberFormat::MxFp8)
            schemes.push_back(withFormat(traits.format));
    return schemes;
}

int nominalBits(const QuantSpec &spec) {
    const FormatTraits &traits = formatTraits(spec.format);
    switch (traits.family) {
    case FormatFamily::Integer:
        return spec.bits;
    case FormatFamily::Minifloat:
        return 8;
    case FormatFamily::Cast:
        return 16;
    case FormatFamily::GgmlBlock:
        return traits.name[1] - '0';
    default:
        return spec.format == NumberFormat::MxFp8 ? 8 : 4;
    }
}

std::vector<ComparisonRow> compareSchemes(std::span<const float> values,
                                          const std::vector<std::int64_t> &shape, const RunControl &control,
                                          std::span<const float> importance) {
    const std::vector<QuantSpec> schemes = comparisonSchemes();
    std::vector<ComparisonRow> rows(schemes.size());
    // Longest rows first, so the last rows to finish are short ones and no thread idles long
    // at the end; the rows keep their places in the result whatever the order.
    std::vector<std::size_t> order(schemes.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&schemes](std::size_t a, std::size_t b) {
        return relativeCost(schemes[a]) > relativeCost(schemes[b]);
    });
    const auto work = [&](std::size_t i) {
        if (control.canceled())
            return;
        ComparisonRow &row = rows[i];
        row.spec = schemes[i];
        row.bitsPerWeight = schemeBitsPerWeight(row.spec, shape);
        // The rows are the parallel work: a row's own encoder stays on its thread.
        RunControl rowControl;
        rowControl.threads = 1;
        rowControl.isCanceled = control.isCanceled;
        const auto measured = measureScheme(values, shape, row.spec, rowControl, {}, importance);
        if (!measured) {
            row.skipped = measured.error();
            return;
        }
        row.error = measured->error;
    };
    // One row per chunk on the shared pool; each row's own pass then shares its row's core.
    RunControl rowsControl = control;
    rowsControl.progress = nullptr;
    parallelChunks(order.size(), 1, rowsControl,
                   [&](std::size_t, std::size_t begin, std::size_t) { work(order[begin]); });
    if (control.canceled())
        return {};
    return rows;
}

} // namespace qs
