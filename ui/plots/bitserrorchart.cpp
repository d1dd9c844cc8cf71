#include "plots/bitserrorchart.h"

#include "labelelider.h"
#include "plotexport.h"
#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"

#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QProgressBar>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace qs::ui {

namespace {

// The Scheme dock may be squeezed this far on a small screen rather than push the window
// past it; the user drags it taller.
constexpr int kMinPlotHeightPx = 50;
// A click or hover this close to a point picks it.
constexpr double kPickRadiusPx = 9.0;
constexpr double kMarkerSizePx = 17.0;
constexpr int kLabelGapPx = 10;
constexpr double kBitsPadding = 0.35;
constexpr double kDbPadding = 3.0;

struct FamilyStyle {
    QColor color;
    QCPScatterStyle::ScatterShape shape;
    bool joined; // int families are curves over their bit widths; the others are single schemes
};

FamilyStyle styleOf(BitsErrorChart::Family family) {
    using F = BitsErrorChart::Family;
    switch (family) {
    case F::IntTensor:
        return {colors::values(), QCPScatterStyle::ssCircle, true};
    case F::IntChannel:
        return {QColor(0x56, 0xB4, 0xE9), QCPScatterStyle::ssSquare, true};
    case F::IntGroup128:
        return {colors::error(), QCPScatterStyle::ssTriangle, true};
    case F::IntGroup32:
        return {colors::levels(), QCPScatterStyle::ssDiamond, true};
    case F::Cast:
        return {QColor(0x99, 0x99, 0x99), QCPScatterStyle::ssPlus, false};
    case F::Fp8:
        return {colors::suggested(), QCPScatterStyle::ssStar, false};
    case F::Fp4:
        return {colors::clipped(), QCPScatterStyle::ssTriangleInverted, false};
    case F::Ggml:
        return {colors::zeroPoint(), QCPScatterStyle::ssCrossCircle, false};
    }
    return {colors::values(), QCPScatterStyle::ssDisc, false};
}

bool plottable(const ComparisonRow &row) {
    return row.skipped.empty() && row.error.sqnrDb && std::isfinite(*row.error.sqnrDb) &&
           std::isfinite(row.bitsPerWeight);
}

} // namespace

std::optional<BitsErrorChart::Family> BitsErrorChart::familyOf(const QuantSpec &spec) {
    switch (formatTraits(spec.format).family) {
    case FormatFamily::Integer:
        switch (spec.granularity.kind) {
        case Granularity::Kind::Tensor:
            return Family::IntTensor;
        case Granularity::Kind::Channel:
            return Family::IntChannel;
        case Granularity::Kind::Group:
            if (spec.granularity.size == 128)
                return Family::IntGroup128;
            if (spec.granularity.size == 32)
                return Family::IntGroup32;
            return std::nullopt;
        case Granularity::Kind::Block:
            return std::nullopt;
        }
        return std::nullopt;
    case FormatFamily::Minifloat:
        return Family::Fp8;
    case FormatFamily::Microscaling:
        return spec.format == NumberFormat::MxFp8 ? Family::Fp8 : Family::Fp4;
    case FormatFamily::Codebook:
        return Family::Fp4;
    case FormatFamily::GgmlBlock:
        return Family::Ggml;
    case FormatFamily::Cast:
        return Family::Cast;
    }
    return std::nullopt;
}

QString BitsErrorChart::familyName(Family family) {
    switch (family) {
    case Family::IntTensor:
        return tr("int per tensor");
    case Family::IntChannel:
        return tr("int per channel");
    case Family::IntGroup128:
        return tr("int group 128");
    case Family::IntGroup32:
        return tr("int group 32");
    case Family::Cast:
        return tr("casts (f16, bf16)");
    case Family::Fp8:
        return tr("fp8 (e4m3, e5m2)");
    case Family::Fp4:
        return tr("mxfp4, nvfp4, nf4");
    case Family::Ggml:
        return tr("llama.cpp types");
    }
    return QString();
}

QString BitsErrorChart::schemeName(const QuantSpec &spec) {
    const FormatTraits &traits = formatTraits(spec.format);
    QString granularity;
    switch (spec.granularity.kind) {
    case Granularity::Kind::Tensor:
        granularity = tr("per tensor");
        break;
    case Granularity::Kind::Channel:
        granularity = tr("per channel");
        break;
    default:
        granularity = QString::fromStdString(granularityName(spec.granularity))
                          .replace(QLatin1Char(':'), QLatin1Char(' '));
    }
    if (traits.family == FormatFamily::Integer)
        return tr("int%1 %2").arg(spec.bits).arg(granularity);
    const QString name = QString::fromLatin1(traits.name.data(), qsizetype(traits.name.size()));
    if (traits.family == FormatFamily::Minifloat && spec.granularity.kind != Granularity::Kind::Tensor)
        return name + QLatin1Char(' ') + granularity;
    return name;
}

bool BitsErrorChart::isEntryFor(const QuantSpec &row, const QuantSpec &spec) {
    if (row.format != spec.format)
        return false;
    const FormatFamily family = formatTraits(row.format).family;
    if (family == FormatFamily::Integer)
        return row.bits == spec.bits && row.granularity == spec.granularity;
    if (family == FormatFamily::Minifloat)
        return row.granularity == spec.granularity;
    return true;
}

BitsErrorChart::BitsErrorChart(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot)
    , m_info(new QLabel)
    , m_footnote(new QLabel) {
    QHBoxLayout *header = makePlotHeader(tr("SQNR against bits per weight"), m_info);
    createStatusRow(header);
    makePlotFootnote(m_footnote, QStringLiteral("skippedSchemes"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(header);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_footnote);
    m_plot->setMinimumHeight(kMinPlotHeightPx);

    createSeries();
    m_plot->xAxis->setLabel(tr("storage (bits per weight, scales included)"));
    m_plot->yAxis->setLabel(tr("SQNR (dB)"));
    m_plot->installEventFilter(this);
    connect(m_plot, &QCustomPlot::afterLayout, this, &BitsErrorChart::placeMarkerLabel);
    installPlotContextMenu(m_plot, tr("SQNR Against Bits per Weight"));
    setBusy(false);
    clear();
}

void BitsErrorChart::createStatusRow(QHBoxLayout *header) {
    m_status = new QLabel;
    m_bar = new QProgressBar;
    m_bar->setRange(0, 0); // the comparison reports no progress of its own: a busy bar
    m_bar->setMaximumWidth(90);
    m_bar->setMaximumHeight(14);
    m_bar->setTextVisible(false);
    m_action = new QToolButton;
    connect(m_action, &QToolButton::clicked, this,
            [this] { m_busy ? Q_EMIT cancelRequested() : Q_EMIT recomputeRequested(); });
    header->addWidget(m_status);
    header->addWidget(m_bar);
    header->addWidget(m_action);
}

void BitsErrorChart::createSeries() {
    applyPlotStyle(m_plot);
    for (int i = 0; i < kFamilyCount; ++i) {
        const FamilyStyle style = styleOf(Family(i));
        QCPGraph *graph = m_plot->addGraph();
        graph->setName(familyName(Family(i)));
        graph->setPen(QPen(style.color, 1.5));
        graph->setLineStyle(style.joined ? QCPGraph::lsLine : QCPGraph::lsNone);
        graph->setScatterStyle(QCPScatterStyle(style.shape, QPen(style.color, 1.5), Qt::NoBrush, 7));
        m_series.push_back(graph);
    }
    m_current = m_plot->addGraph();
    m_current->setName(tr("current choice"));
    m_current->setLineStyle(QCPGraph::lsNone);
    m_current->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(colors::zeroPoint(), 2.5),
                                               Qt::NoBrush, kMarkerSizePx));
    m_currentLabel = new QCPItemText(m_plot);
    m_currentLabel->setObjectName(QStringLiteral("currentSchemeLabel"));
    m_currentLabel->position->setType(QCPItemPosition::ptAbsolute);
    m_currentLabel->setClipToAxisRect(false);
    m_currentLabel->setColor(palette().color(QPalette::Text));
    m_currentLabel->setPadding(QMargins(3, 1, 3, 1));
    QColor fill = palette().color(QPalette::Base);
    fill.setAlpha(210);
    m_currentLabel->setBrush(fill);
    m_current->removeFromLegend(); // its label on the plot says what it is
    // The legend beside the plot, so it never hides a point: two columns, at the top.
    auto *side = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(0, 1, side);
    m_plot->plotLayout()->setColumnStretchFactor(1, 0.001);
    side->addElement(0, 0, m_plot->legend);
    side->addElement(1, 0, new QCPLayoutElement(m_plot));
    side->setRowStretchFactor(0, 0.001);
    m_plot->legend->setVisible(true);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foRowsFirst);
    m_plot->legend->setWrap(4);
    m_plot->legend->setIconSize(18, 10);
    m_plot->legend->setRowSpacing(0);
    m_plot->legend->setMargins(QMargins(4, 2, 4, 2));
    m_plot->setToolTip(QString()); // the event filter explains the points
}

void BitsErrorChart::clear() {
    m_rows.clear();
    m_currentRow.reset();
    redraw();
}

void BitsErrorChart::setRows(std::vector<ComparisonRow> rows) {
    m_rows = std::move(rows);
    redraw();
}

void BitsErrorChart::setCurrentSpec(const QuantSpec &spec) {
    m_spec = spec;
    updateMarker();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void BitsErrorChart::redraw() {
    std::array<QVector<QCPGraphData>, kFamilyCount> points;
    m_drawn.clear();
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        const auto family = familyOf(m_rows[i].spec);
        if (!family || !plottable(m_rows[i]))
            continue;
        points[std::size_t(*family)].append(QCPGraphData(m_rows[i].bitsPerWeight, *m_rows[i].error.sqnrDb));
        m_drawn.push_back(i);
    }
    // An empty family stays out of the legend rather than promising a series; the others keep
    // their order.
    for (QCPGraph *series : m_series)
        series->removeFromLegend();
    for (std::size_t f = 0; f < points.size(); ++f) {
        m_series[f]->data()->set(points[f]);
        m_series[f]->setVisible(!points[f].isEmpty());
        if (!points[f].isEmpty())
            m_series[f]->addToLegend();
    }
    fitAxes();
    updateFootnote();
    updateMarker();
    m_info->setText(m_rows.empty() ? QString() : tr("%n schemes", nullptr, int(m_drawn.size())));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void BitsErrorChart::fitAxes() {
    double minX = std::numeric_limits<double>::infinity(), maxX = -minX, minY = minX, maxY = -minX;
    for (std::size_t i : m_drawn) {
        minX = std::min(minX, m_rows[i].bitsPerWeight);
        maxX = std::max(maxX, m_rows[i].bitsPerWeight);
        minY = std::min(minY, *m_rows[i].error.sqnrDb);
        maxY = std::max(maxY, *m_rows[i].error.sqnrDb);
    }
    if (m_drawn.empty()) {
        m_plot->xAxis->setRange(1.5, 9.5);
        m_plot->yAxis->setRange(0, 50);
        return;
    }
    m_plot->xAxis->setRange(minX - kBitsPadding, maxX + kBitsPadding);
    m_plot->yAxis->setRange(minY - kDbPadding, maxY + kDbPadding);
}

// Names only, so the line stays short; why each is missing is in the tooltip. A scheme that
// leaves the tensor as it is (bf16 of a BF16 tensor) is named apart: it is exact, not failed.
void BitsErrorChart::updateFootnote() {
    QStringList exact;
    QStringList skipped;
    QStringList reasons;
    for (const ComparisonRow &row : m_rows) {
        if (plottable(row))
            continue;
        const QString name = schemeName(row.spec);
        (row.skipped.empty() ? exact : skipped) << name;
        reasons << name + QStringLiteral(": ") +
                       (row.skipped.empty() ? tr("no error (SQNR ∞)") : QString::fromStdString(row.skipped));
    }
    QStringList parts;
    if (!exact.isEmpty())
        parts << tr("No error, not drawn: %1").arg(exact.join(QStringLiteral(", ")));
    if (!skipped.isEmpty())
        parts << tr("Not drawn: %1").arg(skipped.join(QStringLiteral(", ")));
    m_footnote->setVisible(!parts.isEmpty());
    m_footnote->setText(parts.join(QStringLiteral(" · ")));
    if (auto *elider = LabelElider::of(m_footnote))
        elider->setDescription(reasons.join(QLatin1Char('\n')));
}

void BitsErrorChart::updateMarker() {
    m_currentRow.reset();
    if (m_spec) {
        for (std::size_t i : m_drawn)
            if (isEntryFor(m_rows[i].spec, *m_spec))
                m_currentRow = i;
    }
    QVector<QCPGraphData> point;
    if (m_currentRow)
        point.append(QCPGraphData(m_rows[*m_currentRow].bitsPerWeight, *m_rows[*m_currentRow].error.sqnrDb));
    m_current->data()->set(point);
    m_current->setVisible(bool(m_currentRow));
    m_currentLabel->setVisible(bool(m_currentRow));
    if (m_currentRow)
        m_currentLabel->setText(tr("current: %1").arg(schemeName(m_rows[*m_currentRow].spec)));
}

// Beside the ring, on the side with more room, and moved along to stay inside the plot.
void BitsErrorChart::placeMarkerLabel() {
    if (!m_currentRow)
        return;
    const ComparisonRow &row = m_rows[*m_currentRow];
    const QPointF at(m_plot->xAxis->coordToPixel(row.bitsPerWeight),
                     m_plot->yAxis->coordToPixel(*row.error.sqnrDb));
    const QRect rect = m_plot->axisRect()->rect();
    const bool left = at.x() > rect.center().x();
    const bool below = at.y() < rect.center().y();
    const QMargins pad = m_currentLabel->padding();
    const QSize text = QFontMetrics(m_currentLabel->font()).size(0, m_currentLabel->text());
    const QSizeF size(text.width() + pad.left() + pad.right(), text.height() + pad.top() + pad.bottom());
    QPointF topLeft(left ? at.x() - kLabelGapPx - size.width() : at.x() + kLabelGapPx,
                    below ? at.y() + kLabelGapPx : at.y() - kLabelGapPx - size.height());
    const QRectF bounds = QRectF(m_plot->rect()).adjusted(2, 2, -2, -2);
    topLeft.setX(
        std::clamp(topLeft.x(), bounds.left(), std::max(bounds.left(), bounds.right() - size.width())));
    topLeft.setY(
        std::clamp(topLeft.y(), bounds.top(), std::max(bounds.top(), bounds.bottom() - size.height())));
    m_currentLabel->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_currentLabel->position->setCoords(topLeft);
}

void BitsErrorChart::setBusy(bool busy, const QString &what) {
    m_busy = busy;
    m_status->setText(busy ? (what.isEmpty() ? tr("Computing…") : what) : QString());
    m_status->setVisible(busy);
    m_bar->setVisible(busy);
    m_action->setText(tr("Cancel"));
    m_action->setToolTip(tr("Stop comparing the schemes"));
    m_action->setVisible(busy);
}

void BitsErrorChart::setCancelled() {
    setBusy(false);
    m_status->setText(tr("Comparison cancelled"));
    m_status->setVisible(true);
    m_action->setText(tr("Compute"));
    m_action->setToolTip(tr("Compare the schemes on this tensor again"));
    m_action->setVisible(true);
}

std::optional<std::size_t> BitsErrorChart::rowAt(QPointF pos) const {
    std::optional<std::size_t> nearest;
    double best = kPickRadiusPx;
    for (std::size_t i : m_drawn) {
        const QPointF at(m_plot->xAxis->coordToPixel(m_rows[i].bitsPerWeight),
                         m_plot->yAxis->coordToPixel(*m_rows[i].error.sqnrDb));
        const double distance = std::hypot(at.x() - pos.x(), at.y() - pos.y());
        if (distance <= best) {
            best = distance;
            nearest = i;
        }
    }
    return nearest;
}

QString BitsErrorChart::rowDescription(std::size_t i) const {
    const ComparisonRow &row = m_rows[i];
    QString text = QStringLiteral("<b>") + schemeName(row.spec).toHtmlEscaped() + QStringLiteral("</b><br>") +
                   tr("%1 bits per weight").arg(formatNumber(row.bitsPerWeight, 4)) + QStringLiteral("<br>") +
                   tr("SQNR %1, MSE %2, cosine %3")
                       .arg(formatDb(*row.error.sqnrDb), formatNumber(row.error.mse, 3),
                            QString::number(row.error.cosine, 'f', 5));
    if (m_currentRow == i)
        text += QStringLiteral("<br>") + tr("(the current choice)");
    else
        text += QStringLiteral("<br>") + tr("Click to choose this scheme");
    return text;
}

bool BitsErrorChart::eventFilter(QObject *watched, QEvent *event) {
    if (watched != m_plot)
        return QWidget::eventFilter(watched, event);
    if (const auto click = m_click.feed(event)) {
        if (const auto row = rowAt(*click))
            Q_EMIT schemeChosen(m_rows[*row].spec);
    } else if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const auto row = rowAt(help->pos());
        const QString text =
            row ? rowDescription(*row)
                : tr("<b>SQNR against bits per weight</b> for this tensor under every scheme of the "
                     "comparison: 10·log10(Σx² / Σ(x − x̂)²), higher is better; bits per weight count the "
                     "scales and zero points too. Int schemes are symmetric min-max. The ring marks the "
                     "current choice; hover a point for its figures, click it to choose it.");
        QToolTip::showText(help->globalPos(), text, m_plot);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace qs::ui
