#pragma once

#include "quant/quantspec.h"

#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPItemLine;
class QCPItemText;

namespace qs::ui {

/// The float → integer mapping: the float axis (the tensor's [min, max], extended past the
/// clip thresholds when saturating) above the integer axis [qmin, qmax], with lines joining
/// clip_min → qmin, clip_max → qmax and 0 → zero point (emphasised), the saturated parts
/// shaded as they fan into qmin / qmax, and a few sample values with their integer codes.
class MappingPlot : public QWidget {
    Q_OBJECT
public:
    explicit MappingPlot(QWidget *parent = nullptr);
    ~MappingPlot() override;

    /// tensorMin/Max: the tensor's finite range; spec/params: the current mapping.
    void setMapping(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                    const qs::QuantParams &params);
    void clear();
    QCustomPlot *plot() const { return m_plot; }

protected:
    void resizeEvent(QResizeEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    class Items;
    struct Shown {
        double tensorMin;
        double tensorMax;
        qs::QuantSpec spec;
        qs::QuantParams params;
    };

    void applyStyle();
    void setAxisRanges(double tensorMin, double tensorMax, const qs::QuantParams &params);
    double toIntegerAxis(double floatValue) const;
    void drawAxes(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                  const qs::QuantParams &params);
    void drawCodeTicks(const qs::QuantParams &params);
    void drawMappingLines(const qs::QuantParams &params);
    void drawSaturation(double tensorMin, double tensorMax, const qs::QuantParams &params);
    static std::vector<double> sampleValues(double tensorMin, double tensorMax,
                                            const qs::QuantParams &params);
    void drawSamples(double tensorMin, double tensorMax, const qs::QuantParams &params);
    QCPItemLine *sampleLine(std::size_t i);
    QCPItemText *sampleLabel(std::size_t i);

    QCustomPlot *m_plot = nullptr;
    std::unique_ptr<Items> m_items;
    std::optional<Shown> m_shown;
};

} // namespace qs::ui
