// The main window's Bits panel: its dock, and the histogram and scheme it follows.
#include "mainwindow.h"

#include "analysiscontroller.h"
#include "bitspanel.h"
#include "displayformat.h"
#include "plots/histogramplot.h"
#include "quant/floatbits.h"

#include <QAction>
#include <QDockWidget>
#include <QScrollArea>

namespace qs::ui {

// Tabbed with the Figures panel on the right: at 1024×700 a panel below it would leave neither
// legible. Closed at first; View ▸ Bits Panel opens it in front.
void MainWindow::setupBitsDock() {
    m_bits = new BitsPanel(this);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_bits);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_bitsDock = new QDockWidget(tr("Bits"), this);
    m_bitsDock->setObjectName(QStringLiteral("bitsDock"));
    m_bitsDock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                            QDockWidget::DockWidgetFloatable);
    m_bitsDock->setWidget(scroll);
    addDockWidget(Qt::RightDockWidgetArea, m_bitsDock);
    tabifyDockWidget(m_statsDock, m_bitsDock);
    m_bitsDock->hide();

    m_bitsAction = createToggle(tr("&Bits Panel"), false);
    m_bitsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B));
    m_bitsAction->setToolTip(tr("A value's sign, exponent and mantissa in FP32 and in F16, BF16, FP8 or "
                                "FP4, with its neighbours and rounding error"));
    connect(m_bitsAction, &QAction::triggered, this, [this](bool on) {
        m_bitsDock->setVisible(on);
        if (on)
            m_bitsDock->raise();
    });
    connect(m_bitsDock->toggleViewAction(), &QAction::toggled, m_bitsAction, &QAction::setChecked);
    connectBitsPanel();
}

void MainWindow::connectBitsPanel() {
    connect(m_histogram, &HistogramPlot::valueHovered, m_bits, [this](double x) {
        if (m_bitsDock->isVisible())
            m_bits->hoverValue(x);
    });
    connect(m_histogram, &HistogramPlot::valuePicked, m_bits, &BitsPanel::pickValue);
    connect(m_controller, &AnalysisController::tensorConfigured, m_bits, [this] {
        m_bits->followFormat(m_controller->currentSpec().format);
        updateBitsSource();
    });
    connect(m_controller, &AnalysisController::schemeAnalysisShown, m_bits, [this] { updateBitsSource(); });
    connect(m_controller, &AnalysisController::normalisedViewChanged, m_bits, [this] { updateBitsSource(); });
}

// What a histogram value is: a weight, or (normalised view) a weight over its group's scale,
// which is the element a scaled format encodes.
void MainWindow::updateBitsSource() {
    const qs::QuantSpec &spec = m_controller->currentSpec();
    const QString format = toQString(qs::formatTraits(spec.format).name);
    const auto element = qs::elementLayout(spec.format);
    const qs::FormatFamily family = qs::formatTraits(spec.format).family;
    QString text;
    if (!element)
        text = tr("Histogram values are weights. %1 stores no floats: the format here is your choice.")
                   .arg(format);
    else if (family == qs::FormatFamily::Cast)
        text = tr("Histogram values are weights, which %1 stores as they are (value).").arg(format);
    else if (m_controller->currentScheme() && m_controller->normalisedView())
        text = tr("Histogram values are value / scale of each group: the elements %1 stores.").arg(format);
    else
        text = tr("Histogram values are weights; %1 stores value / scale of its group (tick Normalised "
                  "to hover those).")
                   .arg(format);
    m_bits->setSource(text);
}

} // namespace qs::ui
