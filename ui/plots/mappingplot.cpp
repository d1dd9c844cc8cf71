#include "plots/mappingplot.h"

#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"
#include "quant/quantizer.h"

#include <QFontMetrics>
#include <QLabel>
#include <QScopedValueRollback>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

namespace qs::ui {

namespace {

constexpr double kFloatPadding = 0.04;
// The integer axis is drawn inset, so the lines fan between two visibly different scales.
constexpr double kIntegerInset = 0.14;
// Integer codes get a tick each while they are at least this many pixels apart.
constexpr double kMinCodeSpacingPx = 4.0;
constexpr std::array kSampleFractions = {0.1, 0.42, 0.78};
// Where a sample's label sits on its line (0: integer axis, 1: float axis). The first choice
// alternates so neighbours start apart; the others are tried in turn when it would collide.
constexpr std::array kSampleLabelHeights = {0.36, 0.62, 0.36, 0.62};
constexpr std::array kSampleLabelFallbacks = {0.5, 0.25, 0.75, 0.15, 0.85, 0.43, 0.57};
// Pixel layout of the text; all of it stays kEdgePx inside the widget.
constexpr int kEdgePx = 2;
constexpr int kRightMarginPx = 8;
constexpr int kTitleGapPx = 8;
constexpr int kAxisGapPx = 4;
constexpr int kRowGapPx = 2;
constexpr int kLabelGapPx = 4;
// A label pushed sideways by a neighbour still spans its own value by this much.
constexpr int kCoverPx = 3;
// The fan between the axes keeps at least this height: the plot asks for the room.
constexpr int kMinFanHeightPx = 48;
constexpr int kMinPlotHeightPx = 160;
constexpr std::size_t kFloatKeyCount = 5;
constexpr std::size_t kCodeKeyCount = 3;

struct KeyCandidate {
    double value;
    QString valueText;
    QString key;  // the stable identifier ("clip_min"), in the label's "keys" property
    QString name; // what the label says under the value; empty for 0, which names itself
};

// The size QCPItemText gives its box for this text (its own font metrics plus padding).
QSizeF textSize(const QCPItemText *item, const QString &text) {
    const QRect bounds = QFontMetrics(item->font())
                             .boundingRect(0, 0, 0, 0, int(Qt::TextDontClip | item->textAlignment()), text);
    const QMargins pad = item->padding();
    return QSizeF(bounds.width() + pad.left() + pad.right(), bounds.height() + pad.top() + pad.bottom());
}

QCPItemText *makeText(QCustomPlot *plot, const QString &name) {
    auto *text = new QCPItemText(plot);
    text->setObjectName(name);
    text->setClipToAxisRect(false);
    text->position->setType(QCPItemPosition::ptAbsolute);
    text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    text->setTextAlignment(Qt::AlignHCenter | Qt::AlignTop);
    text->setPadding(QMargins(3, 1, 3, 1));
    text->setVisible(false);
    return text;
}

void placeText(QCPItemText *item, const QString &text, const QRectF &box) {
    item->setText(text);
    item->position->setCoords(box.topLeft());
    item->setVisible(true);
}

QCPItemLine *makeMappingLine(QCustomPlot *plot, const QString &name, const QPen &pen) {
    auto *line = new QCPItemLine(plot);
    line->setObjectName(name);
    line->setPen(pen);
    line->setClipToAxisRect(false);
    // Starts on the float axis (top), ends on the integer axis (bottom).
    line->start->setAxes(plot->xAxis2, plot->yAxis);
    line->end->setAxes(plot->xAxis, plot->yAxis);
    return line;
}

void setMappingLine(QCPItemLine *line, double floatValue, double code) {
    line->start->setCoords(floatValue, 1.0);
    line->end->setCoords(code, 0.0);
    line->setVisible(true);
}

// A box of `size` centred on the line from → to at the first height that lies inside `inner`
// and clear of every box taken; none when there is no such height.
std::optional<QRectF> freeBoxOnLine(QPointF from, QPointF to, QSizeF size, double firstChoice,
                                    const QRectF &inner, const std::vector<QRectF> &taken) {
    std::vector<double> heights = {firstChoice};
    heights.insert(heights.end(), kSampleLabelFallbacks.begin(), kSampleLabelFallbacks.end());
    for (double t : heights) {
        const QPointF centre = from + t * (to - from);
        const QRectF box(
            QPointF(std::round(centre.x() - size.width() / 2), std::round(centre.y() - size.height() / 2)),
            size);
        const bool clear = std::none_of(taken.begin(), taken.end(), [&](const QRectF &other) {
            return other.adjusted(-2, -2, 2, 2).intersects(box);
        });
        if (clear && inner.contains(box))
            return box;
    }
    return std::nullopt;
}

} // namespace

// The key labels of one axis, in rows: row 0 next to the axis, later rows further out.
struct MappingPlot::KeyRows {
    struct Label {
        double value = 0;
        QString valueText;
        QStringList keys;
        QStringList names;
        QString text;
        double anchor = 0; // the value's pixel on its axis
        QSizeF size;
        int row = 0;
        double left = 0;
    };
    std::vector<Label> labels;
    std::vector<double> rowHeights;

    static KeyRows merged(const std::vector<KeyCandidate> &candidates, const QCPAxis *axis,
                          const QCPItemText *prototype);
    void place(double minX, double maxX);
    std::optional<double> fitInRow(const Label &label, const std::vector<QRectF> &row, double minX,
                                   double maxX) const;
    double rowOffset(int row) const;
    double extent() const;
    QRectF box(const Label &label, double axisY, int direction) const;
};

// Candidates come in priority order; those naming the same value (or the same printed value at
// the same pixel) share one label: "clip_max = max", "qmin = z".
MappingPlot::KeyRows MappingPlot::KeyRows::merged(const std::vector<KeyCandidate> &candidates,
                                                  const QCPAxis *axis, const QCPItemText *prototype) {
    KeyRows rows;
    for (const KeyCandidate &candidate : candidates) {
        const double anchor = axis->coordToPixel(candidate.value);
        auto same = std::find_if(rows.labels.begin(), rows.labels.end(), [&](const Label &label) {
            return label.value == candidate.value ||
                   (label.valueText == candidate.valueText && std::abs(label.anchor - anchor) < 1.0);
        });
        if (same == rows.labels.end())
            same = rows.labels.insert(
                rows.labels.end(), Label{candidate.value, candidate.valueText, {}, {}, {}, anchor, {}, 0, 0});
        same->keys << candidate.key;
        if (!candidate.name.isEmpty())
            same->names << candidate.name;
    }
    for (Label &label : rows.labels) {
        label.text = label.names.isEmpty()
                         ? label.valueText
                         : label.valueText + u'\n' + label.names.join(QStringLiteral(" = "));
        label.size = textSize(prototype, label.text);
    }
    return rows;
}

// Greedy, in priority order: each label takes the nearest row where it fits over its value.
void MappingPlot::KeyRows::place(double minX, double maxX) {
    std::vector<std::vector<QRectF>> taken;
    for (Label &label : labels) {
        // An empty row always fits, so this ends by labels.size() rows.
        for (std::size_t row = 0;; ++row) {
            if (row == taken.size()) {
                taken.emplace_back();
                rowHeights.push_back(0.0);
            }
            if (const std::optional<double> left = fitInRow(label, taken[row], minX, maxX)) {
                label.row = int(row);
                label.left = *left;
                taken[row].push_back(QRectF(QPointF(*left, 0), label.size));
                rowHeights[row] = std::max(rowHeights[row], label.size.height());
                break;
            }
        }
    }
}

// Centred on its value (kept between minX and maxX), or pushed sideways beside a neighbour as
// long as it still spans its value; the smallest push wins.
std::optional<double> MappingPlot::KeyRows::fitInRow(const Label &label, const std::vector<QRectF> &row,
                                                     double minX, double maxX) const {
    const double width = label.size.width();
    const double preferred = std::round(std::max(minX, std::min(label.anchor - width / 2, maxX - width)));
    std::vector<double> tries = {preferred};
    for (const QRectF &other : row) {
        tries.push_back(other.right() + kLabelGapPx);
        tries.push_back(other.left() - kLabelGapPx - width);
    }
    std::optional<double> best;
    for (double left : tries) {
        const bool spansValue = label.anchor >= left + kCoverPx && label.anchor <= left + width - kCoverPx;
        const bool inside = left >= minX && left + width <= maxX;
        const bool free = std::all_of(row.begin(), row.end(), [&](const QRectF &other) {
            return left + width + kLabelGapPx <= other.left() || left >= other.right() + kLabelGapPx;
        });
        if (free && (left == preferred || (spansValue && inside)) &&
            (!best || std::abs(left - preferred) < std::abs(*best - preferred)))
            best = left;
    }
    return best;
}

double MappingPlot::KeyRows::rowOffset(int row) const {
    double offset = kAxisGapPx;
    for (int r = 0; r < row; ++r)
        offset += rowHeights[std::size_t(r)] + kRowGapPx;
    return offset;
}

// From the axis to the outer edge of the last row.
double MappingPlot::KeyRows::extent() const {
    if (rowHeights.empty())
        return kAxisGapPx;
    return rowOffset(int(rowHeights.size()) - 1) + rowHeights.back();
}

// direction -1: rows stack upwards from the axis at axisY, each label against its row's axis side.
QRectF MappingPlot::KeyRows::box(const Label &label, double axisY, int direction) const {
    const double offset = rowOffset(label.row);
    const double top = direction < 0 ? axisY - offset - label.size.height() : axisY + offset;
    return QRectF(QPointF(label.left, top), label.size);
}

class MappingPlot::Items {
public:
    explicit Items(QCustomPlot *plot);
    std::vector<QCPItemText *> texts() const;

    QCustomPlot *m_plot;
    QCPItemLine *m_floatAxis;
    QCPItemLine *m_tensorRange;
    QCPItemLine *m_integerAxis;
    QCPGraph *m_codeTicks;
    QCPItemLine *m_clipLowLine;
    QCPItemLine *m_clipHighLine;
    QCPItemLine *m_zeroLine;
    std::array<QCPCurve *, 2> m_saturated{};
    // Created before the labels, so the labels' backgrounds cover them where they cross.
    std::vector<QCPItemLine *> m_leaders;
    std::vector<QCPItemText *> m_floatKeys;
    std::vector<QCPItemText *> m_codeKeys;
    std::array<QCPItemText *, 2> m_titles{};
    QCPItemText *m_caption;
    std::vector<QCPItemLine *> m_sampleLines;
    std::vector<QCPItemText *> m_sampleLabels;
    std::vector<QCPItemLine *> m_levelLinks;
};

MappingPlot::Items::Items(QCustomPlot *plot)
    : m_plot(plot) {
    const QColor text = colors::zeroPoint();
    m_floatAxis = makeMappingLine(plot, QStringLiteral("floatAxis"), QPen(text, 1.5));
    m_floatAxis->end->setAxes(plot->xAxis2, plot->yAxis);
    m_tensorRange = makeMappingLine(plot, QStringLiteral("tensorRange"), QPen(colors::values(), 5));
    m_tensorRange->end->setAxes(plot->xAxis2, plot->yAxis);
    m_integerAxis = makeMappingLine(plot, QStringLiteral("integerAxis"), QPen(text, 1.5));
    m_integerAxis->start->setAxes(plot->xAxis, plot->yAxis);
    m_codeTicks = plot->addGraph(plot->xAxis, plot->yAxis);
    m_codeTicks->setLineStyle(QCPGraph::lsImpulse);
    m_codeTicks->setPen(QPen(colors::levels(), 1));
    QColor shade = colors::clipped();
    shade.setAlpha(70);
    for (std::size_t i = 0; i < m_saturated.size(); ++i) {
        m_saturated[i] = new QCPCurve(plot->xAxis, plot->yAxis);
        m_saturated[i]->setObjectName(i == 0 ? QStringLiteral("saturatedLow")
                                             : QStringLiteral("saturatedHigh"));
        m_saturated[i]->setPen(Qt::NoPen);
        m_saturated[i]->setBrush(shade);
    }
    m_clipLowLine = makeMappingLine(plot, QStringLiteral("clipMinLine"), QPen(colors::clipped(), 2));
    m_clipHighLine = makeMappingLine(plot, QStringLiteral("clipMaxLine"), QPen(colors::clipped(), 2));
    m_zeroLine = makeMappingLine(plot, QStringLiteral("zeroPointLine"), QPen(text, 3));
    for (std::size_t i = 0; i < kFloatKeyCount + kCodeKeyCount; ++i) {
        auto *leader = new QCPItemLine(plot);
        leader->setObjectName(QStringLiteral("keyLeader"));
        leader->setClipToAxisRect(false);
        leader->start->setType(QCPItemPosition::ptAbsolute);
        leader->end->setType(QCPItemPosition::ptAbsolute);
        m_leaders.push_back(leader);
    }
    for (std::size_t i = 0; i < kFloatKeyCount; ++i)
        m_floatKeys.push_back(makeText(plot, QStringLiteral("floatKeyLabel")));
    for (std::size_t i = 0; i < kCodeKeyCount; ++i)
        m_codeKeys.push_back(makeText(plot, QStringLiteral("codeKeyLabel")));
    m_titles[0] = makeText(plot, QStringLiteral("floatAxisTitle"));
    m_titles[0]->setText(MappingPlot::tr("float"));
    m_titles[1] = makeText(plot, QStringLiteral("integerAxisTitle"));
    m_titles[1]->setText(MappingPlot::tr("int"));
    m_caption = makeText(plot, QStringLiteral("mappingFormula"));
    m_caption->setText(MappingPlot::tr("q = clamp(round(x / s) + z, qmin, qmax)"));
}

std::vector<QCPItemText *> MappingPlot::Items::texts() const {
    std::vector<QCPItemText *> all = m_floatKeys;
    all.insert(all.end(), m_codeKeys.begin(), m_codeKeys.end());
    all.insert(all.end(), m_titles.begin(), m_titles.end());
    all.push_back(m_caption);
    all.insert(all.end(), m_sampleLabels.begin(), m_sampleLabels.end());
    return all;
}

namespace {

QPen samplePen() {
    QPen pen(colors::values(), 1.3, Qt::DashLine);
    return pen;
}

QString modeText(const QuantSpec &spec) {
    return MappingPlot::tr("%1-bit %2%3, %4")
        .arg(spec.bits)
        .arg(QString::fromUtf8(schemeName(spec.scheme)))
        .arg(spec.narrow && spec.scheme == Scheme::Symmetric ? MappingPlot::tr(" narrow") : QString())
        .arg(QString::fromUtf8(rangeModeName(spec.rangeMode)));
}

QString mappingToolTip(const QuantParams &params) {
    return MappingPlot::tr(
               "<b>Float → integer mapping</b><br>q = clamp(round(x / s) + z, qmin, qmax)<br>top: float "
               "values, the tensor's range in blue; bottom: integer codes [qmin, qmax] = [%1, %2]<br>orange "
               "lines: clip_min → qmin, clip_max → qmax; thick line: 0 → zero point z = %3 (0 is exactly "
               "representable)<br>shaded: values beyond the clip range, all saturating to qmin / "
               "qmax<br>dashed: sample values and their codes; s = %4")
        .arg(params.qmin)
        .arg(params.qmax)
        .arg(params.zeroPoint)
        .arg(formatNumber(double(params.scale)));
}

} // namespace

MappingPlot::MappingPlot(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this)) {
    auto *info = new QLabel(this);
    info->setObjectName(QStringLiteral("mappingInfo"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(makePlotHeader(tr("Mapping float → integer"), info));
    layout->addWidget(m_plot, 1);
    m_plot->setMinimumSize(240, kMinPlotHeightPx);

    // The key values are text items laid out in rows (see KeyRows); the axes keep only their
    // tick marks, and the margins are set to fit the rows.
    m_plot->axisRect()->setAutoMargins(QCP::msNone);
    m_plot->xAxis2->setVisible(true);
    m_plot->yAxis->setVisible(false);
    m_plot->yAxis->setRange(0.0, 1.0);
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->xAxis2}) {
        axis->grid()->setVisible(false);
        axis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        axis->setSubTicks(false);
        axis->setTickLabels(false);
    }
    m_items = std::make_unique<Items>(m_plot);
    applyStyle();
    m_plot->installEventFilter(this);
    clear();
}

// Colours that follow the theme: set at start and again whenever the palette changes.
void MappingPlot::applyStyle() {
    applyPlotStyle(m_plot);
    // The axes are drawn as segments spanning only their ranges, so the frame lines go.
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->xAxis2})
        axis->setBasePen(Qt::NoPen);
    const QColor text = colors::zeroPoint();
    m_items->m_floatAxis->setPen(QPen(text, 1.5));
    m_items->m_integerAxis->setPen(QPen(text, 1.5));
    m_items->m_zeroLine->setPen(QPen(text, 3));
    QColor faint = text;
    faint.setAlpha(150);
    for (QCPItemLine *leader : m_items->m_leaders)
        leader->setPen(QPen(faint, 1, Qt::DotLine));
    QColor background = m_plot->palette().color(QPalette::Base);
    background.setAlpha(220);
    QFont small = m_plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    for (QCPItemText *label : m_items->texts()) {
        label->setColor(text);
        label->setBrush(background);
        label->setFont(m_plot->font());
    }
    m_items->m_caption->setColor(faint);
    for (QCPItemText *label : m_items->m_sampleLabels)
        label->setFont(small);
    m_items->m_caption->setFont(small);
}

bool MappingPlot::eventFilter(QObject *watched, QEvent *event) {
    // The plot's own palette change (it arrives after the widget's, once the plot has the new
    // one); a resize changes where every label fits.
    if (watched == m_plot && event->type() == QEvent::PaletteChange) {
        applyStyle();
        redraw();
    } else if (watched == m_plot && event->type() == QEvent::Resize && !m_drawing) {
        redraw();
    }
    return QWidget::eventFilter(watched, event);
}

MappingPlot::~MappingPlot() = default;

void MappingPlot::redraw() {
    if (m_levelsShown) {
        const LevelsShown shown = *m_levelsShown;
        const std::vector<double> levels = m_levels;
        setLevels(levels, shown.dataMin, shown.dataMax, shown.description);
    } else if (m_shown) {
        const Shown shown = *m_shown;
        setMapping(shown.tensorMin, shown.tensorMax, shown.spec, shown.params);
    } else {
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

void MappingPlot::clear() {
    m_shown.reset();
    m_levelsShown.reset();
    m_levels.clear();
    for (QCPAbstractItem *item : m_plot->findChildren<QCPAbstractItem *>())
        item->setVisible(false);
    for (QCPCurve *curve : m_items->m_saturated)
        curve->data()->clear();
    m_items->m_codeTicks->data()->clear();
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->xAxis2})
        axis->ticker().staticCast<QCPAxisTickerText>()->clear();
    findChild<QLabel *>(QStringLiteral("mappingInfo"))->clear();
    m_plot->setToolTip(tr("The float → integer mapping of the selected tensor."));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MappingPlot::setMapping(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                             const qs::QuantParams &params) {
    clear();
    if (!std::isfinite(params.clipMin) || !std::isfinite(params.clipMax))
        return;
    // A tensor without finite values still shows the mapping of its clip range.
    if (!std::isfinite(tensorMin) || !std::isfinite(tensorMax)) {
        tensorMin = params.clipMin;
        tensorMax = params.clipMax;
    }
    m_shown = Shown{tensorMin, tensorMax, spec, params};
    const QScopedValueRollback drawing(m_drawing, true);
    m_items->m_caption->setText(tr("q = clamp(round(x / s) + z, qmin, qmax)"));
    m_items->m_titles[1]->setText(tr("int"));
    setAxisRanges(tensorMin, tensorMax, params);
    applyMargins(0, 0); // the rows depend on the horizontal layout alone
    const KeyRows floatRows = floatKeyRows(tensorMin, tensorMax, spec, params);
    const KeyRows codeRows = codeKeyRows(params);
    const bool showCaption = layOutAxisRect(floatRows, codeRows);
    drawAxes(tensorMin, tensorMax, params, floatRows, codeRows);
    drawMappingLines(params);
    drawSaturation(tensorMin, tensorMax, params);
    std::vector<QRectF> taken = drawLabels(floatRows, codeRows, showCaption);
    drawSamples(tensorMin, tensorMax, params, taken);
    findChild<QLabel *>(QStringLiteral("mappingInfo"))
        ->setText(tr("s = %1, z = %2 · %3")
                      .arg(formatNumber(double(params.scale), 3))
                      .arg(params.zeroPoint)
                      .arg(modeText(spec)));
    m_plot->setToolTip(mappingToolTip(params));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MappingPlot::setAxisRanges(double tensorMin, double tensorMax, const qs::QuantParams &params) {
    const double lo = std::min(tensorMin, params.clipMin);
    const double hi = std::max(tensorMax, params.clipMax);
    double pad = (hi - lo) * kFloatPadding;
    if (!(pad > 0))
        pad = std::max(std::abs(lo) * 0.1, 1e-3);
    m_plot->xAxis2->setRange(lo - pad, hi + pad);
    const double span = double(params.qmax - params.qmin);
    const double inset = std::max(span, 1.0) * kIntegerInset / (1.0 - 2.0 * kIntegerInset);
    m_plot->xAxis->setRange(double(params.qmin) - inset, double(params.qmax) + inset);
}

double MappingPlot::toIntegerAxis(double floatValue) const {
    const QCPRange f = m_plot->xAxis2->range();
    const QCPRange i = m_plot->xAxis->range();
    return i.lower + (floatValue - f.lower) / f.size() * i.size();
}

// The axis titles take a column on the left, level with their axes; the rows of key labels
// go above and below.
void MappingPlot::applyMargins(int top, int bottom) {
    double titleWidth = 0;
    for (const QCPItemText *title : m_items->m_titles)
        titleWidth = std::max(titleWidth, textSize(title, title->text()).width());
    const int left = kEdgePx + int(std::ceil(titleWidth)) + kTitleGapPx;
    m_plot->axisRect()->setMargins(QMargins(left, top, kRightMarginPx, bottom));
    // Laid out now, so the axes' pixel mapping is already the one the next replot uses.
    m_plot->axisRect()->setOuterRect(m_plot->rect());
}

MappingPlot::KeyRows MappingPlot::floatKeyRows(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                                               const qs::QuantParams &params) const {
    const auto candidate = [](double value, const QString &key, const QString &name) {
        return KeyCandidate{value, formatNumber(value, 3), key, name};
    };
    std::vector<KeyCandidate> candidates = {
        candidate(0.0, QStringLiteral("0"), QString()),
        candidate(params.clipMin, QStringLiteral("clip_min"), tr("clip_min")),
        candidate(params.clipMax, QStringLiteral("clip_max"), tr("clip_max"))};
    if (spec.rangeMode == RangeMode::Saturating) {
        candidates.push_back(candidate(tensorMin, QStringLiteral("min"), tr("min")));
        candidates.push_back(candidate(tensorMax, QStringLiteral("max"), tr("max")));
    }
    KeyRows rows = KeyRows::merged(candidates, m_plot->xAxis2, m_items->m_floatKeys.front());
    rows.place(m_plot->axisRect()->left(), m_plot->width() - kEdgePx);
    return rows;
}

MappingPlot::KeyRows MappingPlot::codeKeyRows(const qs::QuantParams &params) const {
    const auto candidate = [](std::int64_t code, const QString &key, const QString &name) {
        return KeyCandidate{double(code), QString::number(code), key, name};
    };
    const std::vector<KeyCandidate> candidates = {candidate(params.qmin, QStringLiteral("qmin"), tr("qmin")),
                                                  candidate(params.qmax, QStringLiteral("qmax"), tr("qmax")),
                                                  candidate(params.zeroPoint, QStringLiteral("z"), tr("z"))};
    KeyRows rows = KeyRows::merged(candidates, m_plot->xAxis, m_items->m_codeKeys.front());
    rows.place(m_plot->axisRect()->left(), m_plot->width() - kEdgePx);
    return rows;
}

// Room above and below the axes for the rows of labels, and for the formula when it fits.
// Returns whether the formula is shown.
bool MappingPlot::layOutAxisRect(const KeyRows &floatRows, const KeyRows &codeRows) {
    const int top = kEdgePx + 1 + int(std::ceil(floatRows.extent()));
    int bottom = kEdgePx + 1 + int(std::ceil(codeRows.extent()));
    // Only once shown: a hidden plot's size is a placeholder that would ask for too much.
    if (m_plot->isVisible())
        m_plot->setMinimumHeight(std::max(kMinPlotHeightPx, top + bottom + kMinFanHeightPx));
    const QSizeF caption = textSize(m_items->m_caption, m_items->m_caption->text());
    const int captionHeight = int(std::ceil(caption.height())) + kRowGapPx;
    const bool showCaption = caption.width() <= m_plot->width() - 2 * kEdgePx &&
                             m_plot->height() - top - bottom - captionHeight >= kMinFanHeightPx;
    applyMargins(top, showCaption ? bottom + captionHeight : bottom);
    return showCaption;
}

// Places titles, key labels (with leaders to those off the first row) and the formula; returns
// the boxes they take.
std::vector<QRectF> MappingPlot::drawLabels(const KeyRows &floatRows, const KeyRows &codeRows,
                                            bool showCaption) {
    std::vector<QRectF> taken;
    const double floatY = m_plot->yAxis->coordToPixel(1.0);
    const double codeY = m_plot->yAxis->coordToPixel(0.0);
    for (const auto &[title, axisY] :
         {std::pair{m_items->m_titles[0], floatY}, std::pair{m_items->m_titles[1], codeY}}) {
        const QSizeF size = textSize(title, title->text());
        taken.emplace_back(QPointF(kEdgePx, std::round(axisY - size.height() / 2)), size);
        placeText(title, title->text(), taken.back());
    }
    std::size_t leader = 0;
    const auto drawRows = [&](const KeyRows &rows, const std::vector<QCPItemText *> &pool, double axisY,
                              int direction) {
        for (std::size_t i = 0; i < rows.labels.size() && i < pool.size(); ++i) {
            const KeyRows::Label &label = rows.labels[i];
            taken.push_back(rows.box(label, axisY, direction));
            placeText(pool[i], label.text, taken.back());
            pool[i]->setProperty("keys", label.keys);
            if (label.row == 0)
                continue;
            QCPItemLine *line = m_items->m_leaders[leader++];
            line->start->setCoords(label.anchor, axisY + direction * 3.0);
            line->end->setCoords(label.anchor, direction < 0 ? taken.back().bottom() : taken.back().top());
            line->setVisible(true);
        }
    };
    drawRows(floatRows, m_items->m_floatKeys, floatY, -1);
    drawRows(codeRows, m_items->m_codeKeys, codeY, +1);
    if (showCaption) {
        QCPItemText *caption = m_items->m_caption;
        const QSizeF size = textSize(caption, caption->text());
        taken.emplace_back(QPointF(std::round((m_plot->width() - size.width()) / 2),
                                   std::ceil(codeY + codeRows.extent()) + kRowGapPx),
                           size);
        placeText(caption, caption->text(), taken.back());
    }
    return taken;
}

void MappingPlot::drawAxes(double tensorMin, double tensorMax, const qs::QuantParams &params,
                           const KeyRows &floatRows, const KeyRows &codeRows) {
    const double lo = std::min(tensorMin, params.clipMin);
    const double hi = std::max(tensorMax, params.clipMax);
    m_items->m_floatAxis->start->setCoords(lo, 1.0);
    m_items->m_floatAxis->end->setCoords(hi, 1.0);
    m_items->m_floatAxis->setVisible(true);
    m_items->m_tensorRange->start->setCoords(tensorMin, 1.0);
    m_items->m_tensorRange->end->setCoords(tensorMax, 1.0);
    m_items->m_tensorRange->setVisible(true);
    m_items->m_integerAxis->start->setCoords(double(params.qmin), 0.0);
    m_items->m_integerAxis->end->setCoords(double(params.qmax), 0.0);
    m_items->m_integerAxis->setVisible(true);
    drawCodeTicks(params);
    // A tick mark at each labelled value; the labels themselves are text items.
    for (const auto &[axis, rows] :
         {std::pair{m_plot->xAxis2, &floatRows}, std::pair{m_plot->xAxis, &codeRows}}) {
        QMap<double, QString> ticks;
        for (const KeyRows::Label &label : rows->labels)
            ticks.insert(label.value, QString());
        axis->ticker().staticCast<QCPAxisTickerText>()->setTicks(ticks);
    }
}

// A short tick per integer code while they are far enough apart to tell (low bit widths).
void MappingPlot::drawCodeTicks(const qs::QuantParams &params) {
    const double spacingPx = m_plot->axisRect()->width() / m_plot->xAxis->range().size();
    if (spacingPx < kMinCodeSpacingPx)
        return;
    QVector<QCPGraphData> data;
    for (std::int64_t q = params.qmin; q <= params.qmax; ++q)
        data.append(QCPGraphData(double(q), 0.06));
    m_items->m_codeTicks->data()->set(data, true);
}

void MappingPlot::drawMappingLines(const qs::QuantParams &params) {
    setMappingLine(m_items->m_clipLowLine, params.clipMin, double(params.qmin));
    setMappingLine(m_items->m_clipHighLine, params.clipMax, double(params.qmax));
    setMappingLine(m_items->m_zeroLine, 0.0, double(params.zeroPoint));
}

// Every value beyond a clip threshold lands on qmin / qmax: a wedge from that stretch of the
// float axis to one integer.
void MappingPlot::drawSaturation(double tensorMin, double tensorMax, const qs::QuantParams &params) {
    const auto wedge = [this](QCPCurve *curve, double from, double to, double code) {
        curve->data()->clear();
        if (!(to > from))
            return;
        curve->addData({toIntegerAxis(from), toIntegerAxis(to), code, toIntegerAxis(from)},
                       {1.0, 1.0, 0.0, 1.0});
    };
    wedge(m_items->m_saturated[0], tensorMin, params.clipMin, double(params.qmin));
    wedge(m_items->m_saturated[1], params.clipMax, tensorMax, double(params.qmax));
}

std::vector<double> MappingPlot::sampleValues(double tensorMin, double tensorMax,
                                              const qs::QuantParams &params) {
    const double lo = std::max(tensorMin, params.clipMin);
    const double hi = std::min(tensorMax, params.clipMax);
    std::vector<double> samples;
    for (double f : kSampleFractions)
        samples.push_back(lo + f * (hi - lo));
    if (tensorMax > params.clipMax)
        samples.push_back((params.clipMax + tensorMax) / 2);
    else if (tensorMin < params.clipMin)
        samples.push_back((tensorMin + params.clipMin) / 2);
    return samples;
}

// Each sample's label goes on its line where it is clear of everything already placed; a sample
// without such a place is left out (the key labels always come first).
void MappingPlot::drawSamples(double tensorMin, double tensorMax, const qs::QuantParams &params,
                              std::vector<QRectF> &taken) {
    if (!(tensorMax > tensorMin))
        return;
    const double floatY = m_plot->yAxis->coordToPixel(1.0);
    const double codeY = m_plot->yAxis->coordToPixel(0.0);
    const QRectF inner(QPointF(kEdgePx, floatY + 4), QPointF(m_plot->width() - kEdgePx, codeY - 4));
    const std::vector<double> samples = sampleValues(tensorMin, tensorMax, params);
    std::size_t shown = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const double x = samples[i];
        const std::int64_t q = quantizeValue(float(x), params);
        const QString text = tr("%1 → %2").arg(formatNumber(x, 3)).arg(q);
        const QPointF from(m_plot->xAxis->coordToPixel(double(q)), codeY);
        const QPointF to(m_plot->xAxis2->coordToPixel(x), floatY);
        const std::optional<QRectF> box =
            freeBoxOnLine(from, to, textSize(sampleLabel(shown), text),
                          kSampleLabelHeights[i % kSampleLabelHeights.size()], inner, taken);
        if (!box)
            continue;
        setMappingLine(sampleLine(shown), x, double(q));
        placeText(sampleLabel(shown), text, *box);
        taken.push_back(*box);
        ++shown;
    }
}

QCPItemLine *MappingPlot::sampleLine(std::size_t i) {
    while (m_items->m_sampleLines.size() <= i)
        m_items->m_sampleLines.push_back(makeMappingLine(m_plot, QStringLiteral("sampleLine"), samplePen()));
    return m_items->m_sampleLines[i];
}

QCPItemText *MappingPlot::sampleLabel(std::size_t i) {
    while (m_items->m_sampleLabels.size() <= i) {
        QCPItemText *label = makeText(m_plot, QStringLiteral("sampleLabel"));
        label->setPen(QPen(colors::values(), 1));
        m_items->m_sampleLabels.push_back(label);
        applyStyle();
    }
    return m_items->m_sampleLabels[i];
}

} // namespace qs::ui

namespace qs::ui {

namespace {
// More level links than this make a solid fan; every k-th is drawn instead.
constexpr std::size_t kMaxLevelLinks = 64;
} // namespace

void MappingPlot::setLevels(const std::vector<double> &levels, double dataMin, double dataMax,
                            const QString &description) {
    clear();
    if (levels.empty())
        return;
    if (!std::isfinite(dataMin) || !std::isfinite(dataMax)) {
        dataMin = levels.front();
        dataMax = levels.back();
    }
    m_levels = levels;
    m_levelsShown = LevelsShown{dataMin, dataMax, description};
    const QScopedValueRollback drawing(m_drawing, true);
    const double lo = std::min(dataMin, levels.front());
    const double hi = std::max(dataMax, levels.back());
    double pad = (hi - lo) * kFloatPadding;
    if (!(pad > 0))
        pad = std::max(std::abs(lo) * 0.1, 1e-3);
    m_plot->xAxis2->setRange(lo - pad, hi + pad);
    const double last = double(levels.size() - 1);
    const double inset = std::max(last, 1.0) * kIntegerInset / (1.0 - 2.0 * kIntegerInset);
    m_plot->xAxis->setRange(-inset, last + inset);
    m_items->m_caption->setText(tr("x → the nearest level; code = its index"));
    m_items->m_titles[1]->setText(tr("code"));
    applyMargins(0, 0);

    const auto floatCandidate = [](double value, const QString &key, const QString &name) {
        return KeyCandidate{value, formatNumber(value, 3), key, name};
    };
    std::vector<KeyCandidate> floats = {
        floatCandidate(levels.front(), QStringLiteral("lowest"), tr("lowest")),
        floatCandidate(levels.back(), QStringLiteral("highest"), tr("highest"))};
    if (levels.front() < 0 && levels.back() > 0)
        floats.insert(floats.begin(), floatCandidate(0.0, QStringLiteral("0"), QString()));
    KeyRows floatRows = KeyRows::merged(floats, m_plot->xAxis2, m_items->m_floatKeys.front());
    floatRows.place(m_plot->axisRect()->left(), m_plot->width() - kEdgePx);
    const std::vector<KeyCandidate> codes = {
        KeyCandidate{0.0, QStringLiteral("0"), QStringLiteral("first"), QString()},
        KeyCandidate{last, QString::number(levels.size() - 1), QStringLiteral("last"), QString()}};
    KeyRows codeRows = KeyRows::merged(codes, m_plot->xAxis, m_items->m_codeKeys.front());
    codeRows.place(m_plot->axisRect()->left(), m_plot->width() - kEdgePx);
    const bool showCaption = layOutAxisRect(floatRows, codeRows);

    m_items->m_floatAxis->start->setCoords(lo, 1.0);
    m_items->m_floatAxis->end->setCoords(hi, 1.0);
    m_items->m_floatAxis->setVisible(true);
    m_items->m_tensorRange->start->setCoords(dataMin, 1.0);
    m_items->m_tensorRange->end->setCoords(dataMax, 1.0);
    m_items->m_tensorRange->setVisible(true);
    m_items->m_integerAxis->start->setCoords(0.0, 0.0);
    m_items->m_integerAxis->end->setCoords(last, 0.0);
    m_items->m_integerAxis->setVisible(true);
    for (const auto &[axis, rows] :
         {std::pair{m_plot->xAxis2, &floatRows}, std::pair{m_plot->xAxis, &codeRows}}) {
        QMap<double, QString> ticks;
        for (const KeyRows::Label &label : rows->labels)
            ticks.insert(label.value, QString());
        axis->ticker().staticCast<QCPAxisTickerText>()->setTicks(ticks);
    }
    drawLevelLinks(levels);
    drawLabels(floatRows, codeRows, showCaption);
    QLabel *info = findChild<QLabel *>(QStringLiteral("mappingInfo"));
    info->setText(tr("%1 levels · %2").arg(levels.size()).arg(description));
    m_plot->setToolTip(tr("<b>Float → code</b> for %1: each of the %2 levels (top, value units) and the "
                          "code that stores it (bottom, its index). Uneven spacing on top is a non-uniform "
                          "grid; x goes to the nearest level.")
                           .arg(description.toHtmlEscaped())
                           .arg(levels.size()));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MappingPlot::drawLevelLinks(const std::vector<double> &levels) {
    const std::size_t stride = (levels.size() + kMaxLevelLinks - 1) / kMaxLevelLinks;
    std::size_t used = 0;
    for (std::size_t k = 0; k < levels.size(); k += stride)
        setMappingLine(levelLink(used++), levels[k], double(k));
    if ((levels.size() - 1) % stride != 0)
        setMappingLine(levelLink(used++), levels.back(), double(levels.size() - 1));
    const double spacingPx = m_plot->axisRect()->width() / m_plot->xAxis->range().size();
    if (spacingPx < kMinCodeSpacingPx)
        return;
    QVector<QCPGraphData> data;
    for (std::size_t k = 0; k < levels.size(); ++k)
        data.append(QCPGraphData(double(k), 0.06));
    m_items->m_codeTicks->data()->set(data, true);
}

QCPItemLine *MappingPlot::levelLink(std::size_t i) {
    while (m_items->m_levelLinks.size() <= i) {
        QColor color = colors::levels();
        color.setAlpha(170);
        m_items->m_levelLinks.push_back(makeMappingLine(m_plot, QStringLiteral("levelLink"), QPen(color, 1)));
    }
    return m_items->m_levelLinks[i];
}

} // namespace qs::ui
