// Where MappingPlot's text goes: the key labels in rows clear of each other (KeyRows), the
// margins those rows and the axis titles need, the titles and formula, and the sample values
// with their labels on their lines clear of all of that.

#include "plots/mappingplot.h"
#include "plots/mappingplot_p.h"

#include "plots/plotstyle.h"
#include "quant/quantizer.h"

#include <QFontMetrics>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

namespace qs::ui {

using namespace mappingplot;

namespace {

constexpr std::array kSampleFractions = {0.1, 0.42, 0.78};
// Where a sample's label sits on its line (0: integer axis, 1: float axis). The first choice
// alternates so neighbours start apart; the others are tried in turn when it would collide.
constexpr std::array kSampleLabelHeights = {0.36, 0.62, 0.36, 0.62};
constexpr std::array kSampleLabelFallbacks = {0.5, 0.25, 0.75, 0.15, 0.85, 0.43, 0.57};
// Pixel layout of the text.
constexpr int kRightMarginPx = 8;
constexpr int kTitleGapPx = 8;
constexpr int kAxisGapPx = 4;
constexpr int kRowGapPx = 2;
constexpr int kLabelGapPx = 4;
// A label pushed sideways by a neighbour still spans its own value by this much.
constexpr int kCoverPx = 3;
// The fan between the axes keeps at least this height: the plot asks for the room.
constexpr int kMinFanHeightPx = 48;

// The size QCPItemText gives its box for this text (its own font metrics plus padding).
QSizeF textSize(const QCPItemText *item, const QString &text) {
    const QRect bounds = QFontMetrics(item->font())
                             .boundingRect(0, 0, 0, 0, int(Qt::TextDontClip | item->textAlignment()), text);
    const QMargins pad = item->padding();
    return QSizeF(bounds.width() + pad.left() + pad.right(), bounds.height() + pad.top() + pad.bottom());
}

void placeText(QCPItemText *item, const QString &text, const QRectF &box) {
    item->setText(text);
    item->position->setCoords(box.topLeft());
    item->setVisible(true);
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

QPen samplePen() {
    QPen pen(colors::values(), 1.3, Qt::DashLine);
    return pen;
}

} // namespace

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
