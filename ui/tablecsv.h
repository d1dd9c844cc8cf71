#pragma once

#include <QString>

class QTableView;

namespace qs::ui {

// One CSV field as RFC 4180 writes it: quoted, with its quotes doubled, when it holds a comma, a
// quote or a line break; as it is otherwise.
QString csvField(const QString &text);

// What view shows, as CSV: the header line, then the rows in the order the view shows them
// (sorted and filtered by its proxy), the visible columns in their on-screen order, each cell's
// display text. Lines end in CRLF (RFC 4180).
QString tableViewCsv(const QTableView &view);

// Writes tableViewCsv(view) to path as UTF-8 through a temporary file and a rename (a failed
// save leaves an existing file as it was). Empty on success, else why it failed.
QString saveTableViewCsv(const QTableView &view, const QString &path);

} // namespace qs::ui
