#pragma once

#include "analysis/analysisresult.h"
#include "analysis/schemecomparison.h"
#include "latestjob.h"
#include "methodtable.h"

#include <QWidget>

#include <memory>
#include <vector>

class QTabWidget;

namespace qs::ui {

class BitsErrorChart;
class ChannelRangePlot;
class MethodComparer;
class SchemeHeatmap;

// The Scheme panel: what a choice of scheme does to the current tensor, in four tabs: the range
// of each output channel, the groups of a grouped scheme as a heatmap, SQNR against bits per
// weight for every scheme, and the calibration methods side by side. The setters take plain
// data; setTensor computes what comes from the tensor alone (channel ranges, the scheme
// comparison) off the GUI thread, only while the panel (and for the comparison, its tab) is
// shown, and the newest tensor wins. The methods come from its MethodComparer, which other views
// share.
class SchemeInsights : public QWidget {
    Q_OBJECT
public:
    enum Tab { ChannelsTab, HeatmapTab, BitsTab, MethodsTab };

    explicit SchemeInsights(QWidget *parent = nullptr);

    void setChannelRanges(std::vector<float> mins, std::vector<float> maxs);
    void setGroupGrid(qint64 rows, qint64 groupsPerRow, std::vector<float> scales,
                      std::vector<double> errors);
    void setComparison(std::vector<qs::ComparisonRow> rows, const qs::QuantSpec &current);
    void setCurrentSpec(const qs::QuantSpec &spec);
    void setMethodRows(std::vector<MethodRow> rows);
    // Schedules the method comparison (qs::compareMethods) of the current tensor under spec:
    // computed off the GUI thread while the Methods tab is on screen (or another viewer of the
    // comparer wants it).
    void setMethodSpec(const qs::QuantSpec &spec);
    // Schedules the channel ranges and the scheme comparison of tensor; nullptr clears.
    void setTensor(std::shared_ptr<const qs::TensorAnalysis> tensor);
    void clear();
    // Stops the comparison; its tab offers to compute it again.
    void cancelComparison();
    bool isComputing() const;
    bool isComparing() const;
    QSize sizeHint() const override;

    QTabWidget *tabs() const { return m_tabs; }
    ChannelRangePlot *channelPlot() const { return m_channels; }
    SchemeHeatmap *heatmap() const { return m_heatmap; }
    BitsErrorChart *bitsChart() const { return m_bits; }
    MethodTable *methodTable() const { return m_methods; }
    MethodComparer *methodComparer() const { return m_comparer; }

Q_SIGNALS:
    void groupClicked(qint64 group);
    void schemeChosen(const qs::QuantSpec &spec);
    void applyRequested(const qs::QuantSpec &spec);
    // A job's result reached its view (tests wait for these).
    void channelRangesShown();
    void comparisonShown();
    void methodsShown();

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void refresh();
    void startChannels();
    void startComparison();
    void showMethodRows();

    QTabWidget *m_tabs = nullptr;
    ChannelRangePlot *m_channels = nullptr;
    SchemeHeatmap *m_heatmap = nullptr;
    BitsErrorChart *m_bits = nullptr;
    MethodTable *m_methods = nullptr;
    MethodComparer *m_comparer = nullptr;
    std::shared_ptr<const qs::TensorAnalysis> m_tensor;
    bool m_channelsStale = false;
    bool m_comparisonStale = false;
    LatestJob m_channelJob;
    LatestJob m_comparisonJob;
};

} // namespace qs::ui
