#pragma once

#include "plots/plotclick.h"

#include "analysis/modelscan.h"
#include "analysis/tensorrole.h"
#include "io/tensorinfo.h"

#include <QColor>
#include <QPointF>
#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QCustomPlot;
class QCPGraph;
class QCPRange;
class QCPItemStraightLine;
class QLabel;

namespace qs::ui {

/// The Model panel's chart: each measured tensor's SQNR (or relative RMSE) against its layer
/// index, one series per tensor role, so a layer or a role that suffers stands out. Within a layer
/// the roles sit side by side (a small offset each) rather than on top of each other. Tensors
/// whose names carry no layer index sit right of a dashed line, in file order (or, when no name
/// has one, the whole axis is file order). Kept and skipped tensors are not drawn. Clicking a
/// point emits tensorActivated with the tensor's index.
class LayerChart : public QWidget {
    Q_OBJECT
public:
    enum class Measure { Sqnr, RelRmse };

    explicit LayerChart(QWidget *parent = nullptr);

    /// The role's colour, the same in every session: Paul Tol's colour-blind safe "muted" set.
    static QColor roleColor(qs::TensorRole role);
    /// Where in its layer a role's points sit, in layers: from −0.36 (q) to +0.36 (other).
    static double roleOffset(qs::TensorRole role);

    /// Forgets every point and learns the checkpoint's names (their layers and roles).
    void setTensors(const std::vector<qs::TensorInfo> &tensors);
    /// Forgets every point; the names stay.
    void clearResults();
    /// Draws one tensor's figures; O(log n) in the points of its role.
    void addSummary(const qs::TensorSummary &summary);
    void setMeasure(Measure measure);
    Measure measure() const { return m_measure; }

    QCustomPlot *plot() const { return m_plot; }
    QCPGraph *graph(qs::TensorRole role) const { return m_graphs[std::size_t(role)]; }
    QComboBox *measureBox() const { return m_measureBox; }
    QLabel *footnote() const { return m_footnote; }
    /// The dashed line between the layers and the tensors without a layer index.
    QCPItemStraightLine *separator() const { return m_separator; }
    /// The plot coordinates of tensor index's point, if it is drawn.
    std::optional<QPointF> pointOf(std::size_t index) const;
    /// The drawn tensor nearest to pos (the plot's widget coordinates) within a few pixels.
    std::optional<std::size_t> tensorAt(QPointF pos) const;

Q_SIGNALS:
    void tensorActivated(std::size_t index);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Entry {
        QString name;
        std::optional<int> layer;
        qs::TensorRole role = qs::TensorRole::Other;
        int fileRank = 0; // among the tensors without a layer index
        std::optional<double> sqnrDb;
        std::optional<double> relRmse;
        bool kept = false;
        bool skipped = false;
        bool measured = false;
    };

    void createGraphs();
    void createLegend();
    void updateLegend();
    void fitLegend();
    std::optional<double> valueOf(const Entry &entry) const;
    double keyOf(const Entry &entry) const;
    std::optional<QPointF> countEntry(std::size_t index);
    void plotEntry(std::size_t index);
    void rebuild();
    void setValueAxisScale();
    void updateInfo();
    void fitAxes();
    void updateAxisLabels();
    void updateFootnote();
    QCPRange allLayers() const;
    void onLayerRangeChanged(const QCPRange &range);
    void showAllLayers();
    QString describe(std::size_t index) const;

    QCustomPlot *m_plot = nullptr;
    QComboBox *m_measureBox = nullptr;
    QLabel *m_info = nullptr;
    QLabel *m_footnote = nullptr;
    QCPItemStraightLine *m_separator = nullptr;
    std::vector<QCPGraph *> m_graphs; // by role
    std::vector<Entry> m_entries;     // by tensor index
    std::vector<std::size_t> m_drawn; // tensors with a point, in arrival order
    std::optional<int> m_minLayer;
    std::optional<int> m_maxLayer;
    int m_unindexedCount = 0;
    int m_unindexedDrawn = 0;
    std::optional<double> m_minValue;
    std::optional<double> m_maxValue;
    int m_kept = 0;
    int m_skipped = 0;
    int m_noValue = 0;
    Measure m_measure = Measure::Sqnr;
    PlotClick m_click;           // a click, not a drag, opens
    bool m_layersZoomed = false; // the user zoomed or panned the layer axis
    bool m_fittingLayers = false;
};

} // namespace qs::ui
