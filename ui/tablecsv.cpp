#include "tablecsv.h"

#include <QHeaderView>
#include <QSaveFile>
#include <QStringList>
#include <QTableView>

#include <algorithm>

namespace qs::ui {

namespace {

const QString kLineEnd = QStringLiteral("\r\n");

// Logical column indexes in the order the header shows them, hidden ones left out.
QList<int> shownColumns(const QTableView &view) {
    const QHeaderView *header = view.horizontalHeader();
    QList<int> columns;
    for (int visual = 0; visual < header->count(); ++visual) {
        const int logical = header->logicalIndex(visual);
        if (logical >= 0 && !view.isColumnHidden(logical))
            columns << logical;
    }
    return columns;
}

} // namespace

QString csvField(const QString &text) {
    static const QString special = QStringLiteral(",\"\r\n");
    const bool quote = std::any_of(text.begin(), text.end(), [](QChar c) { return special.contains(c); });
    if (!quote)
        return text;
    QString escaped = text;
    escaped.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

QString tableViewCsv(const QTableView &view) {
    const QAbstractItemModel *model = view.model();
    if (!model)
        return QString();
    const QList<int> columns = shownColumns(view);
    QStringList fields;
    for (const int column : columns)
        fields << csvField(model->headerData(column, Qt::Horizontal).toString());
    QString csv = fields.join(QLatin1Char(',')) + kLineEnd;
    for (int row = 0; row < model->rowCount(); ++row) {
        if (view.isRowHidden(row))
            continue;
        fields.clear();
        for (const int column : columns)
            fields << csvField(model->index(row, column).data(Qt::DisplayRole).toString());
        csv += fields.join(QLatin1Char(',')) + kLineEnd;
    }
    return csv;
}

QString saveTableViewCsv(const QTableView &view, const QString &path) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return file.errorString();
    const QByteArray bytes = tableViewCsv(view).toUtf8();
    if (file.write(bytes) != bytes.size()) {
        const QString error = file.errorString();
        file.cancelWriting();
        return error;
    }
    if (!file.commit())
        return file.errorString();
    return QString();
}

} // namespace qs::ui
