#include "groupbar.h"

#include "labelelider.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>

#include <algorithm>
#include <limits>

namespace qs::ui {

GroupBar::GroupBar(QWidget *parent)
    : QWidget(parent) {
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 2, 6, 2);
    layout->setSpacing(6);
    auto *label = new QLabel(tr("G&roup"), this);
    m_group = new QSpinBox(this);
    m_group->setObjectName(QStringLiteral("groupBox"));
    m_group->setToolTip(tr("The group (channel, group or block) whose values and levels the plots show, "
                           "counted row-major from 0"));
    label->setBuddy(m_group);
    m_worst = new QPushButton(tr("&Worst"), this);
    m_worst->setToolTip(tr("Show the group with the largest mean squared error"));
    m_summary = new QLabel(this);
    m_summary->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    LabelElider::install(m_summary, ElideStyle::Right);
    m_normalised = new QCheckBox(tr("&Normalised"), this);
    m_normalised->setToolTip(tr("Histogram of x / s over all groups, each value in units of its group's "
                                "scale (at ratio 1): how well the groups fill their grids"));
    layout->addWidget(label);
    layout->addWidget(m_group);
    layout->addWidget(m_worst);
    layout->addWidget(m_summary, 1);
    layout->addWidget(m_normalised);
    connect(m_group, &QSpinBox::valueChanged, this, [this](int value) { Q_EMIT groupChosen(value); });
    connect(m_worst, &QPushButton::clicked, this, [this] { m_group->setValue(int(m_worstGroup)); });
    connect(m_normalised, &QCheckBox::toggled, this, &GroupBar::normalisedToggled);
}

void GroupBar::setGroups(std::int64_t count, std::int64_t current, std::int64_t worst,
                         const QString &summary) {
    const QSignalBlocker blocker(m_group);
    const auto top = std::int64_t(std::numeric_limits<int>::max());
    m_group->setRange(0, int(std::clamp<std::int64_t>(count - 1, 0, top)));
    m_group->setSuffix(tr(" of %1").arg(count));
    m_group->setValue(int(std::clamp<std::int64_t>(current, 0, top)));
    m_worstGroup = worst;
    m_summary->setText(summary);
}

void GroupBar::setNormalised(bool on) {
    const QSignalBlocker blocker(m_normalised);
    m_normalised->setChecked(on);
}

std::int64_t GroupBar::currentGroup() const {
    return m_group->value();
}

bool GroupBar::normalised() const {
    return m_normalised->isChecked();
}

} // namespace qs::ui
