#pragma once

#include <QSharedPointer>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPErrorBars;
class QCPGraph;
class QCPItemStraightLine;
class QCPAxisTickerText;
class QLabel;

namespace qs::ui {

/// Each output channel's [min, max] (channels on x, values on y), as AIMET draws per-channel
/// ranges: a vertical bar per channel while channels are a few pixels apart, otherwise the
/// envelope of all of them as a filled band. The per-tensor range is drawn as two reference
/// lines, so channels that set it stand out.
class ChannelRangePlot : public QWidget {
    Q_OBJECT
public:
    explicit ChannelRangePlot(QWidget *parent = nullptr);

    /// mins[i], maxs[i]: channel i's finite range (NaN when it has no finite value).
    void setRanges(std::vector<float> mins, std::vector<float> maxs);
    void clear();

    QCustomPlot *plot() const { return m_plot; }
    QCPGraph *minGraph() const { return m_min; }
    QCPGraph *maxGraph() const { return m_max; }
    QCPErrorBars *bars() const { return m_bars; }
    /// True while each channel gets its own bar (few channels for the width).
    bool drawsBars() const;

private:
    void applyStyle();
    void updateDensity();
    void placeReference(QCPItemStraightLine *line, double value, const QString &text);

    QCustomPlot *m_plot = nullptr;
    QLabel *m_info = nullptr;
    QCPGraph *m_min = nullptr;
    QCPGraph *m_max = nullptr;
    QCPGraph *m_mid = nullptr; // invisible carrier of the bars
    QCPErrorBars *m_bars = nullptr;
    QCPItemStraightLine *m_tensorMinLine = nullptr;
    QCPItemStraightLine *m_tensorMaxLine = nullptr;
    QSharedPointer<QCPAxisTickerText> m_references;
    std::size_t m_channels = 0;
};

} // namespace qs::ui
