#pragma once

#include "plots/plotclick.h"

#include "analysis/schemecomparison.h"

#include <QPoint>
#include <QWidget>

#include <optional>
#include <vector>

class QCustomPlot;
class QCPGraph;
class QCPItemText;
class QHBoxLayout;
class QLabel;
class QProgressBar;
class QToolButton;

namespace qs::ui {

/// SQNR against bits per weight for every scheme of the comparison, one series per family (int
/// per tensor, per channel, in groups of 128 and 32; FP8; the 4-bit block formats; llama.cpp's
/// types), with the current choice ringed, so the knee of the curve is plain. Schemes that do
/// not apply are listed under the plot, not drawn. Clicking a point emits schemeChosen.
class BitsErrorChart : public QWidget {
    Q_OBJECT
public:
    enum class Family { IntTensor, IntChannel, IntGroup128, IntGroup32, Cast, Fp8, Fp4, Ggml };
    static constexpr int kFamilyCount = 8;

    explicit BitsErrorChart(QWidget *parent = nullptr);

    /// The family a scheme is drawn in; nullopt for schemes outside the comparison's families.
    static std::optional<Family> familyOf(const qs::QuantSpec &spec);
    static QString familyName(Family family);
    /// "int4 group 128", "fp8_e4m3", "q4_k", …
    static QString schemeName(const qs::QuantSpec &spec);
    /// True if row is the comparison's entry for spec (same format, and for int the same bits
    /// and granularity); range and scheme details do not count.
    static bool isEntryFor(const qs::QuantSpec &row, const qs::QuantSpec &spec);

    void setRows(std::vector<qs::ComparisonRow> rows);
    void setCurrentSpec(const qs::QuantSpec &spec);
    void clear();
    /// Shows "Computing…" with a Cancel button, or hides it.
    void setBusy(bool busy, const QString &what = QString());
    /// Says the comparison was cancelled and offers to compute it again.
    void setCancelled();

    const std::vector<qs::ComparisonRow> &rows() const { return m_rows; }
    QCustomPlot *plot() const { return m_plot; }
    QCPGraph *series(Family family) const { return m_series[std::size_t(family)]; }
    QCPGraph *currentMarker() const { return m_current; }
    /// The row the current spec is marked at, if it is among the rows drawn.
    std::optional<std::size_t> currentRow() const { return m_currentRow; }
    QLabel *footnote() const { return m_footnote; }
    QToolButton *actionButton() const { return m_action; }
    /// The drawn row nearest to pos (the plot's widget coordinates) within a few pixels.
    std::optional<std::size_t> rowAt(QPointF pos) const;

Q_SIGNALS:
    void schemeChosen(const qs::QuantSpec &spec);
    void cancelRequested();
    void recomputeRequested();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createSeries();
    void createStatusRow(QHBoxLayout *header);
    void redraw();
    void fitAxes();
    void updateFootnote();
    void updateMarker();
    void placeMarkerLabel();
    QString rowDescription(std::size_t row) const;

    QCustomPlot *m_plot = nullptr;
    QLabel *m_info = nullptr;
    QLabel *m_footnote = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_bar = nullptr;
    QToolButton *m_action = nullptr;
    std::vector<QCPGraph *> m_series;
    QCPGraph *m_current = nullptr;
    QCPItemText *m_currentLabel = nullptr;
    std::vector<qs::ComparisonRow> m_rows;
    std::vector<std::size_t> m_drawn; // rows with a point on the plot
    std::optional<qs::QuantSpec> m_spec;
    std::optional<std::size_t> m_currentRow;
    bool m_busy = false;
    PlotClick m_click; // a click, not a drag, chooses
};

} // namespace qs::ui
