#include "busyindicator.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

namespace qs::ui {

BusyIndicator::BusyIndicator(QWidget *parent)
    : QWidget(parent) {
    m_what = new QLabel(this);
    m_bar = new QProgressBar(this);
    m_bar->setRange(0, 100);
    m_bar->setFixedWidth(160);
    m_bar->setTextVisible(true);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the running load or analysis"));
    m_cancel->setAutoRaise(true);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    layout->addWidget(m_what);
    layout->addWidget(m_bar);
    layout->addWidget(m_cancel);

    connect(m_cancel, &QToolButton::clicked, this, &BusyIndicator::cancelRequested);
    setBusy(false);
}

void BusyIndicator::setBusy(bool busy) {
    if (!busy) {
        m_bar->setValue(0);
        m_what->clear();
    }
    setVisible(busy);
}

void BusyIndicator::setCancelToolTip(const QString &text) {
    m_cancel->setToolTip(text);
}

void BusyIndicator::setProgress(int percent, const QString &what) {
    m_what->setText(what);
    m_bar->setValue(percent);
}

} // namespace qs::ui
