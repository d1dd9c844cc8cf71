#pragma once

#include <QFrame>
#include <QString>

class QLabel;
class QToolButton;

namespace qs::ui {

// A one-line hint above the plots for people new to the window ("the orange handles can be
// dragged"). It stays until dismissed with its close button or by doing what it suggests
// (dismiss()); the dismissal is remembered in the settings under settingsKey.
class HintBar : public QFrame {
    Q_OBJECT
public:
    HintBar(const QString &settingsKey, QWidget *parent = nullptr);

    // Shows text unless the hint was dismissed before, or does not apply to what is on screen.
    void offer(const QString &text);
    // Whether what the hint suggests can be done on screen now (e.g. there are handles to
    // drag); an offered hint that does not apply waits hidden until it does.
    void setApplicable(bool applicable);
    // Hides it for good.
    void dismiss();
    bool wasDismissed() const;
    QLabel *label() const { return m_label; }

private:
    void updateShown();

    QString m_settingsKey;
    bool m_offered = false;
    bool m_applicable = true;
    QLabel *m_label = nullptr;
    QToolButton *m_close = nullptr;
};

} // namespace qs::ui
