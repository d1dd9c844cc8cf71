#pragma once

#include <QObject>
#include <QString>

class QFontMetrics;
class QLabel;

namespace qs::ui {

// Where a text too wide for its place is cut; "…" marks the cut.
enum class ElideStyle {
    Right,    // "model.layers.0.q_pr…"
    Middle,   // keeps both ends of a dotted name: "model.feature_…basis_buffer"
    Segments, // drops whole trailing " · " / ", " parts first: "s = 0.0123, z = 0 · …"
    Shape,    // drops inner dimensions first: "64 × … × 3", then "4096 × …"
};

// `text` if it fits `width` pixels, else `text` cut in `style`'s way to fit.
QString elideText(const QString &text, const QFontMetrics &metrics, int width, ElideStyle style);

// Makes a QLabel show its one-line plain text cut to the width it gets, instead of widening its
// panel for a long name. text() stays the whole text, so setText() from anywhere keeps working
// (the cut is made when painting). While the text is cut, the tooltip shows it whole above the
// description; the elider owns the label's tooltip.
class LabelElider : public QObject {
    Q_OBJECT
public:
    static LabelElider *install(QLabel *label, ElideStyle style);
    // The label's elider; nullptr when it has none.
    static LabelElider *of(const QLabel *label);

    // What the tooltip says besides the whole text.
    void setDescription(const QString &description);
    // The text as painted at the label's current width.
    QString visibleText() const;
    bool isElided() const { return visibleText() != fullText(); }
    // Brings the tooltip up to date with the text (painting, resizing and hovering do it too).
    void sync();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    LabelElider(QLabel *label, ElideStyle style);
    QString fullText() const;
    int availableWidth() const;
    void paintVisibleText();

    QLabel *m_label;
    ElideStyle m_style;
    QString m_description;
};

} // namespace qs::ui
