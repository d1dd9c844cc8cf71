#include "elidingdelegate.h"

#include <QApplication>
#include <QStyle>

namespace qs::ui {

ElidingDelegate::ElidingDelegate(ElideStyle style, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_style(style) {}

int ElidingDelegate::textWidth(int cellWidth, const QWidget *widget) {
    const QStyle *style = widget ? widget->style() : QApplication::style();
    // The margin QCommonStyle keeps on each side of an item's text; one pixel more so that the
    // style's own elision never cuts our text a second time.
    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    return cellWidth - 2 * margin - 1;
}

QString ElidingDelegate::shownText(const QStyleOptionViewItem &option, const QModelIndex &index) const {
    QStyleOptionViewItem copy = option;
    initStyleOption(&copy, index);
    return copy.text;
}

void ElidingDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const {
    QStyledItemDelegate::initStyleOption(option, index);
    if (option->features & QStyleOptionViewItem::HasDisplay)
        option->text = elideText(option->text, option->fontMetrics,
                                 textWidth(option->rect.width(), option->widget), m_style);
}

} // namespace qs::ui
