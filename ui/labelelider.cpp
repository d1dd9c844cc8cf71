#include "labelelider.h"

#include <QEvent>
#include <QFontMetrics>
#include <QLabel>
#include <QPainter>
#include <QStyle>

#include <algorithm>
#include <vector>

namespace qs::ui {

namespace {

const QString kEllipsis = QStringLiteral("…");

bool fits(const QString &text, const QFontMetrics &metrics, int width) {
    return metrics.horizontalAdvance(text) <= width;
}

// The first candidate that fits, else `text` cut at the right.
QString firstFitting(const QStringList &candidates, const QString &text, const QFontMetrics &metrics,
                     int width) {
    for (const QString &candidate : candidates)
        if (fits(candidate, metrics, width))
            return candidate;
    return metrics.elidedText(text, Qt::ElideRight, width);
}

// "a · b, c" -> "a · b, …", "a · …": whole parts, longest first, so no word is cut in half.
QStringList segmentCandidates(const QString &text) {
    std::vector<qsizetype> ends;
    for (const QString &separator : {QStringLiteral(" · "), QStringLiteral(", ")})
        for (qsizetype at = text.indexOf(separator); at > 0; at = text.indexOf(separator, at + 1))
            ends.push_back(at + separator.size());
    std::sort(ends.begin(), ends.end(), std::greater<>());
    QStringList candidates;
    for (qsizetype end : ends)
        candidates << text.left(end) + kEllipsis;
    return candidates;
}

// "64 × 32 × 3 × 3" -> "64×32×3×3", "64 × … × 3", "64×…×3", "64 × …", "64×…": every
// dimension without the spaces, then the first and last (they say most), then the first; each
// spaced, then tight. Only whole numbers: a narrow column shows "4096×…", not "409…".
QStringList shapeCandidates(const QString &text) {
    const QString times = QStringLiteral(" × ");
    const QString tight = QStringLiteral("×");
    const QStringList dims = text.split(times);
    QStringList candidates;
    if (dims.size() >= 2)
        candidates << dims.join(tight);
    if (dims.size() >= 3)
        candidates << dims.front() + times + kEllipsis + times + dims.back()
                   << dims.front() + tight + kEllipsis + tight + dims.back();
    if (dims.size() >= 2)
        candidates << dims.front() + times + kEllipsis << dims.front() + tight + kEllipsis;
    return candidates;
}

} // namespace

QString elideText(const QString &text, const QFontMetrics &metrics, int width, ElideStyle style) {
    if (fits(text, metrics, width))
        return text;
    switch (style) {
    case ElideStyle::Middle:
        return metrics.elidedText(text, Qt::ElideMiddle, width);
    case ElideStyle::Segments:
        return firstFitting(segmentCandidates(text), text, metrics, width);
    case ElideStyle::Shape:
        return firstFitting(shapeCandidates(text), text, metrics, width);
    case ElideStyle::Right:
        break;
    }
    return metrics.elidedText(text, Qt::ElideRight, width);
}

LabelElider::LabelElider(QLabel *label, ElideStyle style)
    : QObject(label)
    , m_label(label)
    , m_style(style) {
    setObjectName(QStringLiteral("labelElider"));
}

LabelElider *LabelElider::install(QLabel *label, ElideStyle style) {
    if (LabelElider *existing = of(label))
        return existing;
    auto *elider = new LabelElider(label, style);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(false);
    label->installEventFilter(elider);
    return elider;
}

LabelElider *LabelElider::of(const QLabel *label) {
    return label ? label->findChild<LabelElider *>(QStringLiteral("labelElider"), Qt::FindDirectChildrenOnly)
                 : nullptr;
}

void LabelElider::setDescription(const QString &description) {
    m_description = description;
    sync();
}

QString LabelElider::fullText() const {
    return m_label->text();
}

int LabelElider::availableWidth() const {
    const int margin = m_label->margin();
    return m_label->contentsRect().width() - 2 * margin - std::max(0, m_label->indent());
}

QString LabelElider::visibleText() const {
    return elideText(fullText(), m_label->fontMetrics(), availableWidth(), m_style);
}

void LabelElider::sync() {
    const QString full = fullText();
    QString tip = m_description;
    if (isElided() && !tip.contains(full))
        tip = tip.isEmpty() ? full : full + QStringLiteral("\n\n") + tip;
    if (m_label->toolTip() != tip)
        m_label->setToolTip(tip);
}

void LabelElider::paintVisibleText() {
    QPainter painter(m_label);
    const int margin = m_label->margin();
    const QRect rect = m_label->contentsRect().adjusted(margin, margin, -margin, -margin);
    const Qt::Alignment align = QStyle::visualAlignment(m_label->layoutDirection(), m_label->alignment());
    m_label->style()->drawItemText(&painter, rect, int(align), m_label->palette(), m_label->isEnabled(),
                                   visibleText(), m_label->foregroundRole());
}

bool LabelElider::eventFilter(QObject *watched, QEvent *event) {
    if (watched != m_label)
        return QObject::eventFilter(watched, event);
    switch (event->type()) {
    case QEvent::Paint:
        // QLabel::setText() sends no event of its own, but always repaints.
        sync();
        if (isElided()) {
            paintVisibleText();
            return true;
        }
        break;
    case QEvent::Resize:
    case QEvent::FontChange:
    case QEvent::ToolTip:
        sync();
        break;
    default:
        break;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace qs::ui
