#pragma once

#include "quant/quantspec.h"

#include <QString>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPItemLine;
class QCPItemText;
class QLabel;
class QRectF;

namespace qs::ui {

/// The float → integer mapping: the float axis (the tensor's [min, max], extended past the
/// clip thresholds when saturating) above the integer axis [qmin, qmax], with lines joining
/// clip_min → qmin, clip_max → qmax and 0 → zero point (emphasised), the saturated parts
/// shaded as they fan into qmin / qmax, and a few sample values with their integer codes.
/// Every key value is labelled (text items named "floatKeyLabel" / "codeKeyLabel" whose "keys"
/// property lists what they name); labels that would collide move to further rows.
class MappingPlot : public QWidget {
    Q_OBJECT
public:
    explicit MappingPlot(QWidget *parent = nullptr);
    ~MappingPlot() override;

    /// tensorMin/Max: the tensor's finite range; spec/params: the current mapping.
    void setMapping(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                    const qs::QuantParams &params);
    /// The codes that store a scheme's lowest and highest level, as the code axis names them;
    /// bitPatterns when they are a float format's bits (the title then says code, not integer).
    struct EndCodes {
        QString lowest;
        QString highest;
        bool bitPatterns = false;
    };
    /// A scheme's levels (ascending, value units), uniform or not: the float axis (the data's
    /// [dataMin, dataMax] and every level) above the code axis, one position per level, each
    /// level joined to its position (every k-th when there are more than fit). The axis' ends
    /// name codes when given, else the positions 0 and n − 1. description goes in the header.
    void setLevels(const std::vector<double> &levels, double dataMin, double dataMax,
                   const QString &description, const std::optional<EndCodes> &codes = std::nullopt);
    /// The levels setLevels drew; empty while an int mapping is shown.
    const std::vector<double> &shownLevels() const { return m_levels; }
    void clear();
    QCustomPlot *plot() const { return m_plot; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    class Items;
    struct KeyRows;
    struct Shown {
        double tensorMin;
        double tensorMax;
        qs::QuantSpec spec;
        qs::QuantParams params;
    };

    void applyStyle();
    void redraw();
    void setAxisRanges(double tensorMin, double tensorMax, const qs::QuantParams &params);
    double toIntegerAxis(double floatValue) const;
    KeyRows floatKeyRows(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                         const qs::QuantParams &params) const;
    KeyRows codeKeyRows(const qs::QuantParams &params) const;
    void applyMargins(int top, int bottom);
    bool layOutAxisRect(const KeyRows &floatRows, const KeyRows &codeRows);
    std::vector<QRectF> drawLabels(const KeyRows &floatRows, const KeyRows &codeRows, bool showCaption);
    void drawAxes(double tensorMin, double tensorMax, const qs::QuantParams &params, const KeyRows &floatRows,
                  const KeyRows &codeRows);
    void drawCodeTicks(const qs::QuantParams &params);
    void drawMappingLines(const qs::QuantParams &params);
    void drawSaturation(double tensorMin, double tensorMax, const qs::QuantParams &params);
    static std::vector<double> sampleValues(double tensorMin, double tensorMax,
                                            const qs::QuantParams &params);
    void drawSamples(double tensorMin, double tensorMax, const qs::QuantParams &params,
                     std::vector<QRectF> &taken);
    QCPItemLine *sampleLine(std::size_t i);
    QCPItemText *sampleLabel(std::size_t i);
    QCPItemLine *levelLink(std::size_t i);
    void drawLevelLinks(const std::vector<double> &levels);

    struct LevelsShown {
        double dataMin;
        double dataMax;
        QString description;
        std::optional<EndCodes> codes;
    };

    QCustomPlot *m_plot = nullptr;
    QLabel *m_title = nullptr;
    std::unique_ptr<Items> m_items;
    std::optional<Shown> m_shown;
    std::vector<double> m_levels;
    std::optional<LevelsShown> m_levelsShown;
    bool m_drawing = false; // asking for more height may resize the plot in the middle of a draw
};

} // namespace qs::ui
