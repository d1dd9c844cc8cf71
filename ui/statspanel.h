#pragma once

#include "analysis/analysisresult.h"
#include "calib/mseestimator.h"
#include "quant/halffloat.h"

#include <QWidget>

#include <array>
#include <optional>
#include <vector>

class QLabel;
class QVBoxLayout;

namespace qs::ui {

// The figures of the current tensor and mapping. Error figures estimated from the histogram
// while dragging are shown as "≈ value" in italics until the exact pass replaces them; every
// figure's tooltip says what it is and how it was computed.
class StatsPanel : public QWidget {
    Q_OBJECT
public:
    enum class Figure {
        PlanSource,
        Scale,
        ZeroPoint,
        IntegerRange,
        ClipRange,
        Mse,
        Sqnr,
        MaxError,
        Clipped,
        CastOverflow,
        Count,
        NanInf,
        Min,
        Max,
        Mean,
        Std,
        Format,
        StoredType,
        BitsPerWeight,
        DistinctValues,
    };
    static constexpr int kFigureCount = int(Figure::DistinctValues) + 1;

    explicit StatsPanel(QWidget *parent = nullptr);

    void clear();
    // The open checkpoint's format, shown with every tensor until the next file.
    void setFormat(const QString &format);
    // Name, type, shape and the value statistics (exact once loaded).
    void setTensor(const qs::TensorAnalysis &tensor);
    // Which layer of the plan decides the tensor: "default", "rule 1: *.mlp.*", "override", …
    // note, when given, replaces the row's tooltip (why a tensor is kept or skipped).
    void setPlanSource(const QString &text, const QString &note = {});
    // Names the tensor and says why there are no figures yet ("Loading…", an error).
    void setNotice(const QString &tensorName, const QString &notice);
    // The mapping (always exact: it follows from the spec and min / max) and histogram
    // estimates of the error figures.
    void setEstimate(const qs::QuantParams &params, const qs::ErrorEstimate &estimate, double maxAbsError);
    void setExact(const qs::QuantAnalysis &analysis);
    // The type the scales are stored in: the Scale figure names it when not float32.
    void setScaleDtype(qs::ScaleDtype dtype);

    // A scheme's figures: the mapping rows describe the selected group and the scheme (already
    // formatted), the error rows the whole tensor, estimated while the ratio is dragged.
    struct SchemeFigures {
        QString scale;
        QString zeroPoint;
        QString grid;
        QString clip;
        double mse = 0.0;
        std::optional<double> sqnrDb;
        std::optional<double> maxAbsError; // none while estimated
        double clippedFraction = 0.0;
        bool estimate = false;
        // Casts only: the overflow and underflow counts, and the largest finite value.
        std::optional<qs::CastCounts> cast;
        double castMax = 0.0;
    };
    void setScheme(const SchemeFigures &figures);

    // The whole text of a figure (its label may show it elided).
    QString text(Figure figure) const;
    bool isEstimate(Figure figure) const;
    QLabel *valueLabel(Figure figure) const { return m_rows[std::size_t(figure)].value; }
    QLabel *nameLabel(Figure figure) const { return m_rows[std::size_t(figure)].name; }
    // Shown when the tensor holds quantized data already; its tooltip says why.
    QLabel *quantizedBadge() const { return m_badge; }
    // For copying: the title, the subtitle, the badge if shown, then per section its heading and
    // a "Name<TAB>value" line per figure, values whole.
    QString toPlainText() const;

private:
    void setCastFigures(const SchemeFigures &f);
    struct Row {
        QLabel *name = nullptr;
        QLabel *value = nullptr;
        bool estimate = false;
    };

    struct Section {
        QString title;
        std::vector<Figure> figures;
    };

    void createTitle();
    void setTitle(const QString &title);
    void addSection(QVBoxLayout *layout, const QString &title, std::initializer_list<Figure> figures);
    void setFigure(Figure figure, const QString &text, bool estimate = false, const QString &note = {});
    void setParams(const qs::QuantParams &params);
    QString scaleText(const QString &scale) const;
    void clearFigures(std::initializer_list<Figure> figures);
    void setStorage(const qs::TensorAnalysis &tensor);
    void createBadge();

    QLabel *m_title = nullptr;
    QLabel *m_subtitle = nullptr;
    QLabel *m_badge = nullptr;
    QString m_format;
    std::array<Row, kFigureCount> m_rows{};
    std::vector<Section> m_sections;
    std::int64_t m_valueCount = 0;
    qs::ScaleDtype m_scaleDtype = qs::ScaleDtype::F32;
};

} // namespace qs::ui
