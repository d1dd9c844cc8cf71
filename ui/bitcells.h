#pragma once

#include <QColor>
#include <QString>
#include <QWidget>

namespace qs::ui {

// A float's code as a row of bit cells in three coloured groups (sign, exponent, mantissa),
// drawn with QPainter so it stays crisp at any DPI. Cells shrink to fit the width; the digits
// show while a cell is wide enough for them, and a gap between the groups keeps them apart
// without relying on colour.
class BitCells : public QWidget {
    Q_OBJECT
public:
    explicit BitCells(QWidget *parent = nullptr);

    // Each argument is a string of '0' and '1', most significant bit first.
    void setBits(const QString &sign, const QString &exponent, const QString &mantissa);
    // The bits as shown, groups separated by spaces: "0 01011 1001100110".
    QString text() const;

    static QColor signColor();
    static QColor exponentColor();
    static QColor mantissaColor();

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    int cellCount() const;
    double cellWidth() const;
    void paintGroup(QPainter &painter, const QString &bits, const QColor &color, double &x, double width);

    QString m_sign;
    QString m_exponent;
    QString m_mantissa;
};

} // namespace qs::ui
