#pragma once

#include "stats/histogram.h"

#include <QColor>
#include <QFont>
#include <QPen>
#include <QString>

class QCustomPlot;
class QCPAxis;
class QCPGraph;
class QHBoxLayout;
class QLabel;

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

/// How many calibration methods have a marker style of their own (methodPen).
inline constexpr int kMethodStyleCount = 7;
/// A calibration method's marker: its own colour and dash, so that colour is never the only
/// difference. `style` is the method's place in the method table (minmax, mse, percentile 99.9,
/// percentile 99.99, entropy, histogram-l2, hqq; taken modulo kMethodStyleCount). min-max takes
/// the theme's text colour, as in the error plot; the others Paul Tol's colour-blind safe
/// "bright" colours. Dash lengths are in pen widths.
QPen methodPen(int style, double width);

/// Applies the common look (theme-aware background, fonts, antialiasing, margins) to a plot.
void applyPlotStyle(QCustomPlot *plot);

/// Engineering-format number with `digits` significant digits, e.g. "6.98e-06", "0.0192".
QString formatNumber(double value, int digits = 4);
/// dB with one decimal, e.g. "36.1 dB"; "∞ dB" when there is no error (nullopt).
QString formatDb(double value);
/// Percentage with sensible digits, e.g. "0.012 %".
QString formatPercent(double fraction);

/// A plot panel's title row: the bold title, then `info` (dimmed, may be nullptr), a stretch;
/// callers append their controls (e.g. a "log y" toggle) to the returned layout. `info` keeps
/// one line: too long, it is shown cut at a " · " or ", " with "…" and whole in its tooltip
/// (a LabelElider, which owns the tooltip); set its text with setText() as usual.
QHBoxLayout *makePlotHeader(const QString &title, QLabel *info = nullptr);

/// Styles label as a chart's footnote under the plot: dimmed, one line that may shrink, cut at
/// a " · " or ", " with "…" and whole in its tooltip (a LabelElider).
void makePlotFootnote(QLabel *label, const QString &objectName);

/// Switches a count axis between logarithmic (powers of ten) and linear ticks.
void setCountAxisLog(QCPAxis *axis, bool log);
/// Shows a histogram as a filled step graph. On a log axis empty bins are drawn below the
/// visible range, so the fill reaches the bottom instead of leaving gaps.
void setHistogramData(QCPGraph *graph, const qs::Histogram &histogram, bool log);
/// Fits a count axis to a histogram: [0.5, 3·max] on a log axis (at least two decades, so the
/// ticks stay powers of ten), [0, 1.08·max] otherwise.
void fitCountAxis(QCPAxis *axis, const qs::Histogram &histogram, bool log);
/// How many adjacent fine bins to merge (a power of two) for drawing: until a bin holds ~8 values
/// on average and is at least minBinWidth wide (value units; ~2 px), keeping at least 64 bins.
/// Small tensors then show a shape, and 16-bit float data (whose values sit on a grid coarser
/// than the fine bins) no comb of empty bins when zoomed out.
std::size_t displayFactor(const qs::Histogram &fine, double minBinWidth = 0.0);
/// Sums runs of `factor` adjacent bins; factor must divide the bin count.
qs::Histogram mergeBins(const qs::Histogram &fine, std::size_t factor);
/// mergeBins(fine, displayFactor(fine, minBinWidth)).
qs::Histogram displayHistogram(const qs::Histogram &fine, double minBinWidth = 0.0);

} // namespace qs::ui
