#pragma once

#include <QColor>
#include <QFont>
#include <QString>

class QCustomPlot;

namespace qs::ui {

/// One hue per meaning, the same in every plot, chosen to stay distinct on light and dark
/// themes and for common colour-vision deficiencies (Okabe-Ito palette).
namespace colors {
QColor values();    ///< weight histogram / float values (blue)
QColor levels();    ///< quantization levels and the integer grid (vermillion)
QColor clipped();   ///< saturated tails and clip handles (orange)
QColor error();     ///< error histogram and MSE curve (bluish green)
QColor suggested(); ///< suggested threshold marker (reddish purple)
QColor zeroPoint(); ///< zero / zero point emphasis (black or white, following the theme)
} // namespace colors

/// Applies the common look (theme-aware background, fonts, antialiasing, margins) to a plot.
void applyPlotStyle(QCustomPlot *plot);

/// Engineering-format number with `digits` significant digits, e.g. "6.98e-06", "0.0192".
QString formatNumber(double value, int digits = 4);
/// dB with one decimal, e.g. "36.1 dB"; "∞ dB" when there is no error (nullopt).
QString formatDb(double value);
/// Percentage with sensible digits, e.g. "0.012 %".
QString formatPercent(double fraction);

} // namespace qs::ui
