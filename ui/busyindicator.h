#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QToolButton;

namespace qs::ui {

// The status bar's "analysing… ▓▓▓░░ 70 % (Cancel)" while a job runs; hidden otherwise.
class BusyIndicator : public QWidget {
    Q_OBJECT
public:
    explicit BusyIndicator(QWidget *parent = nullptr);

    void setBusy(bool busy);
    void setProgress(int percent, const QString &what);
    // What Cancel stops (the default names the load or analysis).
    void setCancelToolTip(const QString &text);

Q_SIGNALS:
    void cancelRequested();

private:
    QLabel *m_what = nullptr;
    QProgressBar *m_bar = nullptr;
    QToolButton *m_cancel = nullptr;
};

} // namespace qs::ui
