#pragma once

// Test helpers for plot layout: where a plot's visible text items are, and whether any two of
// them overlap. Call after a replot, so the items' pixel positions are current.

#include <qcustomplot.h>

#include <QList>
#include <QRectF>
#include <QString>

namespace qs::test {

struct PlotText {
    QString text;
    QRectF rect; ///< in the plot's widget coordinates, padding included
};

/// The visible QCPItemText items of plot with their text and bounding rectangles.
inline QList<PlotText> visibleTexts(QCustomPlot *plot) {
    QList<PlotText> texts;
    for (int i = 0; i < plot->itemCount(); ++i) {
        auto *item = qobject_cast<QCPItemText *>(plot->item(i));
        if (!item || !item->visible() || item->text().isEmpty() || !item->layer()->visible())
            continue;
        const QRectF rect =
            QRectF(item->topLeft->pixelPosition(), item->bottomRight->pixelPosition()).normalized();
        texts.append({item->text(), rect});
    }
    return texts;
}

/// "'a' overlaps 'b'" for the first two visible text items whose rectangles intersect (by more
/// than a hair: touching edges do not count); an empty string when none do.
inline QString firstTextOverlap(QCustomPlot *plot) {
    const QList<PlotText> texts = visibleTexts(plot);
    for (qsizetype i = 0; i < texts.size(); ++i) {
        for (qsizetype j = i + 1; j < texts.size(); ++j) {
            const QRectF common = texts[i].rect.intersected(texts[j].rect);
            if (common.width() > 0.5 && common.height() > 0.5)
                return QStringLiteral("'%1' at (%2, %3, %4x%5) overlaps '%6' at (%7, %8, %9x%10)")
                    .arg(texts[i].text)
                    .arg(texts[i].rect.x())
                    .arg(texts[i].rect.y())
                    .arg(texts[i].rect.width())
                    .arg(texts[i].rect.height())
                    .arg(texts[j].text)
                    .arg(texts[j].rect.x())
                    .arg(texts[j].rect.y())
                    .arg(texts[j].rect.width())
                    .arg(texts[j].rect.height());
        }
    }
    return QString();
}

/// "'a' sticks out of the plot" for the first visible text item not inside the plot widget.
inline QString firstTextOutside(QCustomPlot *plot) {
    const QRectF bounds(plot->rect());
    for (const PlotText &text : visibleTexts(plot)) {
        if (!bounds.adjusted(-0.5, -0.5, 0.5, 0.5).contains(text.rect))
            return QStringLiteral("'%1' at (%2, %3, %4x%5) sticks out of the %6x%7 plot")
                .arg(text.text)
                .arg(text.rect.x())
                .arg(text.rect.y())
                .arg(text.rect.width())
                .arg(text.rect.height())
                .arg(bounds.width())
                .arg(bounds.height());
    }
    return QString();
}

/// The box of one text item in the plot's widget coordinates, padding included.
inline QRectF textRect(QCPItemText *item) {
    return QRectF(item->topLeft->pixelPosition(), item->bottomRight->pixelPosition()).normalized();
}

/// The visible QCPItemText items of plot whose objectName is name.
inline QList<QCPItemText *> visibleTextItems(QCustomPlot *plot, const QString &name) {
    QList<QCPItemText *> items;
    for (QCPItemText *item : plot->findChildren<QCPItemText *>(name))
        if (item->visible() && !item->text().isEmpty() && item->layer()->visible())
            items.append(item);
    return items;
}

} // namespace qs::test
