#pragma once

#include "quant/floatbits.h"

#include <QWidget>

#include <array>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;

namespace qs::ui {

class BitCells;

// The Bits panel: one value's sign, exponent and mantissa in FP32 and in a chosen format (F16,
// BF16, E4M3, E5M2, E2M1), the decoded value, its neighbours, the rounding error, and the
// format's facts. The value is typed, or comes from the histogram: it follows the mouse until a
// click pins it.
class BitsPanel : public QWidget {
    Q_OBJECT
public:
    enum class Field {
        Code,
        Sign,
        Exponent,
        Mantissa,
        Value,
        Kind,
        Below,
        Above,
        AbsoluteError,
        RelativeError,
    };
    static constexpr int kFieldCount = int(Field::RelativeError) + 1;
    // Which explanation a field belongs to.
    enum class Side { Fp32, Format };

    explicit BitsPanel(QWidget *parent = nullptr);

    // Shows x (as float32, and in the format), and puts it in the value field.
    void setValue(double x);
    double value() const { return m_value; }
    // The format the second explanation uses (not F32: the first one is always FP32).
    void setFormat(qs::FloatLayout layout);
    qs::FloatLayout format() const { return m_layout; }
    // Takes the format a scheme stores its elements in; formats without float elements (int,
    // NF4, ggml) leave the user's choice.
    void followFormat(qs::NumberFormat format);
    // Says what a histogram value is ("weight value", "value / scale …"), under the value field.
    void setSource(const QString &text);
    // From the histogram: a hover moves the value unless it is pinned; a pick sets and pins it.
    void hoverValue(double x);
    void pickValue(double x);
    void setPinned(bool pinned);
    bool isPinned() const { return m_pinned; }

    // What the panel shows, for tests and the clipboard.
    QString text(Field field, Side side = Side::Format) const;
    QString bitsText(Side side) const;
    QString sourceText() const;
    QString pinText() const;
    QString factsText() const;
    // Why the typed text was not taken; empty when it was.
    QString message() const;
    QLineEdit *valueEdit() const { return m_edit; }
    QComboBox *formatBox() const { return m_formatBox; }

Q_SIGNALS:
    void formatChanged(qs::FloatLayout layout);

private:
    struct Section {
        QLabel *heading = nullptr;
        BitCells *cells = nullptr;
        QFormLayout *form = nullptr;
        std::array<QLabel *, kFieldCount> values{};
    };

    void createControls();
    void createSection(Section &section, const QString &prefix, int rows);
    QWidget *createLegend();
    void onTextEdited(const QString &text);
    void refresh();
    void showBits(Section &section, const qs::FloatBits &bits);
    void showNeighbours(const qs::FloatBits &bits);
    void showFacts();
    void showPinState();
    QString kindText(const qs::FloatBits &bits) const;
    QString exponentText(const qs::FloatBits &bits) const;
    QString mantissaText(const qs::FloatBits &bits) const;

    double m_value = 0.0;
    qs::FloatLayout m_layout = qs::FloatLayout::F16;
    bool m_pinned = false;
    QLineEdit *m_edit = nullptr;
    QComboBox *m_formatBox = nullptr;
    QLabel *m_message = nullptr;
    QLabel *m_source = nullptr;
    QLabel *m_pin = nullptr;
    QPushButton *m_follow = nullptr;
    QLabel *m_facts = nullptr;
    QLabel *m_factsHeading = nullptr;
    Section m_fp32;
    Section m_format;
};

} // namespace qs::ui
