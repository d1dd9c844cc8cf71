#pragma once

#include <QString>

class QCustomPlot;
class QWidget;

namespace qs::ui {

/// The image formats a plot can be saved in, as the file's suffix decides: png, svg, pdf.
QString plotImageFilter();

/// Renders plot at its current size into path (PNG at twice the screen resolution, SVG through
/// Qt SVG, PDF as vector graphics), through a temporary file and a rename, so a failed save
/// leaves an existing file untouched. Returns an empty string on success, else why it failed.
QString savePlotImage(QCustomPlot *plot, const QString &path);

/// Asks for a file name (starting in the last used directory, named after title) and saves plot
/// there; reports a failure in a message box. Returns the path written, or empty.
QString savePlotWithDialog(QCustomPlot *plot, const QString &title, QWidget *parent);

/// Gives plot a context menu with "Save Plot As…" and "Copy Plot Image"; title names the file.
void installPlotContextMenu(QCustomPlot *plot, const QString &title);

} // namespace qs::ui
