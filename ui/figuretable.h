#pragma once

#include <QWidget>

#include <utility>
#include <vector>

class QLabel;

namespace qs::ui {

// Rows of "name    value" with the values right-aligned at the right edge. When the width runs
// short for a row, its value moves below its name; names and values are cut (by their
// LabelElider) only where one alone is wider than the whole table. The table never asks for the
// width of a long value, so a narrow panel shows every value instead of pushing them out of
// sight.
class FigureTable : public QWidget {
    Q_OBJECT
public:
    explicit FigureTable(QWidget *parent = nullptr);

    // The table takes both labels as children.
    void addRow(QLabel *name, QLabel *value);

    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    bool event(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    int rowHeight() const;
    int nameMinimumWidth() const;
    int arrange(int width, bool apply) const;
    void placeRows();

    std::vector<std::pair<QLabel *, QLabel *>> m_rows;
};

} // namespace qs::ui
