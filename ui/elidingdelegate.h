#pragma once

#include "labelelider.h"

#include <QStyledItemDelegate>

namespace qs::ui {

// Draws a column's text cut in its own way (e.g. a shape as "64 × … × 3") where the view's
// single elide mode would cut it mid-number ("4096 × 40…").
class ElidingDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit ElidingDelegate(ElideStyle style, QObject *parent = nullptr);

    // The text as drawn in a cell of option.rect.
    QString shownText(const QStyleOptionViewItem &option, const QModelIndex &index) const;
    // The room for text in a cell `cellWidth` wide (the style's margins taken off).
    static int textWidth(int cellWidth, const QWidget *widget);

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;

private:
    ElideStyle m_style;
};

} // namespace qs::ui
