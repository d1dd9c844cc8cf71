#include "hintbar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSettings>
#include <QStyle>
#include <QToolButton>

namespace qs::ui {

HintBar::HintBar(const QString &settingsKey, QWidget *parent)
    : QFrame(parent)
    , m_settingsKey(settingsKey) {
    setObjectName(QStringLiteral("hintBar"));
    // Palette roles keep it readable on light and dark themes.
    setStyleSheet(QStringLiteral("#hintBar { background: palette(alternate-base); border: 1px solid "
                                 "palette(mid); border-radius: 4px; }"));
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextFormat(Qt::RichText);
    m_close = new QToolButton(this);
    m_close->setAutoRaise(true);
    m_close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    m_close->setToolTip(tr("Hide this hint"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 2, 2, 2);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_close, 0, Qt::AlignTop);
    connect(m_close, &QToolButton::clicked, this, &HintBar::dismiss);
    hide();
}

void HintBar::offer(const QString &text) {
    m_label->setText(text);
    m_offered = true;
    updateShown();
}

void HintBar::setApplicable(bool applicable) {
    m_applicable = applicable;
    updateShown();
}

void HintBar::dismiss() {
    QSettings().setValue(m_settingsKey, true);
    hide();
}

void HintBar::updateShown() {
    setVisible(m_offered && m_applicable && !wasDismissed());
}

bool HintBar::wasDismissed() const {
    return QSettings().value(m_settingsKey, false).toBool();
}

} // namespace qs::ui
