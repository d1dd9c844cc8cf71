#include "bitcells.h"

#include <QFontMetricsF>
#include <QPainter>

#include <algorithm>

namespace qs::ui {

namespace {

constexpr double kGroupGapPx = 4.0;
constexpr double kMaxCellPx = 18.0;
constexpr int kZeroAlpha = 60;
constexpr int kOneAlpha = 170;
constexpr int kCellPaddingPx = 3;
constexpr double kSmallDigitScale = 0.7;

} // namespace

BitCells::BitCells(QWidget *parent)
    : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

// Okabe-Ito hues that the plots do not use for another meaning.
QColor BitCells::signColor() {
    return QColor(0xCC, 0x79, 0xA7);
}

QColor BitCells::exponentColor() {
    return QColor(0x56, 0xB4, 0xE9);
}

QColor BitCells::mantissaColor() {
    return QColor(0xE6, 0x9F, 0x00);
}

void BitCells::setBits(const QString &sign, const QString &exponent, const QString &mantissa) {
    m_sign = sign;
    m_exponent = exponent;
    m_mantissa = mantissa;
    setToolTip(tr("Sign %1 · exponent %2 · mantissa %3").arg(sign, exponent, mantissa));
    updateGeometry();
    update();
}

QString BitCells::text() const {
    return m_sign + QLatin1Char(' ') + m_exponent + QLatin1Char(' ') + m_mantissa;
}

int BitCells::cellCount() const {
    return int(m_sign.size() + m_exponent.size() + m_mantissa.size());
}

double BitCells::cellWidth() const {
    const int count = std::max(cellCount(), 1);
    return std::min(kMaxCellPx, (width() - 2 * kGroupGapPx - 1.0) / count);
}

QSize BitCells::sizeHint() const {
    return QSize(int(cellCount() * kMaxCellPx + 2 * kGroupGapPx) + 1,
                 fontMetrics().height() + 2 * kCellPaddingPx);
}

// Narrow docks get cells of a few pixels: FP32's 32 bits still fit in about 150 px.
QSize BitCells::minimumSizeHint() const {
    return QSize(cellCount() * 4 + int(2 * kGroupGapPx) + 1, fontMetrics().height() + 2 * kCellPaddingPx);
}

void BitCells::paintGroup(QPainter &painter, const QString &bits, const QColor &color, double &x,
                          double width) {
    const double height = this->height() - 1.0;
    const bool digits = width >= QFontMetricsF(painter.font()).horizontalAdvance(QLatin1Char('0')) + 0.5;
    for (const QChar bit : bits) {
        const QRectF cell(x + 0.5, 0.5, width, height);
        QColor fill = color;
        fill.setAlpha(bit == QLatin1Char('1') ? kOneAlpha : kZeroAlpha);
        painter.fillRect(cell, fill);
        painter.setPen(QPen(color.darker(130), 1.0));
        painter.drawRect(cell);
        if (digits) {
            painter.setPen(palette().color(QPalette::WindowText));
            painter.drawText(cell, Qt::AlignCenter, QString(bit));
        }
        x += width;
    }
    x += kGroupGapPx;
}

void BitCells::paintEvent(QPaintEvent *) {
    QPainter painter(this);
    const double width = cellWidth();
    // FP32's 32 cells in a narrow dock: smaller digits rather than none.
    QFont font = painter.font();
    if (QFontMetricsF(font).horizontalAdvance(QLatin1Char('0')) + 1.0 > width) {
        font.setPointSizeF(font.pointSizeF() * kSmallDigitScale);
        painter.setFont(font);
    }
    double x = 0.0;
    paintGroup(painter, m_sign, signColor(), x, width);
    paintGroup(painter, m_exponent, exponentColor(), x, width);
    paintGroup(painter, m_mantissa, mantissaColor(), x, width);
}

} // namespace qs::ui
