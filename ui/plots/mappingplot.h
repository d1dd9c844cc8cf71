#pragma once

#include "quant/quantspec.h"

#include <QWidget>

class QCustomPlot;

namespace qs::ui {

/// The float → integer mapping: the float axis (the tensor's [min, max], extended past the
/// clip thresholds when saturating) above the integer axis [qmin, qmax], with lines joining
/// clip_min → qmin, clip_max → qmax and 0 → zero point (emphasised), the saturated parts
/// shaded as they fan into qmin / qmax, and a few sample values with their integer codes.
class MappingPlot : public QWidget {
    Q_OBJECT
public:
    explicit MappingPlot(QWidget *parent = nullptr);

    /// tensorMin/Max: the tensor's finite range; spec/params: the current mapping.
    void setMapping(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                    const qs::QuantParams &params);
    void clear();
    QCustomPlot *plot() const { return m_plot; }

private:
    QCustomPlot *m_plot = nullptr;
};

} // namespace qs::ui
