#pragma once

// HistogramPlot's internals, shared by histogramplot.cpp (items, layout, view range) and
// histogramplotinput.cpp (mouse, keys, tooltips).

#include "plots/histogramplot.h"
#include "plots/plotclick.h"

#include "plots/qcustomplotinclude.h"

#include <QObject>

#include <array>
#include <optional>
#include <vector>

class QCheckBox;
class QHelpEvent;
class QKeyEvent;
class QLabel;
class QMouseEvent;

namespace qs::ui {

// The grab marks' height from the top of the plot area, in pixels.
inline constexpr int kGrabMarkHeightPx = 14;

class HistogramPlot::Private : public QObject {
public:
    enum Handle { None = -1, Lower = 0, Upper = 1 };

    Private(HistogramPlot *owner, QCustomPlot *plot);
    // Translations belong to the widget's context, not QObject's.
    static QString tr(const char *text) { return HistogramPlot::tr(text); }

    void setupAxes();
    void createLayers();
    void createItems();
    void createHandle(Handle i);
    QCPItemLine *levelLine(std::size_t i);
    void updateOverlay();
    void updateBars();
    void drawBars();
    void updateLevels();
    void updateViewLevels();
    void showViewLevelLines(const std::vector<double> &visible);
    const Histogram &source() const;
    bool hasHandles() const;
    void setRatioHandles(double ratio);
    void showLevelLines(std::int64_t qa, std::int64_t qb);
    void showBand(double x0, double x1, double spacingPx);
    void updateShading();
    void updateTailLabels();
    void placeTailLabels();
    void placeHandles();
    void styleGrabMarks();
    void setLevelInfo(const QString &mode);
    void fitRange();
    QCPRange fullRange() const;
    void onUserRange(const QCPRange &range);
    void setViewRange(const QCPRange &range);

    Handle handleAt(const QPoint &pos) const;
    double minGap() const;
    void moveHandle(Handle handle, double x);
    void dragTo(double x);
    void nudge(int steps);
    void select(Handle handle);
    void commitThresholds();
    bool holdsViewFor(const QuantSpec &spec);
    bool eventFilter(QObject *watched, QEvent *event) override;
    void restyle();
    bool onPress(QMouseEvent *event);
    bool onMove(QMouseEvent *event);
    bool onRelease(QMouseEvent *event);
    bool onKey(QKeyEvent *event);
    bool onToolTip(QHelpEvent *event);
    QString describeAt(double x) const;
    // The x-axis value at pos, if pos is in the plot area and a tensor is shown.
    std::optional<double> valueAt(const QPoint &pos) const;

    HistogramPlot *m_owner;
    QCustomPlot *m_plot;
    QLabel *m_info = nullptr;
    QCheckBox *m_logToggle = nullptr;
    MethodMarkers *m_markers = nullptr;
    ReferenceOverlay *m_reference = nullptr;
    QCPGraph *m_bars = nullptr;
    QCPItemRect *m_band = nullptr;
    std::vector<QCPItemLine *> m_levelLines;
    std::array<QCPItemLine *, 2> m_handles{};
    std::array<QCPItemRect *, 2> m_grabMarks{};
    std::array<QCPItemRect *, 2> m_shades{};
    std::array<QCPItemText *, 2> m_tailLabels{};

    std::shared_ptr<const TensorAnalysis> m_tensor;
    std::optional<HistogramPlot::LevelView> m_view; ///< set while a scheme's levels are drawn
    Histogram m_display; ///< what is drawn: the fine histogram, merged for the zoom and size
    std::size_t m_displayFactor = 0;
    std::optional<QuantParams> m_params;
    QuantSpec m_spec;
    double m_clippedFraction = 0.0;
    // Handle positions: the mapping's clip range, or where the user is dragging them.
    double m_clipLo = 0.0;
    double m_clipHi = 0.0;
    Handle m_drag = None;
    // A press that only selects a handle commits nothing (it would switch to saturating).
    bool m_dragMoved = false;
    // The handle the arrow keys move.
    Handle m_selected = Upper;
    // True until the user zooms or pans: the view then follows the tensor and clip range.
    bool m_autoRange = true;
    // What a drag or nudge asked for: its estimate and exact pass leave the view where it is, so
    // the handles stay under the mouse.
    std::optional<QuantSpec> m_committed;
    bool m_settingRange = false;
    // Tells a click (which picks a value) from a background pan.
    PlotClick m_click;
};

} // namespace qs::ui
