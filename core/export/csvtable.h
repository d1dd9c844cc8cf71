#pragma once

#include "analysis/modelscan.h"
#include "export/exporter.h"

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <array>
#include <cstddef>

namespace qs {

/// The model table's columns, in order: `report --json`'s keys and the CSV header alike.
enum class TableColumn : std::size_t {
    Name,
    Shape,
    DType,
    Params,
    Kept,
    Format,
    Bits,
    Granularity,
    Method,
    BitsPerWeight,
    Mse,
    SqnrDb,
    RelRmse,
    MaxAbsError,
    ClippedFraction,
    OverflowCount,
    UnderflowCount,
    Cosine,
    Kurtosis,
    WeightedMse,
    ReferenceMse,
    ReferenceSqnrDb,
    ReferenceCosine,
    ReferenceMaxAbsDiff,
    ReferencePartner,
    ReferenceSkipped,
    Skipped,
    Count
};

inline constexpr std::size_t kTableColumnCount = std::size_t(TableColumn::Count);

/// One tensor's row: a value per column, null where a figure does not apply (or is not finite).
using TableRow = std::array<QJsonValue, kTableColumnCount>;

inline QJsonValue &cell(TableRow &row, TableColumn column) {
    return row[std::size_t(column)];
}

/// The column names: "name", "shape", ..., "skipped".
const std::array<const char *, kTableColumnCount> &tableColumnNames();

/// A tensor's row from its summary. The reference_* cells stay null (report --reference fills them).
TableRow tableRow(const TensorSummary &summary);

/// A value as QJsonDocument writes it, so numbers read back exactly.
QByteArray tableJsonText(const QJsonValue &value);

/// The CSV header line, ending in a newline.
QString tableCsvHeader();
/// A row as a CSV line, ending in a newline: null cells empty, a shape as "8x256", text quoted as
/// RFC 4180 says when it holds a comma, a quote, a line break or edge spaces.
QString tableCsvLine(const TableRow &row);

/// The model table as CSV (`--to csv`): report --csv's header and one row per tensor, measured by
/// scanModel under the plan (with job.importance's weights where they fit), written as the rows
/// arrive.
const Exporter &csvTableExporter();

} // namespace qs
