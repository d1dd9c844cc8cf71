// The model table: one row per tensor, shared by `report --csv/--json` and `export --to csv`.

#include "export/csvtable.h"

#include "analysis/modelimportance.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStringList>

#include <atomic>
#include <cmath>

namespace qs {

namespace {

QString qstr(const std::string &text) {
    return QString::fromStdString(text);
}

QJsonValue number(double value) {
    return std::isfinite(value) ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

QJsonValue number(const std::optional<double> &value) {
    return value ? number(*value) : QJsonValue(QJsonValue::Null);
}

QJsonValue text(const std::optional<std::string> &value) {
    return value ? QJsonValue(qstr(*value)) : QJsonValue(QJsonValue::Null);
}

// The scheme's keys that apply to its format; the others stay null.
void fillScheme(TableRow &row, const QuantSpec &spec) {
    const FormatTraits &traits = formatTraits(spec.format);
    cell(row, TableColumn::Format) = qstr(std::string(traits.name));
    if (traits.takesBits)
        cell(row, TableColumn::Bits) = spec.bits;
    if (traits.fixedBlock == 0) // block and codebook formats carry their own grouping
        cell(row, TableColumn::Granularity) = qstr(granularityName(spec.granularity));
    cell(row, TableColumn::Method) = qstr(methodLabel(spec));
}

void fillError(TableRow &row, const TensorSummary &s) {
    cell(row, TableColumn::Mse) = number(s.error->mse);
    cell(row, TableColumn::SqnrDb) = number(s.error->sqnrDb);
    cell(row, TableColumn::RelRmse) = number(s.relRmse);
    cell(row, TableColumn::MaxAbsError) = number(s.error->maxAbsError);
    cell(row, TableColumn::ClippedFraction) = number(s.clippedFraction);
    if (s.cast) { // casts only, as analyze reports them
        cell(row, TableColumn::OverflowCount) = qint64(s.cast->overflow);
        cell(row, TableColumn::UnderflowCount) = qint64(s.cast->underflow);
    }
    cell(row, TableColumn::Cosine) = number(s.error->cosine);
    if (s.moments)
        cell(row, TableColumn::Kurtosis) = number(s.moments->kurtosis);
    cell(row, TableColumn::WeightedMse) = number(s.weightedMse);
}

// RFC 4180: quoted when it holds a comma, a quote, a line break or edge spaces.
QString csvCell(const QJsonValue &value) {
    if (value.isNull())
        return {};
    if (value.isArray()) {
        QStringList dims;
        for (const QJsonValue &d : value.toArray())
            dims.append(QString::number(d.toInteger()));
        return dims.join(QLatin1Char('x'));
    }
    if (!value.isString())
        return QString::fromUtf8(tableJsonText(value));
    QString s = value.toString();
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n')) ||
        s.contains(QLatin1Char('\r')) || s.trimmed() != s)
        s = QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
    return s;
}

// Writes rows into a QSaveFile as scanModel hands them over; the first write error stops the scan.
class CsvWriter {
public:
    explicit CsvWriter(const ExportJob &job)
        : m_job(job)
        , m_file(qstr(job.output)) {}

    Result<ExportOutcome> run() {
        if (!m_file.open(QIODevice::WriteOnly))
            return fileError("cannot write");
        if (!put(tableCsvHeader()))
            return fileError("cannot write");
        RunControl control = m_job.control;
        control.isCanceled = [this] { return m_failed.load() || m_job.control.canceled(); };
        const auto totals = scanModel(
            *m_job.reader,
            [this](const TensorInfo &info) {
                return withImportance(planDecision(m_job.plan, info), m_job.importance, info);
            },
            [this](TensorSummary &&s) { add(s); }, control);
        if (m_failed)
            return fileError("cannot write");
        if (!totals) {
            m_file.cancelWriting();
            return Error{totals.error()};
        }
        if (!m_file.commit())
            return fileError("cannot save");
        ExportOutcome outcome;
        outcome.written.push_back(m_job.output);
        outcome.quantized = int(totals->quantized);
        outcome.copied = int(totals->kept + totals->skipped);
        return outcome;
    }

private:
    void add(const TensorSummary &s) {
        if (!m_failed && !put(tableCsvLine(tableRow(s))))
            m_failed = true;
        if (m_job.tensorDone)
            m_job.tensorDone(s.index);
    }

    bool put(const QString &text) {
        const QByteArray bytes = text.toUtf8();
        return m_file.write(bytes) == bytes.size();
    }

    Error fileError(const char *what) {
        const std::string message = m_job.output + ": " + what + ": " + m_file.errorString().toStdString();
        m_file.cancelWriting();
        return Error{message};
    }

    const ExportJob &m_job;
    QSaveFile m_file;
    std::atomic<bool> m_failed = false;
};

class CsvTableExporter final : public Exporter {
public:
    std::string id() const override { return "csv"; }
    std::string displayName() const override { return "Every tensor, every column (CSV)"; }
    ExportCapability capability() const override { return ExportCapability::Table; }
    std::vector<std::string> outputFiles() const override { return {"csv"}; }
    std::string fileFilter() const override { return "CSV (*.csv)"; }
    std::string schemesText() const override { return "every scheme"; }
    std::optional<std::string> cannotExpress(const QuantSpec &,
                                             const std::vector<std::int64_t> &) const override {
        return std::nullopt;
    }
    Result<ExportOutcome> write(const ExportJob &job) const override {
        CsvWriter writer(job);
        return writer.run();
    }
};

} // namespace

const std::array<const char *, kTableColumnCount> &tableColumnNames() {
    // clang-format off
    static constexpr std::array<const char *, kTableColumnCount> names{
        "name",   "shape",    "dtype",        "params",        "kept",
        "format", "bits",     "granularity",  "method",        "bits_per_weight",
        "mse",    "sqnr_db",  "rel_rmse",     "max_abs_error", "clipped_fraction",
        "overflow_count", "underflow_count",
        "cosine", "kurtosis", "weighted_mse", "reference_mse", "reference_sqnr_db",
        "reference_cosine", "reference_max_abs_diff", "reference_partner", "reference_skipped",
        "skipped"};
    // clang-format on
    return names;
}

TableRow tableRow(const TensorSummary &s) {
    TableRow row;
    row.fill(QJsonValue(QJsonValue::Null));
    QJsonArray shape;
    for (std::int64_t d : s.shape)
        shape.append(qint64(d));
    cell(row, TableColumn::Name) = qstr(s.name);
    cell(row, TableColumn::Shape) = shape;
    cell(row, TableColumn::DType) = qstr(s.dtype);
    cell(row, TableColumn::Params) = qint64(s.params);
    cell(row, TableColumn::Kept) = s.kept;
    if (s.spec)
        fillScheme(row, *s.spec);
    cell(row, TableColumn::BitsPerWeight) = number(s.bitsPerWeight); // the stored type's when kept or skipped
    if (s.error)
        fillError(row, s);
    cell(row, TableColumn::Skipped) = text(s.skipped);
    return row;
}

QByteArray tableJsonText(const QJsonValue &value) {
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

QString tableCsvHeader() {
    QStringList names;
    for (const char *key : tableColumnNames())
        names.append(QString::fromLatin1(key));
    return names.join(QLatin1Char(',')) + QLatin1Char('\n');
}

QString tableCsvLine(const TableRow &row) {
    QStringList cells;
    for (const QJsonValue &value : row)
        cells.append(csvCell(value));
    return cells.join(QLatin1Char(',')) + QLatin1Char('\n');
}

const Exporter &csvTableExporter() {
    static const CsvTableExporter exporter;
    return exporter;
}

} // namespace qs
