#include "plotexport.h"

#include "plots/qcustomplotinclude.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QSvgGenerator>

namespace qs::ui {

namespace {

// Shared with the main window's file dialogs: every save starts where the last one went.
const QString kLastDirectoryKey = QStringLiteral("files/lastDirectory");
constexpr double kPngScale = 2.0;
constexpr int kScreenDpi = 96;
constexpr double kPointsPerInch = 72.0;

bool renderSvg(QCustomPlot *plot, QIODevice *device, const QString &title) {
    QSvgGenerator svg;
    svg.setOutputDevice(device);
    svg.setSize(plot->size());
    svg.setViewBox(QRect(QPoint(0, 0), plot->size()));
    svg.setResolution(kScreenDpi);
    svg.setTitle(title);
    svg.setDescription(QStringLiteral("Quantscope"));
    QCPPainter painter;
    if (!painter.begin(&svg))
        return false;
    plot->toPainter(&painter, plot->width(), plot->height());
    return painter.end();
}

bool renderPdf(QCustomPlot *plot, QIODevice *device, const QString &title) {
    QPdfWriter pdf(device);
    pdf.setResolution(kScreenDpi);
    pdf.setTitle(title);
    pdf.setCreator(QStringLiteral("Quantscope"));
    const QSizeF points = QSizeF(plot->size()) * (kPointsPerInch / kScreenDpi);
    pdf.setPageSize(QPageSize(points, QPageSize::Point, QString(), QPageSize::ExactMatch));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    QCPPainter painter;
    if (!painter.begin(&pdf))
        return false;
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    plot->toPainter(&painter, plot->width(), plot->height());
    return painter.end();
}

bool renderPng(QCustomPlot *plot, QIODevice *device) {
    const QPixmap pixmap = plot->toPixmap(plot->width(), plot->height(), kPngScale);
    return !pixmap.isNull() && pixmap.save(device, "PNG");
}

QString lastDirectory() {
    const QString fallback = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    return QSettings().value(kLastDirectoryKey, fallback).toString();
}

QString fileStem(const QString &title) {
    QString stem = title.toLower();
    stem.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    return stem.isEmpty() ? QStringLiteral("plot") : stem;
}

} // namespace

QString plotImageFilter() {
    return QApplication::translate("qs::ui::PlotExport",
                                   "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)");
}

QString savePlotImage(QCustomPlot *plot, const QString &path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf"))
        return QApplication::translate("qs::ui::PlotExport",
                                       "unknown image type '.%1': use .png, .svg or .pdf")
            .arg(suffix);
    if (plot->width() <= 0 || plot->height() <= 0)
        return QApplication::translate("qs::ui::PlotExport", "the plot is not shown, so it has no size");
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return file.errorString();
    const QString title = QFileInfo(path).completeBaseName();
    bool rendered = false;
    if (suffix == QLatin1String("png"))
        rendered = renderPng(plot, &file);
    else if (suffix == QLatin1String("svg"))
        rendered = renderSvg(plot, &file, title);
    else
        rendered = renderPdf(plot, &file, title);
    if (!rendered) {
        file.cancelWriting();
        return file.error() != QFileDevice::NoError
                   ? file.errorString()
                   : QApplication::translate("qs::ui::PlotExport", "could not render the plot");
    }
    if (!file.commit())
        return file.errorString();
    return QString();
}

QString savePlotWithDialog(QCustomPlot *plot, const QString &title, QWidget *parent) {
    const QString suggested = QDir(lastDirectory()).filePath(fileStem(title) + QStringLiteral(".png"));
    QString filter;
    const QString path = QFileDialog::getSaveFileName(
        parent, QApplication::translate("qs::ui::PlotExport", "Export Plot: %1").arg(title), suggested,
        plotImageFilter(), &filter);
    if (path.isEmpty())
        return QString();
    QSettings().setValue(kLastDirectoryKey, QFileInfo(path).absolutePath());
    const QString error = savePlotImage(plot, path);
    if (!error.isEmpty()) {
        QMessageBox::warning(
            parent, QApplication::translate("qs::ui::PlotExport", "Export Plot Failed"),
            QApplication::translate("qs::ui::PlotExport", "Could not save the plot to %1:\n%2")
                .arg(QDir::toNativeSeparators(path), error));
        return QString();
    }
    return path;
}

void installPlotContextMenu(QCustomPlot *plot, const QString &title) {
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(plot, &QWidget::customContextMenuRequested, plot, [plot, title](const QPoint &pos) {
        QMenu menu(plot);
        menu.addAction(QApplication::translate("qs::ui::PlotExport", "Save Plot As…"), plot,
                       [plot, title] { savePlotWithDialog(plot, title, plot->window()); });
        menu.addAction(QApplication::translate("qs::ui::PlotExport", "Copy Plot Image"), plot, [plot] {
            QApplication::clipboard()->setPixmap(plot->toPixmap(plot->width(), plot->height(), kPngScale));
        });
        menu.exec(plot->mapToGlobal(pos));
    });
}

} // namespace qs::ui
