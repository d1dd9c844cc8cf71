#pragma once

#include "quant/quantspec.h"

#include <QHash>
#include <QKeySequence>
#include <QList>
#include <QWidget>

#include <functional>

class QAction;
class QCheckBox;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace qs::ui {

// The toolbar controls of a spec: bit width, symmetric / asymmetric, narrow range (symmetric
// only), non-saturating / saturating and "Use suggested threshold". Thresholds are not edited
// here (the histogram handles are); spec() returns them unchanged from setSpec(). Controls that
// do not apply to the spec's format or granularity are disabled, their tooltips saying why.
class QuantControls : public QWidget {
    Q_OBJECT
public:
    explicit QuantControls(QWidget *parent = nullptr);

    // Shows spec without emitting specEdited.
    void setSpec(const qs::QuantSpec &spec);
    qs::QuantSpec spec() const { return m_spec; }

    QSpinBox *bitsBox() const { return m_bits; }
    QRadioButton *symmetricButton() const { return m_symmetric; }
    QRadioButton *asymmetricButton() const { return m_asymmetric; }
    QCheckBox *narrowBox() const { return m_narrow; }
    QRadioButton *nonSaturatingButton() const { return m_nonSaturating; }
    QRadioButton *saturatingButton() const { return m_saturating; }
    QPushButton *suggestButton() const { return m_suggest; }
    // Menu actions with window-wide shortcuts for the same controls: bits up and down, symmetric
    // / asymmetric, non-saturating / saturating, the suggested threshold. They act only while
    // the controls are enabled.
    QList<QAction *> actions() const { return m_actions; }

Q_SIGNALS:
    // The user changed bits, scheme, narrow or range mode.
    void specEdited(const qs::QuantSpec &spec);
    void suggestRequested();

private:
    void readControls();
    void updateEnabled();
    void setApplies(QWidget *widget, bool applies, const QString &why);
    QWidget *createSeparator();
    void createActions();
    QAction *makeAction(const QString &text, const QKeySequence &shortcut, const QString &tip,
                        std::function<void()> work);

    qs::QuantSpec m_spec;
    QSpinBox *m_bits = nullptr;
    QRadioButton *m_symmetric = nullptr;
    QRadioButton *m_asymmetric = nullptr;
    QCheckBox *m_narrow = nullptr;
    QRadioButton *m_nonSaturating = nullptr;
    QRadioButton *m_saturating = nullptr;
    QPushButton *m_suggest = nullptr;
    QList<QAction *> m_actions;
    QHash<QWidget *, QString> m_tips; // each control's own tooltip, shown while it applies
};

} // namespace qs::ui
