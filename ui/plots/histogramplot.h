#pragma once

#include "analysis/analysisresult.h"
#include "plots/methodmarkers.h"
#include "quant/quantspec.h"

#include <QWidget>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

class QCustomPlot;

namespace qs::ui {

class ReferenceOverlay;

/// The weight histogram of one tensor with the quantization levels x̂ = (q - z)·s drawn over
/// it (each level while they are a few pixels apart, a density band beyond), the clip
/// thresholds as draggable handles, and the saturated tails shaded and labelled with the
/// fraction clipped. Calibration methods' ranges can be drawn over it as thin marker pairs with a
/// legend row. Zoom with the wheel, pan by dragging the background. With focus, the arrow keys
/// nudge the selected handle by one quantization step (Shift: ten).
class HistogramPlot : public QWidget {
    Q_OBJECT
public:
    /// What a scheme other than per-tensor int draws: a histogram (one group's values, or all
    /// groups' values in units of their scales), the levels over it, and, for schemes with a clip
    /// ratio, handles at ratio × the clip range of ratio 1.
    struct LevelView {
        qs::Histogram data;
        std::vector<double> levels; ///< ascending, in the units of data
        /// The clip range at ratio 1 in data's units; none: no handles (the scale is fixed).
        std::optional<std::pair<double, double>> ratioBase;
        double ratio = 1.0;
        double clippedFraction = 0.0;
        QString axisLabel;
        QString description; ///< what is shown, for the info line ("group 12 of 256")
    };

    explicit HistogramPlot(QWidget *parent = nullptr);

    /// Shows tensor's fine histogram; nullptr clears the plot.
    void setTensor(std::shared_ptr<const qs::TensorAnalysis> tensor);
    /// Draws levels, handles and shading for the given mapping. clippedFraction labels the tails.
    /// Fits the view unless the user zoomed or panned, or the spec is what the last drag or nudge
    /// committed (so the handles stay under the mouse).
    void setQuantization(const qs::QuantSpec &spec, const qs::QuantParams &params, double clippedFraction);
    /// Draws view instead of the tensor's histogram and an int mapping (until the next
    /// setQuantization or setTensor). Fits the view when the data's range changed, unless the
    /// user zoomed or panned.
    void setLevelView(const LevelView &view);
    /// While the ratio is dragged: moves the handles and redraws the levels.
    void setViewRatio(double ratio, std::vector<double> levels, double clippedFraction);
    /// True while a LevelView is shown.
    bool showsLevelView() const;
    /// The levels drawn in a LevelView (empty otherwise).
    std::vector<double> viewLevels() const;
    /// Draws one marker pair per calibration method (in the units of what is shown); an empty
    /// list removes them. A new tensor removes them too: they belong to one tensor.
    void setMethodMarkers(std::vector<MethodMarker> markers);
    /// The method markers' drawing (tests read its lines and legend).
    MethodMarkers *methodMarkers() const;
    /// Draws a reference checkpoint's histogram of this tensor over it as an outline, with a
    /// "reference" legend entry in the title row: counts in the same bins as the tensor's fine
    /// histogram (other bins are ignored); nullopt removes it, and so does a new tensor. Hidden
    /// while a LevelView is shown. description goes into the legend's tooltip.
    void setReferenceHistogram(std::optional<qs::Histogram> counts, const QString &description = {});
    /// The reference outline's drawing (tests read its graph and legend).
    ReferenceOverlay *referenceOverlay() const;
    void setLogScale(bool on);
    bool logScale() const { return m_logScale; }
    /// Shows the whole tensor range again.
    void resetZoom();

    /// The underlying plot (tests map values to pixels with its axes).
    QCustomPlot *plot() const { return m_plot; }
    /// Where the lower (upper = false) or upper handle's grab mark is, in plot() coordinates.
    QPoint handlePosition(bool upper) const;
    /// How far from a handle (in pixels, at least 10, more on high-DPI screens) a press grabs it.
    int grabRadiusPx() const;

Q_SIGNALS:
    /// While a handle is dragged: the thresholds it implies (mirrored around 0 when symmetric).
    void thresholdsDragged(double clipLo, double clipHi);
    /// When the drag ends, and on each arrow-key nudge: the thresholds to commit.
    void thresholdsDragFinished(double clipLo, double clipHi);
    void logScaleChanged(bool on);
    /// LevelView: while a handle is dragged, the clip ratio it implies (in (0, 1]).
    void ratioDragged(double ratio);
    /// LevelView: when the drag ends, and on each arrow-key nudge (±0.01): the ratio to commit.
    void ratioDragFinished(double ratio);
    /// The x-axis value under the mouse as it moves over the plot area with no button held
    /// (in the axis' units: weight value, or value / scale in a normalised LevelView).
    void valueHovered(double x);
    /// A click in the plot area that grabbed no handle and did not pan: the x-axis value there.
    void valuePicked(double x);

private:
    class Private;
    QCustomPlot *m_plot = nullptr;
    bool m_logScale = true;
    std::unique_ptr<Private> d;

public:
    ~HistogramPlot() override;
};

} // namespace qs::ui
