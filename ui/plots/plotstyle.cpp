#include "plots/plotstyle.h"

#include "labelelider.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPalette>
#include <QPen>

#include "plots/qcustomplotinclude.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace qs::ui {

namespace {

// Empty bins on a log axis are drawn at this count, below the axis' lower bound of 0.5.
constexpr double kLogEmptyBin = 0.1;
constexpr double kLogAxisLower = 0.5;
constexpr int kGridAlpha = 40;
constexpr double kMinLogDecades = 2.0;
constexpr std::size_t kMinDisplayBins = 64;
constexpr std::int64_t kDisplayValuesPerBin = 8;
constexpr int kPixelsPerVerticalTick = 34;

QColor textColor() {
    return QApplication::palette().color(QPalette::Text);
}

void styleAxis(QCPAxis *axis, const QColor &text) {
    QColor faint = text;
    faint.setAlpha(150);
    axis->setBasePen(QPen(faint, 1));
    axis->setTickPen(QPen(faint, 1));
    axis->setSubTickPen(QPen(faint, 1));
    axis->setTickLabelColor(text);
    axis->setLabelColor(text);
    axis->setTickLength(0, 4);
    axis->setSubTickLength(0, 2);
    axis->setLabelPadding(4);
    QColor grid = text;
    grid.setAlpha(kGridAlpha);
    axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    axis->grid()->setZeroLinePen(QPen(grid, 1, Qt::SolidLine));
    axis->grid()->setSubGridVisible(false);
}

void styleLegend(QCPLegend *legend, const QPalette &palette) {
    QColor background = palette.color(QPalette::Base);
    background.setAlpha(215);
    QColor border = palette.color(QPalette::Text);
    border.setAlpha(90);
    legend->setBrush(background);
    legend->setBorderPen(QPen(border, 1));
    legend->setTextColor(palette.color(QPalette::Text));
}

} // namespace

namespace colors {
QColor values() {
    return QColor(0x00, 0x72, 0xB2);
}
QColor levels() {
    return QColor(0xD5, 0x5E, 0x00);
}
QColor clipped() {
    return QColor(0xE6, 0x9F, 0x00);
}
QColor error() {
    return QColor(0x00, 0x9E, 0x73);
}
QColor suggested() {
    return QColor(0xCC, 0x79, 0xA7);
}
QColor zeroPoint() {
    return textColor();
}
} // namespace colors

QPen methodPen(int style, double width) {
    struct Style {
        QColor color;
        QList<qreal> dashes;
    };
    // Index 0 (min-max) follows the theme; see methodPen's doc comment.
    static const std::array<Style, kMethodStyleCount> kStyles{{
        {QColor(), {2, 2}},
        {QColor(0x22, 0x88, 0x33), {6, 3}},
        {QColor(0xAA, 0x33, 0x77), {6, 2, 1, 2}},
        {QColor(0xEE, 0x66, 0x77), {3, 2}},
        {QColor(0x66, 0xCC, 0xEE), {8, 2, 2, 2}},
        {QColor(0xCC, 0xBB, 0x44), {4, 2, 1, 2, 1, 2}},
        {QColor(0x44, 0x77, 0xAA), {10, 3}},
    }};
    const Style &chosen =
        kStyles[std::size_t(((style % kMethodStyleCount) + kMethodStyleCount) % kMethodStyleCount)];
    QPen pen(chosen.color.isValid() ? chosen.color : textColor(), width);
    pen.setDashPattern(chosen.dashes);
    pen.setCapStyle(Qt::FlatCap);
    return pen;
}

// Vertical axes get as many ticks as their height has room for, so a short plot's labels
// ("10⁻⁴", "10⁻⁵", …) do not run into each other. Connected once per plot.
void fitVerticalTicksToHeight(QCustomPlot *plot) {
    static const char *const kConnected = "quantscopeTickFit";
    if (plot->property(kConnected).toBool())
        return;
    plot->setProperty(kConnected, true);
    QObject::connect(plot, &QCustomPlot::afterLayout, plot, [plot] {
        for (QCPAxisRect *rect : plot->axisRects()) {
            const int count = std::clamp(rect->height() / kPixelsPerVerticalTick, 2, 5);
            for (QCPAxis *axis : rect->axes(QCPAxis::atLeft | QCPAxis::atRight))
                axis->ticker()->setTickCount(count);
        }
    });
}

void applyPlotStyle(QCustomPlot *plot) {
    fitVerticalTicksToHeight(plot);
    const QPalette palette = plot->palette();
    const QColor text = palette.color(QPalette::Text);
    plot->setBackground(palette.brush(QPalette::Base));
    plot->setFont(QApplication::font());
    for (QCPAxisRect *rect : plot->axisRects()) {
        rect->setBackground(palette.brush(QPalette::Base));
        for (QCPAxis *axis : rect->axes()) {
            styleAxis(axis, text);
            axis->setLabelFont(QApplication::font());
            axis->setTickLabelFont(QApplication::font());
        }
    }
    styleLegend(plot->legend, palette);
    plot->setAntialiasedElements(QCP::aePlottables | QCP::aeItems | QCP::aeFills | QCP::aeScatters);
    plot->setNotAntialiasedElements(QCP::aeGrid | QCP::aeSubGrid | QCP::aeAxes);
    plot->setNoAntialiasingOnDrag(true);
    plot->setPlottingHint(QCP::phCacheLabels, true);
}

QString formatNumber(double value, int digits) {
    if (std::isnan(value))
        return QStringLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
    if (value == 0.0)
        return QStringLiteral("0");
    // 'g' keeps `digits` significant digits and switches to an exponent below 1e-4 or at
    // 10^digits and beyond, which reads well for scales (1e-3…1e-1) and counts alike.
    return QString::number(value, 'g', std::max(1, digits));
}

QString formatDb(double value) {
    if (std::isinf(value) && value > 0)
        return QStringLiteral("∞ dB");
    if (std::isnan(value))
        return QStringLiteral("– dB");
    return QString::number(value, 'f', 1) + QStringLiteral(" dB");
}

QString formatPercent(double fraction) {
    const double percent = fraction * 100.0;
    if (!std::isfinite(percent))
        return QStringLiteral("– %");
    if (percent == 0.0)
        return QStringLiteral("0 %");
    // Three significant digits from 10 % up ("12.3 %"), two below ("0.012 %").
    const int digits = std::abs(percent) >= 10.0 ? 3 : 2;
    return QString::number(percent, 'g', digits) + QStringLiteral(" %");
}

void makePlotFootnote(QLabel *label, const QString &objectName) {
    label->setObjectName(objectName);
    label->setForegroundRole(QPalette::PlaceholderText);
    label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    label->setContentsMargins(4, 0, 4, 2);
    LabelElider::install(label, ElideStyle::Segments);
}

QHBoxLayout *makePlotHeader(const QString &title, QLabel *info) {
    auto *layout = new QHBoxLayout;
    layout->setContentsMargins(4, 2, 4, 0);
    layout->setSpacing(10);
    auto *titleLabel = new QLabel(title);
    QFont font = titleLabel->font();
    font.setBold(true);
    titleLabel->setFont(font);
    layout->addWidget(titleLabel);
    if (info) {
        info->setForegroundRole(QPalette::PlaceholderText);
        // Narrow panels cut the info short rather than growing the window: whole trailing parts
        // first, never mid-word, with the whole text in the tooltip.
        info->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        info->setMinimumWidth(0);
        LabelElider::install(info, ElideStyle::Segments);
        layout->addWidget(info, 1);
    } else {
        layout->addStretch(1);
    }
    return layout;
}

void setCountAxisLog(QCPAxis *axis, bool log) {
    if (log) {
        axis->setScaleType(QCPAxis::stLogarithmic);
        auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
        ticker->setSubTickCount(8);
        axis->setTicker(ticker);
        axis->setNumberFormat(QStringLiteral("eb"));
        axis->setNumberPrecision(0);
    } else {
        axis->setScaleType(QCPAxis::stLinear);
        axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
        axis->setNumberFormat(QStringLiteral("gb"));
        axis->setNumberPrecision(6);
    }
}

void setHistogramData(QCPGraph *graph, const qs::Histogram &histogram, bool log) {
    QVector<QCPGraphData> data;
    data.reserve(int(histogram.bins()) + 1);
    const auto height = [log](std::int64_t count) {
        return (log && count == 0) ? kLogEmptyBin : double(count);
    };
    for (std::size_t i = 0; i < histogram.bins(); ++i)
        data.append(QCPGraphData(histogram.binLow(i), height(histogram.counts[i])));
    // Closes the last step at the upper edge.
    if (!histogram.counts.empty())
        data.append(QCPGraphData(histogram.hi, height(histogram.counts.back())));
    graph->data()->set(data, true);
}

void fitCountAxis(QCPAxis *axis, const qs::Histogram &histogram, bool log) {
    std::int64_t maxCount = 1;
    for (std::int64_t c : histogram.counts)
        maxCount = std::max(maxCount, c);
    if (log)
        axis->setRange(kLogAxisLower,
                       std::max(double(maxCount) * 3.0, kLogAxisLower * std::pow(10.0, kMinLogDecades)));
    else
        axis->setRange(0.0, double(maxCount) * 1.08);
}

std::size_t displayFactor(const qs::Histogram &fine, double minBinWidth) {
    std::size_t factor = 1;
    const std::int64_t total = fine.total();
    const auto tooFine = [&](std::size_t f) {
        return total < kDisplayValuesPerBin * std::int64_t(fine.bins() / f) ||
               fine.binWidth() * double(f) < minBinWidth;
    };
    while (fine.bins() % (factor * 2) == 0 && fine.bins() / (factor * 2) >= kMinDisplayBins &&
           tooFine(factor))
        factor *= 2;
    return factor;
}

qs::Histogram mergeBins(const qs::Histogram &fine, std::size_t factor) {
    if (factor <= 1)
        return fine;
    qs::Histogram coarse{fine.lo, fine.hi, std::vector<std::int64_t>(fine.bins() / factor, 0)};
    for (std::size_t i = 0; i < fine.bins(); ++i)
        coarse.counts[i / factor] += fine.counts[i];
    return coarse;
}

qs::Histogram displayHistogram(const qs::Histogram &fine, double minBinWidth) {
    return mergeBins(fine, displayFactor(fine, minBinWidth));
}

} // namespace qs::ui
