#include "figuretable.h"

#include <QEvent>
#include <QLabel>

#include <algorithm>

namespace qs::ui {

namespace {

constexpr int kIndent = 8;
constexpr int kColumnSpacing = 12;
constexpr int kRowSpacing = 3;

int widestHint(const std::vector<std::pair<QLabel *, QLabel *>> &rows, bool values) {
    int widest = 0;
    for (const auto &[name, value] : rows)
        widest = std::max(widest, (values ? value : name)->sizeHint().width());
    return widest;
}

} // namespace

FigureTable::FigureTable(QWidget *parent)
    : QWidget(parent) {
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void FigureTable::addRow(QLabel *name, QLabel *value) {
    name->setParent(this);
    value->setParent(this);
    m_rows.emplace_back(name, value);
    updateGeometry();
    placeRows();
}

int FigureTable::rowHeight() const {
    int height = fontMetrics().height();
    for (const auto &[name, value] : m_rows)
        height = std::max({height, name->sizeHint().height(), value->sizeHint().height()});
    return height;
}

// The narrowest the table can be and still hold its names: a few letters of the widest (the
// tooltip has the rest); only a panel narrower than a name cuts it.
int FigureTable::nameMinimumWidth() const {
    return std::min(widestHint(m_rows, false), fontMetrics().horizontalAdvance(QStringLiteral("Mmmm…")));
}

// Per row, so that one long value moves only its own row: the names share one column as wide as
// the widest name the row's value leaves room for; a row whose name and value do not fit side by
// side puts its value on a line of its own below the whole name. Returns the height used.
int FigureTable::arrange(int width, bool apply) const {
    const int available = std::max(0, width - kIndent);
    const int height = rowHeight();
    const int widestName = widestHint(m_rows, false);
    int y = 0;
    for (const auto &[name, value] : m_rows) {
        y += y > 0 ? kRowSpacing : 0;
        const int valueWidth = value->sizeHint().width();
        if (name->sizeHint().width() + kColumnSpacing + valueWidth > available) {
            if (apply) {
                name->setGeometry(kIndent, y, available, height);
                value->setGeometry(kIndent, y + height, available, height);
            }
            y += 2 * height;
            continue;
        }
        const int nameColumn = std::min(available - kColumnSpacing - valueWidth, widestName);
        if (apply) {
            name->setGeometry(kIndent, y, nameColumn, height);
            const int valueLeft = nameColumn + kColumnSpacing;
            value->setGeometry(kIndent + valueLeft, y, available - valueLeft, height);
        }
        y += height;
    }
    return y;
}

int FigureTable::heightForWidth(int width) const {
    return arrange(width, false);
}

QSize FigureTable::sizeHint() const {
    const int width = kIndent + widestHint(m_rows, false) + kColumnSpacing + widestHint(m_rows, true);
    return {width, arrange(width, false)};
}

QSize FigureTable::minimumSizeHint() const {
    const int valueMinimum = fontMetrics().horizontalAdvance(QStringLiteral("0…"));
    const int width = kIndent + nameMinimumWidth() + kColumnSpacing + valueMinimum;
    return {width, sizeHint().height()};
}

// Values are right-aligned at the right edge, so their left edges may differ from row to row.
void FigureTable::placeRows() {
    arrange(width(), true);
}

// A label's new text or font posts a layout request here (the table has no QLayout).
bool FigureTable::event(QEvent *event) {
    if (event->type() == QEvent::LayoutRequest) {
        placeRows();
        updateGeometry();
    }
    return QWidget::event(event);
}

void FigureTable::resizeEvent(QResizeEvent *event) {
    QWidget::resizeEvent(event);
    placeRows();
}

} // namespace qs::ui
