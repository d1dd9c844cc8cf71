#pragma once

#include "plots/plotclick.h"

#include <QPoint>
#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QLabel;
class QStackedLayout;

namespace qs::ui {

/// A grouped scheme's parameters over the 2-D tensor: one cell per group (rows down, groups of a
/// row across), coloured by the group's scale or its quantization error (MSE). Clicking a cell
/// selects its group (outlined) and emits groupClicked. One QCPColorMap sized to the grid draws
/// it, so 4096 × 32 groups draw as fast as 4 × 4.
class SchemeHeatmap : public QWidget {
    Q_OBJECT
public:
    enum class Quantity { Scale, Error };

    explicit SchemeHeatmap(QWidget *parent = nullptr);

    /// rows × groupsPerRow groups, numbered row-major; scales and errors (MSE, value units²)
    /// hold one entry per group, either may be empty when unknown. A grid of no groups shows the
    /// empty state.
    void setGrid(qint64 rows, qint64 groupsPerRow, std::vector<float> scales, std::vector<double> errors);
    void clear();
    void setQuantity(Quantity quantity);
    Quantity quantity() const { return m_quantity; }
    /// Outlines group (row-major index); nullopt or out of range removes the outline.
    void setSelectedGroup(std::optional<qint64> group);
    std::optional<qint64> selectedGroup() const { return m_selected; }

    QCustomPlot *plot() const { return m_plot; }
    QCPColorMap *colorMap() const { return m_map; }
    QCPColorScale *colorScale() const { return m_scale; }
    QCPItemRect *selectionOutline() const { return m_outline; }
    QComboBox *quantityBox() const { return m_quantityBox; }
    QLabel *emptyLabel() const { return m_empty; }
    bool isEmpty() const { return m_rows * m_groupsPerRow == 0; }
    /// The group under pos (the plot's widget coordinates), or nullopt.
    std::optional<qint64> groupAt(QPointF pos) const;

Q_SIGNALS:
    void groupClicked(qint64 group);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void applyStyle();
    void fillMap();
    void updateInfo();

    QCustomPlot *m_plot = nullptr;
    QCPColorMap *m_map = nullptr;
    QCPColorScale *m_scale = nullptr;
    QCPItemRect *m_outline = nullptr;
    QCPItemRect *m_halo = nullptr;
    QComboBox *m_quantityBox = nullptr;
    QLabel *m_info = nullptr;
    QLabel *m_empty = nullptr;
    QStackedLayout *m_stack = nullptr;
    qint64 m_rows = 0;
    qint64 m_groupsPerRow = 0;
    std::vector<float> m_scales;
    std::vector<double> m_errors;
    Quantity m_quantity = Quantity::Scale;
    std::optional<qint64> m_selected;
    PlotClick m_click; // a click, not a drag, chooses
};

} // namespace qs::ui
