#pragma once

#include <QWidget>

#include <cstdint>

class QCheckBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace qs::ui {

// Above the histogram while a scheme has groups: which group the plots show (opening on the
// one with the largest error), a jump back to it, and the normalised view of all groups.
class GroupBar : public QWidget {
    Q_OBJECT
public:
    explicit GroupBar(QWidget *parent = nullptr);

    // count groups, worst the one with the largest MSE; shows current without emitting.
    void setGroups(std::int64_t count, std::int64_t current, std::int64_t worst, const QString &summary);
    void setNormalised(bool on);
    std::int64_t currentGroup() const;
    bool normalised() const;

    QSpinBox *groupBox() const { return m_group; }
    QCheckBox *normalisedBox() const { return m_normalised; }
    QPushButton *worstButton() const { return m_worst; }

Q_SIGNALS:
    void groupChosen(std::int64_t group);
    void normalisedToggled(bool on);

private:
    QSpinBox *m_group = nullptr;
    QLabel *m_summary = nullptr;
    QPushButton *m_worst = nullptr;
    QCheckBox *m_normalised = nullptr;
    std::int64_t m_worstGroup = 0;
};

} // namespace qs::ui
